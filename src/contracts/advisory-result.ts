/**
 * Wire form of the advisory proposal result and the proposal artifact (spec 20 §9, §12) for the
 * OpenAPI document: decimals are JSON strings holding the decimal's own text.
 */
import { z } from 'zod';
import {
  diagnosticsSchema,
  fxSpotSchema,
  gateDecisionSchema,
  rationaleSchema,
  reconciliationSchema,
  ruleResultSchema,
  runStatusSchema,
  securityTradeSchema,
  simulatedStateSchema,
} from './dpm-result.js';
import { proposalRequestSchema } from './advisory-request.js';

const s = (description: string, example: string) => z.string().meta({ description, examples: [example] });
const d = s;
const int = (description: string, example: number) =>
  z
    .number()
    .int()
    .meta({ description, examples: [example] });
const bool = (description: string, example: boolean) =>
  z.boolean().meta({ description, examples: [example] });
const list = <T extends z.ZodType>(item: T, description: string) => z.array(item).meta({ description });
const money = (description: string, example = '1000.00') =>
  z
    .object({ amount: d('Decimal amount.', example), currency: s('ISO currency code.', 'USD') })
    .meta({ description });

const cashFlowIntent = z
  .object({
    intent_type: z.literal('CASH_FLOW').meta({ description: 'Discriminator.', examples: ['CASH_FLOW'] }),
    intent_id: s('Intent id, oi_cf_N.', 'oi_cf_1'),
    currency: s('Currency of the flow.', 'USD'),
    amount: d('Signed amount: deposits positive, withdrawals negative.', '2000.00'),
    description: s('Advisor text.', 'Client top-up').nullable(),
  })
  .meta({ id: 'CashFlowIntent', description: 'A cash flow proposed by the advisor.' });

const fundingPlanEntry = z
  .object({
    target_currency: s('Currency a buy needs.', 'USD'),
    required: d('Amount needed.', '5000.00'),
    available_before_fx: d('Cash available before FX.', '1000.00'),
    fx_needed: d('Shortfall to buy with FX.', '4000.00'),
    fx_pair: s('Pair used, when funded.', 'USD/SGD').nullable(),
    funding_currency: s('Currency sold to fund it, when funded.', 'SGD').nullable(),
  })
  .meta({ id: 'FundingPlanEntry', description: 'How one currency’s buys are funded.' });

const driftRow = z
  .object({
    bucket: s('Asset class or instrument.', 'EQUITY'),
    model_weight: d('Reference model weight.', '0.60'),
    portfolio_weight_before: d('Weight before.', '0.55'),
    portfolio_weight_after: d('Weight after.', '0.59'),
    drift_before: d('Before − model.', '-0.05'),
    drift_after: d('After − model.', '-0.01'),
    abs_drift_before: d('|drift before|.', '0.05'),
    abs_drift_after: d('|drift after|.', '0.01'),
    improvement: d('abs before − abs after.', '0.04'),
  })
  .meta({ id: 'DriftRow', description: 'Drift of one bucket.' });

const driftDimension = z
  .object({
    drift_total_before: d('Half the sum of |drift| before.', '0.05'),
    drift_total_after: d('Half the sum of |drift| after.', '0.01'),
    drift_total_delta: d('After − before.', '-0.04'),
    top_contributors_before: list(driftRow, 'Largest drifts before, capped by drift_top_contributors_limit.'),
    buckets: list(driftRow, 'Every bucket.'),
  })
  .meta({ id: 'DriftDimension', description: 'Drift along one dimension.' });

const driftAnalysis = z
  .object({
    reference_model: z
      .object({
        model_id: s('Reference model id.', 'mdl_balanced'),
        as_of: s('As given in the request.', '2026-02-20'),
        base_currency: s('Base currency.', 'USD'),
      })
      .meta({ description: 'The reference model echoed.' }),
    asset_class: driftDimension,
    instrument: driftDimension.nullable(),
    highlights: z
      .object({
        largest_improvements: list(
          z.object({ bucket: s('Bucket.', 'EQUITY'), improvement: d('Improvement.', '0.04') }),
          'Buckets that improved most.',
        ),
        largest_deteriorations: list(
          z.object({ bucket: s('Bucket.', 'BOND'), improvement: d('Improvement (negative).', '-0.02') }),
          'Buckets that got worse.',
        ),
        unmodeled_exposures: list(
          z.object({ bucket: s('Bucket.', 'EQ_X'), portfolio_weight_after: d('Weight after.', '0.03') }),
          'Holdings outside the model above the threshold.',
        ),
      })
      .meta({ description: 'The notable changes.' }),
  })
  .meta({ id: 'DriftAnalysis', description: 'Drift against the inline reference model.' });

