/**
 * The advisory proposal request (spec 20 §2), shared by `/rebalance/proposals/simulate` and
 * `/rebalance/proposals/artifact`: the DPM snapshots and options plus advisor-entered cash flows
 * and trades and an optional inline reference model for drift.
 */
import { isLosslessNumber } from 'lossless-json';
import { z } from 'zod';
import { isPositive, type Dec } from './decimal.js';
import {
  engineOptionsSchema,
  marketDataSnapshotSchema,
  portfolioSnapshotSchema,
  shelfEntrySchema,
} from './dpm-request.js';
import { decimal, list, nullable, object, oneOf, string } from './primitives.js';

type Ctx = z.core.$RefinementCtx<unknown>;

const invalidTrade = (ctx: Ctx, input: unknown, message: string, path: (string | number)[] = []) =>
  ctx.issues.push({
    code: 'custom',
    message: `Value error, PROPOSAL_INVALID_TRADE_INPUT: ${message}`,
    input,
    path,
    params: { type: 'value_error' },
  });

/** A JSON float token (`1.25`, `10.0`, `1e3`) is not accepted where exact text is required. */
const isFloatToken = (value: unknown) => isLosslessNumber(value) && /[.eE]/.test(value.value);

/** A decimal that must not arrive as a JSON float (spec 20 §2). */
const exactDecimal = (field: string) =>
  z
    .unknown()
    .check((payload) => {
      if (isFloatToken(payload.value))
        payload.issues.push({
          code: 'custom',
          message: `Value error, PROPOSAL_INVALID_TRADE_INPUT: ${field} must be a decimal string`,
          input: payload.value,
          params: { type: 'value_error' },
        });
    })
    .pipe(decimal());

export const proposedCashFlowSchema = object({
  intent_type: oneOf(['CASH_FLOW'] as const).default('CASH_FLOW'),
  currency: string(),
  amount: exactDecimal('amount'),
  description: nullable(string()),
}).meta({ id: 'ProposedCashFlow', description: 'A cash flow the advisor proposes.' });

const notionalSchema = object({ amount: exactDecimal('notional.amount'), currency: string() });

export const proposedTradeSchema = z
  .object({
    intent_type: oneOf(['SECURITY_TRADE'] as const).default('SECURITY_TRADE'),
    side: oneOf(['BUY', 'SELL'] as const),
    instrument_id: string(),
    quantity: nullable(
      exactDecimal('quantity').check((payload) => {
        if (!isPositive(payload.value as Dec))
          payload.issues.push({
            code: 'custom',
            message: 'Input should be greater than 0',
            input: payload.value,
            params: { type: 'greater_than', ctx: { gt: 0 } },
          });
      }),
    ),
    notional: nullable(notionalSchema),
  })
  .transform((trade, ctx) => {
    if (trade.quantity === null && trade.notional === null)
      invalidTrade(ctx, trade, 'quantity or notional is required');
    else if (trade.quantity !== null && trade.notional !== null)
      invalidTrade(ctx, trade, 'provide either quantity or notional, not both');
    else if (trade.notional !== null && !isPositive(trade.notional.amount))
      invalidTrade(ctx, trade, 'notional.amount must be greater than 0');
    return trade;
  })
  .meta({ id: 'ProposedTrade', description: 'A trade the advisor proposes (quantity or notional).' });

export const referenceModelSchema = object({
  model_id: string(),
  as_of: string(),
  base_currency: string(),
  asset_class_targets: list(object({ asset_class: string(), weight: decimal() })).default(() => []),
  instrument_targets: list(object({ instrument_id: string(), weight: decimal() })).default(() => []),
}).meta({ id: 'ReferenceModel', description: 'Inline reference model for drift analytics.' });

export const proposalRequestSchema = object({
  portfolio_snapshot: portfolioSnapshotSchema,
  market_data_snapshot: marketDataSnapshotSchema,
  shelf_entries: list(shelfEntrySchema),
  options: engineOptionsSchema.default(() => engineOptionsSchema.parse({})),
  proposed_cash_flows: list(proposedCashFlowSchema).default(() => []),
  proposed_trades: list(proposedTradeSchema).default(() => []),
  reference_model: nullable(referenceModelSchema),
}).meta({ id: 'ProposalRequest', description: 'An advisory proposal request.' });

export type ProposedCashFlow = z.output<typeof proposedCashFlowSchema>;
export type ProposedTrade = z.output<typeof proposedTradeSchema>;
export type ReferenceModel = z.output<typeof referenceModelSchema>;
export type ProposalRequest = z.output<typeof proposalRequestSchema>;
