/**
 * Stage 3 — HEURISTIC targets (spec 10 §7): sell-only redistribution (A), group caps (B),
 * over-allocation (C), single-position cap (D), minimum cash buffer (E). The trace (F) is
 * shared with the solver and lives in trace.ts.
 */
import type { EngineOptions } from '../../contracts/dpm-request.js';
import {
  add,
  type Dec,
  dec,
  div,
  gt,
  isPositive,
  isZero,
  lt,
  lte,
  max,
  min,
  mul,
  ONE_POINT_ZERO,
  sub,
  sum,
  ZERO,
  ZERO_POINT_ZERO,
} from '../../contracts/decimal.js';
import type { Shelf } from '../market.js';
import { sortedByCodePoint } from '../../contracts/ordering.js';
import type { Diagnostics } from '../types.js';
import type { Universe } from '../universe.js';
import { redistributeSellOnly, type Stage3Outcome } from './common.js';

const GROUP_TOLERANCE = dec('0.0001');
const OVER_ALLOCATION_LIMIT = dec('1.0001');
const SINGLE_LEFTOVER_TOLERANCE = dec('0.001');

export function heuristicTargets(
  universe: Universe,
  options: EngineOptions,
  shelf: Shelf,
  diagnostics: Diagnostics,
): Stage3Outcome {
  const E = universe.weights;
  const B = universe.buyable;
  const isLocked = (k: string) => universe.locked.has(k);
  let status = redistributeSellOnly(universe);
  const review = () => (status = 'PENDING_REVIEW');

  if (!applyGroupCaps(E, B, universe.locked, options, shelf, diagnostics))
    return { status: 'BLOCKED', blocked: true };

  // Step C — over-allocation (spec 10 §7.3)
  const total = sum(E.values());
  if (gt(total, OVER_ALLOCATION_LIMIT)) {
    const locked = sumWhere(E, (k) => !B.has(k));
    const space = max(ZERO_POINT_ZERO, sub(ONE_POINT_ZERO, locked));
    if (gt(locked, ONE_POINT_ZERO)) review();
    const tradeable = sumWhere(E, (k) => B.has(k));
    if (gt(tradeable, space)) {
      if (isPositive(tradeable)) scaleWhere(E, B, div(space, tradeable));
      review();
    }
  }

  // Step D — single-position cap, shrinking remainder (spec 10 §7.4, Q-M10, Q-M11)
  const cap = options.single_position_max_weight;
  if (cap !== null) {
    // Locked holdings keep their weight (docs/decisions/0003); a locked breach is reported by the
    // SOFT post-trade LOCKED_POSITION_ABOVE_CAP rule instead of forcing a sale (0050).
    let excess = ZERO;
    for (const [k, w] of E) if (!isLocked(k)) excess = add(excess, max(ZERO, sub(w, cap)));
    for (const [k, w] of E) if (!isLocked(k)) E.set(k, min(w, cap));
    if (isPositive(excess)) {
      const candidates = [...E].filter(([k, w]) => B.has(k) && lt(w, cap));
      const candidateTotal = sum(candidates.map(([, w]) => w));
      if (isPositive(candidateTotal)) {
        let remainder = excess;
        for (const [k, w] of candidates) {
          const share = min(mul(remainder, div(w, candidateTotal)), sub(cap, w));
          E.set(k, add(w, share));
          remainder = sub(remainder, share);
        }
        if (gt(remainder, SINGLE_LEFTOVER_TOLERANCE)) review();
      } else review();
    }
  }

  // Step E — minimum cash buffer (spec 10 §7.5)
  const buffer = options.min_cash_buffer_pct;
  if (isPositive(buffer)) {
    const tradeable = sumWhere(E, (k) => B.has(k));
    const locked = sumWhere(E, (k) => !B.has(k));
    const allowed = max(ZERO_POINT_ZERO, sub(sub(ONE_POINT_ZERO, buffer), locked));
    if (gt(tradeable, allowed)) {
      if (isPositive(tradeable)) scaleWhere(E, B, div(allowed, tradeable));
      review();
    }
  }

  return { status, blocked: false };
}

/**
 * Step B — group constraints, each key once in code-point order (spec 10 §7.2, Q-M12, Q-M13).
 * Returns false when a capped group has no redistribution destination (Stage 3 BLOCKED).
 */
