/** Small builders for engine tests: plain JSON bodies validated through the real contract. */
import { simulateRequestSchema, type SimulateRequest } from '../../src/contracts/dpm-request.js';
import { validate } from '../../src/contracts/parse.js';
import { simulateRebalance } from '../../src/engine/pipeline.js';
import { resultToWire } from '../../src/engine/wire.js';

export interface Body {
  portfolio_snapshot: Record<string, unknown>;
  market_data_snapshot: Record<string, unknown>;
  model_portfolio: Record<string, unknown>;
  shelf_entries: Record<string, unknown>[];
  options: Record<string, unknown>;
}

/** One-currency book: `holdings` = [id, quantity, price], `model` = [id, weight]. */
export function body(spec: {
  base?: string;
  cash?: [string, string][];
  holdings?: [string, string, string, string?][];
  prices?: [string, string, string][];
  fx?: [string, string][];
  model?: [string, string][];
  shelf?: Record<string, unknown>[];
  options?: Record<string, unknown>;
}): Body {
  const base = spec.base ?? 'USD';
  const holdings = spec.holdings ?? [];
  return {
    portfolio_snapshot: {
      portfolio_id: 'pf_test',
      base_currency: base,
      positions: holdings.map(([instrument_id, quantity]) => ({ instrument_id, quantity })),
      cash_balances: (spec.cash ?? [[base, '0']]).map(([currency, amount]) => ({ currency, amount })),
    },
    market_data_snapshot: {
      prices: [
        ...holdings.map(([instrument_id, , price, currency]) => ({
          instrument_id,
          price,
          currency: currency ?? base,
        })),
        ...(spec.prices ?? []).map(([instrument_id, price, currency]) => ({
          instrument_id,
          price,
          currency,
        })),
      ],
      fx_rates: (spec.fx ?? []).map(([pair, rate]) => ({ pair, rate })),
    },
    model_portfolio: {
      targets: (spec.model ?? []).map(([instrument_id, weight]) => ({ instrument_id, weight })),
    },
    shelf_entries: spec.shelf ?? [],
    options: spec.options ?? {},
  };
}

export const approved = (...ids: string[]) =>
  ids.map((instrument_id) => ({ instrument_id, status: 'APPROVED' }));

export function request(raw: unknown): SimulateRequest {
  const parsed = validate(simulateRequestSchema, raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

export function run(raw: unknown) {
  return simulateRebalance(request(raw));
}

/** The JSON result, as a client sees it. */
export function runWire(raw: unknown): any {
  return resultToWire(run(raw));
}

/**
 * 10 000 USD: A 45 × 100 (0.45), B 45 × 100 (0.45), cash 1000 (0.10), against a model of A 0.5
 * and B at `modelB` — the small drifted portfolio of the tolerance-band tests.
 */
export const drifted = (modelB: string, options: Record<string, unknown>) =>
  body({
    holdings: [
      ['A', '45', '100'],
      ['B', '45', '100'],
    ],
    cash: [['USD', '1000']],
    model: [
      ['A', '0.5'],
      ['B', modelB],
    ],
    shelf: approved('A', 'B'),
    options,
  });
