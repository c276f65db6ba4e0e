/**
 * Stage 4 — security trade intents (spec 11 §3): size each trace entry in whole units toward
 * its target value, apply the tax hook to sells, suppress dust below the minimum notional.
 */
import type { EngineOptions, Position } from '../contracts/dpm-request.js';
import {
  abs,
  type Dec,
  div,
  divInt,
  gt,
  isPositive,
  isZero,
  lt,
  mul,
  sub,
  ZERO,
} from '../contracts/decimal.js';
import type { Market, Shelf } from './market.js';
import { TaxBudget } from './tax.js';
import type { Diagnostics, Money, SecurityTradeIntent, TargetInstrument, TaxImpact } from './types.js';

export interface IntentsInput {
  trace: readonly TargetInstrument[];
  positions: readonly Position[];
  totalValue: Dec;
  base: string;
  options: EngineOptions;
  market: Market;
  shelf: Shelf;
  /** Frozen holdings: no intent is ever generated for them (docs/decisions/0003). */
  locked: ReadonlySet<string>;
}

export interface IntentsOutcome {
  intents: SecurityTradeIntent[];
  taxImpact: TaxImpact | null;
}

export function generateIntents(input: IntentsInput, diagnostics: Diagnostics): IntentsOutcome {
  const { options, market, shelf, base, totalValue } = input;
  const dataQuality = diagnostics.data_quality;
  const tax = options.enable_tax_awareness ? new TaxBudget(options.max_realized_capital_gains) : null;

  const firstPosition = new Map<string, Position>();
  for (const p of input.positions)
    if (!firstPosition.has(p.instrument_id)) firstPosition.set(p.instrument_id, p);
  // A duplicated trace id is traded once, at its first row, with its last weight (Q-M23).
  const lastWeight = new Map(input.trace.map((t) => [t.instrument_id, t.final_weight]));

  const intents: SecurityTradeIntent[] = [];
  const seen = new Set<string>();
  for (const entry of input.trace) {
    const id = entry.instrument_id;
    if (seen.has(id) || input.locked.has(id)) continue;
    seen.add(id);

    const price = market.priceOf(id);
    // A zero price cannot size a trade; Keel treats it as a missing price (docs/decisions/0002).
    if (!price || isZero(price.price)) {
      dataQuality.price_missing.push(id);
      continue;
    }
    const rate = market.fxRate(price.currency, base);
    if (rate === null) {
      dataQuality.fx_missing.push(`${price.currency}/${base}`);
      continue;
    }
    const targetValue = div(mul(totalValue, lastWeight.get(id)!), rate);
    const position = firstPosition.get(id);
    // Q1/Q2: a snapshot market value sizes the trade in any valuation mode, read as price currency.
    const currentValue = position
      ? position.market_value
        ? position.market_value.amount
        : mul(position.quantity, price.price)
      : ZERO;
    const delta = sub(targetValue, currentValue);
    const side = isPositive(delta) ? 'BUY' : 'SELL';
    const requested = divInt(abs(delta), price.price);

    let quantity = requested;
    let taxReduced = false;
    if (tax && side === 'SELL' && isPositive(requested)) {
      quantity = tax.allowedSell(position, price, rate, requested, market, dataQuality);
      if (lt(quantity, requested)) {
        taxReduced = true;
        if (!diagnostics.warnings.includes('TAX_BUDGET_LIMIT_REACHED'))
          diagnostics.warnings.push('TAX_BUDGET_LIMIT_REACHED');
        diagnostics.tax_budget_constraint_events.push({
          instrument_id: id,
          requested_quantity: requested,
          allowed_quantity: quantity,
          reason_code: 'TAX_BUDGET_LIMIT_REACHED',
        });
      }
    }

    const notional: Money = { amount: mul(quantity, price.price), currency: price.currency };
    const notionalBase: Money = { amount: mul(notional.amount, rate), currency: base };
    const threshold = options.min_trade_notional ?? shelf.entryOf(id)?.min_notional ?? null;
    // Q4: currencies are not compared; Q5: no-trade entries are listed too.
    if (options.suppress_dust_trades && threshold && lt(notional.amount, threshold.amount)) {
      diagnostics.suppressed_intents.push({
        instrument_id: id,
        reason: 'BELOW_MIN_NOTIONAL',
        intended_notional: notional,
        threshold,
      });
      continue;
    }
    if (!gt(quantity, ZERO)) continue;

    const constraints: string[] = threshold ? ['MIN_NOTIONAL'] : [];
    if (taxReduced) constraints.push('TAX_BUDGET');
    intents.push({
      intent_type: 'SECURITY_TRADE',
      intent_id: `oi_${intents.length + 1}`,
      instrument_id: id,
      side,
      quantity,
      notional,
      notional_base: notionalBase,
      dependencies: [],
      rationale: { code: 'DRIFT_REBALANCE', message: 'Align' },
      constraints_applied: constraints,
    });
  }
  return { intents, taxImpact: tax ? tax.impact(base) : null };
}
