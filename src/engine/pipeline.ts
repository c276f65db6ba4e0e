/**
 * The DPM rebalance pipeline, top to bottom (spec 10 §2, spec 11 §2):
 * valuation → universe → targets → intents → turnover cap → FX → settlement → after-state →
 * rules → reconciliation → status → gate. Pure and synchronous: the same request and run
 * context always give the same result.
 */
import { createHash } from 'node:crypto';
import type { SimulateRequest } from '../contracts/dpm-request.js';
import type { AppliedPolicyPack } from '../contracts/policy-pack.js';
import { abs, add, dec, type Dec, gt, mul, sub } from '../contracts/decimal.js';
import { planFx } from './fx-funding.js';
import { decideGate } from './gate.js';
import { generateIntents } from './intents.js';
import { Market, Shelf } from './market.js';
import { planBands } from './bands.js';
import { evaluateRules, hasHardFailure, type LockedContext, statusFromRules } from './rules.js';
import { TaxBudget } from './tax.js';
import { evaluateSettlementLadder } from './settlement.js';
import { applyIntents } from './after-state.js';
import { generateTargets } from './targets/index.js';
import { applyTurnoverCap } from './turnover.js';
import {
  type Diagnostics,
  emptyDiagnostics,
  type Intent,
  type RebalanceResult,
  type Reconciliation,
  type RuleResult,
  type RunStatus,
  type SimulatedState,
  type TargetData,
  type TargetMethodComparison,
  type TaxImpact,
  type UniverseData,
} from './types.js';
import { buildUniverse } from './universe.js';
import { valuePortfolio } from './valuation.js';

/** What varies per call; everything else comes from the request. */
export interface RunContext {
  /** Canonical request hash; `"no_hash"` when the engine is called directly. */
  requestHash?: string;
  /** Defaults to an id derived from the request hash. */
  rebalanceRunId?: string;
  /** Defaults to `"c_none"`. */
  correlationId?: string;
  /** The policy pack whose overrides are already in the request's options, for the lineage. */
  policyPack?: AppliedPolicyPack | null;
}

const RECONCILIATION_FLOOR = dec('0.5');
const RECONCILIATION_RATE = dec('0.0005');
const COVERAGE_FULL = dec('1');
const COVERAGE_NONE = dec('0');

/** `rr_` + 16 hex digits of SHA-256(request hash): deterministic, 64 bits (GAP G-S3). */
export function deriveRunId(requestHash: string): string {
  return `rr_${createHash('sha256').update(requestHash, 'utf8').digest('hex').slice(0, 16)}`;
}

