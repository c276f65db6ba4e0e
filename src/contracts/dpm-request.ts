/**
 * The `/rebalance/simulate` request contract: portfolio, market data, model, shelf and the
 * 40 EngineOptions (spec 10 §3). One declaration gives runtime validation, the TypeScript
 * types the engine consumes, the canonical form that is hashed, and the OpenAPI schema.
 */
import { z } from 'zod';
import { dec, type Dec, divInt, gte, isNegative, mul } from './decimal.js';
import {
  boolean,
  boundedDecimal,
  decimal,
  decimalWithRule,
  integer,
  list,
  money,
  nullable,
  idString,
  object,
  oneOf,
  record,
  string,
} from './primitives.js';

const D = (text: string) => () => dec(text);

export const SHELF_STATUSES = ['APPROVED', 'RESTRICTED', 'BANNED', 'SUSPENDED', 'SELL_ONLY'] as const;
export const LIQUIDITY_TIERS = ['L1', 'L2', 'L3', 'L4', 'L5'] as const;

export const taxLotSchema = object({
  lot_id: string(),
  quantity: boundedDecimal({ ge: '0' }),
  unit_cost: money(),
  purchase_date: string(),
}).meta({ id: 'TaxLot', description: 'A tax lot of a position.' });

const LOT_TOLERANCE = dec('0.0001');

export const positionSchema = z
  .object({
    instrument_id: string(),
    quantity: decimal(),
    market_value: nullable(money()),
    lots: list(taxLotSchema).default(() => []),
  })
  .check((payload) => {
    const { lots, quantity } = payload.value;
    if (lots.length === 0) return;
    let total = dec('0');
    for (const lot of lots) total = total.add(lot.quantity);
    if (total.subtract(quantity).abs().compareTo(LOT_TOLERANCE) > 0)
      payload.issues.push({
        code: 'custom',
        message: 'Value error, sum(lot.quantity) must equal position.quantity within tolerance 0.0001',
        input: payload.value,
        params: { type: 'value_error' },
      });
  })
  .meta({ id: 'Position', description: 'A security holding.' });

export const cashBalanceSchema = object({
  currency: string(),
  amount: decimal(),
  settled: nullable(decimal()),
  pending: nullable(decimal()),
}).meta({ id: 'CashBalance', description: 'Cash in one currency.' });

export const portfolioSnapshotSchema = object({
  snapshot_id: nullable(string()),
  portfolio_id: idString(),
  base_currency: string(),
  positions: list(positionSchema).default(() => []),
  cash_balances: list(cashBalanceSchema).default(() => []),
}).meta({ id: 'PortfolioSnapshot', description: 'Holdings and cash of the portfolio at the snapshot time.' });

export const priceSchema = object({ instrument_id: string(), price: decimal(), currency: string() }).meta({
  id: 'Price',
});
export const fxRateSchema = object({ pair: string(), rate: decimal() }).meta({
  id: 'FxRate',
  description: 'One FX rate.',
});

export const marketDataSnapshotSchema = object({
  snapshot_id: nullable(string()),
  prices: list(priceSchema).default(() => []),
  fx_rates: list(fxRateSchema).default(() => []),
}).meta({ id: 'MarketDataSnapshot', description: 'Prices and FX rates used for valuation and sizing.' });

/** Model targets in model order (also the payload of a scenario's `model_override`). */
export const modelTargetsSchema = list(object({ instrument_id: string(), weight: decimal() }));

export const modelPortfolioSchema = object({
  targets: modelTargetsSchema,
}).meta({ id: 'ModelPortfolio', description: 'Target weights of the model.' });

