/**
 * Advisory proposal simulation (spec 20 §3–§9): apply advisor cash flows and trades to a
 * working copy of the portfolio, fund foreign buys with generated FX, value the after-state,
 * run the shared rule engine, reconcile, then drift, suitability and the workflow gate.
 * Pure and deterministic, like the DPM engine.
 */
import { createHash } from 'node:crypto';
import type { ProposalRequest } from '../contracts/advisory-request.js';
import type { ShelfEntry } from '../contracts/dpm-request.js';
import { WorkingPortfolio } from '../engine/after-state.js';
import { abs, add, type Dec, dec, div, gt, isNegative, isZero, mul, sub } from '../contracts/decimal.js';
import { decideGate } from '../engine/gate.js';
import { Market, Shelf } from '../engine/market.js';
import { compareCodePoints } from '../contracts/ordering.js';
import { evaluateRules, statusFromRules } from '../engine/rules.js';
import { emptyDiagnostics, type RuleResult, type SecurityTradeIntent } from '../engine/types.js';
import { valuePortfolio } from '../engine/valuation.js';
import { analyzeDrift } from './drift.js';
import { planFunding } from './funding.js';
import { scanSuitability } from './suitability.js';
import type { CashFlowIntent, ProposalDiagnostics, ProposalIntent, ProposalResult } from './types.js';

export const ADVISORY_ENGINE_VERSION = '0.1.0';

export interface ProposalContext {
  /** Canonical request hash; `"no_hash"` when called directly. */
  requestHash?: string;
  correlationId: string;
  idempotencyKey?: string | null;
}

const RECONCILIATION_FLOOR = dec('0.5');
const RECONCILIATION_RATE = dec('0.0005');

/** `pr_` + the first 8 hex digits of SHA-256(request hash) (spec 20 §14). */
export function proposalRunId(requestHash: string): string {
  return `pr_${createHash('sha256').update(requestHash, 'utf8').digest('hex').slice(0, 8)}`;
}

const byInstrument = (a: SecurityTradeIntent, b: SecurityTradeIntent) =>
  compareCodePoints(a.instrument_id, b.instrument_id);