const suitabilityIssue = z
  .object({
    issue_id: s('Issue id.', 'SUIT_1'),
    issue_key: s('Stable key for before/after matching.', 'SINGLE_POSITION_MAX:EQ_1'),
    dimension: s('What is checked.', 'CONCENTRATION'),
    severity: z.enum(['LOW', 'MEDIUM', 'HIGH']).meta({ description: 'Severity.', examples: ['HIGH'] }),
    status_change: z
      .enum(['NEW', 'RESOLVED', 'PERSISTENT'])
      .meta({ description: 'Compared with before.', examples: ['NEW'] }),
    summary: s('Human text.', 'Single position above 10%'),
    details: z
      .record(z.string(), z.string())
      .meta({ description: 'Context, in the spec’s order.', examples: [{ instrument_id: 'EQ_1' }] }),
    evidence: z
      .object({
        as_of: s('Market-data snapshot id or "md".', 'md'),
        snapshot_ids: z
          .object({
            portfolio_snapshot_id: s('Portfolio snapshot.', 'pf_1'),
            market_data_snapshot_id: s('Market-data snapshot.', 'md'),
          })
          .meta({ description: 'Snapshots the finding rests on.' }),
      })
      .meta({ description: 'Where the numbers came from.' }),
  })
  .meta({ id: 'SuitabilityIssue', description: 'One suitability finding.' });

const suitability = z
  .object({
    summary: z
      .object({
        new_count: int('New issues.', 1),
        resolved_count: int('Resolved issues.', 0),
        persistent_count: int('Persistent issues.', 0),
        highest_severity_new: s('Highest severity among new issues.', 'HIGH').nullable(),
      })
      .meta({ description: 'Counts.' }),
    issues: list(suitabilityIssue, 'Findings.'),
    recommended_gate: s('Gate the scanner recommends.', 'COMPLIANCE_REVIEW'),
  })
  .meta({ id: 'SuitabilityResult', description: 'The suitability scan of before and after.' });

export const proposalResultSchema = z
  .object({
    proposal_run_id: s('Proposal run id.', 'pr_1e8f3c1c'),
    correlation_id: s('Correlation id (generated when absent).', 'corr_1a2b3c4d5e6f'),
    status: runStatusSchema,
    before: simulatedStateSchema,
    intents: list(
      z.discriminatedUnion('intent_type', [cashFlowIntent, securityTradeSchema, fxSpotSchema]),
      'Cash flows, then sells, FX and buys.',
    ),
    after_simulated: simulatedStateSchema,
    reconciliation: reconciliationSchema.nullable(),
    rule_results: list(ruleResultSchema, 'Post-trade rules.'),
    explanation: z.object({ summary: s('Final status.', 'READY') }).meta({ description: 'Summary.' }),
    diagnostics: diagnosticsSchema
      .extend({
        funding_plan: list(fundingPlanEntry, 'How foreign buys are funded.'),
        insufficient_cash: list(
          z.object({ currency: s('Currency.', 'USD'), deficit: d('Shortfall.', '120.00') }),
          'Currencies that end negative.',
        ),
      })
      .meta({
        id: 'ProposalDiagnostics',
        description: 'Everything the proposal run noticed, with its funding plan.',
      }),
    drift_analysis: driftAnalysis.nullable(),
    suitability: suitability.nullable(),
    gate_decision: gateDecisionSchema.nullable(),
    lineage: z
      .object({
        portfolio_snapshot_id: s('Portfolio snapshot id or portfolio id.', 'pf_1'),
        market_data_snapshot_id: s('Market-data snapshot id or "md".', 'md'),
        request_hash: s('Canonical request hash.', 'sha256:…'),
        idempotency_key: s('Idempotency-Key of the call.', 'demo-proposal-01').nullable(),
        engine_version: s('Engine version.', '0.1.0'),
      })
      .meta({ description: 'Where the proposal came from.' }),
  })
  .meta({ id: 'ProposalResult', description: 'An advisory proposal result.' });

const allocationView = z
  .object({
    total_value: money('Total value in base.'),
    allocation_by_asset_class: list(
      z.object({ key: s('Asset class.', 'EQUITY'), weight: d('Weight.', '0.6000'), value: money('Value.') }),
      'By asset class.',
    ),
    allocation_by_instrument: list(
      z.object({ key: s('Instrument.', 'EQ_1'), weight: d('Weight.', '0.6000'), value: money('Value.') }),
      'By instrument.',
    ),
  })
  .meta({ id: 'AllocationView', description: 'Value and allocation of one state.' });

const note = z.object({ code: s('Note code.', 'DEPENDENCY'), text: s('Note text.', 'FX settles first.') });
const included = (description: string) =>
  z
    .object({ included: bool('Whether it is included.', false), notes: s('Why or how.', 'Not modelled.') })
    .meta({ description });

