/**
 * Book aggregation, pure: counts and totals, the exception queue, block orders per instrument
 * and side (or netted per instrument) and FX blocks per currency pair and direction. Every
 * block is the exact decimal sum of its allocations, so allocations always add up to the block.
 *
 * `BookAggregate` takes portfolios one at a time (the CLI feeds it as chunks come back, so the
 * work overlaps the engine threads); the functions below it aggregate a finished list.
 */
import type { Block, BookException, BookSummary, FxBlock } from '../contracts/book.js';
import {
  addExact,
  dec,
  isNegative,
  isZero,
  neg,
  subExact,
  text,
  ZERO,
  type Dec,
} from '../contracts/decimal.js';
import type { FailedOutcome, PortfolioOutcome } from './compact.js';

type Status = 'READY' | 'PENDING_REVIEW' | 'BLOCKED';

interface Allocation {
  portfolio_id: string;
  q: Dec;
  line: number;
}

interface SecurityGroup {
  instrument_id: string;
  side: 'BUY' | 'SELL';
  total: Dec;
  allocations: Allocation[];
}

interface FxGroup {
  pair: string;
  buy: string;
  sell: string;
  amount: Dec;
  sellAmount: Dec;
  allocations: { portfolio_id: string; amount: Dec; sell: Dec; line: number }[];
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byLine = (a: { line: number }, b: { line: number }) => a.line - b.line;

export class BookAggregate {
  private readonly byStatus: Record<Status, number> = { READY: 0, PENDING_REVIEW: 0, BLOCKED: 0 };
  private readonly perCcy = new Map<string, { buy: Dec; sell: Dec; fx: Dec }>();
  private intents = 0;
  private readonly exceptions: BookException[] = [];
  private readonly security = new Map<string, SecurityGroup>();
  private readonly fx = new Map<string, FxGroup>();

  /** `blocks: false` keeps counts, totals and exceptions only (no allocation lists). */
  constructor(private readonly options: { blocks: boolean } = { blocks: true }) {}

  add(o: PortfolioOutcome): void {
    this.byStatus[o.status]++;
    this.intents += o.trades.length + o.fx.length;
    const t = this.perCcy.get(o.base_currency) ?? { buy: ZERO, sell: ZERO, fx: ZERO };
    t.buy = addExact(t.buy, dec(o.metrics.buy_base));
    t.sell = addExact(t.sell, dec(o.metrics.sell_base));
    t.fx = addExact(t.fx, dec(o.metrics.fx_base));
    this.perCcy.set(o.base_currency, t);
    for (const e of o.exceptions)
      this.exceptions.push({
        portfolio_id: o.portfolio_id,
        line: o.line,
        status: o.status,
        reason: e.reason,
        detail: e.detail,
      });
    if (!this.options.blocks) return;
    for (const [instrument_id, side, quantity] of o.trades) {
      const key = `${instrument_id}\u0000${side}`;
      let g = this.security.get(key);
      if (!g) this.security.set(key, (g = { instrument_id, side, total: ZERO, allocations: [] }));
      const q = dec(quantity);
      g.total = addExact(g.total, q);
      g.allocations.push({ portfolio_id: o.portfolio_id, q, line: o.line });
    }
    for (const [pair, buyCcy, buyAmount, sellCcy, sellAmount] of o.fx) {
      const key = `${buyCcy}/${sellCcy}`;
      let g = this.fx.get(key);
      if (!g)
        this.fx.set(
          key,
          (g = { pair, buy: buyCcy, sell: sellCcy, amount: ZERO, sellAmount: ZERO, allocations: [] }),
        );
      const a = dec(buyAmount);
      const s = dec(sellAmount);
      g.amount = addExact(g.amount, a);
      g.sellAmount = addExact(g.sellAmount, s);
      g.allocations.push({ portfolio_id: o.portfolio_id, amount: a, sell: s, line: o.line });
    }
  }

