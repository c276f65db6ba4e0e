/**
 * Time series a scenario run writes (spec 50 §2): the settlement cash ladder by currency and day
 * (when settlement awareness is on), and the after-state value projected day by day with the
 * `projection` driver's daily returns by asset class.
 */
import { add, type Dec, mul, ONE, sum, ZERO } from '../contracts/decimal.js';
import type { RebalanceResult } from '../engine/types.js';
import { addDays } from './dates.js';
import type { Projection } from './engine-request.js';

export interface SeriesPoint {
  asof_date: string;
  value: Dec;
  dimensions: Record<string, string>;
}

/** One point per ladder entry: as-of the run date plus its day offset, by currency. */
export function cashLadderSeries(result: RebalanceResult, runDate: string): SeriesPoint[] {
  return result.diagnostics.cash_ladder.map((point) => ({
    asof_date: addDays(runDate, point.date_offset),
    value: point.projected_balance,
    dimensions: { currency: point.currency },
  }));
}

/**
 * Day 0 is the after-state total value; each asset-class bucket (`CASH` included) then grows by
 * its own daily return each day, `value × (1 + r)` rounded as every engine product is, and the
 * day's total is the sum of the buckets in the after-state's class order.
 */
export function projectionSeries(
  result: RebalanceResult,
  projection: Projection,
  runDate: string,
): SeriesPoint[] {
  const buckets = result.after_simulated.allocation_by_asset_class.map((a) => ({
    value: a.value.amount,
    growth: add(ONE, projection.daily_return[a.key] ?? ZERO),
  }));
  const points: SeriesPoint[] = [];
  for (let day = 0; day <= projection.horizon_days; day++) {
    if (day > 0) for (const b of buckets) b.value = mul(b.value, b.growth);
    points.push({
      asof_date: addDays(runDate, day),
      value: day === 0 ? result.after_simulated.total_value.amount : sum(buckets.map((b) => b.value)),
      dimensions: {},
    });
  }
  return points;
}
