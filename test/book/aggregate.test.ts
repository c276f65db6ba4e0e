/**
 * Book aggregation, pure (issue 16): hand-checked blocks and allocations (gross and net), FX
 * blocks, exceptions and totals; allocations always sum exactly to their block (property);
 * the CSV and FIX writers; the JSON Lines splitter.
 */
import { describe, expect, it } from 'vitest';
import { exceptionList, fxBlocks, securityBlocks, summarize } from '../../src/book/aggregate.js';
import type { PortfolioOutcome, TradeTuple } from '../../src/book/compact.js';
import { bookCsv } from '../../src/book/csv.js';
import { bookFix, checksum, fixMessage, fixTimes, parseFix, SOH } from '../../src/book/fix.js';
import { jsonLines } from '../../src/book/lines.js';
import { portfolioBody } from '../../src/book/request.js';
import { dec, eq, sum } from '../../src/contracts/decimal.js';
import { prng } from '../../src/tools/generate-request.js';
import { EQ_1_BLOCKS, EQ_1_NET_BLOCK } from '../support/book.js';

function outcome(
  line: number,
  id: string,
  trades: TradeTuple[],
  extra: Partial<PortfolioOutcome> = {},
): PortfolioOutcome {
  return {
    line,
    portfolio_id: id,
    model_id: 'm',
    status: 'READY',
    request_hash: `sha256:${id}`,
    base_currency: 'USD',
    trades,
    fx: [],
    metrics: { total_value: '1000', buy_base: '0', sell_base: '0', fx_base: '0', cash_weight: '0.05' },
    exceptions: [],
    ...extra,
  };
}

const BOOK = [
  outcome(2, 'A', [
    ['EQ_1', 'BUY', '50', '5000'],
    ['EQ_2', 'SELL', '10.5', '1050'],
  ]),
  outcome(3, 'B', [['EQ_1', 'BUY', '100', '10000']]),
  outcome(4, 'C', [
    ['EQ_1', 'SELL', '100', '10000'],
    ['EQ_2', 'BUY', '10.5', '1050'],
  ]),
];

describe('block orders', () => {
  it('aggregates per instrument and side with allocations in input order (hand-checked)', () => {
    expect(securityBlocks(BOOK)).toEqual([
      ...EQ_1_BLOCKS,
      {
        instrument_id: 'EQ_2',
        side: 'BUY',
        quantity: '10.5',
        allocations: [{ portfolio_id: 'C', quantity: '10.5' }],
      },
      {
        instrument_id: 'EQ_2',
        side: 'SELL',
        quantity: '10.5',
        allocations: [{ portfolio_id: 'A', quantity: '10.5' }],
      },
    ]);
  });

  it('nets per instrument: opposite side crossed as negative allocations, exact zero nets drop out', () => {
    expect(securityBlocks(BOOK, true)).toEqual([EQ_1_NET_BLOCK]);
    const sells = [outcome(2, 'A', [['X', 'SELL', '7', '70']]), outcome(3, 'B', [['X', 'BUY', '2', '20']])];
    expect(securityBlocks(sells, true)).toEqual([
      {
        instrument_id: 'X',
        side: 'SELL',
        quantity: '5',
        allocations: [
          { portfolio_id: 'A', quantity: '7' },
          { portfolio_id: 'B', quantity: '-2' },
        ],
      },
    ]);
  });

  it('aggregates FX per pair and direction', () => {
    const book = [
      outcome(2, 'A', [], { fx: [['EUR/USD', 'EUR', '100.10', 'USD', '108.6085']] }),
      outcome(3, 'B', [], {
        fx: [
          ['EUR/USD', 'EUR', '0.90', 'USD', '0.9765'],
          ['USD/SGD', 'SGD', '5', 'USD', '3.7'],
        ],
      }),
      outcome(4, 'C', [], { fx: [['EUR/USD', 'USD', '10', 'EUR', '9.2']] }),
    ];
    const blocks = fxBlocks(book);
    expect(blocks.map((b) => [b.buy_currency, b.sell_currency, b.amount, b.sell_amount_estimated])).toEqual([
      ['EUR', 'USD', '101.00', '109.5850'],
      ['SGD', 'USD', '5', '3.7'],
      ['USD', 'EUR', '10', '9.2'],
    ]);
    expect(blocks[0]!.allocations).toEqual([
      { portfolio_id: 'A', amount: '100.10', sell_amount_estimated: '108.6085' },
      { portfolio_id: 'B', amount: '0.90', sell_amount_estimated: '0.9765' },
    ]);
  });

  it('allocations always sum exactly to their block (random books, gross and net)', () => {
    const rand = prng(16);
    for (let round = 0; round < 200; round++) {
      const book: PortfolioOutcome[] = [];
      const n = 1 + Math.floor(rand() * 30);
      for (let p = 0; p < n; p++) {
        const trades: TradeTuple[] = [];
        for (let k = 0; k < Math.floor(rand() * 6); k++) {
          const digits = Math.floor(rand() * 4);
          const q = (rand() * 10 ** (2 + Math.floor(rand() * 8))).toFixed(digits);
          trades.push([
            `I${Math.floor(rand() * 5)}`,
            rand() < 0.5 ? 'BUY' : 'SELL',
            q === '0' ? '1' : q,
            '1',
          ]);
        }
        book.push(outcome(p + 2, `P${p}`, trades));
      }
      for (const net of [false, true])
        for (const block of securityBlocks(book, net)) {
          const total = sum(block.allocations.map((a) => dec(a.quantity)));
          expect(eq(total, dec(block.quantity)), `${block.instrument_id} ${block.side}`).toBe(true);
          expect(block.quantity.startsWith('-')).toBe(false);
        }
      const gross = securityBlocks(book, false);
      const traded = book.reduce((s, o) => s + o.trades.length, 0);
      expect(gross.reduce((s, b) => s + b.allocations.length, 0)).toBe(traded);
    }
  });
});

