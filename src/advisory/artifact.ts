/**
 * The client-ready proposal package (spec 20 §13, RFC-0014E): summary, portfolio impact, trades
 * and funding, suitability, assumptions, disclosures and an evidence bundle, hashed over its
 * canonical JSON without the volatile `created_at` and `artifact_hash` (spec 20 §14).
 */
import type { ProposalRequest } from '../contracts/advisory-request.js';
import { canonicalHash } from '../contracts/canonical.js';
import { abs, cmp, type Dec, isZero, lt, quantize, sub, ZERO } from '../contracts/decimal.js';
import { compareCodePoints, sortedByCodePoint } from '../contracts/ordering.js';
import type {
  AllocationMetric,
  FxSpotIntent,
  GateDecision,
  SecurityTradeIntent,
  SimulatedState,
} from '../engine/types.js';
import { type Json, toJson } from '../engine/wire.js';
import { proposalGate } from './proposal.js';
import type { ProposalResult } from './types.js';

/** 4 places, half-even, fixed notation. */
const q4 = (x: Dec) => quantize(x, 4).toPlainString();
/** Fixed notation without trailing zeros (`2400.00` → `2400`, zero → `0`). */
const plain = (x: Dec) => (isZero(x) ? '0' : x.stripTrailingZeros().toPlainString());

function cashWeight(state: SimulatedState): Dec {
  return state.allocation_by_asset_class.find((m) => m.key === 'CASH')?.weight ?? ZERO;
}

function nextStep(result: ProposalResult): string {
  const gate = result.gate_decision;
  if (gate) {
    switch (gate.gate) {
      case 'BLOCKED':
        return gate.reasons.some((r) => r.source === 'SUITABILITY' && r.severity === 'HIGH')
          ? 'COMPLIANCE_REVIEW'
          : 'RISK_REVIEW';
      case 'COMPLIANCE_REVIEW_REQUIRED':
        return 'COMPLIANCE_REVIEW';
      case 'RISK_REVIEW_REQUIRED':
        return 'RISK_REVIEW';
      case 'CLIENT_CONSENT_REQUIRED':
        return 'CLIENT_CONSENT';
      case 'EXECUTION_READY':
        return 'EXECUTION_READY';
      default:
        return 'RISK_REVIEW';
    }
  }
  const hint = result.suitability?.recommended_gate;
  if (hint === 'COMPLIANCE_REVIEW' || hint === 'RISK_REVIEW') return hint;
  return result.status === 'READY' ? 'CLIENT_CONSENT' : 'RISK_REVIEW';
}

function impactState(state: SimulatedState) {
  const sorted = (list: AllocationMetric[]) =>
    [...list]
      .sort((a, b) => cmp(b.weight, a.weight) || compareCodePoints(a.key, b.key))
      .map((m) => ({ ...m, weight: quantize(m.weight, 4) }));
  return {
    total_value: state.total_value,
    allocation_by_asset_class: sorted(state.allocation_by_asset_class),
    allocation_by_instrument: sorted(state.allocation_by_instrument),
  };
}

export function artifactHashOf(artifact: Record<string, unknown>): string {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.entries(value)
          .filter(([k]) => k !== 'created_at' && k !== 'artifact_hash')
          .map(([k, v]) => [k, strip(v)]),
      );
    return value;
  };
  return canonicalHash(strip(artifact));
}