export const shelfEntrySchema = object({
  instrument_id: string(),
  status: oneOf(SHELF_STATUSES),
  asset_class: string().default('UNKNOWN'),
  issuer_id: nullable(string()),
  liquidity_tier: nullable(oneOf(LIQUIDITY_TIERS)),
  settlement_days: integer({ ge: 0, le: 10 }).default(2),
  min_notional: nullable(money()),
  attributes: record(string()).default(() => ({})),
  // Board lots and fractional units (docs/decisions/0052). Optional without a default: an entry
  // that does not give them parses (and hashes) exactly as before.
  lot_size: boundedDecimal({ gt: '0' }).nullable().optional(),
  quantity_increment: boundedDecimal({ gt: '0' }).nullable().optional(),
})
  .check((payload) => {
    const { lot_size: lot, quantity_increment: increment } = payload.value;
    if (lot && increment && !isWholeMultiple(lot, increment))
      payload.issues.push({
        code: 'custom',
        message: 'Value error, lot_size must be a whole multiple of quantity_increment',
        input: payload.value,
        params: { type: 'value_error' },
      });
  })
  .meta({ id: 'ShelfEntry', description: 'Product shelf entry: status and attributes of one instrument.' });

/** Whether `value` is n × `step` for a whole n. */
export function isWholeMultiple(value: Dec, step: Dec): boolean {
  return mul(divInt(value, step), step).compareTo(value) === 0;
}

const unitWeight = () => boundedDecimal({ ge: '0', le: '1' });

export const DRIFT_BAND_TARGETS = ['TARGET', 'BAND_EDGE'] as const;

export const suitabilityThresholdsSchema = z
  .object({
    single_position_max_weight: unitWeight().default(D('0.10')),
    issuer_max_weight: unitWeight().default(D('0.20')),
    max_weight_by_liquidity_tier: z
      .partialRecord(z.enum(LIQUIDITY_TIERS), unitWeight())
      .default(() => ({ L4: dec('0.10'), L5: dec('0.05') })),
    cash_band_min_weight: unitWeight().default(D('0.01')),
    cash_band_max_weight: unitWeight().default(D('0.05')),
    data_quality_issue_severity: oneOf(['LOW', 'MEDIUM', 'HIGH'] as const).default('MEDIUM'),
  })
  .check((payload) => {
    if (payload.value.cash_band_min_weight.compareTo(payload.value.cash_band_max_weight) > 0)
      payload.issues.push({
        code: 'custom',
        message: 'Value error, suitability cash band min cannot exceed max',
        input: payload.value,
        params: { type: 'value_error' },
      });
  })
  .meta({ id: 'SuitabilityThresholds', description: 'Advisory suitability limits.' });

const GROUP_KEY = /^[^:]+:[^:]+$/;

const groupConstraintsSchema = record(
  object({
    max_weight: decimalWithRule(
      (w) => gte(w, dec('0')) && gte(dec('1'), w),
      'max_weight must be between 0 and 1 inclusive',
    ),
  }),
).check((payload) => {
  for (const key of Object.keys(payload.value))
    if (!GROUP_KEY.test(key))
      payload.issues.push({
        code: 'custom',
        message: "Value error, group_constraints keys must use format '<attribute_key>:<attribute_value>'",
        input: payload.value,
        params: { type: 'value_error' },
      });
});

const overdraftSchema = record(decimal()).check((payload) => {
  const entries = Object.entries(payload.value as Record<string, Dec>);
  if (entries.some(([key]) => key.trim() === ''))
    payload.issues.push({
      code: 'custom',
      message: 'Value error, max_overdraft_by_ccy keys must be non-empty currency codes',
      input: payload.value,
      params: { type: 'value_error' },
    });
  if (entries.some(([, value]) => isNegative(value)))
    payload.issues.push({
      code: 'custom',
      message: 'Value error, max_overdraft_by_ccy values must be non-negative',
      input: payload.value,
      params: { type: 'value_error' },
    });
});

