/**
 * Batch what-if analysis (spec 11 §13): run named scenarios over shared snapshots, each with
 * its own options, in code-point order of their names, and compare them.
 */
import { createHash } from 'node:crypto';
import type { AnalyzeRequest } from '../contracts/dpm-analyze.js';
import { engineOptionsSchema, type EngineOptions, type SimulateRequest } from '../contracts/dpm-request.js';
import { validate } from '../contracts/parse.js';
import type { AppliedPolicyPack } from '../contracts/policy-pack.js';
import { add, type Dec, ZERO } from '../contracts/decimal.js';
import { sortedByCodePoint } from '../contracts/ordering.js';
import { deriveRunId, simulateRebalance } from './pipeline.js';
import type { Money, RebalanceResult, RunStatus } from './types.js';

export interface BatchContext {
  /** Defaults to an id derived from `requestHash`. */
  batchRunId?: string;
  requestHash?: string;
  /** UTC ISO-8601 timestamp; the engine has no clock (defaults to the Unix epoch). */
  runAtUtc?: string;
  /** The caller's X-Correlation-Id, if any. */
  correlationId?: string | null;
  /** Run id per scenario; defaults to one derived from the scenario's request hash. */
  runIdFor?: (scenario: string, requestHash: string) => string;
  /** Policy packs: the options each scenario runs with, once its own options validated (spec 40 §17.1). */
  effectiveOptions?: (options: EngineOptions) => EngineOptions;
  /** The policy pack behind `effectiveOptions`, recorded in every scenario's lineage. */
  policyPack?: AppliedPolicyPack | null;
}

export interface ComparisonMetric {
  status: RunStatus;
  security_intent_count: number;
  gross_turnover_notional_base: Money;
}

export interface BatchResult {
  batch_run_id: string;
  run_at_utc: string;
  base_snapshot_ids: { portfolio_snapshot_id: string; market_data_snapshot_id: string };
  results: Record<string, RebalanceResult>;
  comparison_metrics: Record<string, ComparisonMetric>;
  failed_scenarios: Record<string, string>;
  warnings: string[];
}

export const EPOCH_UTC = '1970-01-01T00:00:00+00:00';

export function deriveBatchRunId(requestHash: string): string {
  return `batch_${createHash('sha256').update(requestHash, 'utf8').digest('hex').slice(0, 16)}`;
}

export function analyzeBatch(request: AnalyzeRequest, context: BatchContext = {}): BatchResult {
  const batchRunId = context.batchRunId ?? deriveBatchRunId(context.requestHash ?? 'no_hash');
  const base = request.portfolio_snapshot.base_currency;
  const results: Record<string, RebalanceResult> = {};
  const metrics: Record<string, ComparisonMetric> = {};
  const failed: Record<string, string> = {};

  for (const name of sortedByCodePoint(Object.keys(request.scenarios))) {
    const parsed = validate(engineOptionsSchema, request.scenarios[name]!.options);
    if (!parsed.ok) {
      failed[name] = `INVALID_OPTIONS: ${parsed.errors[0]!.msg}`;
      continue;
    }
    const requestHash = `${batchRunId}:${name}`;
    try {
      const scenarioRequest: SimulateRequest = {
        portfolio_snapshot: request.portfolio_snapshot,
        market_data_snapshot: request.market_data_snapshot,
        model_portfolio: request.model_portfolio,
        shelf_entries: request.shelf_entries,
        options: context.effectiveOptions ? context.effectiveOptions(parsed.value) : parsed.value,
      };
      const result = simulateRebalance(scenarioRequest, {
        requestHash,
        rebalanceRunId: context.runIdFor ? context.runIdFor(name, requestHash) : deriveRunId(requestHash),
        correlationId: context.correlationId ? `${context.correlationId}:${name}` : requestHash,
        policyPack: context.policyPack ?? null,
      });
      results[name] = result;
      let turnover: Dec = ZERO;
      let count = 0;
      for (const intent of result.intents)
        if (intent.intent_type === 'SECURITY_TRADE') {
          count++;
          turnover = add(turnover, intent.notional_base!.amount);
        }
      metrics[name] = {
        status: result.status,
        security_intent_count: count,
        gross_turnover_notional_base: { amount: turnover, currency: base },
      };
    } catch (error) {
      failed[name] = `SCENARIO_EXECUTION_ERROR: ${error instanceof Error ? error.constructor.name : 'Error'}`;
    }
  }

  return {
    batch_run_id: batchRunId,
    run_at_utc: context.runAtUtc ?? EPOCH_UTC,
    base_snapshot_ids: {
      portfolio_snapshot_id:
        request.portfolio_snapshot.snapshot_id || request.portfolio_snapshot.portfolio_id,
      market_data_snapshot_id: request.market_data_snapshot.snapshot_id || 'md',
    },
    results,
    comparison_metrics: metrics,
    failed_scenarios: failed,
    warnings: Object.keys(failed).length > 0 ? ['PARTIAL_BATCH_FAILURE'] : [],
  };
}
