/**
 * Wire form of the DPM results (spec 10 §4, spec 11 §13) for the OpenAPI document: decimals are
 * JSON strings holding the decimal's own text; position and allocation weights carry 4 places.
 */
import { z } from 'zod';
import { CATALOG_SOURCES } from './policy-pack.js';

const d = (description: string, example: string) => z.string().meta({ description, examples: [example] });
const s = (description: string, example: string) => z.string().meta({ description, examples: [example] });
const list = <T extends z.ZodType>(item: T, description: string) => z.array(item).meta({ description });
const int = (description: string, example: number) =>
  z
    .number()
    .int()
    .meta({ description, examples: [example] });

const money = (description: string, example = '1000.00') =>
  z
    .object({ amount: d('Decimal amount.', example), currency: s('ISO currency code.', 'USD') })
    .meta({ description });

export const runStatusSchema = z.enum(['READY', 'PENDING_REVIEW', 'BLOCKED']).meta({
  description: 'READY: execute; PENDING_REVIEW: human review; BLOCKED: fix the input.',
  examples: ['READY'],
});

const allocation = z
  .object({
    key: s('Asset class, instrument id or attribute value.', 'EQUITY'),
    weight: d('Weight of the total, 4 decimal places.', '0.6000'),
    value: money('Value in the base currency.', '6000.00'),
  })
  .meta({ description: 'One allocation bucket.' });

/** The policy pack a run was computed under (spec 40 §17, GAP G-B2). */
export const appliedPolicyPackSchema = z
  .object({
    policy_pack_id: s('The selected pack id.', 'dpm_standard_v1'),
    version: s(
      'Version of the applied definition; null when the id is not in the catalog.',
      '2026.02',
    ).nullable(),
    source: z.enum(['REQUEST', 'TENANT_DEFAULT', 'GLOBAL_DEFAULT']).meta({
      description: 'How it was selected: X-Policy-Pack-Id, the tenant default or DPM_DEFAULT_POLICY_PACK_ID.',
      examples: ['REQUEST'],
    }),
    catalog_source: z
      .enum(CATALOG_SOURCES)
      .nullable()
      .meta({
        description:
          'STORED (the tenant’s catalog) or ENV_JSON (DPM_POLICY_PACK_CATALOG_JSON); null when not found.',
        examples: ['STORED'],
      }),
    definition_hash: s(
      'sha256 of the canonical JSON of the applied definition; null when not found.',
      'sha256:5f0c6a9e1d2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5',
    ).nullable(),
    applied: z.boolean().meta({
      description:
        'False when the selected id is not in the catalog: the run used its own options (GAP G-B1).',
      examples: [true],
    }),
  })
  .nullable()
  .meta({ description: 'The policy pack behind the options; null when no pack was selected.' });

export const simulatedStateSchema = z
  .object({
    total_value: money('Total value in the base currency.', '10000.00'),
    cash_balances: list(
      z.object({
        currency: s('Currency.', 'USD'),
        amount: d('Balance.', '2000'),
        settled: d('Settled balance, when given.', '2000').nullable(),
        pending: d('Pending amount, when given.', '0').nullable(),
      }),
      'Cash per currency, input order.',
    ),
    positions: list(
      z.object({
        instrument_id: s('Instrument.', 'EQ_1'),
        quantity: d('Units held.', '80'),
        instrument_currency: s('Currency the instrument is valued in.', 'USD'),
        asset_class: s('Shelf asset class, UNKNOWN without a shelf entry.', 'EQUITY'),
        price: money('Price used, or null without a price row.', '100').nullable(),
        value_in_instrument_ccy: money('Value in the instrument currency.', '8000'),
        value_in_base_ccy: money('Value in the base currency.', '8000.0'),
        weight: d('Weight of the total, 4 decimal places.', '0.8000'),
      }),
      'One summary per position, input order.',
    ),
    allocation_by_asset_class: list(allocation, 'By asset class, CASH last.'),
    allocation_by_instrument: list(allocation, 'By instrument, one per position.'),
    allocation: list(allocation, 'Same as allocation_by_instrument (legacy name).'),
    allocation_by_attribute: z
      .record(z.string(), z.array(allocation))
      .meta({ description: 'Per shelf attribute key, buckets by attribute value.' }),
  })
  .meta({ id: 'SimulatedState', description: 'A valued portfolio state.' });

export const rationaleSchema = z
  .object({
    code: s('DRIFT_REBALANCE, FUNDING or SWEEP.', 'DRIFT_REBALANCE'),
    message: s('Short text.', 'Align'),
  })
  .nullable()
  .meta({ description: 'Why the intent exists.' });

