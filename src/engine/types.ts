/**
 * The engine's result model (spec 10 §4). Decimals are `Dec` values here; `wire.ts` turns a
 * result into its JSON form (decimal text, 4-place weights).
 */
import type { Dec } from '../contracts/decimal.js';
import type { AppliedPolicyPack } from '../contracts/policy-pack.js';

export type RunStatus = 'READY' | 'PENDING_REVIEW' | 'BLOCKED';
export type Side = 'BUY' | 'SELL';

export interface Money {
  amount: Dec;
  currency: string;
}

export interface CashBalanceState {
  currency: string;
  amount: Dec;
  settled: Dec | null;
  pending: Dec | null;
}

export interface PositionSummary {
  instrument_id: string;
  quantity: Dec;
  instrument_currency: string;
  asset_class: string;
  price: Money | null;
  value_in_instrument_ccy: Money;
  value_in_base_ccy: Money;
  /** Unrounded; serialised at 4 places. */
  weight: Dec;
}

export interface AllocationMetric {
  key: string;
  /** Unrounded; serialised at 4 places. */
  weight: Dec;
  value: Money;
}

export interface SimulatedState {
  total_value: Money;
  cash_balances: CashBalanceState[];
  positions: PositionSummary[];
  allocation_by_asset_class: AllocationMetric[];
  allocation_by_instrument: AllocationMetric[];
  allocation: AllocationMetric[];
  allocation_by_attribute: Record<string, AllocationMetric[]>;
}

export type ExclusionReason =
  | 'SHELF_STATUS_BANNED'
  | 'SHELF_STATUS_SUSPENDED'
  | 'SHELF_STATUS_RESTRICTED'
  | 'SHELF_STATUS_SELL_ONLY'
  | 'LOCKED_DUE_TO_MISSING_SHELF'
  | 'LOCKED_DUE_TO_SUSPENDED'
  | 'LOCKED_DUE_TO_BANNED'
  | 'LOCKED_DUE_TO_RESTRICTED';

export interface Exclusion {
  instrument_id: string;
  reason_code: ExclusionReason;
  details: null;
}

export interface UniverseData {
  universe_id: string;
  eligible_for_buy: string[];
  eligible_for_sell: string[];
  excluded: Exclusion[];
  coverage: { price_coverage_pct: Dec; fx_coverage_pct: Dec };
}

export type TargetTag =
  'CAPPED_BY_MAX_WEIGHT' | 'REDISTRIBUTED_RECIPIENT' | 'IMPLICIT_SELL_TO_ZERO' | 'LOCKED_POSITION';

export interface TargetInstrument {
  instrument_id: string;
  model_weight: Dec;
  final_weight: Dec;
  final_value: Money;
  tags: TargetTag[];
}

export interface TargetData {
  target_id: string;
  strategy: Record<string, never>;
  targets: TargetInstrument[];
}

export interface Rationale {
  code: string;
  message: string;
}

export interface SecurityTradeIntent {
  intent_type: 'SECURITY_TRADE';
  intent_id: string;
  instrument_id: string;
  side: Side;
  quantity: Dec | null;
  notional: Money | null;
  notional_base: Money | null;
  dependencies: string[];
  rationale: Rationale | null;
  constraints_applied: string[];
  /** Board-lot / increment rounding (docs/decisions/0052); only when the shelf entry sets a step. */
  quantity_rounding?: QuantityRounding;
}

export type RoundingReason = 'ROUNDED_DOWN' | 'EXACT' | 'WHOLE_HOLDING' | 'CASH_LIMIT';

/** How a quantity was rounded to the instrument's tradable step. */
export interface QuantityRounding {
  /** The step quantities are multiples of: `lot_size`, else `quantity_increment`. */
  step: Dec;
  /** ROUNDED_DOWN, EXACT, WHOLE_HOLDING (odd-lot sale of the whole holding) or CASH_LIMIT. */
  reason: RoundingReason;
  /** Goal notional (|target − current|) − traded notional, instrument currency: left in cash (or held). */
  residual_notional: Money;
}

export interface FxSpotIntent {
  intent_type: 'FX_SPOT';
  intent_id: string;
  pair: string;
  buy_currency: string;
  buy_amount: Dec;
  sell_currency: string;
  sell_amount_estimated: Dec;
  dependencies: string[];
  rationale: Rationale | null;
}

export type Intent = SecurityTradeIntent | FxSpotIntent;

export type RuleSeverity = 'HARD' | 'SOFT' | 'INFO';

export interface RuleResult {
  rule_id: string;
  severity: RuleSeverity;
  status: 'PASS' | 'FAIL';
  measured: Dec;
  threshold: Record<string, Dec>;
  reason_code: string;
  remediation_hint: string | null;
}

