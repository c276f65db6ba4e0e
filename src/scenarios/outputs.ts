/**
 * Everything a succeeded scenario run stores (spec 50 §2): one output row per value — the
 * run-level metrics as-of the run date, then the time series — plus the metrics map kept on the
 * run itself, so a list of runs carries its metrics without reading the output rows.
 */
import type { SimulateRequest } from '../contracts/dpm-request.js';
import type { Dec } from '../contracts/decimal.js';
import type { RebalanceResult } from '../engine/types.js';
import type { Projection } from './engine-request.js';
import { type MetricValue, RUN_METRICS, type RunMetricName, runMetrics } from './run-metrics.js';
import { cashLadderSeries, projectionSeries } from './time-series.js';

export const SERIES_METRICS = ['cash_projected_balance', 'projected_total_value'] as const;
export const OUTPUT_METRICS = [...RUN_METRICS, ...SERIES_METRICS] as const;
export type OutputMetricName = (typeof OUTPUT_METRICS)[number];

export interface OutputRow {
  metric_name: OutputMetricName;
  asof_date: string;
  value: Dec;
  unit: string;
  dimensions: Record<string, string>;
}

export interface ScenarioOutputs {
  rows: OutputRow[];
  metrics: Record<RunMetricName, MetricValue>;
}

export function scenarioOutputs(
  result: RebalanceResult,
  request: SimulateRequest,
  projection: Projection | null,
  runDate: string,
): ScenarioOutputs {
  const metrics = runMetrics(result, request);
  const base = request.portfolio_snapshot.base_currency;
  const rows: OutputRow[] = RUN_METRICS.map((name) => ({
    metric_name: name,
    asof_date: runDate,
    value: metrics[name].value,
    unit: metrics[name].unit,
    dimensions: {},
  }));
  for (const point of cashLadderSeries(result, runDate))
    rows.push({ metric_name: 'cash_projected_balance', unit: point.dimensions.currency!, ...point });
  if (projection)
    for (const point of projectionSeries(result, projection, runDate))
      rows.push({ metric_name: 'projected_total_value', unit: base, ...point });
  return { rows, metrics };
}
