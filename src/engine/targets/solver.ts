/**
 * Stage 3 — SOLVER targets (spec 10 §8): Step A as for the heuristic, then the Euclidean
 * projection of the raw model weights onto the feasible set (cash bands as hard bounds on the
 * invested weight, single-position cap, group caps), solved by HiGHS (./highs-qp.ts), and the
 * solution quantised to 4 places. Infeasible → `INFEASIBLE_INFEASIBLE` plus the §8.5 hints;
 * a failing or missing back-end → `SOLVER_ERROR`; both BLOCKED with an empty trace.
 *
 * Hosts must `await loadSolver()` once before simulating; otherwise SOLVER runs block with
 * `SOLVER_ERROR` exactly as when no solver is available (§8.1 step 1).
 */
import type { EngineOptions, ModelPortfolio } from '../../contracts/dpm-request.js';
import {
  add,
  type Dec,
  dec,
  decimalFromFloat,
  gt,
  isNegative,
  isZero,
  lt,
  max,
  mul,
  ONE_POINT_ZERO,
  quantize,
  sub,
  sum,
  toFloat,
  ZERO,
} from '../../contracts/decimal.js';
import type { Shelf } from '../market.js';
import { sortedByCodePoint } from '../../contracts/ordering.js';
import type { Diagnostics } from '../types.js';
import type { Universe } from '../universe.js';
import { emptyDiagnostics } from '../types.js';
import { redistributeSellOnly, type Stage3Outcome } from './common.js';
import { heuristicTargets } from './heuristic.js';
import { isSolverLoaded, type ProjectionProblem, solveProjection } from './highs-qp.js';

export { isSolverLoaded, loadSolver, unloadSolver } from './highs-qp.js';

const SOLVER_WEIGHT_PLACES = 4;

const BLOCKED: Stage3Outcome = { status: 'BLOCKED', blocked: true };

interface GroupRow {
  key: string;
  max: Dec;
  /** Indices into T of the buyable members. */
  members: number[];
  /** λG: Σ E over the non-buyable members. */
  lockedWeight: Dec;
}

export function solverTargets(
  universe: Universe,
  model: ModelPortfolio,
  options: EngineOptions,
  shelf: Shelf,
  diagnostics: Diagnostics,
): Stage3Outcome {
  // §8.1 step 1
  if (!isSolverLoaded()) {
    diagnostics.warnings.push('SOLVER_ERROR');
    return BLOCKED;
  }
  // §8.1 step 2 — Step A (may set PENDING_REVIEW; a successful solve never does, Q-M17)
  const status = redistributeSellOnly(universe);

  // §8.1 steps 3–5
  const E = universe.weights;
  const T = [...E.keys()].filter((k) => universe.buyable.has(k));
  const locked = sum([...E].filter(([k]) => !universe.buyable.has(k)).map(([, w]) => w));
  if (T.length === 0) return { status, blocked: false };
  const lastModelWeight = new Map<string, Dec>();
  for (const t of model.targets) lastModelWeight.set(t.instrument_id, t.weight); // Q-M16: raw, last row wins
  const m = T.map((k) => lastModelWeight.get(k) ?? ZERO);

  // §8.2
  const investedMin = sub(sub(ONE_POINT_ZERO, options.cash_band_max_weight), locked);
  const investedMax = sub(sub(ONE_POINT_ZERO, options.cash_band_min_weight), locked);
  const cap = options.single_position_max_weight;
  const groups = groupRows(T, universe, options, shelf, diagnostics);
  // Locked weights are constants (docs/decisions/0050): a group's room for its buyable members is
  // max(0, max − λG). A group whose locked members alone exceed its cap (Q-M28's constant
  // condition) no longer blocks: the post-trade LOCKED_GROUP_ABOVE_CAP rule reports it.
  const rows = groups.filter((g) => g.members.length > 0);

  let weights: number[];
  if (isFeasible(m, investedMin, investedMax, cap, rows)) {
    // The projection of a feasible point is the point itself: no solve needed. (HiGHS's
    // active-set solver is slowest exactly here, ~n iterations from a vertex, and would return
    // the same point to ~1e-10.)
    weights = m.map(toFloat);
  } else {
    const upper = cap === null ? null : toFloat(cap);
    const problem: ProjectionProblem = {
      target: m.map(toFloat),
      investedMin: toFloat(investedMin),
      investedMax: toFloat(investedMax),
      upper,
      groups: rows
        .map((g) => ({ members: g.members, max: toFloat(room(g)) }))
        .filter((g) => canBind(g, upper, toFloat(investedMax))),
      start: heuristicStart(universe, options, shelf, T),
    };
    const outcome = solveProjection(problem);
    if (outcome.kind === 'INFEASIBLE')
      return infeasible(T.length, universe, options, shelf, investedMin, investedMax, diagnostics);
    if (outcome.kind === 'ERROR') {
      diagnostics.warnings.push('SOLVER_ERROR');
      return BLOCKED;
    }
    weights = outcome.weights;
  }

  // §8.4 (the frozen excess is warned about, as the heuristic does, once the solve succeeded).
  // The solver's answer is certified to 1e-7 and in practice good to ~1e-10; its last bits
  // are noise that differs between a cold and a hot start (docs/decisions/0062). Rounded to 12
  // places first, an exact answer on a 4-place half-way point (a weight that keeps its model
  // target 0.01155) rounds half-even as written, not by the sign of 1e-17 of noise.
  for (const g of groups)
    if (gt(g.lockedWeight, g.max)) diagnostics.warnings.push(`LOCKED_GROUP_ABOVE_CAP_${g.key}`);
  T.forEach((k, i) =>
    E.set(k, quantize(decimalFromFloat(Number(Math.max(weights[i]!, 0).toFixed(12))), SOLVER_WEIGHT_PLACES)),
  );
  return { status, blocked: false };
}

