/**
 * Book aggregation, pure: counts and totals, the exception queue, block orders per instrument
 * and side (or netted per instrument) and FX blocks per currency pair and direction. Every
 * block is the exact decimal sum of its allocations, so allocations always add up to the block.
 */
import type { Block, BookException, BookSummary, FxBlock } from '../contracts/book.js';
import { addExact, dec, isNegative, isZero, neg, text, ZERO, type Dec } from '../contracts/decimal.js';
import type { FailedOutcome, PortfolioOutcome } from './compact.js';

type Status = 'READY' | 'PENDING_REVIEW' | 'BLOCKED';

export function summarize(
  outcomes: Iterable<PortfolioOutcome>,
  failed: readonly FailedOutcome[],
  portfolios: number,
): BookSummary {
  const by_status: Record<Status, number> = { READY: 0, PENDING_REVIEW: 0, BLOCKED: 0 };
  const perCcy = new Map<string, { buy: Dec; sell: Dec; fx: Dec }>();
  let intents = 0;
  for (const o of outcomes) {
    by_status[o.status]++;
    intents += o.trades.length + o.fx.length;
    const t = perCcy.get(o.base_currency) ?? { buy: ZERO, sell: ZERO, fx: ZERO };
    t.buy = addExact(t.buy, dec(o.metrics.buy_base));
    t.sell = addExact(t.sell, dec(o.metrics.sell_base));
    t.fx = addExact(t.fx, dec(o.metrics.fx_base));
    perCcy.set(o.base_currency, t);
  }
  const by_base_currency: BookSummary['totals']['by_base_currency'] = {};
  for (const [ccy, t] of [...perCcy].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    by_base_currency[ccy] = {
      turnover_base: text(addExact(t.buy, t.sell)),
      buy_base: text(t.buy),
      sell_base: text(t.sell),
      fx_base: text(t.fx),
    };
  const currencies = Object.keys(by_base_currency);
  const single = currencies.length === 1 ? by_base_currency[currencies[0]!]! : null;
  return {
    portfolios,
    by_status,
    failed_lines: [...failed].sort((a, b) => a.line - b.line).map((f) => ({ line: f.line, error: f.error })),
    totals: {
      base_currency: single ? currencies[0]! : null,
      turnover_base: single ? single.turnover_base : currencies.length === 0 ? '0' : null,
      buy_base: single ? single.buy_base : currencies.length === 0 ? '0' : null,
      sell_base: single ? single.sell_base : currencies.length === 0 ? '0' : null,
      fx_base: single ? single.fx_base : currencies.length === 0 ? '0' : null,
      intents,
      by_base_currency,
    },
  };
}

/** Every exception of every portfolio, in input order. */
export function exceptionList(outcomes: Iterable<PortfolioOutcome>): BookException[] {
  const out: BookException[] = [];
  for (const o of outcomes)
    for (const e of o.exceptions)
      out.push({
        portfolio_id: o.portfolio_id,
        line: o.line,
        status: o.status,
        reason: e.reason,
        detail: e.detail,
      });
  return out.sort((a, b) => a.line - b.line);
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Security blocks. Gross (default): one block per instrument and side, allocations in input
 * order. Net: one block per instrument on the side of the net quantity, every portfolio that
 * trades it allocated (opposite-side portfolios with a negative quantity, crossed internally);
 * an instrument whose buys and sells cancel exactly has no block.
 */
export function securityBlocks(outcomes: Iterable<PortfolioOutcome>, net = false): Block[] {
  const groups = new Map<
    string,
    {
      instrument_id: string;
      side: 'BUY' | 'SELL';
      total: Dec;
      allocations: { portfolio_id: string; q: Dec; line: number }[];
    }
  >();
  for (const o of outcomes)
    for (const [instrument_id, side, quantity] of o.trades) {
      const key = net ? instrument_id : `${instrument_id}\u0000${side}`;
      const q = net && side === 'SELL' ? neg(dec(quantity)) : dec(quantity);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { instrument_id, side, total: ZERO, allocations: [] }));
      g.total = addExact(g.total, q);
      g.allocations.push({ portfolio_id: o.portfolio_id, q, line: o.line });
    }
  const blocks: Block[] = [];
  for (const g of groups.values()) {
    if (net && isZero(g.total)) continue;
    const flip = net && isNegative(g.total);
    g.allocations.sort((a, b) => a.line - b.line);
    blocks.push({
      instrument_id: g.instrument_id,
      side: net ? (flip ? 'SELL' : 'BUY') : g.side,
      quantity: text(flip ? neg(g.total) : g.total),
      allocations: g.allocations.map((a) => ({
        portfolio_id: a.portfolio_id,
        quantity: text(flip ? neg(a.q) : a.q),
      })),
    });
  }
  return blocks.sort((a, b) => byText(a.instrument_id, b.instrument_id) || byText(a.side, b.side));
}

/** FX blocks per pair and direction (buy currency, sell currency); amounts in the buy currency. */
export function fxBlocks(outcomes: Iterable<PortfolioOutcome>): FxBlock[] {
  const groups = new Map<
    string,
    {
      pair: string;
      buy: string;
      sell: string;
      amount: Dec;
      sellAmount: Dec;
      allocations: { portfolio_id: string; amount: Dec; sell: Dec; line: number }[];
    }
  >();
  for (const o of outcomes)
    for (const [pair, buyCcy, buyAmount, sellCcy, sellAmount] of o.fx) {
      const key = `${buyCcy}/${sellCcy}`;
      let g = groups.get(key);
      if (!g)
        groups.set(
          key,
          (g = { pair, buy: buyCcy, sell: sellCcy, amount: ZERO, sellAmount: ZERO, allocations: [] }),
        );
      const a = dec(buyAmount);
      const s = dec(sellAmount);
      g.amount = addExact(g.amount, a);
      g.sellAmount = addExact(g.sellAmount, s);
      g.allocations.push({ portfolio_id: o.portfolio_id, amount: a, sell: s, line: o.line });
    }
  return [...groups.values()]
    .map((g) => ({
      pair: g.pair,
      buy_currency: g.buy,
      sell_currency: g.sell,
      amount: text(g.amount),
      sell_amount_estimated: text(g.sellAmount),
      allocations: g.allocations
        .sort((a, b) => a.line - b.line)
        .map((a) => ({
          portfolio_id: a.portfolio_id,
          amount: text(a.amount),
          sell_amount_estimated: text(a.sell),
        })),
    }))
    .sort((a, b) => byText(a.buy_currency, b.buy_currency) || byText(a.sell_currency, b.sell_currency));
}
