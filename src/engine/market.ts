/**
 * Look-ups shared by every stage (spec 10 §1): price of X, shelf entry of X, fxRate(A→B).
 * Indexed once per run so each look-up is O(1); "first row wins" is kept by indexing only the
 * first occurrence.
 */
import type { MarketDataSnapshot, Price, ShelfEntry } from '../contracts/dpm-request.js';
import { type Dec, div, isZero, ONE_POINT_ZERO } from '../contracts/decimal.js';

function firstBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T> {
  const index = new Map<string, T>();
  for (const row of rows) {
    const k = key(row);
    if (!index.has(k)) index.set(k, row);
  }
  return index;
}

export class Market {
  private readonly prices: Map<string, Price>;
  private readonly rates: Map<string, Dec>;
  private readonly resolved = new Map<string, Dec | null>();

  constructor(snapshot: MarketDataSnapshot) {
    this.prices = firstBy(snapshot.prices, (p) => p.instrument_id);
    this.rates = new Map();
    for (const { pair, rate } of snapshot.fx_rates) if (!this.rates.has(pair)) this.rates.set(pair, rate);
  }

  priceOf(instrumentId: string): Price | undefined {
    return this.prices.get(instrumentId);
  }

  /**
   * Units of `to` per unit of `from`: the literal `1.0` for equal currencies, the first direct
   * row if non-zero, else `1.0 ÷` the first inverse row if non-zero, else null (missing).
   * No triangulation (Q-M4).
   */
  fxRate(from: string, to: string): Dec | null {
    if (from === to) return ONE_POINT_ZERO;
    const key = `${from}/${to}`;
    const cached = this.resolved.get(key);
    if (cached !== undefined) return cached;
    let rate: Dec | null = null;
    const direct = this.rates.get(key);
    if (direct !== undefined && !isZero(direct)) rate = direct;
    else {
      const inverse = this.rates.get(`${to}/${from}`);
      if (inverse !== undefined && !isZero(inverse)) rate = div(ONE_POINT_ZERO, inverse);
    }
    this.resolved.set(key, rate);
    return rate;
  }
}

export class Shelf {
  private readonly first: Map<string, ShelfEntry>;
  private readonly last: Map<string, ShelfEntry>;
  /** Every attribute key present on any shelf entry (Q-M13: the whole shelf, any status). */
  readonly attributeKeys: Set<string>;

  constructor(entries: readonly ShelfEntry[]) {
    this.first = firstBy(entries, (e) => e.instrument_id);
    this.last = new Map(entries.map((e) => [e.instrument_id, e]));
    this.attributeKeys = new Set(entries.flatMap((e) => Object.keys(e.attributes)));
  }

  /** First entry per instrument (valuation, universe, targets, intents). */
  entryOf(instrumentId: string): ShelfEntry | undefined {
    return this.first.get(instrumentId);
  }

  /** Last entry per instrument: the settlement ladder reads this one (Q10). */
  lastEntryOf(instrumentId: string): ShelfEntry | undefined {
    return this.last.get(instrumentId);
  }
}