export const securityTradeSchema = z
  .object({
    intent_type: z
      .literal('SECURITY_TRADE')
      .meta({ description: 'Discriminator.', examples: ['SECURITY_TRADE'] }),
    intent_id: s('Intent id, oi_N in generation order.', 'oi_1'),
    instrument_id: s('Instrument to trade.', 'EQ_1'),
    side: z.enum(['BUY', 'SELL']).meta({ description: 'Direction.', examples: ['BUY'] }),
    quantity: d(
      'Whole units; multiples of the shelf lot_size or quantity_increment when given (a whole odd-lot holding may be sold); fractional for tax-limited sells.',
      '37',
    ).nullable(),
    notional: money('Quantity × price in the instrument currency.', '3700.0').nullable(),
    notional_base: money('Notional in the base currency.', '4995.000').nullable(),
    dependencies: list(s('Intent id.', 'oi_fx_2'), 'Intents that must execute first.'),
    rationale: rationaleSchema,
    constraints_applied: list(
      s('MIN_NOTIONAL, TAX_BUDGET, LOT_SIZE, QUANTITY_INCREMENT or CASH_LIMIT.', 'MIN_NOTIONAL'),
      'Controls that shaped the intent.',
    ),
    quantity_rounding: z
      .object({
        requested_quantity: d(
          'Unrounded quantity toward the goal (after the tax budget for sells).',
          '437.5',
        ),
        step: d('The multiple quantities are rounded to: lot_size, else quantity_increment.', '100'),
        reason: z.enum(['ROUNDED_DOWN', 'EXACT', 'WHOLE_HOLDING', 'CASH_LIMIT']).meta({
          description:
            'ROUNDED_DOWN to a multiple; EXACT already one; WHOLE_HOLDING sells the whole (odd-lot) holding; CASH_LIMIT cut so buys stay within cash.',
          examples: ['ROUNDED_DOWN'],
        }),
        residual_notional: money(
          'Goal notional |target − current| minus the traded notional, instrument currency: what stays in cash (or in the position).',
          '37.5',
        ),
      })
      .optional()
      .meta({
        description:
          'Present only when the shelf entry sets lot_size or quantity_increment (or a buy was cut to fit cash).',
      }),
  })
  .meta({ id: 'SecurityTradeIntent', description: 'A security trade.' });

export const fxSpotSchema = z
  .object({
    intent_type: z.literal('FX_SPOT').meta({ description: 'Discriminator.', examples: ['FX_SPOT'] }),
    intent_id: s('Intent id, oi_fx_N.', 'oi_fx_2'),
    pair: s('FOREIGN/BASE.', 'USD/SGD'),
    buy_currency: s('Currency bought.', 'USD'),
    buy_amount: d('Amount bought.', '3737.000'),
    sell_currency: s('Currency sold.', 'SGD'),
    sell_amount_estimated: d('Estimated amount sold.', '5044.95000'),
    dependencies: list(s('Intent id.', 'oi_1'), 'Always empty for FX.'),
    rationale: rationaleSchema,
  })
  .meta({
    id: 'FxSpotIntent',
    description: 'An FX spot funding a foreign buy or sweeping foreign cash to base.',
  });

export const ruleResultSchema = z
  .object({
    rule_id: s(
      'Rule: CASH_BAND, SINGLE_POSITION_MAX, LOCKED_POSITION_ABOVE_CAP, LOCKED_GROUP_ABOVE_CAP, DATA_QUALITY, MIN_TRADE_SIZE, NO_SHORTING, INSUFFICIENT_CASH, …',
      'CASH_BAND',
    ),
    severity: z
      .enum(['HARD', 'SOFT', 'INFO'])
      .meta({ description: 'HARD fails block; SOFT fails need review.', examples: ['SOFT'] }),
    status: z.enum(['PASS', 'FAIL']).meta({ description: 'Outcome.', examples: ['PASS'] }),
    measured: d('Measured value.', '0.05'),
    threshold: z
      .record(z.string(), z.string())
      .meta({ description: 'Limits, e.g. {min, max}.', examples: [{ min: '0.00', max: '1.00' }] }),
    reason_code: s('OK or the failure reason.', 'OK'),
    remediation_hint: s('What to do on FAIL.', 'Portfolio cash is outside policy bands.').nullable(),
  })
  .meta({ id: 'RuleResult', description: 'One post-trade rule evaluation.' });

