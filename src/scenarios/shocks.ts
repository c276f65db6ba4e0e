/**
 * Price and FX shocks (spec 50 §2, drivers `market_shock` and `fx_shock`): a shock in percent or
 * basis points becomes the factor 1 + shock, and matching prices or rates are multiplied (or,
 * for the quote side of an FX pair, divided) by it with the engine's decimal arithmetic.
 */
import type { SimulateRequest } from '../contracts/dpm-request.js';
import { add, type Dec, dec, div, mul, ONE } from '../contracts/decimal.js';
import { MARKET_SHOCK_SCOPES } from '../contracts/scenario.js';

const HUNDRED = dec('100');
const TEN_THOUSAND = dec('10000');

export interface Shock {
  shock_pct?: Dec;
  shock_bp?: Dec;
}

/** 1 + pct ÷ 100, or 1 + bp ÷ 10000; null when the payload gives neither. */
export function shockFactor(shock: Shock): Dec | null {
  if (shock.shock_pct !== undefined) return add(ONE, div(shock.shock_pct, HUNDRED));
  if (shock.shock_bp !== undefined) return add(ONE, div(shock.shock_bp, TEN_THOUSAND));
  return null;
}

export interface MarketShock extends Shock {
  scope: (typeof MARKET_SHOCK_SCOPES)[number];
  match?: string;
}

/**
 * Which instruments a market shock moves. Asset class and attributes come from the first shelf
 * entry of an instrument, as everywhere in the engine; an instrument without one is of asset
 * class `UNKNOWN` and has no attributes.
 */
export function instrumentMatcher(request: SimulateRequest, shock: MarketShock): (id: string) => boolean {
  const shelf = new Map<string, SimulateRequest['shelf_entries'][number]>();
  for (const entry of request.shelf_entries)
    if (!shelf.has(entry.instrument_id)) shelf.set(entry.instrument_id, entry);
  const match = shock.match ?? '';
  switch (shock.scope) {
    case 'all':
      return () => true;
    case 'instrument':
      return (id) => id === match;
    case 'asset_class':
      return (id) => (shelf.get(id)?.asset_class ?? 'UNKNOWN') === match;
    case 'attribute': {
      const colon = match.indexOf(':');
      const key = match.slice(0, colon);
      const value = match.slice(colon + 1);
      return (id) => shelf.get(id)?.attributes[key] === value;
    }
  }
}

/** Every matching price row, and the snapshot market value of every matching position, × factor. */
export function applyMarketShock(
  request: SimulateRequest,
  shock: MarketShock,
  factor: Dec,
): { request: SimulateRequest; matched: number } {
  const matches = instrumentMatcher(request, shock);
  let matched = 0;
  const prices = request.market_data_snapshot.prices.map((row) => {
    if (!matches(row.instrument_id)) return row;
    matched++;
    return { ...row, price: mul(row.price, factor) };
  });
  const positions = request.portfolio_snapshot.positions.map((position) =>
    position.market_value !== null && matches(position.instrument_id)
      ? {
          ...position,
          market_value: { ...position.market_value, amount: mul(position.market_value.amount, factor) },
        }
      : position,
  );
  return {
    request: {
      ...request,
      portfolio_snapshot: { ...request.portfolio_snapshot, positions },
      market_data_snapshot: { ...request.market_data_snapshot, prices },
    },
    matched,
  };
}

/**
 * The currency moves by the factor against every other currency: `CCY/X` rates are multiplied
 * by it, `X/CCY` rates divided by it (each result rounded to 28 digits, half-even).
 */
export function applyFxShock(
  request: SimulateRequest,
  currency: string,
  factor: Dec,
): { request: SimulateRequest; matched: number } {
  let matched = 0;
  const fx_rates = request.market_data_snapshot.fx_rates.map((row) => {
    const parts = row.pair.split('/');
    if (parts.length !== 2 || parts[0] === parts[1]) return row;
    if (parts[0] === currency) {
      matched++;
      return { ...row, rate: mul(row.rate, factor) };
    }
    if (parts[1] === currency) {
      matched++;
      return { ...row, rate: div(row.rate, factor) };
    }
    return row;
  });
  return {
    request: { ...request, market_data_snapshot: { ...request.market_data_snapshot, fx_rates } },
    matched,
  };
}
