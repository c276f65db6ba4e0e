/**
 * Advisory drift analytics (spec 20 §10, RFC-0014C): how far the before and after states sit
 * from an optional inline reference model, per asset class and (optionally) per instrument,
 * plus deterministic highlights an advisor UI can render.
 *
 * Pure: reads the two simulated states and the request pieces, returns the analysis and the
 * warning the caller appends to `diagnostics.warnings`. Every number is an unrounded `Dec`
 * computed through decimal.ts (28 significant digits, half-even, spec 20 §1); nothing is
 * quantised here (QUIRK Q-A12: the RFC's 4-place strings are not what the reference emits).
 * Every sort is stable and breaks ties by bucket in code-point order (spec 20 §1).
 */
import type { EngineOptions } from '../contracts/dpm-request.js';
import type { ReferenceModel } from '../contracts/advisory-request.js';
import {
  abs,
  cmp,
  type Dec,
  dec,
  gt,
  gte,
  isZero,
  lt,
  max,
  mul,
  sub,
  sum,
  ZERO,
} from '../contracts/decimal.js';
import { compareCodePoints } from '../contracts/ordering.js';
import type { AllocationMetric, SimulatedState } from '../engine/types.js';

export interface DriftRow {
  bucket: string;
  model_weight: Dec;
  portfolio_weight_before: Dec;
  portfolio_weight_after: Dec;
  drift_before: Dec;
  drift_after: Dec;
  abs_drift_before: Dec;
  abs_drift_after: Dec;
  improvement: Dec;
}

export interface DriftDimension {
  drift_total_before: Dec;
  drift_total_after: Dec;
  drift_total_delta: Dec;
  top_contributors_before: DriftRow[];
  buckets: DriftRow[];
}

export interface DriftAnalysis {
  reference_model: { model_id: string; as_of: string; base_currency: string };
  asset_class: DriftDimension;
  instrument: DriftDimension | null;
  highlights: {
    largest_improvements: { bucket: string; improvement: Dec }[];
    largest_deteriorations: { bucket: string; improvement: Dec }[];
    unmodeled_exposures: {
      bucket: string;
      portfolio_weight_before: Dec;
      portfolio_weight_after: Dec;
      max_portfolio_weight: Dec;
    }[];
  };
}

export interface DriftInput {
  before: SimulatedState;
  after: SimulatedState;
  referenceModel: ReferenceModel | null;
  portfolioBaseCurrency: string;
  /** Final proposal intents; instrument buckets include the ids of every SECURITY_TRADE intent. */
  securityTradeInstrumentIds: readonly string[];
  options: EngineOptions;
}

export const REFERENCE_MODEL_BASE_CURRENCY_MISMATCH = 'REFERENCE_MODEL_BASE_CURRENCY_MISMATCH';

/** The literal `0.5` of `drift_total = 0.5 × Σ |drift|` (its exponent matters, Appendix A). */
const HALF = dec('0.5');

/**
 * Key → unrounded weight, the **last** row winning for a repeated key.
 *
 * `allocation_by_asset_class` never repeats a key, but `allocation_by_instrument` has one row
 * per position and positions may repeat an instrument id (spec 10 Q-M23). Spec 20 §10 calls
 * the inputs "maps from key to unrounded weight" built from those rows; the reference builds
 * the map row by row, so a later duplicate overwrites an earlier one (the weights are neither
 * summed nor first-wins). The same rule gives "last duplicate wins" for model targets.
 */
function weightMap<T>(
  rows: readonly T[],
  key: (row: T) => string,
  weight: (row: T) => Dec,
): Map<string, Dec> {
  const map = new Map<string, Dec>();
  for (const row of rows) map.set(key(row), weight(row));
  return map;
}

const allocationWeights = (rows: readonly AllocationMetric[]): Map<string, Dec> =>
  weightMap(
    rows,
    (m) => m.key,
    (m) => m.weight,
  );

/** Rows sorted by a decimal key (descending when `descending`), ties by bucket (stable). */
function sortRows<T extends { bucket: string }>(
  rows: readonly T[],
  key: (row: T) => Dec,
  descending: boolean,
): T[] {
  return [...rows].sort((a, b) => {
    const byKey = descending ? cmp(key(b), key(a)) : cmp(key(a), key(b));
    return byKey !== 0 ? byKey : compareCodePoints(a.bucket, b.bucket);
  });
}

