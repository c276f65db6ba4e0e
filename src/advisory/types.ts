/** The advisory proposal result model (spec 20 §9). */
import type { Dec } from '../contracts/decimal.js';
import type {
  Diagnostics,
  FxSpotIntent,
  GateDecision,
  Reconciliation,
  RuleResult,
  RunStatus,
  SecurityTradeIntent,
  SimulatedState,
} from '../engine/types.js';
import type { DriftAnalysis } from './drift.js';
import type { SuitabilityResult } from './suitability.js';

export interface CashFlowIntent {
  intent_type: 'CASH_FLOW';
  intent_id: string;
  currency: string;
  amount: Dec;
  description: string | null;
}

export type ProposalIntent = CashFlowIntent | SecurityTradeIntent | FxSpotIntent;

export interface FundingPlanEntry {
  target_currency: string;
  required: Dec;
  available_before_fx: Dec;
  fx_needed: Dec;
  fx_pair: string | null;
  funding_currency: string | null;
}

export interface InsufficientCash {
  currency: string;
  deficit: Dec;
}

export interface ProposalDiagnostics extends Omit<Diagnostics, 'funding_plan' | 'insufficient_cash'> {
  funding_plan: FundingPlanEntry[];
  insufficient_cash: InsufficientCash[];
}

export interface ProposalResult {
  proposal_run_id: string;
  correlation_id: string;
  status: RunStatus;
  before: SimulatedState;
  intents: ProposalIntent[];
  after_simulated: SimulatedState;
  reconciliation: Reconciliation;
  rule_results: RuleResult[];
  explanation: { summary: RunStatus };
  diagnostics: ProposalDiagnostics;
  drift_analysis: DriftAnalysis | null;
  suitability: SuitabilityResult | null;
  gate_decision: GateDecision | null;
  lineage: {
    portfolio_snapshot_id: string;
    market_data_snapshot_id: string;
    request_hash: string;
    idempotency_key: string | null;
    engine_version: string;
  };
}
