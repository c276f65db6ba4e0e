/**
 * Post-trade rule engine (spec 11 §9). Fixed order: CASH_BAND, SINGLE_POSITION_MAX (one
 * result per breach), then — only when they fail — LOCKED_POSITION_ABOVE_CAP and
 * LOCKED_GROUP_ABOVE_CAP (one per group; docs/decisions/0050), DATA_QUALITY, MIN_TRADE_SIZE,
 * NO_SHORTING, INSUFFICIENT_CASH.
 */
import type { EngineOptions } from '../contracts/dpm-request.js';
import {
  add,
  dec,
  type Dec,
  gt,
  isNegative,
  lt,
  max,
  min,
  quantize,
  sub,
  text,
  ZERO,
} from '../contracts/decimal.js';
import { sortedByCodePoint } from '../contracts/ordering.js';
import type { Shelf } from './market.js';
import { cashWeight } from './valuation.js';
import type { Diagnostics, ExclusionReason, RuleResult, RunStatus, SimulatedState } from './types.js';

/** Frozen holdings (universe `LOCKED_DUE_TO_*`) and the shelf, for the locked-cap rules. */
export interface LockedContext {
  reasons: ReadonlyMap<string, ExclusionReason>;
  shelf: Shelf;
}

const GROUP_TOLERANCE = dec('0.0001');
const w4 = (w: Dec) => text(quantize(w, 4));

const SINGLE_POSITION_TOLERANCE = dec('0.001');
const MINUS_ONE = dec('-1');

function rule(
  rule_id: string,
  severity: RuleResult['severity'],
  failed: boolean,
  measured: Dec,
  threshold: Record<string, Dec>,
  reasons: [pass: string, fail: string],
  hint: string,
): RuleResult {
  return {
    rule_id,
    severity,
    status: failed ? 'FAIL' : 'PASS',
    measured,
    threshold,
    reason_code: failed ? reasons[1] : reasons[0],
    remediation_hint: failed ? hint : null,
  };
}

export function evaluateRules(
  state: SimulatedState,
  options: EngineOptions,
  diagnostics: Diagnostics,
  locked: LockedContext | null = null,
): RuleResult[] {
  const results: RuleResult[] = [];
  const cw = cashWeight(state);
  const { cash_band_min_weight: bandMin, cash_band_max_weight: bandMax } = options;
  results.push(
    rule(
      'CASH_BAND',
      'SOFT',
      lt(cw, bandMin) || gt(cw, bandMax),
      cw,
      { min: bandMin, max: bandMax },
      ['OK', 'THRESHOLD_BREACH'],
      'Portfolio cash is outside policy bands.',
    ),
  );

  const limit = options.single_position_max_weight;
  if (limit === null) {
    results.push(
      rule('SINGLE_POSITION_MAX', 'HARD', false, ZERO, { max: MINUS_ONE }, ['NO_LIMIT_SET', ''], ''),
    );
  } else {
    const ceiling = add(limit, SINGLE_POSITION_TOLERANCE);
    // A locked holding cannot be traded, so its breach is reported (SOFT, below), not fatal.
    const isLocked = (id: string) => locked?.reasons.has(id) ?? false;
    const breaches = state.allocation_by_instrument.filter((m) => !isLocked(m.key) && gt(m.weight, ceiling));
    for (const m of breaches)
      results.push(
        rule(
          'SINGLE_POSITION_MAX',
          'HARD',
          true,
          m.weight,
          { max: limit },
          ['OK', 'LIMIT_BREACH'],
          `Instrument ${m.key} exceeds max weight.`,
        ),
      );
    if (breaches.length === 0) {
      let largest = ZERO;
      for (const m of state.allocation_by_instrument) if (!isLocked(m.key)) largest = max(largest, m.weight);
      results.push(
        rule('SINGLE_POSITION_MAX', 'HARD', false, largest, { max: limit }, ['OK', 'LIMIT_BREACH'], ''),
      );
    }
    if (locked) {
      const over = state.allocation_by_instrument.filter((m) => isLocked(m.key) && gt(m.weight, ceiling));
      if (over.length > 0) {
        let largest = ZERO;
        for (const m of over) largest = max(largest, m.weight);
        const lines = over.map(
          (m) =>
            `${m.key} (${locked.reasons.get(m.key)}) at ${w4(m.weight)}, excess ${w4(sub(m.weight, limit))}`,
        );
        results.push(
          rule(
            'LOCKED_POSITION_ABOVE_CAP',
            'SOFT',
            true,
            largest,
            { max: limit },
            ['OK', 'LOCKED_POSITION_ABOVE_CAP'],
            `Locked holdings above the single-position cap ${text(limit)} cannot be traded: ${lines.join('; ')}.`,
          ),
        );
      }
    }
  }
  if (locked) results.push(...lockedGroupRules(state, options, locked));

  const dq = diagnostics.data_quality;
  const count =
    (options.block_on_missing_prices ? dq.price_missing.length : 0) +
    (options.block_on_missing_fx ? dq.fx_missing.length : 0) +
    dq.shelf_missing.length;
  results.push(
    rule(
      'DATA_QUALITY',
      'HARD',
      count > 0,
      dec(BigInt(count)),
      { max: ZERO },
      ['OK', 'MISSING_DATA'],
      'Check diagnostics for missing prices/FX.',
    ),
  );

  const suppressed = diagnostics.suppressed_intents.length;
  results.push(
    rule(
      'MIN_TRADE_SIZE',
      'SOFT',
      false,
      dec(BigInt(suppressed)),
      { min: ZERO },
      [suppressed === 0 ? 'OK' : 'INTENTS_SUPPRESSED', ''],
      '',
    ),
  );

  let shortest = ZERO;
  for (const p of state.positions) if (isNegative(p.quantity)) shortest = min(shortest, p.quantity);
  results.push(
    rule(
      'NO_SHORTING',
      'HARD',
      isNegative(shortest),
      shortest,
      { min: ZERO },
      ['OK', 'SELL_EXCEEDS_HOLDINGS'],
      'Reduce sell quantity.',
    ),
  );

  let lowestCash = ZERO;
  for (const c of state.cash_balances) if (isNegative(c.amount)) lowestCash = min(lowestCash, c.amount);
  results.push(
    rule(
      'INSUFFICIENT_CASH',
      'HARD',
      isNegative(lowestCash),
      lowestCash,
      { min: ZERO },
      ['OK', 'CASH_BALANCE_NEGATIVE'],
      'Ensure sufficient funding.',
    ),
  );
  return results;
}

