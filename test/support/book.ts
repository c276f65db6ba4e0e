/** A small, hand-checkable book (issue 16) and helpers to send books as JSON Lines. */
export const SMALL_SHARED = {
  market_data_snapshot: {
    prices: [
      { instrument_id: 'EQ_1', price: '100', currency: 'USD' },
      { instrument_id: 'EQ_EU', price: '50', currency: 'EUR' },
    ],
    fx_rates: [{ pair: 'EUR/USD', rate: '1.10' }],
  },
  shelf_entries: [
    { instrument_id: 'EQ_1', status: 'APPROVED' },
    { instrument_id: 'EQ_EU', status: 'APPROVED' },
  ],
  models: {
    half: { targets: [{ instrument_id: 'EQ_1', weight: '0.5' }] },
    euro: { targets: [{ instrument_id: 'EQ_EU', weight: '0.55' }] },
  },
  options: { fx_buffer_pct: '0.00' },
};

const cash = (id: string, amount: string, model: string, extra: Record<string, unknown> = {}) => ({
  portfolio_snapshot: {
    portfolio_id: id,
    base_currency: 'USD',
    positions: [],
    cash_balances: [{ currency: 'USD', amount }],
  },
  model_id: model,
  ...extra,
});

/** Lines 2…8: A, B buy EQ_1; C sells EQ_1; line 5 is not JSON; E buys EQ_EU (EUR funded) with high cash; F names an unknown model; G lacks base_currency. */
export const SMALL_LINES: string[] = [
  JSON.stringify(SMALL_SHARED),
  JSON.stringify(cash('A', '10000', 'half')),
  JSON.stringify(cash('B', '20000', 'half')),
  JSON.stringify({
    portfolio_snapshot: {
      portfolio_id: 'C',
      base_currency: 'USD',
      positions: [{ instrument_id: 'EQ_1', quantity: '200' }],
      cash_balances: [],
    },
    model_id: 'half',
  }),
  'not json',
  JSON.stringify(cash('E', '11000', 'euro', { options: { cash_band_max_weight: '0.30' } })),
  JSON.stringify(cash('F', '1000', 'nope')),
  JSON.stringify({ portfolio_snapshot: { portfolio_id: 'G', positions: [] }, model_id: 'half' }),
];

export const SMALL_BOOK = `${SMALL_LINES.join('\n')}\n`;

/** The /rebalance/simulate body of one portfolio line, as the book builds it. */
export function simulateBodyOf(lineText: string, shared = SMALL_SHARED): Record<string, unknown> {
  const line = JSON.parse(lineText);
  const model = (shared.models as Record<string, { targets: unknown }>)[line.model_id]!;
  return {
    portfolio_snapshot: line.portfolio_snapshot,
    market_data_snapshot: shared.market_data_snapshot,
    model_portfolio: { targets: model.targets },
    shelf_entries: shared.shelf_entries,
    options: { ...shared.options, ...(line.options ?? {}) },
  };
}

export const NDJSON = { 'content-type': 'application/x-ndjson' };

/**
 * The EQ_1 blocks of SMALL_BOOK (and of test/book/aggregate's pure book), hand-checked: A buys 50
 * and B 100 (half of 10,000 and 20,000 at 100); C sells 100 of its 200.
 */
export const EQ_1_BLOCKS = [
  {
    instrument_id: 'EQ_1',
    side: 'BUY',
    quantity: '150',
    allocations: [
      { portfolio_id: 'A', quantity: '50' },
      { portfolio_id: 'B', quantity: '100' },
    ],
  },
  {
    instrument_id: 'EQ_1',
    side: 'SELL',
    quantity: '100',
    allocations: [{ portfolio_id: 'C', quantity: '100' }],
  },
];

/** The same, netted: C's sell crossed as a negative allocation. */
export const EQ_1_NET_BLOCK = {
  instrument_id: 'EQ_1',
  side: 'BUY',
  quantity: '50',
  allocations: [
    { portfolio_id: 'A', quantity: '50' },
    { portfolio_id: 'B', quantity: '100' },
    { portfolio_id: 'C', quantity: '-100' },
  ],
};

/** FIX MsgTypes of SMALL_BOOK's export: a NewOrderSingle (D) and its Allocation (J) per block. */
export const SMALL_FIX_MSG_TYPES = ['D', 'J', 'D', 'J', 'D', 'J', 'D', 'J'];