export interface Reconciliation {
  before_total_value: Money;
  after_total_value: Money;
  delta: Money;
  tolerance: Money;
  status: 'OK' | 'MISMATCH';
}

export interface TaxImpact {
  total_realized_gain: Money;
  total_realized_loss: Money;
  budget_limit: Money | null;
  budget_used: Money | null;
}

export interface SuppressedIntent {
  instrument_id: string;
  reason: 'BELOW_MIN_NOTIONAL';
  intended_notional: Money;
  threshold: Money;
}

export interface DroppedIntent {
  instrument_id: string;
  reason: 'TURNOVER_LIMIT';
  potential_notional: Money;
  score: Dec;
}

export interface GroupConstraintEvent {
  constraint_key: string;
  group_weight_before: Dec;
  max_weight: Dec;
  released_weight: Dec;
  recipients: Record<string, Dec>;
  status: 'CAPPED' | 'BLOCKED';
}

export interface TaxBudgetEvent {
  instrument_id: string;
  requested_quantity: Dec;
  allowed_quantity: Dec;
  reason_code: 'TAX_BUDGET_LIMIT_REACHED';
}

export interface CashLadderPoint {
  date_offset: number;
  currency: string;
  projected_balance: Dec;
}

export interface CashLadderBreach extends CashLadderPoint {
  allowed_floor: Dec;
  reason_code: string;
}

export interface DataQuality {
  price_missing: string[];
  fx_missing: string[];
  shelf_missing: string[];
}

export interface Diagnostics {
  warnings: string[];
  suppressed_intents: SuppressedIntent[];
  dropped_intents: DroppedIntent[];
  group_constraint_events: GroupConstraintEvent[];
  tax_budget_constraint_events: TaxBudgetEvent[];
  cash_ladder: CashLadderPoint[];
  cash_ladder_breaches: CashLadderBreach[];
  missing_fx_pairs: string[];
  funding_plan: unknown[];
  insufficient_cash: unknown[];
  data_quality: DataQuality;
  /** DPM only (set by the pipeline, always last): how far the portfolio is from its targets. */
  drift_summary?: DriftSummary;
}

/** Portfolio drift against the Stage 3 targets (docs/decisions/0051). */
export interface DriftSummary {
  /** Largest |current weight − target weight| over the target rows; null when Stage 3 blocked. */
  max_abs_drift: Dec | null;
  /** Positions whose drift exceeds their band (band 0 when no band is set); null when Stage 3 blocked. */
  positions_outside_band: number | null;
  /** Every position and the cash weight inside their bands (no trade needed). */
  within_tolerance: boolean;
}

export type GateSeverity = 'LOW' | 'MEDIUM' | 'HIGH';

export interface GateReason {
  reason_code: string;
  severity: GateSeverity;
  source: 'RULE_ENGINE' | 'SUITABILITY' | 'DATA_QUALITY';
  details: Record<string, string>;
}

export interface GateDecision {
  gate: string;
  recommended_next_step: string;
  reasons: GateReason[];
  summary: {
    hard_fail_count: number;
    soft_fail_count: number;
    new_high_suitability_count: number;
    new_medium_suitability_count: number;
  };
}

export interface TargetMethodComparison {
  primary_method: string;
  primary_status: RunStatus;
  alternate_method: string;
  alternate_status: RunStatus;
  tolerance: string;
  differing_instruments: string[];
  alternate_warnings: string[];
}

export type Explanation =
  { summary: 'Blocked' } | { summary: RunStatus; target_method_comparison: TargetMethodComparison | null };

export interface Lineage {
  portfolio_snapshot_id: string;
  market_data_snapshot_id: string;
  request_hash: string;
  idempotency_key: string | null;
  engine_version: string | null;
  /** The policy pack the options came from (spec 40 §17, GAP G-B2); null when none was selected. */
  policy_pack: AppliedPolicyPack | null;
}

export interface RebalanceResult {
  rebalance_run_id: string;
  correlation_id: string;
  status: RunStatus;
  before: SimulatedState;
  universe: UniverseData;
  target: TargetData;
  intents: Intent[];
  after_simulated: SimulatedState;
  reconciliation: Reconciliation | null;
  tax_impact: TaxImpact | null;
  rule_results: RuleResult[];
  explanation: Explanation;
  diagnostics: Diagnostics;
  gate_decision: GateDecision | null;
  lineage: Lineage;
}

export function emptyDiagnostics(): Diagnostics {
  return {
    warnings: [],
    suppressed_intents: [],
    dropped_intents: [],
    group_constraint_events: [],
    tax_budget_constraint_events: [],
    cash_ladder: [],
    cash_ladder_breaches: [],
    missing_fx_pairs: [],
    funding_plan: [],
    insufficient_cash: [],
    data_quality: { price_missing: [], fx_missing: [], shelf_missing: [] },
  };
}
