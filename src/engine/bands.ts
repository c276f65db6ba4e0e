/**
 * Tolerance bands (no-trade zones, docs/decisions/0051), between Stage 3 and Stage 4. A row's
 * band is the larger of `drift_band_abs` and `drift_band_rel` × its target weight; a position
 * whose current weight is within its band of the target is not traded, one outside trades to
 * the target (TARGET) or to the nearer band edge (BAND_EDGE). When every position and the cash
 * weight are inside their bands the run trades nothing at all. Pure.
 */
import type { EngineOptions } from '../contracts/dpm-request.js';
import { abs, add, type Dec, gt, isNegative, max, mul, ONE, sub, ZERO } from '../contracts/decimal.js';
import type { DriftSummary, SimulatedState, TargetInstrument } from './types.js';
import { cashWeight } from './valuation.js';

export interface BandPlan {
  /** Bands are on (`drift_band_abs` or `drift_band_rel` given). */
  active: boolean;
  /** Per instrument when bands are on: null = inside its band, hold; a weight = trade to it. */
  tradeTo: Map<string, Dec | null>;
  summary: DriftSummary;
}

type BandOptions = Pick<EngineOptions, 'drift_band_abs' | 'drift_band_rel' | 'drift_band_rebalance_to'>;

export const bandsActive = (options: BandOptions) =>
  (options.drift_band_abs ?? null) !== null || (options.drift_band_rel ?? null) !== null;

/** The band around `target`: max(abs, rel × |target|); 0 when bands are off. */
export function bandWidth(options: BandOptions, target: Dec): Dec {
  let band = options.drift_band_abs ?? ZERO;
  const rel = options.drift_band_rel ?? null;
  if (rel !== null) band = max(band, mul(rel, abs(target)));
  return band;
}

/** Drift of every target row and of cash; the plan Stage 4 follows. `trace` empty = Stage 3 blocked. */
export function planBands(
  trace: readonly TargetInstrument[],
  before: SimulatedState,
  options: BandOptions,
): BandPlan {
  const active = bandsActive(options);
  const tradeTo = new Map<string, Dec | null>();
  if (trace.length === 0)
    return {
      active,
      tradeTo,
      summary: { max_abs_drift: null, positions_outside_band: null, within_tolerance: false },
    };

  const current = new Map<string, Dec>();
  for (const p of before.positions) if (!current.has(p.instrument_id)) current.set(p.instrument_id, p.weight);
  // A duplicated trace id counts once, with its last weight (as Stage 4 trades it, Q-M23).
  const target = new Map<string, Dec>();
  for (const t of trace) target.set(t.instrument_id, t.final_weight);

  let maxDrift = ZERO;
  let outside = 0;
  let invested = ZERO;
  const edgeMode = options.drift_band_rebalance_to === 'BAND_EDGE';
  for (const [id, goal] of target) {
    invested = add(invested, goal);
    const drift = sub(current.get(id) ?? ZERO, goal);
    const size = abs(drift);
    maxDrift = max(maxDrift, size);
    const band = bandWidth(options, goal);
    const isOutside = gt(size, band);
    if (isOutside) outside++;
    if (!active) continue;
    if (!isOutside) tradeTo.set(id, null);
    else if (edgeMode) tradeTo.set(id, isNegative(drift) ? sub(goal, band) : add(goal, band));
  }
  const cashTarget = sub(ONE, invested);
  const cashInside = !gt(abs(sub(cashWeight(before), cashTarget)), bandWidth(options, cashTarget));
  return {
    active,
    tradeTo,
    summary: {
      max_abs_drift: maxDrift,
      positions_outside_band: outside,
      within_tolerance: outside === 0 && cashInside,
    },
  };
}
