/**
 * Stage 4 — security trade intents (spec 11 §3): size each trace entry in whole units toward
 * its target value, apply the tax hook to sells, suppress dust below the minimum notional.
 * Tolerance bands (./bands.ts) may hold a row or move its goal to the band edge; a shelf entry's
 * `lot_size` / `quantity_increment` replace the whole unit (docs/decisions/0052).
 */
import {
  type CashBalance,
  type EngineOptions,
  isWholeMultiple,
  type Position,
} from '../contracts/dpm-request.js';
import {
  abs,
  add,
  addExact,
  type Dec,
  div,
  divInt,
  eq,
  gt,
  gte,
  isPositive,
  isZero,
  lt,
  lte,
  max,
  min,
  mul,
  ONE,
  ONE_POINT_ZERO,
  scale,
  sub,
  subExact,
  ZERO,
} from '../contracts/decimal.js';
import type { Market, Shelf } from './market.js';
import { TaxBudget } from './tax.js';
import type {
  Diagnostics,
  Money,
  QuantityRounding,
  SecurityTradeIntent,
  Side,
  TargetInstrument,
  TaxImpact,
} from './types.js';

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
  /** Tolerance bands: null = inside the band, not traded; a weight = trade to it instead. */
  tradeTo?: ReadonlyMap<string, Dec | null>;
  /** Cash the buys may spend when quantities are stepped (lots / increments). */
  cashBalances?: readonly CashBalance[];
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
  const tradeTo = input.tradeTo;
  /** Whether any intent was sized in lots or increments: then buys are checked against cash. */
  let stepped = false;
  for (const entry of input.trace) {
    const id = entry.instrument_id;
    if (seen.has(id) || input.locked.has(id)) continue;
    seen.add(id);
    const goal = tradeTo?.has(id) ? tradeTo.get(id)! : lastWeight.get(id)!;
    if (goal === null) continue; // inside its tolerance band

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
    const targetValue = div(mul(totalValue, goal), rate);
    const position = firstPosition.get(id);
    // Q1/Q2: a snapshot market value sizes the trade in any valuation mode, read as price currency.
    const currentValue = position
      ? position.market_value
        ? position.market_value.amount
        : mul(position.quantity, price.price)
      : ZERO;
    const delta = sub(targetValue, currentValue);
    const side = isPositive(delta) ? 'BUY' : 'SELL';
    const shelfEntry = shelf.entryOf(id);
    const step = shelfEntry?.lot_size ?? shelfEntry?.quantity_increment ?? null;
    const lot = step === null ? null : roundToStep(abs(delta), price.price, step, side, position);
    const requested = lot === null ? divInt(abs(delta), price.price) : lot.quantity;
    if (lot !== null) stepped = true;

    let quantity = requested;
    let taxReduced = false;
    if (tax && side === 'SELL' && isPositive(requested)) {
      const before = lot !== null ? tax.snapshot() : null;
      quantity = tax.allowedSell(position, price, rate, requested, market, dataQuality);
      if (before !== null && lt(quantity, requested)) {
        // Round the allowance down to the step and book only what is sold: HIFO takes the same
        // lots in the same order, so the smaller quantity fits the budget in full.
        tax.restore(before);
        const rounded = floorToStep(quantity, step!);
        quantity = isPositive(rounded)
          ? tax.allowedSell(position, price, rate, rounded, market, dataQuality)
          : rounded;
      }
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
    let rounding: QuantityRounding | undefined;
    if (lot !== null) {
      // What the goal asked for minus what is traded, in the instrument currency (no division).
      // 0 ≤ traded ≤ goal, so when the traded notional has no more decimals than the goal the exact
      // difference has no more digits than the goal: no rounding (or digit count) needed.
      const residual =
        scale(notional.amount) <= scale(lot.goal)
          ? subExact(lot.goal, notional.amount)
          : sub(lot.goal, notional.amount);
      constraints.push(shelfEntry!.lot_size ? 'LOT_SIZE' : 'QUANTITY_INCREMENT');
      rounding = {
        step: step!,
        reason: lot.whole && !taxReduced ? 'WHOLE_HOLDING' : isZero(residual) ? 'EXACT' : 'ROUNDED_DOWN',
        residual_notional: { amount: residual, currency: price.currency },
      };
    }
    const intent: SecurityTradeIntent = {
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
    };
    if (rounding) intent.quantity_rounding = rounding;
    intents.push(intent);
  }
  const kept = stepped ? limitBuysToCash(intents, input, diagnostics) : intents;
  return { intents: kept, taxImpact: tax ? tax.impact(base) : null };
}