export const hasHardFailure = (rules: readonly RuleResult[]) =>
  rules.some((r) => r.severity === 'HARD' && r.status === 'FAIL');

/** Any HARD FAIL → BLOCKED; else any SOFT FAIL → PENDING_REVIEW; else READY. */
export function statusFromRules(rules: readonly RuleResult[]): RunStatus {
  if (hasHardFailure(rules)) return 'BLOCKED';
  return rules.some((r) => r.severity === 'SOFT' && r.status === 'FAIL') ? 'PENDING_REVIEW' : 'READY';
}

/**
 * LOCKED_GROUP_ABOVE_CAP, one per group key (code-point order) whose locked members alone
 * weigh more than its cap after trading: nothing tradeable is left in the group to sell.
 */
function lockedGroupRules(
  state: SimulatedState,
  options: EngineOptions,
  locked: LockedContext,
): RuleResult[] {
  const out: RuleResult[] = [];
  const keys = Object.keys(options.group_constraints);
  if (keys.length === 0 || locked.reasons.size === 0) return out;
  for (const key of sortedByCodePoint(keys)) {
    const [attr, val] = key.split(':') as [string, string];
    const cap = options.group_constraints[key]!.max_weight;
    let weight = ZERO;
    const members: [string, Dec][] = [];
    for (const m of state.allocation_by_instrument) {
      if (!locked.reasons.has(m.key)) continue;
      const attributes = locked.shelf.entryOf(m.key)?.attributes;
      if (attributes === undefined || !Object.hasOwn(attributes, attr) || attributes[attr] !== val) continue;
      weight = add(weight, m.weight);
      members.push([m.key, m.weight]);
    }
    if (!gt(weight, add(cap, GROUP_TOLERANCE))) continue;
    const lines = members.map(([id, w]) => `${id} (${locked.reasons.get(id)}) at ${w4(w)}`);
    out.push(
      rule(
        'LOCKED_GROUP_ABOVE_CAP',
        'SOFT',
        true,
        weight,
        { max: cap },
        ['OK', 'LOCKED_GROUP_ABOVE_CAP'],
        `Locked holdings in group ${key} weigh ${w4(weight)} against a cap of ${text(cap)}, excess ${w4(sub(weight, cap))}, and cannot be traded: ${lines.join('; ')}.`,
      ),
    );
  }
  return out;
}