/** The EngineOptions fields, each with its own rule and default (policy packs reuse the rules). */
export const engineOptionsFields = {
  valuation_mode: oneOf(['CALCULATED', 'TRUST_SNAPSHOT'] as const).default('CALCULATED'),
  target_method: oneOf(['HEURISTIC', 'SOLVER'] as const).default('HEURISTIC'),
  compare_target_methods: boolean().default(false),
  compare_target_methods_tolerance: decimal().default(D('0.0001')),
  cash_band_min_weight: decimal().default(D('0.00')),
  cash_band_max_weight: decimal().default(D('1.00')),
  single_position_max_weight: nullable(decimal()),
  min_trade_notional: nullable(money()),
  allow_restricted: boolean().default(false),
  suppress_dust_trades: boolean().default(true),
  dust_trade_threshold: nullable(money()),
  fx_buffer_pct: decimal().default(D('0.01')),
  block_on_missing_prices: boolean().default(true),
  block_on_missing_fx: boolean().default(true),
  min_cash_buffer_pct: decimal().default(D('0.0')),
  max_turnover_pct: nullable(
    decimalWithRule(
      (v) => gte(v, dec('0')) && gte(dec('1'), v),
      'max_turnover_pct must be between 0 and 1 inclusive',
    ),
  ),
  enable_tax_awareness: boolean().default(false),
  max_realized_capital_gains: nullable(boundedDecimal({ ge: '0' })),
  enable_settlement_awareness: boolean().default(false),
  enable_proposal_simulation: boolean().default(false),
  enable_workflow_gates: boolean().default(true),
  workflow_requires_client_consent: boolean().default(false),
  client_consent_already_obtained: boolean().default(false),
  proposal_apply_cash_flows_first: boolean().default(true),
  proposal_block_negative_cash: boolean().default(true),
  link_buy_to_same_currency_sell_dependency: nullable(boolean()),
  enable_drift_analytics: boolean().default(true),
  enable_suitability_scanner: boolean().default(true),
  suitability_thresholds: suitabilityThresholdsSchema.default(() => suitabilityThresholdsSchema.parse({})),
  enable_instrument_drift: boolean().default(true),
  drift_top_contributors_limit: integer({ ge: 1, le: 20 }).default(5),
  drift_unmodeled_exposure_threshold: boundedDecimal({ ge: '0', le: '1' }).default(D('0.01')),
  auto_funding: boolean().default(true),
  funding_mode: oneOf(['AUTO_FX'] as const).default('AUTO_FX'),
  fx_funding_source_currency: oneOf(['BASE_ONLY', 'ANY_CASH'] as const).default('ANY_CASH'),
  fx_generation_policy: oneOf(['ONE_FX_PER_CCY'] as const).default('ONE_FX_PER_CCY'),
  settlement_horizon_days: integer({ ge: 0, le: 10 }).default(5),
  fx_settlement_days: integer({ ge: 0, le: 10 }).default(2),
  max_overdraft_by_ccy: overdraftSchema.default(() => ({})),
  group_constraints: groupConstraintsSchema.default(() => ({})),
  // Tolerance bands (docs/decisions/0051). Optional without a default, so a request that does not
  // use them keeps its canonical form and request hash.
  drift_band_abs: unitWeight().nullable().optional(),
  drift_band_rel: unitWeight().nullable().optional(),
  drift_band_rebalance_to: oneOf(DRIFT_BAND_TARGETS).optional(),
};

export const engineOptionsSchema = object(engineOptionsFields).meta({
  id: 'EngineOptions',
  description: 'Engine options; every omitted field takes its default.',
});

export const simulateRequestSchema = object({
  portfolio_snapshot: portfolioSnapshotSchema,
  market_data_snapshot: marketDataSnapshotSchema,
  model_portfolio: modelPortfolioSchema,
  shelf_entries: list(shelfEntrySchema),
  options: engineOptionsSchema,
}).meta({ id: 'SimulateRequest', description: 'A DPM rebalance request.' });

export type TaxLot = z.output<typeof taxLotSchema>;
export type Position = z.output<typeof positionSchema>;
export type CashBalance = z.output<typeof cashBalanceSchema>;
export type PortfolioSnapshot = z.output<typeof portfolioSnapshotSchema>;
export type Price = z.output<typeof priceSchema>;
export type FxRate = z.output<typeof fxRateSchema>;
export type MarketDataSnapshot = z.output<typeof marketDataSnapshotSchema>;
export type ModelPortfolio = z.output<typeof modelPortfolioSchema>;
export type ShelfEntry = z.output<typeof shelfEntrySchema>;
export type ShelfStatus = (typeof SHELF_STATUSES)[number];
export type EngineOptions = z.output<typeof engineOptionsSchema>;
export type SimulateRequest = z.output<typeof simulateRequestSchema>;