export const gateDecisionSchema = z
  .object({
    gate: s(
      'BLOCKED, RISK_REVIEW_REQUIRED, COMPLIANCE_REVIEW_REQUIRED, CLIENT_CONSENT_REQUIRED or EXECUTION_READY.',
      'EXECUTION_READY',
    ),
    recommended_next_step: s(
      'FIX_INPUT, RISK_REVIEW, COMPLIANCE_REVIEW, REQUEST_CLIENT_CONSENT or EXECUTE.',
      'EXECUTE',
    ),
    reasons: list(
      z.object({
        reason_code: s('Reason.', 'HARD_RULE_FAIL:INSUFFICIENT_CASH'),
        severity: s('LOW, MEDIUM or HIGH.', 'HIGH'),
        source: s('RULE_ENGINE, SUITABILITY or DATA_QUALITY.', 'RULE_ENGINE'),
        details: z
          .record(z.string(), z.string())
          .meta({ description: 'Context.', examples: [{ reason_code: 'CASH_BALANCE_NEGATIVE' }] }),
      }),
      'Why, most severe first.',
    ),
    summary: z.object({
      hard_fail_count: int('HARD rule failures.', 0),
      soft_fail_count: int('SOFT rule failures.', 0),
      new_high_suitability_count: int('New HIGH suitability issues (advisory).', 0),
      new_medium_suitability_count: int('New MEDIUM suitability issues (advisory).', 0),
    }),
  })
  .meta({ id: 'GateDecision', description: 'Workflow gate; null when enable_workflow_gates is false.' });

export const diagnosticsSchema = z
  .object({
    warnings: list(s('Warning code.', 'PARTIAL_REBALANCE_TURNOVER_LIMIT'), 'Warnings in the order raised.'),
    suppressed_intents: list(z.record(z.string(), z.unknown()), 'Trades below the minimum notional.'),
    dropped_intents: list(z.record(z.string(), z.unknown()), 'Trades dropped by the turnover cap.'),
    group_constraint_events: list(z.record(z.string(), z.unknown()), 'Group caps applied.'),
    tax_budget_constraint_events: list(
      z.record(z.string(), z.unknown()),
      'Sells reduced by the gains budget.',
    ),
    cash_ladder: list(z.record(z.string(), z.unknown()), 'Projected balance per currency and day.'),
    cash_ladder_breaches: list(z.record(z.string(), z.unknown()), 'Days below the overdraft floor.'),
    missing_fx_pairs: list(s('Pair.', 'USD/SGD'), 'Advisory only.'),
    funding_plan: list(z.unknown(), 'Advisory only.'),
    insufficient_cash: list(z.unknown(), 'Advisory only.'),
    data_quality: z
      .object({
        price_missing: list(s('Instrument.', 'EQ_9'), 'Positions or targets without a usable price.'),
        fx_missing: list(s('Pair.', 'EUR/USD'), 'Missing FX rates.'),
        shelf_missing: list(s('Instrument.', 'EQ_9'), 'Model targets without a shelf entry.'),
      })
      .meta({ description: 'Missing data, with duplicates.' }),
    drift_summary: z
      .object({
        max_abs_drift: d(
          'Largest |current − target weight| over the target rows; null when Stage 3 blocked.',
          '0.0420',
        ).nullable(),
        positions_outside_band: int(
          'Positions whose drift exceeds their band (band 0 when none is set); null when Stage 3 blocked.',
          2,
        ).nullable(),
        within_tolerance: z.boolean().meta({
          description: 'Every position and the cash weight inside their bands (nothing to trade).',
          examples: [false],
        }),
      })
      .optional()
      .meta({ description: 'DPM only: drift against the Stage 3 targets, for ranking portfolios.' }),
  })
  .meta({ id: 'Diagnostics', description: 'Everything the run noticed.' });

export const reconciliationSchema = z
  .object({
    before_total_value: money('Before.'),
    after_total_value: money('After.'),
    delta: money('After − before.', '0'),
    tolerance: money('0.5 + before × 0.0005.', '5.5'),
    status: z.enum(['OK', 'MISMATCH']).meta({ description: 'Within tolerance?', examples: ['OK'] }),
  })
  .meta({ id: 'Reconciliation', description: 'Value reconciliation; null when blocked before it.' });