describe('summary and exceptions', () => {
  it('counts, totals per base currency and failed lines in line order', () => {
    const book = [
      outcome(2, 'A', [], {
        metrics: { total_value: '1', buy_base: '10.5', sell_base: '2', fx_base: '1', cash_weight: null },
      }),
      outcome(4, 'B', [['X', 'BUY', '1', '1']], {
        status: 'BLOCKED',
        metrics: { total_value: '1', buy_base: '0.5', sell_base: '0', fx_base: '0', cash_weight: null },
      }),
    ];
    const summary = summarize(
      book,
      [
        { line: 5, portfolio_id: null, error: 'e5' },
        { line: 3, portfolio_id: 'Z', error: 'e3' },
      ],
      4,
    );
    expect(summary).toEqual({
      portfolios: 4,
      by_status: { READY: 1, PENDING_REVIEW: 0, BLOCKED: 1 },
      failed_lines: [
        { line: 3, error: 'e3' },
        { line: 5, error: 'e5' },
      ],
      totals: {
        base_currency: 'USD',
        turnover_base: '13.0',
        buy_base: '11.0',
        sell_base: '2',
        fx_base: '1',
        intents: 1,
        by_base_currency: { USD: { turnover_base: '13.0', buy_base: '11.0', sell_base: '2', fx_base: '1' } },
      },
    });
    const mixed = summarize([...book, outcome(6, 'C', [], { base_currency: 'EUR' })], [], 3);
    expect(mixed.totals.base_currency).toBeNull();
    expect(mixed.totals.turnover_base).toBeNull();
    expect(Object.keys(mixed.totals.by_base_currency)).toEqual(['EUR', 'USD']);
  });

  it('lists every exception with its portfolio and line, in input order', () => {
    const book = [
      outcome(3, 'B', [], {
        status: 'PENDING_REVIEW',
        exceptions: [
          { reason: 'PENDING_REVIEW', detail: 'd' },
          { reason: 'HIGH_CASH', detail: 'c' },
        ],
      }),
      outcome(2, 'A', [], { status: 'BLOCKED', exceptions: [{ reason: 'BLOCKED', detail: 'x' }] }),
    ];
    expect(exceptionList(book)).toEqual([
      { portfolio_id: 'A', line: 2, status: 'BLOCKED', reason: 'BLOCKED', detail: 'x' },
      { portfolio_id: 'B', line: 3, status: 'PENDING_REVIEW', reason: 'PENDING_REVIEW', detail: 'd' },
      { portfolio_id: 'B', line: 3, status: 'PENDING_REVIEW', reason: 'HIGH_CASH', detail: 'c' },
    ]);
  });
});

