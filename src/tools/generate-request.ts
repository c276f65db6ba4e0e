/**
 * Seeded generator of realistic multi-currency rebalance requests, for benchmarks, invariant
 * tests and `keel generate` (load tests, demos). The same options always give the same body:
 * plain JSON with decimals as strings, exactly what a client would send.
 */

/** mulberry32: small, fast, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerateOptions {
  /** Number of held positions (the model covers about as many instruments). */
  positions: number;
  seed: number;
  /** Turn on single-position and sector caps, a minimum notional and a cash band. */
  constraints?: boolean;
  /** Include non-APPROVED shelf statuses (locked, sell-only, excluded instruments). */
  mixedShelf?: boolean;
  /** Lots, turnover cap, settlement awareness. */
  controls?: boolean;
}

const CURRENCIES = ['USD', 'EUR', 'GBP', 'SGD', 'JPY'];
const RATES_TO_USD: Record<string, string> = { EUR: '1.0850', GBP: '1.2700', SGD: '0.7400', JPY: '0.0067' };
const SECTORS = ['TECH', 'HEALTH', 'ENERGY', 'FIN', 'INDUSTRIAL', 'UTILITIES'];
const CLASSES = ['EQUITY', 'FIXED_INCOME', 'ALTERNATIVES'];

export function generateRequest(opts: GenerateOptions): Record<string, unknown> {
  const rand = prng(opts.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const n = Math.max(1, opts.positions);
  const instruments = Array.from({ length: n + Math.ceil(n / 10) }, (_, i) => {
    const currency = rand() < 0.6 ? 'USD' : pick(CURRENCIES);
    const price = (currency === 'JPY' ? 1000 + rand() * 20000 : 5 + rand() * 500).toFixed(2);
    return { id: `INS_${String(i).padStart(5, '0')}`, currency, price };
  });
  const held = instruments.slice(0, n);
  const statuses = [
    'APPROVED',
    'APPROVED',
    'APPROVED',
    'APPROVED',
    'APPROVED',
    'APPROVED',
    'SELL_ONLY',
    'RESTRICTED',
    'SUSPENDED',
    'BANNED',
  ];

  const positions = held.map((ins) => {
    const quantity = String(1 + Math.floor(rand() * 2000));
    const position: Record<string, unknown> = { instrument_id: ins.id, quantity };
    if (opts.controls && rand() < 0.5) {
      const split = Math.max(1, Math.floor(Number(quantity) / 2));
      position.lots = [
        {
          lot_id: `${ins.id}_L1`,
          quantity: String(split),
          unit_cost: {
            amount: (Number(ins.price) * (0.6 + rand() * 0.8)).toFixed(2),
            currency: ins.currency,
          },
          purchase_date: '2021-03-01',
        },
        {
          lot_id: `${ins.id}_L2`,
          quantity: String(Number(quantity) - split),
          unit_cost: {
            amount: (Number(ins.price) * (0.6 + rand() * 0.8)).toFixed(2),
            currency: ins.currency,
          },
          purchase_date: '2023-07-15',
        },
      ];
    }
    return position;
  });

  // Model: a random subset plus a few unheld instruments, weights summing to ~0.97.
  const modelIds = instruments.filter(() => rand() < 0.8).map((i) => i.id);
  if (modelIds.length === 0) modelIds.push(instruments[0]!.id);
  const raw = modelIds.map(() => 0.2 + rand());
  const total = raw.reduce((a, b) => a + b, 0);
  const targets = modelIds.map((id, i) => ({
    instrument_id: id,
    weight: ((raw[i]! / total) * 0.97).toFixed(6),
  }));

  const shelf_entries = instruments.map((ins) => ({
    instrument_id: ins.id,
    status: opts.mixedShelf ? pick(statuses) : 'APPROVED',
    asset_class: pick(CLASSES),
    settlement_days: pick([1, 2, 2, 3]),
    attributes: { sector: pick(SECTORS), region: ins.currency === 'USD' ? 'US' : 'INTL' },
  }));

  const cash_balances = [
    { currency: 'USD', amount: (50_000 + rand() * 1_000_000).toFixed(2) },
    { currency: 'EUR', amount: (rand() * 100_000).toFixed(2) },
    { currency: 'SGD', amount: (rand() * 50_000).toFixed(2) },
  ];

  const options: Record<string, unknown> = { fx_buffer_pct: '0.00' };
  if (opts.constraints) {
    Object.assign(options, {
      single_position_max_weight: n < 10 ? '0.40' : '0.08',
      group_constraints: { 'sector:TECH': { max_weight: '0.25' }, 'sector:ENERGY': { max_weight: '0.10' } },
      min_trade_notional: { amount: '50', currency: 'USD' },
      cash_band_min_weight: '0.00',
      cash_band_max_weight: '0.10',
    });
  }
  if (opts.controls) {
    Object.assign(options, {
      enable_tax_awareness: true,
      max_realized_capital_gains: '25000',
      max_turnover_pct: '0.30',
      enable_settlement_awareness: true,
      max_overdraft_by_ccy: { USD: '100000' },
    });
  }

  return {
    portfolio_snapshot: {
      portfolio_id: `pf_gen_${opts.seed}_${n}`,
      base_currency: 'USD',
      positions,
      cash_balances,
    },
    market_data_snapshot: {
      prices: instruments.map((ins) => ({ instrument_id: ins.id, price: ins.price, currency: ins.currency })),
      fx_rates: Object.entries(RATES_TO_USD).map(([ccy, rate]) => ({ pair: `${ccy}/USD`, rate })),
    },
    model_portfolio: { targets },
    shelf_entries,
    options,
  };
}

export interface GenerateBookOptions {
  portfolios: number;
  /** Positions per portfolio (the market and shelf cover about 10 % more instruments). */
  positions: number;
  seed: number;
  /** Distinct models, assigned round-robin (default 3). */
  models?: number;
}

/**
 * A book as JSON Lines (issue 16): line 1 the shared market data, shelf, models and options of
 * `generateRequest`'s seeded universe; then one portfolio per line, each its own seeded
 * holdings and cash over the same instruments, following model `m<i mod models>`.
 */
export function* generateBookLines(opts: GenerateBookOptions): Generator<string> {
  const base = generateRequest({ positions: opts.positions, seed: opts.seed, constraints: true });
  const count = Math.max(1, opts.models ?? 3);
  const models: Record<string, unknown> = {};
  for (let m = 0; m < count; m++)
    models[`m${m}`] = generateRequest({ positions: opts.positions, seed: opts.seed + m }).model_portfolio;
  yield JSON.stringify({
    market_data_snapshot: base.market_data_snapshot,
    shelf_entries: base.shelf_entries,
    models,
    options: base.options,
  });
  for (let i = 0; i < opts.portfolios; i++) {
    const portfolio = generateRequest({ positions: opts.positions, seed: opts.seed * 100_003 + i + 1 })
      .portfolio_snapshot as Record<string, unknown>;
    yield JSON.stringify({
      portfolio_snapshot: { ...portfolio, portfolio_id: `pf_${String(i).padStart(6, '0')}` },
      model_id: `m${i % count}`,
    });
  }
}