export const rebalanceResultSchema = z
  .object({
    rebalance_run_id: s('Run id.', 'rr_1e8f3c1c2a9b4d6e'),
    correlation_id: s('Caller correlation id, c_none when absent.', 'demo-corr-27-supportability'),
    status: runStatusSchema,
    before: simulatedStateSchema,
    universe: z
      .object({
        universe_id: s('u_ + run id.', 'u_rr_1e8f3c1c2a9b4d6e'),
        eligible_for_buy: list(s('Instrument.', 'EQ_1'), 'Buyable instruments.'),
        eligible_for_sell: list(s('Instrument.', 'EQ_1'), 'Sellable instruments.'),
        excluded: list(
          z.object({
            instrument_id: s('Instrument.', 'EQ_3'),
            reason_code: s('Why.', 'LOCKED_DUE_TO_SUSPENDED'),
            details: z.null(),
          }),
          'Excluded or locked instruments.',
        ),
        coverage: z.object({
          price_coverage_pct: d('1, or 0 when blocked early.', '1'),
          fx_coverage_pct: d('1, or 0 when blocked early.', '1'),
        }),
      })
      .meta({ description: 'Stage 2: the investable universe.' }),
    target: z
      .object({
        target_id: s('t_ + run id.', 't_rr_1e8f3c1c2a9b4d6e'),
        strategy: z.object({}).meta({ description: 'Always empty.' }),
        targets: list(
          z.object({
            instrument_id: s('Instrument.', 'EQ_1'),
            model_weight: d('Model weight.', '0.50'),
            final_weight: d('Weight after constraints.', '0.50'),
            final_value: money('Target value in base.', '5000.0'),
            tags: list(
              s(
                'CAPPED_BY_MAX_WEIGHT, REDISTRIBUTED_RECIPIENT, IMPLICIT_SELL_TO_ZERO or LOCKED_POSITION.',
                'CAPPED_BY_MAX_WEIGHT',
              ),
              'Why final differs from model.',
            ),
          }),
          'The per-target "why" trace.',
        ),
      })
      .meta({ description: 'Stage 3: target weights.' }),
    intents: list(
      z.discriminatedUnion('intent_type', [securityTradeSchema, fxSpotSchema]),
      'Execution order: sells, FX, buys.',
    ),
    after_simulated: simulatedStateSchema,
    reconciliation: reconciliationSchema.nullable(),
    tax_impact: z
      .object({
        total_realized_gain: money('Gains realised.', '0'),
        total_realized_loss: money('Losses realised (positive).', '0'),
        budget_limit: money('Gains budget.', '100').nullable(),
        budget_used: money('Budget consumed.', '100').nullable(),
      })
      .nullable()
      .meta({ description: 'Present when tax awareness is on.' }),
    rule_results: list(ruleResultSchema, 'Post-trade rules in fixed order.'),
    explanation: z
      .object({
        summary: s('Final status, or "Blocked" on early-blocked paths.', 'READY'),
        target_method_comparison: z
          .record(z.string(), z.unknown())
          .nullable()
          .optional()
          .meta({ description: 'HEURISTIC vs SOLVER comparison, when asked.' }),
      })
      .meta({ description: 'Summary.' }),
    diagnostics: diagnosticsSchema,
    gate_decision: gateDecisionSchema.nullable(),
    lineage: z
      .object({
        portfolio_snapshot_id: s('Portfolio id.', 'pf_demo_support_27'),
        market_data_snapshot_id: s('Always "md".', 'md'),
        request_hash: s(
          'Canonical request hash.',
          'sha256:829d64b707572692658c17262262d0fd6a5a1ae5b83870332a9eadf942a7f43e',
        ),
        idempotency_key: s('Always null (QUIRK Q-S6).', '').nullable(),
        engine_version: s('Always null (QUIRK Q-S6).', '').nullable(),
        policy_pack: appliedPolicyPackSchema,
      })
      .meta({ description: 'Where the run came from.' }),
  })
  .meta({ id: 'RebalanceResult', description: 'A DPM rebalance result.' });

export const batchResultSchema = z
  .object({
    batch_run_id: s('Batch id.', 'batch_0f3c9a1d2b4e6f80'),
    run_at_utc: s('When the batch ran.', '2026-02-20T12:00:00.123000+00:00'),
    base_snapshot_ids: z.object({
      portfolio_snapshot_id: s('snapshot_id or portfolio_id.', 'pf_13'),
      market_data_snapshot_id: s('snapshot_id or "md".', 'md'),
    }),
    results: z
      .record(z.string(), rebalanceResultSchema)
      .meta({ description: 'Successful scenarios by name.' }),
    comparison_metrics: z
      .record(
        z.string(),
        z.object({
          status: runStatusSchema,
          security_intent_count: int('Security trades.', 2),
          gross_turnover_notional_base: money('Σ security notional_base.', '10000.0'),
        }),
      )
      .meta({ description: 'Quick-compare metrics by scenario.' }),
    failed_scenarios: z.record(z.string(), z.string()).meta({
      description: 'Failed scenarios: INVALID_OPTIONS: … or SCENARIO_EXECUTION_ERROR: ….',
      examples: [{ bad: 'INVALID_OPTIONS: Input should be less than or equal to 10' }],
    }),
    warnings: list(
      s('PARTIAL_BATCH_FAILURE when any scenario failed.', 'PARTIAL_BATCH_FAILURE'),
      'Batch warnings.',
    ),
  })
  .meta({ id: 'BatchResult', description: 'A batch what-if result.' });
