/**
 * The console's pure modules, without a browser: exact percentage text, tolerance bands, and the
 * book page's data loading and polling (against a fake fetcher speaking the book API's contract).
 */
import { describe, expect, it } from 'vitest';
import { bandFor, bandOptions, complement, sumWeights, weightDelta } from '../../console/src/bands.js';
import {
  type Book,
  bookDownloads,
  isLive,
  listBooks,
  loadBook,
  pace,
  percentDone,
  pollBook,
  type Timers,
} from '../../console/src/books-data.js';
import { pct, words } from '../../console/src/format.js';

describe('console format', () => {
  it('turns weights into percentages by moving the decimal point (no float rounding)', () => {
    expect(pct('0.2000')).toBe('20.00%');
    expect(pct('1.0000')).toBe('100.00%');
    expect(pct('0.5')).toBe('50%');
    expect(pct('0')).toBe('0%');
    expect(pct('-0.015')).toBe('-1.5%');
    expect(pct('0.123456789')).toBe('12.3456789%');
    expect(pct('0.145')).toBe('14.5%');
    expect(pct(null)).toBe('–');
    expect(words('PENDING_REVIEW')).toBe('Pending review');
  });
});

describe('console tolerance bands', () => {
  it('draws bands only when drift_band_abs / drift_band_rel are present', () => {
    expect(bandOptions({ status: 'READY' })).toBeNull();
    expect(bandFor('0.5', null)).toBeNull();
    expect(bandOptions({ options: { drift_band_abs: '0.02' } })).toEqual({ abs: '0.02', rel: null });
    expect(bandOptions({}, { instrument_id: 'A', drift_band_rel: '0.1' } as never)).toEqual({
      abs: null,
      rel: '0.1',
    });
  });

  it('computes bands exactly, the wider of absolute and relative, clipped to [0, 1]', () => {
    expect(bandFor('0.5', { abs: '0.02', rel: null })).toEqual({ lo: '0.48', hi: '0.52' });
    expect(bandFor('0.5', { abs: null, rel: '0.1' })).toEqual({ lo: '0.45', hi: '0.55' });
    expect(bandFor('0.5', { abs: '0.02', rel: '0.1' })).toEqual({ lo: '0.45', hi: '0.55' });
    expect(bandFor('0.01', { abs: '0.05', rel: null })).toEqual({ lo: '0', hi: '0.06' });
    expect(bandFor('0.99', { abs: '0.05', rel: null })).toEqual({ lo: '0.94', hi: '1' });
    expect(sumWeights(['0.1', '0.2'])).toBe('0.3');
    expect(complement('0.3')).toBe('0.7');
    expect(weightDelta('0.3', '0.1')).toBe('-0.2');
  });
});

const BOOK: Book = {
  book_id: 'bk_1',
  status: 'RUNNING',
  created_at: '2026-03-01T09:00:00.000Z',
  created_by: 'pm_a',
  started_at: '2026-03-01T09:00:00.150Z',
  finished_at: null,
  progress: {
    portfolios_total: 3,
    portfolios_done: 1,
    by_status: { READY: 1, PENDING_REVIEW: 0, BLOCKED: 0 },
    failed_lines: 0,
    rate_per_second: 1.5,
    eta_seconds: 1.3,
  },
  summary: null,
  error: null,
  links: {
    self: '/rebalance/books/bk_1',
    exceptions: '/rebalance/books/bk_1/exceptions',
    blocks: '/rebalance/books/bk_1/blocks',
    results: '/rebalance/books/bk_1/results',
    orders_csv: '/rebalance/books/bk_1/orders.csv',
    orders_fix: '/rebalance/books/bk_1/orders.fix',
    cancel: '/rebalance/books/bk_1/cancel',
  },
};

/** A fake book API that answers as the real one does: blocks only once SUCCEEDED (409 before). */
function fakeApi(statuses: Book['status'][]) {
  const calls: string[] = [];
  let n = 0;
  let status: Book['status'] = statuses[0]!;
  const api = async <T>(method: string, path: string): Promise<T> => {
    calls.push(`${method} ${path}`);
    if (path === '/rebalance/books/bk_1') {
      status = statuses[Math.min(n++, statuses.length - 1)]!;
      return { ...BOOK, status } as T;
    }
    if (path.endsWith('/exceptions'))
      return {
        items: [{ portfolio_id: 'p', line: 2, status: 'BLOCKED', reason: 'BLOCKED', detail: 'CASH_BAND' }],
      } as T;
    if (path.endsWith('/blocks')) {
      if (status !== 'SUCCEEDED') throw new Error('409: BOOK_NOT_FINISHED');
      return {
        net: false,
        blocks: [{ instrument_id: 'EQ_1', side: 'BUY', quantity: '3', allocations: [] }],
        fx_blocks: [],
      } as T;
    }
    if (/^\/rebalance\/books(\?|$)/.test(path)) return { items: [BOOK], next_cursor: null } as T;
    throw new Error(`unexpected ${path}`);
  };
  return { api, calls };
}

