/**
 * JSON form of engine results (spec 10 §4.9): every decimal as its own text, position and
 * allocation weights quantised to 4 places (half-even); everything else unrounded.
 */
import { type Dec, isDec, quantize, text } from '../contracts/decimal.js';
import type { BatchResult } from './batch.js';
import type { AllocationMetric, RebalanceResult, SimulatedState } from './types.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const WEIGHT_PLACES = 4;

/** A shallow copy whose position and allocation weights carry 4 places. */
export function quantizedState(state: SimulatedState): SimulatedState {
  // A position's weight object is shared by its allocation_by_instrument and allocation rows:
  // each distinct weight is quantised once.
  const quantized = new Map<Dec, Dec>();
  const q4 = (weight: Dec): Dec => {
    let out = quantized.get(weight);
    if (out === undefined) quantized.set(weight, (out = quantize(weight, WEIGHT_PLACES)));
    return out;
  };
  const metricToWire = (m: AllocationMetric): AllocationMetric => ({ ...m, weight: q4(m.weight) });
  return {
    ...state,
    positions: state.positions.map((p) => ({ ...p, weight: q4(p.weight) })),
    allocation_by_asset_class: state.allocation_by_asset_class.map(metricToWire),
    allocation_by_instrument: state.allocation_by_instrument.map(metricToWire),
    allocation: state.allocation.map(metricToWire),
    allocation_by_attribute: Object.fromEntries(
      Object.entries(state.allocation_by_attribute).map(([k, list]) => [k, list.map(metricToWire)]),
    ),
  };
}

/** The result as parsed JSON (what a client decodes; tests compare it with the goldens). */
export function resultToWire(result: RebalanceResult): Json {
  return JSON.parse(resultJsonText(result)) as Json;
}

/** The result's JSON text in one pass (decimals serialise themselves, see decimal.ts). */
export function resultJsonText(result: RebalanceResult): string {
  const before = quantizedState(result.before);
  const after = result.after_simulated === result.before ? before : quantizedState(result.after_simulated);
  return JSON.stringify({ ...result, before, after_simulated: after });
}

/**
 * The three members every result text opens with, exactly as `resultJsonText` writes them (no
 * whitespace; a JSON string token is `"` … `"` with escapes).
 */
const LEADING_STATUS =
  /^\{"rebalance_run_id":"(?:[^"\\]|\\.)*","correlation_id":"(?:[^"\\]|\\.)*","status":("(?:[^"\\]|\\.)*")/;

/**
 * The `status` of a result's JSON text without parsing all of it (~39 KB at 20 positions): it is
 * the third member. Any other text is parsed in full, so the answer is always JSON.parse's.
 */
export function resultStatus(text: string): string {
  const leading = LEADING_STATUS.exec(text);
  if (leading) return JSON.parse(leading[1]!) as string;
  return (JSON.parse(text) as { status: string }).status;
}

/** Decimals to text, recursively; key order is kept. */
export function toJson(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (isDec(value)) return text(value);
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJson(v);
    return out;
  }
  return value as Json;
}

/** The batch result as parsed JSON (what a client decodes). */
export function batchToWire(batch: BatchResult): Json {
  return JSON.parse(batchJsonText(batch)) as Json;
}

export function batchJsonText(batch: BatchResult): string {
  const results = Object.entries(batch.results).map(
    ([name, r]) => `${JSON.stringify(name)}:${resultJsonText(r)}`,
  );
  const head = JSON.stringify({
    batch_run_id: batch.batch_run_id,
    run_at_utc: batch.run_at_utc,
    base_snapshot_ids: batch.base_snapshot_ids,
  });
  const tail = JSON.stringify({
    comparison_metrics: batch.comparison_metrics,
    failed_scenarios: batch.failed_scenarios,
    warnings: batch.warnings,
  });
  return `${head.slice(0, -1)},"results":{${results.join(',')}},${tail.slice(1)}`;
}