/**
 * Whether `Σ_G w ≤ max` can be active at all. With 0 ≤ w ≤ cap, Σ_G w never exceeds
 * |G| × cap nor the invested maximum, so a row whose bound is at or above either can never bind:
 * dropping it leaves the feasible set, and so the projection, unchanged, and the solver works on
 * a smaller model (docs/decisions/0062).
 */
function canBind(
  group: { members: readonly number[]; max: number },
  upper: number | null,
  investedMax: number,
): boolean {
  const reach = Math.min(upper === null ? Infinity : group.members.length * upper, investedMax);
  // Dropped only with a margin above float rounding of |G| × cap: a row at its reach exactly is
  // kept (harmless), never one that could bind by 1e-16.
  return group.max < reach + 1e-12;
}

/**
 * The heuristic's targets (spec 10 §7) for the buyable instruments, as the solver's hot start
 * (./highs-qp.ts). Run on a copy: the sell-only excess is already redistributed into `universe`,
 * and the heuristic's warnings and events are not this run's. Null when the heuristic blocks.
 */
function heuristicStart(
  universe: Universe,
  options: EngineOptions,
  shelf: Shelf,
  T: readonly string[],
): number[] | undefined {
  const scratch: Universe = { ...universe, weights: new Map(universe.weights), sellOnlyExcess: ZERO };
  const outcome = heuristicTargets(scratch, options, shelf, emptyDiagnostics());
  if (outcome.blocked) return undefined;
  return T.map((k) => toFloat(scratch.weights.get(k) ?? ZERO));
}

/**
 * The group constraints in code-point key order (§8.2). Unknown attributes warn and are skipped;
 * groups with neither buyable members nor locked weight are skipped silently.
 */
function groupRows(
  T: readonly string[],
  universe: Universe,
  options: EngineOptions,
  shelf: Shelf,
  diagnostics: Diagnostics,
): GroupRow[] {
  const rows: GroupRow[] = [];
  for (const key of sortedByCodePoint(Object.keys(options.group_constraints))) {
    const [attr] = splitKey(key);
    if (!shelf.attributeKeys.has(attr)) {
      diagnostics.warnings.push(`UNKNOWN_CONSTRAINT_ATTRIBUTE_${attr}`);
      continue;
    }
    const members = T.flatMap((k, i) => (isMember(shelf, k, key) ? [i] : []));
    const lockedWeight = lockedGroupWeight(universe, shelf, key);
    if (members.length === 0 && isZero(lockedWeight)) continue;
    rows.push({ key, max: options.group_constraints[key]!.max_weight, members, lockedWeight });
  }
  return rows;
}

/** Room the locked weight leaves the buyable members: max(0, max − λG). */
const room = (g: GroupRow): Dec => max(ZERO, sub(g.max, g.lockedWeight));

/** Spec 10 §7.2 key split, exactly as the heuristic reads it. */
function splitKey(key: string): [string, string] {
  return key.split(':') as [string, string];
}

function isMember(shelf: Shelf, instrumentId: string, key: string): boolean {
  const [attr, val] = splitKey(key);
  const attributes = shelf.entryOf(instrumentId)?.attributes;
  return attributes !== undefined && Object.hasOwn(attributes, attr) && attributes[attr] === val;
}

/** λG = Σ E[k] over the non-buyable members of the group, in E order (0 when none). */
function lockedGroupWeight(universe: Universe, shelf: Shelf, key: string): Dec {
  let total = ZERO;
  for (const [k, w] of universe.weights)
    if (!universe.buyable.has(k) && isMember(shelf, k, key)) total = add(total, w);
  return total;
}

/** Whether the raw model vector already satisfies every constraint (exact decimal test). */
function isFeasible(
  m: readonly Dec[],
  investedMin: Dec,
  investedMax: Dec,
  cap: Dec | null,
  rows: readonly GroupRow[],
): boolean {
  if (m.some((w) => isNegative(w) || (cap !== null && gt(w, cap)))) return false;
  const invested = sum(m);
  if (lt(invested, investedMin) || gt(invested, investedMax)) return false;
  return rows.every((g) => !gt(sum(g.members.map((i) => m[i]!)), room(g)));
}

/** `INFEASIBLE_INFEASIBLE` (Q-M18) followed by the §8.5 hints, in order; BLOCKED. */
function infeasible(
  buyableCount: number,
  universe: Universe,
  options: EngineOptions,
  shelf: Shelf,
  investedMin: Dec,
  investedMax: Dec,
  diagnostics: Diagnostics,
): Stage3Outcome {
  diagnostics.warnings.push('INFEASIBLE_INFEASIBLE');
  if (gt(investedMin, investedMax)) diagnostics.warnings.push('INFEASIBILITY_HINT_CASH_BAND_CONTRADICTION');
  const cap = options.single_position_max_weight;
  if (cap !== null && lt(mul(cap, dec(String(buyableCount))), investedMin))
    diagnostics.warnings.push('INFEASIBILITY_HINT_SINGLE_POSITION_CAPACITY');
  for (const key of sortedByCodePoint(Object.keys(options.group_constraints))) {
    // An unknown attribute has no members, so its locked weight is 0 (no extra warning).
    if (gt(lockedGroupWeight(universe, shelf, key), options.group_constraints[key]!.max_weight))
      diagnostics.warnings.push(`INFEASIBILITY_HINT_LOCKED_GROUP_WEIGHT_${key}`);
  }
  return BLOCKED;
}
