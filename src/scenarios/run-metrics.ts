/**
 * The run-level metrics every scenario run writes (spec 50 §2), read off the engine result with
 * the engine's decimal arithmetic and left unrounded: values, turnover, intent counts, realised
 * gains, cash weight and drift after trading, and the status as a code.
 */
import type { SimulateRequest } from '../contracts/dpm-request.js';
import { abs, add, type Dec, dec, div, gt, isZero, ONE, sub, sum, ZERO } from '../contracts/decimal.js';
import type { RebalanceResult, RunStatus } from '../engine/types.js';

export const RUN_METRICS = [
  'total_value_before',
  'total_value_after',
  'turnover_notional_base',
  'turnover_pct',
  'security_intent_count',
  'fx_intent_count',
  'realized_capital_gains',
  'cash_weight_after',
  'max_abs_drift_after',
  'status_code',
] as const;
export type RunMetricName = (typeof RUN_METRICS)[number];

export interface MetricValue {
  value: Dec;
  unit: string;
}

const STATUS_CODES: Record<RunStatus, Dec> = { READY: dec('0'), PENDING_REVIEW: dec('1'), BLOCKED: dec('2') };

/**
 * - turnover: Σ `notional_base` of the security trades (as the batch comparison metric, spec 11
 *   §13), and that sum ÷ the before value (÷ 1 when the before value is 0, as weights are, Q-M6);
 * - realised gains: `tax_impact.total_realized_gain` (0 without tax awareness);
 * - cash weight: the after-state `CASH` asset-class weight, unrounded;
 * - drift: max over instruments held after trading or in the model of |after weight − model
 *   weight|, an instrument's after weight summed over its positions and its model weight taken
 *   from its first model target (the engine's first-row rule).
 */
export function runMetrics(
  result: RebalanceResult,
  request: SimulateRequest,
): Record<RunMetricName, MetricValue> {
  const base = request.portfolio_snapshot.base_currency;
  const securityTrades = result.intents.filter((i) => i.intent_type === 'SECURITY_TRADE');
  const turnover = sum(securityTrades.map((i) => i.notional_base?.amount ?? ZERO));
  const before = result.before.total_value.amount;
  const after = result.after_simulated;
  const cash = after.allocation_by_asset_class.find((a) => a.key === 'CASH')?.weight ?? ZERO;

  const afterWeights = new Map<string, Dec>();
  for (const a of after.allocation_by_instrument)
    afterWeights.set(a.key, add(afterWeights.get(a.key) ?? ZERO, a.weight));
  const modelWeights = new Map<string, Dec>();
  for (const t of request.model_portfolio.targets)
    if (!modelWeights.has(t.instrument_id)) modelWeights.set(t.instrument_id, t.weight);
  let drift = ZERO;
  for (const id of new Set([...afterWeights.keys(), ...modelWeights.keys()])) {
    const d = abs(sub(afterWeights.get(id) ?? ZERO, modelWeights.get(id) ?? ZERO));
    if (gt(d, drift)) drift = d;
  }

  return {
    total_value_before: { value: before, unit: base },
    total_value_after: { value: after.total_value.amount, unit: base },
    turnover_notional_base: { value: turnover, unit: base },
    turnover_pct: { value: div(turnover, isZero(before) ? ONE : before), unit: 'ratio' },
    security_intent_count: { value: dec(String(securityTrades.length)), unit: 'count' },
    fx_intent_count: { value: dec(String(result.intents.length - securityTrades.length)), unit: 'count' },
    realized_capital_gains: { value: result.tax_impact?.total_realized_gain.amount ?? ZERO, unit: base },
    cash_weight_after: { value: cash, unit: 'ratio' },
    max_abs_drift_after: { value: drift, unit: 'ratio' },
    status_code: { value: STATUS_CODES[result.status], unit: 'code' },
  };
}
