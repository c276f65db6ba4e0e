/**
 * Applying intents to a copy of the portfolio (spec 11 §8.1). The result is valued again,
 * always CALCULATED, to give the simulated after-state.
 */
import type { PortfolioSnapshot } from '../contracts/dpm-request.js';
import { add, type Dec, sub, ZERO } from './decimal.js';
import type { Holdings } from './valuation.js';
import type { CashBalanceState, Intent } from './types.js';

export function applyIntents(portfolio: PortfolioSnapshot, intents: readonly Intent[]): Holdings {
  const positions = portfolio.positions.map((p) => ({
    instrument_id: p.instrument_id,
    quantity: p.quantity,
    market_value: null,
  }));
  const cash: CashBalanceState[] = portfolio.cash_balances.map((c) => ({ ...c }));
  const firstPosition = new Map<string, (typeof positions)[number]>();
  for (const p of positions) if (!firstPosition.has(p.instrument_id)) firstPosition.set(p.instrument_id, p);
  const firstCash = new Map<string, CashBalanceState>();
  for (const c of cash) if (!firstCash.has(c.currency)) firstCash.set(c.currency, c);

  const position = (id: string) => {
    let p = firstPosition.get(id);
    if (!p) {
      p = { instrument_id: id, quantity: ZERO, market_value: null };
      positions.push(p);
      firstPosition.set(id, p);
    }
    return p;
  };
  const moveCash = (currency: string, delta: (amount: Dec) => Dec) => {
    let c = firstCash.get(currency);
    if (!c) {
      c = { currency, amount: ZERO, settled: null, pending: null };
      cash.push(c);
      firstCash.set(currency, c);
    }
    c.amount = delta(c.amount);
  };

  for (const i of intents) {
    if (i.intent_type === 'FX_SPOT') {
      moveCash(i.sell_currency, (a) => sub(a, i.sell_amount_estimated));
      moveCash(i.buy_currency, (a) => add(a, i.buy_amount));
      continue;
    }
    const p = position(i.instrument_id);
    const { amount, currency } = i.notional!;
    if (i.side === 'BUY') {
      p.quantity = add(p.quantity, i.quantity!);
      moveCash(currency, (a) => sub(a, amount));
    } else {
      p.quantity = sub(p.quantity, i.quantity!);
      moveCash(currency, (a) => add(a, amount));
    }
  }
  return { base_currency: portfolio.base_currency, positions, cash_balances: cash };
}