interface LotSize {
  /** |delta|: the notional the goal asks for, instrument currency. */
  goal: Dec;
  /** A multiple of the step, or the whole holding. */
  quantity: Dec;
  /** The whole (possibly odd-lot) holding is sold. */
  whole: boolean;
}

/** n × step for the largest whole n with n × step ≤ quantity. */
export function floorToStep(quantity: Dec, step: Dec): Dec {
  return mul(divInt(quantity, step), step);
}

/**
 * Buys and sells round down to a multiple of the step; a sell asking for at least the whole
 * holding sells exactly the holding, odd lot included.
 */
function roundToStep(value: Dec, price: Dec, step: Dec, side: Side, position: Position | undefined): LotSize {
  // ⌊value ÷ (price × step)⌋ × step: one integer division, as the whole-unit path does.
  const quantity = eq(step, ONE) ? divInt(value, price) : mul(divInt(value, mul(price, step)), step);
  const held = position?.quantity ?? ZERO;
  // The whole holding is only in reach within one step of it (value ÷ price < quantity + step), so
  // the exact test against the 28-digit goal runs only there.
  if (side === 'SELL' && isPositive(held) && gt(add(quantity, step), held) && gte(value, mul(held, price)))
    return { goal: value, quantity: held, whole: !isWholeMultiple(held, step) };
  return { goal: value, quantity, whole: false };
}

/**
 * Rounding sells down raises less cash than the targets assumed, so with lots in play the buys
 * are checked, in order, against what the portfolio can pay: all cash converted to base, plus
 * the sells, a foreign buy costing its base notional × (1.0 + fx_buffer_pct) as the FX funding
 * buys it. A buy that does not fit is cut to the whole steps that do (CASH_LIMIT), or dropped.
 */
function limitBuysToCash(
  intents: SecurityTradeIntent[],
  input: IntentsInput,
  diagnostics: Diagnostics,
): SecurityTradeIntent[] {
  const { market, shelf, base, options } = input;
  let budget = ZERO;
  for (const cash of input.cashBalances ?? []) {
    const rate = cash.currency === base ? ONE : market.fxRate(cash.currency, base);
    if (rate !== null) budget = addExact(budget, mul(cash.amount, rate));
  }
  for (const i of intents) if (i.side === 'SELL') budget = addExact(budget, i.notional_base!.amount);
  const buffer = add(ONE_POINT_ZERO, max(ZERO, options.fx_buffer_pct));
  const kept: SecurityTradeIntent[] = [];
  let cut = false;
  for (const intent of intents) {
    if (intent.side === 'SELL') {
      kept.push(intent);
      continue;
    }
    const foreign = intent.notional!.currency !== base;
    const cost = foreign ? mul(intent.notional_base!.amount, buffer) : intent.notional_base!.amount;
    if (lte(cost, budget)) {
      budget = subExact(budget, cost);
      kept.push(intent);
      continue;
    }
    cut = true;
    const entry = shelf.entryOf(intent.instrument_id);
    const step = entry?.lot_size ?? entry?.quantity_increment ?? ONE;
    const price = market.priceOf(intent.instrument_id)!.price;
    const rate = market.fxRate(intent.notional!.currency, base)!;
    const unitCost = foreign ? mul(mul(price, rate), buffer) : mul(price, rate);
    let affordable = isPositive(budget) ? floorToStep(div(budget, unitCost), step) : ZERO;
    // The quotient is rounded to 28 digits: if that rounded it up past a whole step, take one off.
    if (gt(mul(affordable, unitCost), budget)) affordable = sub(affordable, step);
    const quantity = min(affordable, intent.quantity!);
    if (!isPositive(quantity)) continue;
    const goal = add(intent.quantity_rounding?.residual_notional.amount ?? ZERO, intent.notional!.amount);
    const notional = mul(quantity, price);
    budget = sub(budget, mul(quantity, unitCost));
    // The intents were built by this stage: updated in place (same object shapes downstream).
    const currency = intent.notional!.currency;
    intent.quantity = quantity;
    intent.notional = { amount: notional, currency };
    intent.notional_base = { amount: mul(notional, rate), currency: base };
    intent.constraints_applied.push('CASH_LIMIT');
    intent.quantity_rounding = {
      step,
      reason: 'CASH_LIMIT',
      residual_notional: { amount: sub(goal, notional), currency },
    };
    kept.push(intent);
  }
  if (!cut) return intents;
  diagnostics.warnings.push('LOT_ROUNDING_CASH_LIMIT');
  if (kept.length < intents.length) kept.forEach((intent, index) => (intent.intent_id = `oi_${index + 1}`));
  return kept;
}