export const proposalArtifactSchema = z
  .object({
    artifact_id: s('Artifact id.', 'pa_1e8f3c1c'),
    proposal_run_id: s('Proposal run id.', 'pr_1e8f3c1c'),
    correlation_id: s('Correlation id.', 'corr_1a2b3c4d5e6f'),
    created_at: s('When the artifact was built.', '2026-02-20T12:00:00+00:00'),
    status: runStatusSchema,
    gate_decision: gateDecisionSchema.nullable(),
    summary: z
      .object({
        title: s('Title.', 'Portfolio proposal'),
        objective_tags: list(s('Tag.', 'CASH_DEPLOYMENT'), 'Objectives.'),
        advisor_notes: list(note, 'Advisor notes.'),
        recommended_next_step: s('Next step.', 'EXECUTE'),
        key_takeaways: list(
          z.object({ code: s('Takeaway code.', 'STATUS'), value: s('Value.', 'READY') }),
          'Key takeaways.',
        ),
      })
      .meta({ description: 'The headline.' }),
    portfolio_impact: z
      .object({
        before: allocationView,
        after: allocationView,
        delta: z
          .object({
            total_value_delta: money('After − before.', '0'),
            largest_weight_changes: list(
              z.object({
                bucket_type: s('ASSET_CLASS or INSTRUMENT.', 'INSTRUMENT'),
                bucket_id: s('Bucket.', 'EQ_1'),
                weight_before: d('Before.', '0.10'),
                weight_after: d('After.', '0.15'),
                delta: d('After − before.', '0.05'),
              }),
              'Largest weight changes.',
            ),
          })
          .meta({ description: 'What changed.' }),
        reconciliation: reconciliationSchema.nullable(),
      })
      .meta({ description: 'Before, after and the difference.' }),
    trades_and_funding: z
      .object({
        trade_list: list(
          z.object({
            intent_id: s('Intent.', 'oi_1'),
            type: s('SECURITY_TRADE.', 'SECURITY_TRADE'),
            instrument_id: s('Instrument.', 'EQ_1'),
            side: s('BUY or SELL.', 'BUY'),
            quantity: d('Units.', '10'),
            estimated_notional: money('Notional in the instrument currency.').nullable(),
            estimated_notional_base: money('Notional in base.').nullable(),
            dependencies: list(s('Intent id.', 'oi_fx_1'), 'Intents that must execute first.'),
            rationale: rationaleSchema,
          }),
          'Security trades.',
        ),
        fx_list: list(
          z.object({
            intent_id: s('Intent.', 'oi_fx_1'),
            pair: s('Pair.', 'USD/SGD'),
            buy_amount: d('Bought.', '100.00'),
            sell_amount_estimated: d('Sold (estimate).', '135.00'),
            rate: d('Rate of the exact pair, when quoted.', '1.35').nullable(),
          }),
          'FX spots.',
        ),
        ordering_policy: s('Execution order.', 'CASH_FLOWS_SELLS_FX_BUYS'),
        execution_notes: list(note, 'Execution notes.'),
      })
      .meta({ description: 'What to execute, in order.' }),
    suitability_summary: z
      .object({
        status: s('Overall suitability status.', 'NO_NEW_ISSUES'),
        new_issues: int('New issues.', 0),
        resolved_issues: int('Resolved issues.', 0),
        persistent_issues: int('Persistent issues.', 0),
        highest_severity_new: s('Highest new severity.', 'HIGH').nullable(),
        highlights: list(s('Highlight.', 'New issuer concentration'), 'Highlights.'),
        issues: list(suitabilityIssue, 'Findings.'),
      })
      .meta({ description: 'Suitability in brief.' }),
    assumptions_and_limits: z
      .object({
        pricing: z
          .object({
            market_data_snapshot_id: s('Market-data snapshot.', 'md'),
            prices_as_of: s('Snapshot id of prices.', 'md'),
            fx_as_of: s('Snapshot id of FX.', 'md'),
            valuation_mode: s('Valuation mode.', 'CALCULATED'),
          })
          .meta({ description: 'Pricing basis.' }),
        costs_and_fees: included('Costs and fees.'),
        tax: included('Tax.'),
        execution: included('Execution.'),
      })
      .meta({ description: 'What the numbers assume.' }),
    disclosures: z
      .object({
        risk_disclaimer: s('Risk disclaimer.', 'Investments can lose value.'),
        product_docs: list(
          z.object({
            instrument_id: s('Instrument.', 'EQ_1'),
            doc_ref: s('Document reference.', 'KID-EQ_1'),
          }),
          'Product documents.',
        ),
      })
      .meta({ description: 'Disclosures.' }),
    evidence_bundle: z
      .object({
        inputs: proposalRequestSchema,
        engine_outputs: z
          .object({ proposal_result: proposalResultSchema })
          .meta({ description: 'The simulation the artifact packages.' }),
        hashes: z
          .object({
            request_hash: s('Canonical request hash.', 'sha256:…'),
            artifact_hash: s('Hash of the artifact without created_at and artifact_hash.', 'sha256:…'),
          })
          .meta({ description: 'Verifiable hashes.' }),
        engine_version: s('Engine version.', '0.1.0'),
      })
      .meta({ description: 'Everything needed to verify the artifact.' }),
  })
  .meta({ id: 'ProposalArtifact', description: 'A client-ready proposal artifact.' });
