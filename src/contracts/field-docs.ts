/**
 * Descriptions and examples of contract fields for the OpenAPI document, by field name. The
 * schemas declare structure and rules; this table says what each field means to a client. A
 * field keeps any description its schema already declares.
 */
type Doc = [description: string, example?: unknown];

export const FIELD_DOCS: Record<string, Doc> = {
  // Portfolio, market data, model, shelf (spec 10 §3)
  portfolio_snapshot: ['Holdings and cash of the portfolio at the snapshot time.'],
  snapshot_id: ['Identifier of the snapshot, echoed in batch `base_snapshot_ids`.', 'ps_2026_02_20'],
  portfolio_id: ['Portfolio identifier; becomes `lineage.portfolio_snapshot_id`.', 'pf_demo_support_27'],
  base_currency: ['Valuation and reporting currency (ISO code).', 'SGD'],
  positions: ['Security holdings; order is kept in every output.'],
  instrument_id: ['Instrument identifier, matched exactly against prices and the shelf.', 'EQ_1'],
  quantity: ['Units (decimal; negative for a short holding).', '100'],
  market_value: [
    'Snapshot market value; used as the value only with `valuation_mode` TRUST_SNAPSHOT.',
    { amount: '10000', currency: 'USD' },
  ],
  amount: ['Decimal amount as a string (exact) or a number.', '1000.00'],
  currency: ['ISO currency code.', 'USD'],
  lots: ['Tax lots of the position; their quantities must add up to the position quantity (±0.0001).'],
  lot_id: ['Tax lot identifier.', 'LOT_2021_03'],
  unit_cost: ['Cost per unit of the lot.', { amount: '85.20', currency: 'USD' }],
  purchase_date: ['Purchase date as text (compared as text for HIFO ties).', '2021-03-01'],
  cash_balances: ['Cash per currency.'],
  settled: ['Settled part of the balance (settlement ladder day 0).', '1000'],
  pending: ['Pending amount (informational).', '0'],
  market_data_snapshot: ['Prices and FX rates used for valuation and sizing.'],
  prices: ['One row per instrument; the first row for an instrument wins.'],
  price: ['Price per unit in `currency`.', '100.0'],
  fx_rates: [
    'FX rates; the first row for a pair wins, inverse pairs are used when the direct one is missing.',
  ],
  pair: ['Currency pair "FROM/TO": one unit of FROM is worth `rate` units of TO.', 'USD/SGD'],
  rate: ['Units of the quote currency per unit of the base currency of the pair.', '1.35'],
  model_portfolio: ['Target weights of the model.'],
  targets: ['Model targets in model order.'],
  weight: ['Target weight (decimal fraction of total value).', '0.50'],
  shelf_entries: ['Product shelf: status and attributes of each instrument.'],
  status: ['Status (see the enum).', 'APPROVED'],
  asset_class: ['Asset class used by allocations and drift.', 'EQUITY'],
  issuer_id: ['Issuer, for advisory issuer concentration.', 'ISS_US_EQ'],
  liquidity_tier: ['Liquidity tier L1 (most liquid) to L5.', 'L2'],
  settlement_days: ['Settlement lag in days (0–10) for the settlement ladder.', 2],
  min_notional: [
    'Minimum trade notional for this instrument (dust threshold).',
    { amount: '500', currency: 'USD' },
  ],
  attributes: [
    'Free attributes used by group constraints and `allocation_by_attribute`.',
    { sector: 'TECH' },
  ],
  // EngineOptions (spec 10 §3.7)
  options: ['Engine options; every omitted field takes its default.', {}],
  valuation_mode: [
    'CALCULATED values positions at quantity × price; TRUST_SNAPSHOT uses `market_value` when given.',
    'CALCULATED',
  ],
  target_method: ['HEURISTIC redistribution or SOLVER (closest feasible point to the model).', 'HEURISTIC'],
  compare_target_methods: ['Also run the other target method and report the differences.', false],
  compare_target_methods_tolerance: [
    'Weight difference above which instruments are reported as differing.',
    '0.0001',
  ],
  cash_band_min_weight: ['Lowest acceptable cash weight after trading (CASH_BAND rule).', '0.00'],
  cash_band_max_weight: ['Highest acceptable cash weight after trading (CASH_BAND rule).', '1.00'],
  single_position_max_weight: ['Largest weight of any single instrument; null for no cap.', '0.10'],
  min_trade_notional: [
    'Minimum trade notional for every instrument (overrides the shelf).',
    { amount: '2000', currency: 'SGD' },
  ],
  allow_restricted: ['Allow buying RESTRICTED model targets.', false],
  suppress_dust_trades: ['Drop trades below the minimum notional.', true],
  dust_trade_threshold: ['Accepted for compatibility; not used.', null],
  fx_buffer_pct: ['Extra fraction of foreign currency bought when funding buys.', '0.01'],
  block_on_missing_prices: ['BLOCK the run when a price is missing.', true],
  block_on_missing_fx: ['BLOCK the run when an FX rate is missing.', true],
  min_cash_buffer_pct: ['Heuristic: keep at least this fraction of value in cash.', '0.0'],
  max_turnover_pct: ['Largest gross turnover as a fraction of value (0–1); null for no cap.', '0.15'],
  enable_tax_awareness: ['Sell tax lots highest-cost first within the realised-gains budget.', false],
  max_realized_capital_gains: ['Realised-gains budget in the base currency; null for no limit.', '100'],
  enable_settlement_awareness: ['Project cash per currency and day and block on overdrafts.', false],
  enable_proposal_simulation: ['Must be true for the advisory proposal endpoints.', true],
  enable_workflow_gates: ['Compute `gate_decision`.', true],
  workflow_requires_client_consent: ['A clean run still needs client consent.', false],
  client_consent_already_obtained: ['Client consent is on file.', false],
  proposal_apply_cash_flows_first: ['Accepted; cash flows always apply first.', true],
  proposal_block_negative_cash: ['Block a proposal whose cash flow makes a balance negative.', true],
  link_buy_to_same_currency_sell_dependency: [
    'Make buys depend on the last sell in their currency (DPM default true, advisory false).',
    null,
  ],
  enable_drift_analytics: ['Advisory: drift against `reference_model`.', true],
  enable_suitability_scanner: ['Advisory: suitability scan before and after.', true],
  suitability_thresholds: ['Advisory suitability caps and bands.', { single_position_max_weight: '0.10' }],
  issuer_max_weight: ['Largest weight of one issuer.', '0.20'],
  max_weight_by_liquidity_tier: ['Largest weight per liquidity tier.', { L4: '0.10', L5: '0.05' }],
  data_quality_issue_severity: ['Severity of missing-enrichment issues.', 'MEDIUM'],
  enable_instrument_drift: ['Advisory: instrument-level drift when the model has instrument targets.', true],
  drift_top_contributors_limit: ['How many contributors, highlights and changes to list (1–20).', 5],
  drift_unmodeled_exposure_threshold: ['Weight from which an unmodeled holding is highlighted.', '0.01'],
  auto_funding: ['Advisory: generate FX to fund foreign buys.', true],
  funding_mode: ['Advisory funding mode (only AUTO_FX).', 'AUTO_FX'],
  fx_funding_source_currency: [
    'BASE_ONLY funds from the base currency; ANY_CASH may use other cash.',
    'ANY_CASH',
  ],
  fx_generation_policy: ['Advisory FX policy (only ONE_FX_PER_CCY).', 'ONE_FX_PER_CCY'],
  settlement_horizon_days: ['Days projected by the settlement ladder (0–10).', 5],
  fx_settlement_days: ['Settlement lag of FX trades (0–10).', 2],
  max_overdraft_by_ccy: ['Overdraft facility per currency (non-negative).', { USD: '1000' }],
  group_constraints: [
    'Caps per attribute group, keyed "attribute:value".',
    { 'sector:TECH': { max_weight: '0.25' } },
  ],
  max_weight: ['Largest weight of the group (0–1).', '0.25'],
  drift_band_abs: [
    'Tolerance band as an absolute weight (0–1): a position within it of its target is not traded; null or absent for none.',
    '0.02',
  ],
  drift_band_rel: [
    'Tolerance band as a fraction (0–1) of the target weight; with drift_band_abs the larger band applies.',
    '0.25',
  ],
  drift_band_rebalance_to: [
    'Where a position outside its band trades to: TARGET (default) or BAND_EDGE (the nearer edge of its band).',
    'TARGET',
  ],
  lot_size: [
    'Board lot: traded quantities are multiples of it (buys and sells round down; selling the whole holding is always allowed).',
    '100',
  ],
  quantity_increment: [
    'Smallest quantity step when no lot_size is given, e.g. 0.001 for fund units (default: whole units).',
    '0.001',
  ],
  // Batch and advisory requests
  scenarios: [
    'Named scenarios (1–20, names [a-z0-9_-]{1,64}), each with its own options.',
    { baseline: { options: {} } },
  ],
  description: ['Free text.', 'Baseline'],
  proposed_cash_flows: ['Advisor cash flows, applied first in input order.'],
  proposed_trades: ['Advisor trades: exactly one of quantity or notional each.'],
  intent_type: ['Kind of intent.', 'SECURITY_TRADE'],
  side: ['BUY or SELL.', 'BUY'],
  notional: [
    'Trade size as money in the instrument currency (instead of quantity).',
    { amount: '2400', currency: 'USD' },
  ],
  reference_model: ['Inline model for drift analytics.'],
  model_id: ['Reference model identifier.', 'MODEL_BALANCED_SG'],
  as_of: ['Reference model date.', '2026-02-20'],
  asset_class_targets: ['Target weight per asset class.', [{ asset_class: 'EQUITY', weight: '0.60' }]],
  instrument_targets: ['Target weight per instrument.', [{ instrument_id: 'EQ_1', weight: '0.30' }]],
  // DPM policy packs (spec 40 Part B)
  replay_enabled: [
    'Overrides DPM_IDEMPOTENCY_REPLAY_ENABLED for POST /rebalance/simulate; null keeps the environment value.',
    false,
  ],
  // Service responses
  items: ['The page.'],
  next_cursor: ['Pass as `cursor` for the next page; null on the last page.', 'rr_1e8f3c1c2a9b4d6e'],
  rebalance_run_id: ['Run identifier.', 'rr_1e8f3c1c2a9b4d6e'],
  correlation_id: ['Correlation identifier.', 'demo-corr-27-supportability'],
  request_hash: [
    'Canonical request hash.',
    'sha256:829d64b707572692658c17262262d0fd6a5a1ae5b83870332a9eadf942a7f43e',
  ],
  idempotency_key: ['Idempotency key of the call that created the run.', 'demo-27-supportability'],
  created_at: ['When it was created (UTC, ISO-8601).', '2026-02-20T12:00:00.123000+00:00'],
  result: ['The full result document.'],
  history: ['Runs recorded under the key, oldest first.'],
  entity_id: ['The entity whose lineage is shown.', 'rr_1e8f3c1c2a9b4d6e'],
  edges: ['Lineage edges, oldest first.'],
  run_id: ['Run identifier.', 'rr_1e8f3c1c2a9b4d6e'],
  run_status: ['Status of the run.', 'PENDING_REVIEW'],
  workflow_status: ['Review state.', 'PENDING_REVIEW'],
  requires_review: ['Whether the run needs review.', true],
  latest_decision: ['Most recent decision, or null.'],
  action: ['Review action.', 'APPROVE'],
  decisions: ['Decisions, oldest first.'],
  operation_id: ['Async operation identifier.', 'dop_ba89b3cb7d0b'],
  operation_type: ['Kind of operation.', 'ANALYZE_SCENARIOS'],
  status_url: ['Where to poll the operation.', '/rebalance/operations/dop_ba89b3cb7d0b'],
  execute_url: ['Where to execute a pending operation.', '/rebalance/operations/dop_ba89b3cb7d0b/execute'],
  is_executable: ['Whether a manual execute would run it now.', false],
  started_at: ['When execution started, or null.', '2026-02-20T12:00:01+00:00'],
  finished_at: ['When execution finished, or null.', '2026-02-20T12:00:02+00:00'],
  error: ['Why the operation failed, or null.'],
  code: ['Machine-readable code.', 'Error'],
  message: ['Human-readable text.', 'The analysis failed.'],
  details: ['Context of the item.'],
  coverage: ['Price and FX coverage flags.'],
  summary: ['Summary.'],
  base_snapshot_ids: ['Snapshot ids the batch ran on.'],
  detail: ['Error code, or the list of field errors.', 'DPM_RUN_NOT_FOUND'],
  // Saved scenarios (spec 50): examples for fields whose schemas transform their input
  horizon_days: ['Days to project.', 30],
  version: ['Version number.', 2],
  created_after: ['Exclusive lower time bound.', '2026-02-20T00:00:00+00:00'],
  created_before: ['Exclusive upper time bound.', '2026-02-21T00:00:00+00:00'],
  asof_from: ['Inclusive lower as-of date.', '2026-02-20'],
  asof_to: ['Inclusive upper as-of date.', '2026-02-28'],
  // Query parameters
  limit: ['Page size, 1–200.', 50],
  cursor: ['`next_cursor` of the previous page.', 'rr_1e8f3c1c2a9b4d6e'],
  from: ['Inclusive lower time bound; ISO-8601, UTC when no offset is given.', '2026-02-20T00:00:00+00:00'],
  to: ['Inclusive upper time bound; ISO-8601, UTC when no offset is given.', '2026-02-21T00:00:00+00:00'],
  include_artifact: ['Include the run artifact.', true],
  include_async_operation: ['Include the async operation that produced the run.', true],
  include_idempotency_history: ['Include the idempotency history of the run’s key.', true],
  net: ['Net buys and sells per instrument (book blocks; default gross, per side).', true],
  // Advisory proposal lifecycle (spec 40 Part A)
  approved: ['true approves (or records consent); false rejects.', true],
  related_version_no: ['The proposal version the action refers to.', 1],
  version_no: ['Proposal version number, from 1.', 1],
  include_evidence: ['Include the version’s evidence bundle.', true],
  created_from: [
    'Inclusive lower bound on created_at; ISO-8601, UTC when no offset is given.',
    '2026-02-19T00:00:00+00:00',
  ],
  created_to: [
    'Inclusive upper bound on created_at; ISO-8601, UTC when no offset is given.',
    '2026-02-20T00:00:00+00:00',
  ],
};

/** Fill in descriptions and examples from FIELD_DOCS wherever a property lacks them. */
export function documentSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(documentSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const node = { ...(schema as Record<string, unknown>) };
  for (const key of ['items', 'additionalProperties', 'not'])
    if (node[key]) node[key] = documentSchema(node[key]);
  for (const key of ['anyOf', 'oneOf', 'allOf', 'prefixItems'])
    if (Array.isArray(node[key])) node[key] = documentSchema(node[key]);
  if (node.properties && typeof node.properties === 'object') {
    const props: Record<string, unknown> = {};
    for (const [name, raw] of Object.entries(node.properties as Record<string, unknown>)) {
      const prop = documentSchema(raw) as Record<string, unknown>;
      const doc = FIELD_DOCS[name];
      if (doc) {
        if (prop.description === undefined) prop.description = doc[0];
        if (prop.examples === undefined && doc.length > 1) prop.examples = [doc[1]];
      }
      props[name] = prop;
    }
    node.properties = props;
  }
  return node;
}