export function simulateProposal(request: ProposalRequest, context: ProposalContext): ProposalResult {
  const { portfolio_snapshot: portfolio, options } = request;
  const requestHash = context.requestHash ?? 'no_hash';
  const base = portfolio.base_currency;
  const market = new Market(request.market_data_snapshot);
  const shelf = new Shelf(request.shelf_entries);
  const diagnostics: ProposalDiagnostics = { ...emptyDiagnostics(), funding_plan: [], insufficient_cash: [] };
  const dq = diagnostics.data_quality;
  const warn = (code: string) => diagnostics.warnings.push(code);
  const hardFail: string[] = [];

  const before = valuePortfolio(portfolio, market, shelf, options.valuation_mode, dq);
  const work = new WorkingPortfolio(portfolio);

  // §4 cash flows, in input order; the negative-cash guard looks at each flow's currency.
  const flows: CashFlowIntent[] = request.proposed_cash_flows.map((flow, i) => {
    work.moveCash(flow.currency, flow.amount);
    if (options.proposal_block_negative_cash && isNegative(work.cashIn(flow.currency).amount)) {
      warn('PROPOSAL_WITHDRAWAL_NEGATIVE_CASH');
      hardFail.push('PROPOSAL_WITHDRAWAL_NEGATIVE_CASH');
    }
    return {
      intent_type: 'CASH_FLOW',
      intent_id: `oi_cf_${i + 1}`,
      currency: flow.currency,
      amount: flow.amount,
      description: flow.description,
    };
  });

  // §5 manual trades: shelf guard (last shelf row wins, Q-A1), price, size, base value.
  const lastShelf = new Map<string, ShelfEntry>(request.shelf_entries.map((e) => [e.instrument_id, e]));
  const trades: SecurityTradeIntent[] = [];
  request.proposed_trades.forEach((trade, i) => {
    const entry = lastShelf.get(trade.instrument_id);
    if (!entry) {
      dq.shelf_missing.push(trade.instrument_id);
      return;
    }
    const blockedStatus =
      entry.status === 'SELL_ONLY' ||
      entry.status === 'BANNED' ||
      entry.status === 'SUSPENDED' ||
      (entry.status === 'RESTRICTED' && !options.allow_restricted);
    if (trade.side === 'BUY' && blockedStatus) {
      warn('PROPOSAL_TRADE_NOT_SUPPORTED_BY_SHELF');
      hardFail.push('PROPOSAL_TRADE_NOT_SUPPORTED_BY_SHELF');
      return;
    }
    const price = market.priceOf(trade.instrument_id);
    // A zero price cannot size a notional trade; treated as missing (docs/decisions/0002, QUIRK Q-A4).
    if (!price || (trade.quantity === null && isZero(price.price))) {
      dq.price_missing.push(trade.instrument_id);
      return;
    }
    let quantity: Dec;
    let notional: Dec;
    if (trade.quantity !== null) {
      quantity = trade.quantity;
      notional = mul(trade.quantity, price.price);
    } else if (trade.notional!.currency !== price.currency) {
      warn('PROPOSAL_INVALID_TRADE_INPUT');
      hardFail.push('PROPOSAL_INVALID_TRADE_INPUT');
      return;
    } else {
      notional = trade.notional!.amount;
      quantity = div(notional, price.price);
    }
    const rate = market.fxRate(price.currency, base);
    if (rate === null) dq.fx_missing.push(`${price.currency}/${base}`);
    trades.push({
      intent_type: 'SECURITY_TRADE',
      intent_id: `oi_${i + 1}`,
      instrument_id: trade.instrument_id,
      side: trade.side,
      quantity,
      notional: { amount: notional, currency: price.currency },
      notional_base: rate === null ? null : { amount: mul(notional, rate), currency: base },
      dependencies: [],
      rationale: { code: 'MANUAL_PROPOSAL', message: 'Advisor proposed trade' },
      constraints_applied: [],
    });
  });
  const sells = trades.filter((t) => t.side === 'SELL').sort(byInstrument);
  const buys = trades.filter((t) => t.side === 'BUY').sort(byInstrument);
  for (const s of sells) work.apply(s);

  // §6 auto-funding, then the buys that can be paid for.
  const funding = options.auto_funding
    ? planFunding(buys, work, base, options, market, diagnostics)
    : {
        fx: [],
        fxByCurrency: new Map<string, string>(),
        unfunded: new Set<string>(),
        failures: [],
        pending: false,
      };
  hardFail.push(...funding.failures);
  const executable = buys.filter((b) => !funding.unfunded.has(b.notional!.currency));
  if (executable.length < buys.length) warn('PROPOSAL_BUY_SKIPPED_UNFUNDED');
  for (const b of executable) work.apply(b);

  // §7 dependencies on executable buys; final order CASH_FLOW → SELL → FX → BUY.
  const linkSells = options.link_buy_to_same_currency_sell_dependency ?? false;
  const lastSell = new Map<string, string>();
  for (const s of sells) lastSell.set(s.notional!.currency, s.intent_id);
  for (const b of executable) {
    const currency = b.notional!.currency;
    for (const dependency of [
      funding.fxByCurrency.get(currency),
      linkSells ? lastSell.get(currency) : undefined,
    ])
      if (dependency !== undefined && !b.dependencies.includes(dependency)) b.dependencies.push(dependency);
  }
  const fx = [...funding.fx].sort((a, b) => compareCodePoints(a.pair, b.pair));
  const intents: ProposalIntent[] = [...flows, ...sells, ...fx, ...executable];

  // §8 after-state, rules, reconciliation, status.
  const after = valuePortfolio(work.holdings(), market, shelf, 'CALCULATED', dq);
  const rules: RuleResult[] = evaluateRules(after, options, diagnostics);
  if (hardFail.length > 0)
    rules.push({
      rule_id: 'PROPOSAL_INPUT_GUARDS',
      severity: 'HARD',
      status: 'FAIL',
      measured: dec(BigInt(hardFail.length)),
      threshold: { max: dec('0') },
      reason_code: hardFail[0]!,
      remediation_hint: 'Adjust proposal cash flows, funding inputs, or shelf eligibility.',
    });
  if (funding.pending)
    rules.push({
      rule_id: 'PROPOSAL_FUNDING_DQ',
      severity: 'SOFT',
      status: 'FAIL',
      measured: dec(BigInt(diagnostics.missing_fx_pairs.length)),
      threshold: { max: dec('0') },
      reason_code: 'MISSING_FX_FOR_FUNDING',
      remediation_hint: 'Provide required FX rates for advisory auto-funding.',
    });
  let status = statusFromRules(rules);

  // Expected total: flows converted to base; a flow without a rate is logged now, after the
  // rule engine ran (Q-A10).
  let expected = before.total_value.amount;
  for (const flow of request.proposed_cash_flows) {
    const rate = market.fxRate(flow.currency, base);
    if (rate === null) dq.fx_missing.push(`${flow.currency}/${base}`);
    else expected = add(expected, mul(flow.amount, rate));
  }
  const afterTotal = after.total_value.amount;
  const diff = abs(sub(afterTotal, expected));
  const tolerance = add(RECONCILIATION_FLOOR, mul(abs(expected), RECONCILIATION_RATE));
  const mismatch = gt(diff, tolerance);
  const reconciliation = {
    before_total_value: { amount: before.total_value.amount, currency: base },
    after_total_value: { amount: afterTotal, currency: base },
    delta: { amount: sub(afterTotal, before.total_value.amount), currency: base },
    tolerance: { amount: tolerance, currency: base },
    status: mismatch ? ('MISMATCH' as const) : ('OK' as const),
  };
  if (mismatch) {
    status = 'BLOCKED';
    rules.push({
      rule_id: 'RECONCILIATION',
      severity: 'HARD',
      status: 'FAIL',
      measured: diff,
      threshold: { max: tolerance },
      reason_code: 'VALUE_MISMATCH',
      remediation_hint: 'Check pricing/FX or proposal inputs.',
    });
  }
  if (funding.pending && status === 'READY') status = 'PENDING_REVIEW';

  // §10–§12 drift, suitability, gate.
  const snapshotIds = {
    portfolio_snapshot_id: portfolio.snapshot_id || portfolio.portfolio_id,
    market_data_snapshot_id: request.market_data_snapshot.snapshot_id || 'md',
  };
  const drift = analyzeDrift({
    before,
    after,
    referenceModel: request.reference_model,
    portfolioBaseCurrency: base,
    securityTradeInstrumentIds: intents
      .filter((i) => i.intent_type === 'SECURITY_TRADE')
      .map((i) => (i as SecurityTradeIntent).instrument_id),
    options,
  });
  if (drift.warning) warn(drift.warning);
  const suitability = options.enable_suitability_scanner
    ? scanSuitability({
        before,
        after,
        shelfEntries: request.shelf_entries,
        proposedTrades: request.proposed_trades,
        options,
        snapshotIds,
      })
    : null;
  const gate = options.enable_workflow_gates
    ? proposalGate(status, rules, suitability, diagnostics, options)
    : null;

  return {
    proposal_run_id: proposalRunId(requestHash),
    correlation_id: context.correlationId,
    status,
    before,
    intents,
    after_simulated: after,
    reconciliation,
    rule_results: rules,
    explanation: { summary: status },
    diagnostics,
    drift_analysis: drift.drift,
    suitability,
    gate_decision: gate,
    lineage: {
      ...snapshotIds,
      request_hash: requestHash,
      idempotency_key: context.idempotencyKey ?? null,
      engine_version: ADVISORY_ENGINE_VERSION,
    },
  };
}

/** The shared gate evaluator with advisory inputs: consent is required by default (spec 20 §12). */
export function proposalGate(
  status: ProposalResult['status'],
  rules: readonly RuleResult[],
  suitability: ProposalResult['suitability'],
  diagnostics: ProposalDiagnostics,
  options: ProposalRequest['options'],
) {
  return decideGate({
    status,
    rules,
    suitabilityIssues: suitability?.issues ?? [],
    dataQuality: diagnostics.data_quality,
    options,
    defaultRequiresConsent: true,
  });
}
