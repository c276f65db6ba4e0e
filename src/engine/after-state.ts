/**
 * A working copy of a portfolio that intents are applied to (spec 11 §8.1, spec 20 §3): a
 * BUY adds units and spends notional cash, a SELL the reverse, an FX spot moves cash between
 * currencies. A missing position or currency is created at zero and appended at first touch;
 * only the first entry of a duplicated instrument or currency changes.
 */
import type { PortfolioSnapshot } from '../contracts/dpm-request.js';
import { add, type Dec, sub, ZERO } from '../contracts/decimal.js';
import type { CashBalanceState, Intent } from './types.js';
import type { Holdings } from './valuation.js';

interface WorkingPosition {
  instrument_id: string;
  quantity: Dec;
  market_value: null;
}

export class WorkingPortfolio {
  private readonly positions: WorkingPosition[];
  private readonly cash: CashBalanceState[];
  private readonly positionIndex = new Map<string, WorkingPosition>();
  private readonly cashIndex = new Map<string, CashBalanceState>();

  constructor(private readonly portfolio: PortfolioSnapshot) {
    this.positions = portfolio.positions.map((p) => ({
      instrument_id: p.instrument_id,
      quantity: p.quantity,
      market_value: null,
    }));
    this.cash = portfolio.cash_balances.map((c) => ({ ...c }));
    for (const p of this.positions)
      if (!this.positionIndex.has(p.instrument_id)) this.positionIndex.set(p.instrument_id, p);
    for (const c of this.cash) if (!this.cashIndex.has(c.currency)) this.cashIndex.set(c.currency, c);
  }

  /** The first balance in `currency`, created at zero if absent. */
  cashIn(currency: string): CashBalanceState {
    let c = this.cashIndex.get(currency);
    if (!c) {
      c = { currency, amount: ZERO, settled: null, pending: null };
      this.cash.push(c);
      this.cashIndex.set(currency, c);
    }
    return c;
  }

  /** Distinct currencies held, in list order. */
  currencies(): string[] {
    return [...this.cashIndex.keys()];
  }

  private position(id: string): WorkingPosition {
    let p = this.positionIndex.get(id);
    if (!p) {
      p = { instrument_id: id, quantity: ZERO, market_value: null };
      this.positions.push(p);
      this.positionIndex.set(id, p);
    }
    return p;
  }

  moveCash(currency: string, amount: Dec): void {
    const c = this.cashIn(currency);
    c.amount = add(c.amount, amount);
  }

  apply(intent: Intent): void {
    if (intent.intent_type === 'FX_SPOT') {
      const sell = this.cashIn(intent.sell_currency);
      sell.amount = sub(sell.amount, intent.sell_amount_estimated);
      this.moveCash(intent.buy_currency, intent.buy_amount);
      return;
    }
    const p = this.position(intent.instrument_id);
    const { amount, currency } = intent.notional!;
    const c = this.cashIn(currency);
    if (intent.side === 'BUY') {
      p.quantity = add(p.quantity, intent.quantity!);
      c.amount = sub(c.amount, amount);
    } else {
      p.quantity = sub(p.quantity, intent.quantity!);
      c.amount = add(c.amount, amount);
    }
  }

  holdings(): Holdings {
    return {
      base_currency: this.portfolio.base_currency,
      positions: this.positions,
      cash_balances: this.cash,
    };
  }
}

export function applyIntents(portfolio: PortfolioSnapshot, intents: readonly Intent[]): Holdings {
  const work = new WorkingPortfolio(portfolio);
  for (const i of intents) work.apply(i);
  return work.holdings();
}