  summary(failed: readonly FailedOutcome[], portfolios: number): BookSummary {
    const by_base_currency: BookSummary['totals']['by_base_currency'] = {};
    for (const [ccy, t] of [...this.perCcy].sort(([a], [b]) => byText(a, b)))
      by_base_currency[ccy] = {
        turnover_base: text(addExact(t.buy, t.sell)),
        buy_base: text(t.buy),
        sell_base: text(t.sell),
        fx_base: text(t.fx),
      };
    const currencies = Object.keys(by_base_currency);
    const single = currencies.length === 1 ? by_base_currency[currencies[0]!]! : null;
    const none = currencies.length === 0 ? '0' : null;
    return {
      portfolios,
      by_status: { ...this.byStatus },
      failed_lines: [...failed].sort(byLine).map((f) => ({ line: f.line, error: f.error })),
      totals: {
        base_currency: single ? currencies[0]! : null,
        turnover_base: single ? single.turnover_base : none,
        buy_base: single ? single.buy_base : none,
        sell_base: single ? single.sell_base : none,
        fx_base: single ? single.fx_base : none,
        intents: this.intents,
        by_base_currency,
      },
    };
  }

  /** Every exception of every portfolio, in input order. */
  exceptionList(): BookException[] {
    return [...this.exceptions].sort(byLine);
  }

  /**
   * Security blocks. Gross (default): one block per instrument and side, allocations in input
   * order. Net: one block per instrument on the side of the net quantity, every portfolio that
   * trades it allocated (opposite-side portfolios with a negative quantity, crossed internally);
   * an instrument whose buys and sells cancel exactly has no block.
   */
  blocks(net = false): Block[] {
    const view = (g: SecurityGroup): Block => ({
      instrument_id: g.instrument_id,
      side: g.side,
      quantity: text(g.total),
      allocations: [...g.allocations]
        .sort(byLine)
        .map((a) => ({ portfolio_id: a.portfolio_id, quantity: text(a.q) })),
    });
    const blocks: Block[] = [];
    if (!net) for (const g of this.security.values()) blocks.push(view(g));
    else {
      const instruments = new Set([...this.security.values()].map((g) => g.instrument_id));
      for (const instrument_id of instruments) {
        const buy = this.security.get(`${instrument_id}\u0000BUY`);
        const sell = this.security.get(`${instrument_id}\u0000SELL`);
        const total = subExact(buy?.total ?? ZERO, sell?.total ?? ZERO);
        if (isZero(total)) continue;
        const flip = isNegative(total);
        const signed = [
          ...(buy?.allocations ?? []).map((a) => ({ ...a, q: flip ? neg(a.q) : a.q })),
          ...(sell?.allocations ?? []).map((a) => ({ ...a, q: flip ? a.q : neg(a.q) })),
        ];
        blocks.push(
          view({
            instrument_id,
            side: flip ? 'SELL' : 'BUY',
            total: flip ? neg(total) : total,
            allocations: signed,
          }),
        );
      }
    }
    return blocks.sort((a, b) => byText(a.instrument_id, b.instrument_id) || byText(a.side, b.side));
  }

  /** FX blocks per pair and direction (buy currency, sell currency); amounts in the buy currency. */
  fxBlocks(): FxBlock[] {
    return [...this.fx.values()]
      .map((g) => ({
        pair: g.pair,
        buy_currency: g.buy,
        sell_currency: g.sell,
        amount: text(g.amount),
        sell_amount_estimated: text(g.sellAmount),
        allocations: [...g.allocations].sort(byLine).map((a) => ({
          portfolio_id: a.portfolio_id,
          amount: text(a.amount),
          sell_amount_estimated: text(a.sell),
        })),
      }))
      .sort((a, b) => byText(a.buy_currency, b.buy_currency) || byText(a.sell_currency, b.sell_currency));
  }
}

function aggregate(outcomes: Iterable<PortfolioOutcome>, blocks = true): BookAggregate {
  const agg = new BookAggregate({ blocks });
  for (const o of outcomes) agg.add(o);
  return agg;
}

export function summarize(
  outcomes: Iterable<PortfolioOutcome>,
  failed: readonly FailedOutcome[],
  portfolios: number,
): BookSummary {
  return aggregate(outcomes, false).summary(failed, portfolios);
}

export function exceptionList(outcomes: Iterable<PortfolioOutcome>): BookException[] {
  return aggregate(outcomes, false).exceptionList();
}

export function securityBlocks(outcomes: Iterable<PortfolioOutcome>, net = false): Block[] {
  return aggregate(outcomes).blocks(net);
}

export function fxBlocks(outcomes: Iterable<PortfolioOutcome>): FxBlock[] {
  return aggregate(outcomes).fxBlocks();
}
