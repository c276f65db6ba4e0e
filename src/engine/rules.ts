/**
 * Post-trade rule engine (spec 11 §9). Fixed order: CASH_BAND, SINGLE_POSITION_MAX (one
 * result per breach), DATA_QUALITY, MIN_TRADE_SIZE, NO_SHORTING, INSUFFICIENT_CASH.
 */
import type { EngineOptions } from '../contracts/dpm-request.js';
import { add, dec, type Dec, gt, isNegative, lt, max, min, ZERO } from '../contracts/decimal.js';
import { cashWeight } from './valuation.js';
import type { Diagnostics, RuleResult, RunStatus, SimulatedState } from './types.js';

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
    const breaches = state.allocation_by_instrument.filter((m) => gt(m.weight, ceiling));
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
      for (const m of state.allocation_by_instrument) largest = max(largest, m.weight);
      results.push(
        rule('SINGLE_POSITION_MAX', 'HARD', false, largest, { max: limit }, ['OK', 'LIMIT_BREACH'], ''),
      );
    }
  }

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