/** The dimension builder of spec 20 §10; missing keys read as the integer 0. */
function dimension(
  beforeW: ReadonlyMap<string, Dec>,
  afterW: ReadonlyMap<string, Dec>,
  modelW: ReadonlyMap<string, Dec>,
  buckets: Iterable<string>,
  limit: number,
): DriftDimension {
  const rows: DriftRow[] = [...new Set(buckets)].sort(compareCodePoints).map((bucket) => {
    const model = modelW.get(bucket) ?? ZERO;
    const pb = beforeW.get(bucket) ?? ZERO;
    const pa = afterW.get(bucket) ?? ZERO;
    const driftBefore = sub(pb, model);
    const driftAfter = sub(pa, model);
    const absBefore = abs(driftBefore);
    const absAfter = abs(driftAfter);
    return {
      bucket,
      model_weight: model,
      portfolio_weight_before: pb,
      portfolio_weight_after: pa,
      drift_before: driftBefore,
      drift_after: driftAfter,
      abs_drift_before: absBefore,
      abs_drift_after: absAfter,
      improvement: sub(absBefore, absAfter),
    };
  });
  const totalBefore = mul(HALF, sum(rows.map((r) => r.abs_drift_before)));
  const totalAfter = mul(HALF, sum(rows.map((r) => r.abs_drift_after)));
  return {
    drift_total_before: totalBefore,
    drift_total_after: totalAfter,
    drift_total_delta: sub(totalAfter, totalBefore),
    // The same row objects as in `buckets` (the reference lists the same models twice).
    top_contributors_before: sortRows(rows, (r) => r.abs_drift_before, true).slice(0, limit),
    buckets: rows,
  };
}

/** `max(pb, pa)`: decimal.ts `max` keeps its first argument on a tie, i.e. the before value. */
const maxPortfolioWeight = (row: DriftRow): Dec =>
  max(row.portfolio_weight_before, row.portfolio_weight_after);

function highlights(rows: readonly DriftRow[], limit: number, threshold: Dec): DriftAnalysis['highlights'] {
  const improved = rows.filter((r) => gt(r.improvement, ZERO));
  const deteriorated = rows.filter((r) => lt(r.improvement, ZERO));
  const unmodeled = rows
    .filter((r) => isZero(r.model_weight) && gte(maxPortfolioWeight(r), threshold))
    .map((r) => ({
      bucket: r.bucket,
      portfolio_weight_before: r.portfolio_weight_before,
      portfolio_weight_after: r.portfolio_weight_after,
      max_portfolio_weight: maxPortfolioWeight(r),
    }));
  const entry = (r: DriftRow) => ({ bucket: r.bucket, improvement: r.improvement });
  return {
    largest_improvements: sortRows(improved, (r) => r.improvement, true)
      .slice(0, limit)
      .map(entry),
    largest_deteriorations: sortRows(deteriorated, (r) => r.improvement, false)
      .slice(0, limit)
      .map(entry),
    unmodeled_exposures: sortRows(unmodeled, (r) => r.max_portfolio_weight, true).slice(0, limit),
  };
}

/**
 * `drift_analysis` for a proposal (spec 20 §10). Null when drift analytics is disabled or no
 * reference model was sent (no warning), or when the model's base currency differs from the
 * portfolio's by exact string comparison (warning `REFERENCE_MODEL_BASE_CURRENCY_MISMATCH`).
 * Computed regardless of the proposal status.
 */
export function analyzeDrift(input: DriftInput): { drift: DriftAnalysis | null; warning: string | null } {
  const { before, after, referenceModel: model, options } = input;
  if (!options.enable_drift_analytics || model === null) return { drift: null, warning: null };
  if (model.base_currency !== input.portfolioBaseCurrency)
    return { drift: null, warning: REFERENCE_MODEL_BASE_CURRENCY_MISMATCH };

  const limit = options.drift_top_contributors_limit;

  const beforeByClass = allocationWeights(before.allocation_by_asset_class);
  const afterByClass = allocationWeights(after.allocation_by_asset_class);
  const modelByClass = weightMap(
    model.asset_class_targets,
    (t) => t.asset_class,
    (t) => t.weight,
  );
  const assetClass = dimension(
    beforeByClass,
    afterByClass,
    modelByClass,
    [...beforeByClass.keys(), ...afterByClass.keys(), ...modelByClass.keys(), 'CASH'],
    limit,
  );

  let instrument: DriftDimension | null = null;
  if (options.enable_instrument_drift && model.instrument_targets.length > 0) {
    const beforeByInstrument = allocationWeights(before.allocation_by_instrument);
    const afterByInstrument = allocationWeights(after.allocation_by_instrument);
    const modelByInstrument = weightMap(
      model.instrument_targets,
      (t) => t.instrument_id,
      (t) => t.weight,
    );
    instrument = dimension(
      beforeByInstrument,
      afterByInstrument,
      modelByInstrument,
      [
        ...beforeByInstrument.keys(),
        ...afterByInstrument.keys(),
        ...modelByInstrument.keys(),
        ...input.securityTradeInstrumentIds,
      ],
      limit,
    );
  }

  return {
    drift: {
      reference_model: { model_id: model.model_id, as_of: model.as_of, base_currency: model.base_currency },
      asset_class: assetClass,
      instrument,
      // QUIRK Q-A12: one dimension only — instrument rows when that dimension exists.
      highlights: highlights(
        (instrument ?? assetClass).buckets,
        limit,
        options.drift_unmodeled_exposure_threshold,
      ),
    },
    warning: null,
  };
}