export function buildProposalArtifact(
  request: ProposalRequest,
  result: ProposalResult,
  resultJson: Json,
  createdAt: string,
): Record<string, Json> {
  const { options } = request;
  const limit = options.drift_top_contributors_limit;
  const trades = result.intents.filter((i): i is SecurityTradeIntent => i.intent_type === 'SECURITY_TRADE');
  const fxIntents = result.intents.filter((i): i is FxSpotIntent => i.intent_type === 'FX_SPOT');
  const drift = result.drift_analysis;

  const tags: string[] = [];
  if (trades.length > 0) tags.push('RISK_ALIGNMENT');
  if (request.proposed_cash_flows.length > 0) tags.push('CASH_DEPLOYMENT');
  if (drift && lt(drift.asset_class.drift_total_after, drift.asset_class.drift_total_before))
    tags.push('DRIFT_REDUCTION');

  const takeaways = [
    { code: 'STATUS', value: `Proposal status is ${result.status}.` },
    {
      code: 'INTENTS',
      value: `Generated ${trades.length} security trades and ${fxIntents.length} FX intents.`,
    },
    {
      code: 'CASH',
      value: `Cash weight changed from ${q4(cashWeight(result.before))} to ${q4(cashWeight(result.after_simulated))}.`,
    },
  ];
  if (drift)
    takeaways.push({
      code: 'DRIFT',
      value: `Asset-class drift changed from ${q4(drift.asset_class.drift_total_before)} to ${q4(drift.asset_class.drift_total_after)}.`,
    });
  const suitability = options.enable_suitability_scanner ? result.suitability : null;
  if (suitability)
    takeaways.push({
      code: 'SUITABILITY',
      value: `Suitability issues: new=${suitability.summary.new_count}, resolved=${suitability.summary.resolved_count}, persistent=${suitability.summary.persistent_count}.`,
    });

  const weightsOf = (state: SimulatedState) => {
    const out = new Map<string, Dec>();
    for (const m of state.allocation_by_instrument) out.set(m.key, m.weight);
    return out;
  };
  const wb = weightsOf(result.before);
  const wa = weightsOf(result.after_simulated);
  const changes = sortedByCodePoint(new Set([...wb.keys(), ...wa.keys()]))
    .map((id) => {
      const b = wb.get(id) ?? ZERO;
      const a = wa.get(id) ?? ZERO;
      return { id, b, a, d: sub(a, b) };
    })
    .filter((c) => !isZero(c.d))
    .sort((x, y) => cmp(abs(y.d), abs(x.d)) || compareCodePoints(x.id, y.id))
    .slice(0, limit)
    .map((c) => ({
      bucket_type: 'INSTRUMENT',
      bucket_id: c.id,
      weight_before: q4(c.b),
      weight_after: q4(c.a),
      delta: q4(c.d),
    }));

  // Q-A14: the FX rate shown is the last market row quoting exactly the intent's pair.
  const rateOf = (pair: string) => {
    const rows = request.market_data_snapshot.fx_rates.filter((r) => r.pair === pair);
    return rows.length > 0 ? q4(rows[rows.length - 1]!.rate) : null;
  };
  const marketId = result.lineage.market_data_snapshot_id;
  const gate: GateDecision =
    result.gate_decision ??
    proposalGate(result.status, result.rule_results, result.suitability, result.diagnostics, options);

  const artifact = {
    artifact_id: result.proposal_run_id.replace('pr_', 'pa_'),
    proposal_run_id: result.proposal_run_id,
    correlation_id: result.correlation_id,
    created_at: createdAt,
    status: result.status,
    gate_decision: gate,
    summary: {
      title: `Proposal for ${request.portfolio_snapshot.portfolio_id}`,
      objective_tags: tags.length > 0 ? tags : ['PORTFOLIO_MAINTENANCE'],
      advisor_notes: [],
      recommended_next_step: nextStep(result),
      key_takeaways: takeaways,
    },
    portfolio_impact: {
      before: impactState(result.before),
      after: impactState(result.after_simulated),
      delta: {
        total_value_delta: {
          amount: sub(result.after_simulated.total_value.amount, result.before.total_value.amount),
          currency: result.before.total_value.currency,
        },
        largest_weight_changes: changes,
      },
      reconciliation: result.reconciliation,
    },
    trades_and_funding: {
      trade_list: trades.map((t) => ({
        intent_id: t.intent_id,
        type: 'SECURITY_TRADE',
        instrument_id: t.instrument_id,
        side: t.side,
        quantity: plain(t.quantity!),
        estimated_notional: t.notional,
        estimated_notional_base: t.notional_base,
        dependencies: t.dependencies,
        rationale: { code: t.rationale!.code, message: t.rationale!.message },
      })),
      fx_list: [...fxIntents]
        .sort((a, b) => compareCodePoints(a.pair, b.pair) || compareCodePoints(a.intent_id, b.intent_id))
        .map((f) => ({
          intent_id: f.intent_id,
          pair: f.pair,
          buy_amount: plain(f.buy_amount),
          sell_amount_estimated: plain(f.sell_amount_estimated),
          rate: rateOf(f.pair),
        })),
      ordering_policy: 'CASH_FLOW->SELL->FX->BUY',
      execution_notes: trades.some((t) => t.dependencies.length > 0)
        ? [{ code: 'DEPENDENCY', text: 'One or more BUY intents depend on generated FX intents.' }]
        : [],
    },
    suitability_summary: suitability
      ? {
          status: 'AVAILABLE',
          new_issues: suitability.summary.new_count,
          resolved_issues: suitability.summary.resolved_count,
          persistent_issues: suitability.summary.persistent_count,
          highest_severity_new: suitability.summary.highest_severity_new,
          highlights: suitability.issues.slice(0, limit).map((i) => ({
            code: i.status_change,
            text: `${i.status_change[0]}${i.status_change.slice(1).toLowerCase()} issue: ${i.issue_id}.`,
          })),
          issues: suitability.issues,
        }
      : {
          status: 'NOT_AVAILABLE',
          new_issues: 0,
          resolved_issues: 0,
          persistent_issues: 0,
          highest_severity_new: null,
          highlights: [],
          issues: [],
        },
    assumptions_and_limits: {
      pricing: {
        market_data_snapshot_id: marketId,
        prices_as_of: marketId,
        fx_as_of: marketId,
        valuation_mode: options.valuation_mode,
      },
      costs_and_fees: {
        included: false,
        notes: 'Transaction costs, fees, and bid/ask spreads are not modeled.',
      },
      tax: { included: false, notes: 'Tax impact is not modeled in the proposal artifact.' },
      execution: { included: false, notes: 'Execution timing and slippage are not modeled.' },
    },
    disclosures: {
      risk_disclaimer:
        'This proposal is based on market-data snapshots and does not guarantee future performance.',
      product_docs: sortedByCodePoint(new Set(trades.map((t) => t.instrument_id))).map((id) => ({
        instrument_id: id,
        doc_ref: 'KID/FactSheet placeholder',
      })),
    },
    evidence_bundle: {
      inputs: {
        portfolio_snapshot: request.portfolio_snapshot,
        market_data_snapshot: request.market_data_snapshot,
        shelf_entries: request.shelf_entries,
        options: request.options,
        proposed_cash_flows: request.proposed_cash_flows,
        proposed_trades: request.proposed_trades,
        reference_model: request.reference_model,
      },
      engine_outputs: { proposal_result: resultJson },
      hashes: { request_hash: result.lineage.request_hash, artifact_hash: '' },
      engine_version: result.lineage.engine_version ?? 'unknown',
    },
  };
  const json = toJson(artifact) as Record<string, Json>;
  const hashes = (json.evidence_bundle as Record<string, Record<string, Json>>).hashes!;
  hashes.artifact_hash = artifactHashOf(json);
  return json;
}