describe('portfolio bodies', () => {
  const shared = {
    market_data_snapshot: { prices: [] },
    shelf_entries: [],
    models: { m: { targets: [] } },
    options: { a: 1, b: 2 },
  };
  it('merges options key by key, per-portfolio over shared', () => {
    const body = portfolioBody(shared, {
      portfolio_snapshot: { portfolio_id: 'p' },
      model_id: 'm',
      options: { b: 3 },
    });
    expect(body.ok && body.body.options).toEqual({ a: 1, b: 3 });
    expect(body.ok && body.body.model_portfolio).toEqual({ targets: [] });
  });
  it('names what is wrong with a line', () => {
    expect(portfolioBody(shared, [])).toMatchObject({
      ok: false,
      error: 'line: Input should be a JSON object',
    });
    expect(
      portfolioBody(shared, { portfolio_snapshot: { portfolio_id: 'p' }, model_id: 'zz' }),
    ).toMatchObject({
      ok: false,
      portfolioId: 'p',
      error: "model_id: unknown model 'zz'",
    });
    expect(
      portfolioBody(shared, { portfolio_snapshot: { portfolio_id: 'p' }, model_id: 'm', extra: 1 }),
    ).toMatchObject({
      ok: false,
      error: 'extra: Extra inputs are not permitted',
    });
  });
});

describe('FIX 4.4 writer', () => {
  it('computes BodyLength and CheckSum as the published example does', () => {
    // The classic logon example from the FIX specification's appendix.
    const msg = fixMessage(
      [
        [35, 'A'],
        [49, 'SERVER'],
        [56, 'CLIENT'],
        [34, 177],
        [52, '20090107-18:15:16'],
        [98, 0],
        [108, 30],
      ],
      'FIX.4.2',
    );
    expect(msg.split(SOH).join('|')).toBe(
      '8=FIX.4.2|9=65|35=A|49=SERVER|56=CLIENT|34=177|52=20090107-18:15:16|98=0|108=30|10=062|',
    );
  });

  it('writes a NewOrderSingle and an AllocationInstruction per block, each verifiable', () => {
    const text = bookFix(securityBlocks(BOOK), [], {
      senderCompId: 'KEEL',
      targetCompId: 'BROKER',
      idPrefix: 'bk_1',
      ...fixTimes('2026-12-01T07:00:00Z'),
    });
    const messages = text.trimEnd().split('\n');
    expect(messages).toHaveLength(8);
    for (const m of messages) {
      const bodyStart = m.indexOf(SOH, m.indexOf('9=')) + 1;
      const trailer = m.lastIndexOf('10=');
      const fields = parseFix(m);
      expect(Number(fields[1]![1])).toBe(Buffer.byteLength(m.slice(bodyStart, trailer), 'latin1'));
      expect(fields.at(-1)).toEqual([10, checksum(m.slice(0, trailer))]);
    }
    const order = new Map(parseFix(messages[0]!));
    expect([
      order.get(35),
      order.get(11),
      order.get(55),
      order.get(54),
      order.get(38),
      order.get(52),
    ]).toEqual(['D', 'bk_1-S1', 'EQ_1', '1', '150', '20261201-07:00:00.000']);
    const alloc = parseFix(messages[1]!);
    expect(alloc.filter(([t]) => t === 79 || t === 80).map(([, v]) => v)).toEqual(['A', '50', 'B', '100']);
    expect(new Map(alloc).get(78)).toBe('2');
  });

  it('refuses a value holding the delimiter', () => {
    expect(() =>
      fixMessage([
        [35, 'D'],
        [55, `X${SOH}Y`],
      ]),
    ).toThrow(/control character/);
  });
});

describe('CSV writer', () => {
  it('writes one row per allocation', () => {
    const csv = bookCsv(securityBlocks(BOOK), [], 'bk_1');
    expect(csv.split('\n').slice(0, 3)).toEqual([
      'block_id,kind,instrument_id,side,block_quantity,currency,portfolio_id,allocation_quantity',
      'bk_1-S1,SECURITY,EQ_1,BUY,150,,A,50',
      'bk_1-S1,SECURITY,EQ_1,BUY,150,,B,100',
    ]);
    expect(csv.trimEnd().split('\n')).toHaveLength(6);
  });
});

describe('JSON Lines splitter', () => {
  async function collect(chunks: string[], max?: number) {
    const out = [];
    for await (const l of jsonLines(
      (async function* () {
        yield* chunks.map((c) => Buffer.from(c));
      })(),
      max,
    ))
      out.push(l);
    return out;
  }
  it('cuts lines across chunks, numbers them, skips blanks and handles CRLF', async () => {
    expect(await collect(['{"a"', ':1}\r\n\n  \n{"b":', '2}\n{"c":3}'])).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 4, text: '{"b":2}' },
      { line: 5, text: '{"c":3}' },
    ]);
  });
  it('reports an over-long line instead of buffering it, and goes on', async () => {
    expect(await collect(['{"a":1}\n{"long":"', 'x'.repeat(50), 'yyyy"}\n{"c":3}\n'], 20)).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, text: '', tooLong: true },
      { line: 3, text: '{"c":3}' },
    ]);
  });
});