export function simulateRebalance(request: SimulateRequest, context: RunContext = {}): RebalanceResult {
  const { portfolio_snapshot: portfolio, options } = request;
  const requestHash = context.requestHash ?? 'no_hash';
  const runId = context.rebalanceRunId ?? deriveRunId(requestHash);
  const base = portfolio.base_currency;
  const diagnostics = emptyDiagnostics();
  const dq = diagnostics.data_quality;
  const market = new Market(request.market_data_snapshot);
  const shelf = new Shelf(request.shelf_entries);
  const blockingDataQuality = () =>
    dq.shelf_missing.length > 0 ||
    (dq.price_missing.length > 0 && options.block_on_missing_prices) ||
    (dq.fx_missing.length > 0 && options.block_on_missing_fx);

  // Stage 1 — valuation
  const before = valuePortfolio(portfolio, market, shelf, options.valuation_mode, dq);
  const V = before.total_value.amount;
  // Stage 2 — universe
  const universe = buildUniverse(
    request.model_portfolio,
    portfolio.positions,
    before,
    shelf,
    options.allow_restricted,
    dq,
  );
  const universeData = (coverage: Dec): UniverseData => ({
    universe_id: `u_${runId}`,
    eligible_for_buy: universe.buyList,
    eligible_for_sell: universe.sellList,
    excluded: universe.excluded,
    coverage: { price_coverage_pct: coverage, fx_coverage_pct: coverage },
  });
  // Stage 3 — targets
  const targets = generateTargets(
    { model: request.model_portfolio, universe, options, shelf, totalValue: V, base },
    diagnostics,
  );
  const target: TargetData = { target_id: `t_${runId}`, strategy: {}, targets: targets.trace };
  // Tolerance bands and the drift summary every result carries (docs/decisions/0051).
  const bands = planBands(targets.trace, before, options);
  diagnostics.drift_summary = bands.summary;
  // Locked holdings above a cap are reported by SOFT rules, not blocked on (docs/decisions/0050).
  const lockedContext: LockedContext = {
    reasons: new Map(
      universe.excluded
        .filter((x) => universe.locked.has(x.instrument_id))
        .map((x) => [x.instrument_id, x.reason_code]),
    ),
    shelf,
  };

  const result = (parts: {
    status: RunStatus;
    intents: Intent[];
    after: SimulatedState;
    reconciliation: Reconciliation | null;
    taxImpact: TaxImpact | null;
    rules: RuleResult[];
    early: boolean;
    comparison: TargetMethodComparison | null;
  }): RebalanceResult => ({
    rebalance_run_id: runId,
    correlation_id: context.correlationId ?? 'c_none',
    status: parts.status,
    before,
    universe: universeData(parts.early ? COVERAGE_NONE : COVERAGE_FULL),
    target,
    intents: parts.intents,
    after_simulated: parts.after,
    reconciliation: parts.reconciliation,
    tax_impact: parts.taxImpact,
    rule_results: parts.rules,
    // Q-M19 / Q-M22: early-blocked paths say "Blocked" and drop the method comparison.
    explanation: parts.early
      ? { summary: 'Blocked' }
      : { summary: parts.status, target_method_comparison: parts.comparison },
    diagnostics,
    gate_decision: options.enable_workflow_gates
      ? decideGate({ status: parts.status, rules: parts.rules, dataQuality: dq, options })
      : null,
    lineage: {
      portfolio_snapshot_id: portfolio.portfolio_id,
      market_data_snapshot_id: 'md',
      request_hash: requestHash,
      idempotency_key: null,
      engine_version: null,
      policy_pack: context.policyPack ?? null,
    },
  });
  const blockedEarly = () =>
    result({
      status: 'BLOCKED',
      intents: [],
      after: before,
      reconciliation: null,
      taxImpact: null,
      rules: evaluateRules(before, options, diagnostics, lockedContext),
      early: true,
      comparison: null,
    });

  if (blockingDataQuality() || targets.status === 'BLOCKED') return blockedEarly(); // path E1

  // Portfolio-level trigger: every position and cash inside their bands → nothing to trade.
  if (bands.active && bands.summary.within_tolerance) {
    const rules = evaluateRules(before, options, diagnostics, lockedContext);
    return result({
      status: statusFromRules(rules),
      intents: [],
      after: before,
      reconciliation: reconcile(V, V, base),
      taxImpact: options.enable_tax_awareness
        ? new TaxBudget(options.max_realized_capital_gains).impact(base)
        : null,
      rules,
      early: false,
      comparison: targets.comparison,
    });
  }

  // Stage 4 — intents
  const stage4 = generateIntents(
    {
      trace: targets.trace,
      positions: portfolio.positions,
      totalValue: V,
      base,
      options,
      market,
      shelf,
      locked: universe.locked,
      tradeTo: bands.tradeTo,
      cashBalances: portfolio.cash_balances,
    },
    diagnostics,
  );
  if (blockingDataQuality()) return blockedEarly(); // path E2
  const securityIntents = applyTurnoverCap(stage4.intents, options.max_turnover_pct, V, base, diagnostics);

  // Stage 5 — FX, settlement, after-state, rules, reconciliation
  const fx = planFx(
    securityIntents,
    portfolio.cash_balances,
    base,
    options.fx_buffer_pct,
    options.block_on_missing_fx,
    options.link_buy_to_same_currency_sell_dependency,
    market,
    dq,
  );
  const blocked = (parts: {
    after: SimulatedState;
    rules: RuleResult[];
    reconciliation: Reconciliation | null;
  }) =>
    result({
      status: 'BLOCKED',
      intents: fx.intents,
      taxImpact: stage4.taxImpact,
      early: false,
      comparison: targets.comparison,
      ...parts,
    });
  if (fx.blockedOnMissingFx) return blocked({ after: before, rules: [], reconciliation: null });

  if (options.enable_settlement_awareness) {
    const breach = evaluateSettlementLadder(fx.intents, portfolio.cash_balances, options, shelf, diagnostics);
    if (breach) {
      const unchanged = valuePortfolio(portfolio, market, shelf, options.valuation_mode, dq);
      return blocked({ after: unchanged, rules: [breach], reconciliation: null }); // path S
    }
  }

  const after = valuePortfolio(applyIntents(portfolio, fx.intents), market, shelf, 'CALCULATED', dq);
  const rules = evaluateRules(after, options, diagnostics, lockedContext);
  if (hasHardFailure(rules)) {
    addSafetyWarnings(rules, diagnostics);
    return blocked({ after, rules, reconciliation: null }); // path H
  }

  const reconciliation = reconcile(V, after.total_value.amount, base);
  if (reconciliation.status === 'MISMATCH') {
    rules.push({
      rule_id: 'RECONCILIATION',
      severity: 'HARD',
      status: 'FAIL',
      measured: abs(sub(after.total_value.amount, V)),
      threshold: { max: reconciliation.tolerance.amount },
      reason_code: 'VALUE_MISMATCH',
      remediation_hint: 'Check pricing/FX or engine logic.',
    });
    return blocked({ after, rules, reconciliation }); // path M
  }

  let status = statusFromRules(rules);
  if (status === 'READY' && targets.status === 'PENDING_REVIEW') status = 'PENDING_REVIEW';
  return result({
    status,
    intents: fx.intents,
    after,
    reconciliation,
    taxImpact: stage4.taxImpact,
    rules,
    early: false,
    comparison: targets.comparison,
  });
}

/** Q12: one warning per failed NO_SHORTING and per failed INSUFFICIENT_CASH. */
function addSafetyWarnings(rules: readonly RuleResult[], diagnostics: Diagnostics): void {
  for (const id of ['NO_SHORTING', 'INSUFFICIENT_CASH'])
    if (rules.some((r) => r.rule_id === id && r.status === 'FAIL'))
      diagnostics.warnings.push('SIMULATION_SAFETY_CHECK_FAILED');
}

function reconcile(before: Dec, after: Dec, base: string): Reconciliation {
  const diff = abs(sub(after, before));
  const tolerance = add(RECONCILIATION_FLOOR, mul(before, RECONCILIATION_RATE));
  return {
    before_total_value: { amount: before, currency: base },
    after_total_value: { amount: after, currency: base },
    delta: { amount: sub(after, before), currency: base },
    tolerance: { amount: tolerance, currency: base },
    status: gt(diff, tolerance) ? 'MISMATCH' : 'OK',
  };
}