function applyGroupCaps(
  E: Map<string, Dec>,
  B: Set<string>,
  locked: Set<string>,
  options: EngineOptions,
  shelf: Shelf,
  diagnostics: Diagnostics,
): boolean {
  for (const key of sortedByCodePoint(Object.keys(options.group_constraints))) {
    const [attr, val] = key.split(':') as [string, string];
    const cap = options.group_constraints[key]!.max_weight;
    if (!shelf.attributeKeys.has(attr)) {
      diagnostics.warnings.push(`UNKNOWN_CONSTRAINT_ATTRIBUTE_${attr}`);
      continue;
    }
    const members = [...E.keys()].filter((k) => {
      const attributes = shelf.entryOf(k)?.attributes;
      return attributes !== undefined && Object.hasOwn(attributes, attr) && attributes[attr] === val;
    });
    if (members.length === 0) continue;
    const groupWeight = sum(members.map((m) => E.get(m)!));
    if (lte(groupWeight, add(cap, GROUP_TOLERANCE))) continue;
    // Locked members keep their weight (docs/decisions/0003): only the others are scaled into
    // the room the locked weight leaves, max(0, max − locked). Without locked weight this is the
    // reference's `max ÷ group weight` scaling exactly. When the locked members alone exceed the
    // cap (docs/decisions/0050) the others go to zero and the run goes on: the post-trade
    // LOCKED_GROUP_ABOVE_CAP rule reports the frozen excess for review.
    const lockedWeight = sum(members.filter((m) => locked.has(m)).map((m) => E.get(m)!));
    const scaled = members.filter((m) => !locked.has(m));
    const lockedOver = gt(lockedWeight, add(cap, GROUP_TOLERANCE));
    const scale = lockedOver
      ? ZERO
      : isZero(lockedWeight)
        ? div(cap, groupWeight)
        : max(ZERO, div(sub(cap, lockedWeight), sub(groupWeight, lockedWeight))); // ≥ 0 within the tolerance
    const excess = lockedOver ? sub(groupWeight, lockedWeight) : sub(groupWeight, cap);
    for (const m of scaled) E.set(m, mul(E.get(m)!, scale));
    const recordEvent = (recipients: Record<string, Dec>, status: 'CAPPED' | 'BLOCKED') =>
      diagnostics.group_constraint_events.push({
        constraint_key: key,
        group_weight_before: groupWeight,
        max_weight: cap,
        released_weight: excess,
        recipients,
        status,
      });
    if (lockedOver) {
      diagnostics.warnings.push(`CAPPED_BY_GROUP_LIMIT_${key}`, `LOCKED_GROUP_ABOVE_CAP_${key}`);
      if (!isPositive(excess)) {
        recordEvent({}, 'CAPPED');
        continue;
      }
    }
    const memberSet = new Set(members);
    const candidates = [...E.keys()].filter((k) => B.has(k) && !memberSet.has(k));
    const candidateTotal = sum(candidates.map((c) => E.get(c)!));
    if (!lockedOver) diagnostics.warnings.push(`CAPPED_BY_GROUP_LIMIT_${key}`);
    if (isPositive(candidateTotal)) {
      const recipients: Record<string, Dec> = {};
      for (const c of candidates) {
        const share = mul(excess, div(E.get(c)!, candidateTotal));
        E.set(c, add(E.get(c)!, share));
        recipients[c] = share;
      }
      recordEvent(recipients, 'CAPPED');
    } else if (lockedOver) {
      // Nowhere to put the weight the frozen excess pushed out: it stays in cash (0050).
      recordEvent({}, 'CAPPED');
    } else {
      diagnostics.warnings.push('NO_ELIGIBLE_REDISTRIBUTION_DESTINATION');
      recordEvent({}, 'BLOCKED');
      return false;
    }
  }
  return true;
}

function sumWhere(E: Map<string, Dec>, include: (key: string) => boolean): Dec {
  let total = ZERO;
  for (const [k, w] of E) if (include(k)) total = add(total, w);
  return total;
}

function scaleWhere(E: Map<string, Dec>, keys: Set<string>, factor: Dec): void {
  for (const [k, w] of E) if (keys.has(k)) E.set(k, mul(w, factor));
}