describe('console book data', () => {
  it('reads the book and its exceptions with the contract’s paths, and no blocks while it runs', async () => {
    const { api, calls } = fakeApi(['RUNNING']);
    const data = await loadBook(api, 'bk_1');
    expect(calls.sort()).toEqual(['GET /rebalance/books/bk_1', 'GET /rebalance/books/bk_1/exceptions']);
    expect(data.exceptions).toHaveLength(1);
    expect(data.blocks).toBeNull();
    expect(percentDone(data.book)).toBe(33);
    expect(pace(data.book)).toBe('1.5 per second, about 1.3 s left');
    expect(bookDownloads(data.book)).toEqual([]);
    expect(isLive('QUEUED') && isLive('RUNNING')).toBe(true);
    expect(isLive('SUCCEEDED') || isLive('FAILED') || isLive('CANCELLED')).toBe(false);
  });

  it('reads the block orders and offers the CSV and FIX exports once the book SUCCEEDED', async () => {
    const { api, calls } = fakeApi(['SUCCEEDED']);
    const data = await loadBook(api, 'bk_1');
    expect(calls).toContain('GET /rebalance/books/bk_1/blocks');
    expect(data.blocks?.blocks[0]).toMatchObject({ instrument_id: 'EQ_1', quantity: '3' });
    expect(bookDownloads(data.book).map((d) => [d.path, d.filename])).toEqual([
      ['/rebalance/books/bk_1/orders.csv', 'bk_1.csv'],
      ['/rebalance/books/bk_1/orders.fix', 'bk_1.fix'],
    ]);
    expect(pace({ ...data.book, progress: { ...data.book.progress, eta_seconds: null } })).toBe(
      '1.5 per second',
    );
    expect(pace({ ...data.book, progress: { ...data.book.progress, rate_per_second: null } })).toBe('–');
  });

  it('lists books with the status filter, page size and cursor in the query', async () => {
    const { api, calls } = fakeApi(['RUNNING']);
    const page = await listBooks(api, { status: 'SUCCEEDED', cursor: 'bk_9', limit: 20 });
    expect(page.items[0]!.book_id).toBe('bk_1');
    await listBooks(api, {});
    expect(calls).toEqual([
      'GET /rebalance/books?status=SUCCEEDED&limit=20&cursor=bk_9',
      'GET /rebalance/books',
    ]);
  });

  it('polls while QUEUED or RUNNING and stops when the book finishes', async () => {
    const { api } = fakeApi(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    const pending: (() => void)[] = [];
    const timers: Timers = { set: (f) => pending.push(f), clear: () => undefined };
    const seen: string[] = [];
    const flush = () => new Promise((r) => setTimeout(r, 0));
    pollBook(
      api,
      'bk_1',
      (d) => seen.push(d.book.status),
      (e) => seen.push(String(e)),
      2000,
      timers,
    );
    await flush();
    while (pending.length > 0) {
      pending.shift()!();
      await flush();
    }
    expect(seen).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
  });

  it('stops polling when told, and reports errors', async () => {
    const { api } = fakeApi(['RUNNING']);
    const pending: (() => void)[] = [];
    const seen: string[] = [];
    const stop = pollBook(
      api,
      'bk_1',
      (d) => seen.push(d.book.status),
      () => undefined,
      2000,
      {
        set: (f) => pending.push(f),
        clear: () => undefined,
      },
    );
    await new Promise((r) => setTimeout(r, 0));
    stop();
    pending.shift()?.();
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual(['RUNNING']);
    const errors: unknown[] = [];
    pollBook(
      async () => {
        throw new Error('404: Not Found');
      },
      'bk_2',
      () => undefined,
      (e) => errors.push(e),
    );
    await new Promise((r) => setTimeout(r, 0));
    expect(String(errors[0])).toContain('404');
  });
});
