/**
 * The console's pure modules, without a browser: exact percentage text, tolerance bands, and the
 * book page's data loading and polling (against a fake fetcher speaking the book API's contract).
 */
import { describe, expect, it } from 'vitest';
import { bandFor, bandOptions, complement, sumWeights, weightDelta } from '../../console/src/bands.js';
import {
  type Book,
  isLive,
  loadBook,
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
  created_at: '2026-03-01T09:00:00+00:00',
  progress: {
    portfolios_total: 3,
    portfolios_done: 1,
    by_status: { READY: 1, PENDING_REVIEW: 0, BLOCKED: 0 },
    failed_lines: 0,
    rate_per_second: '1.5',
    eta_seconds: 2,
  },
  summary: null,
};

function fakeApi(statuses: Book['status'][]) {
  const calls: string[] = [];
  let n = 0;
  const api = async <T>(method: string, path: string): Promise<T> => {
    calls.push(`${method} ${path}`);
    if (path === '/rebalance/books/bk_1') {
      const status = statuses[Math.min(n++, statuses.length - 1)]!;
      return { ...BOOK, status } as T;
    }
    if (path.endsWith('/exceptions'))
      return { items: [{ portfolio_id: 'p', line: 2, status: 'BLOCKED', reason: 'R', detail: null }] } as T;
    if (path.endsWith('/blocks')) return { blocks: [], fx_blocks: [] } as T;
    throw new Error(`unexpected ${path}`);
  };
  return { api, calls };
}

describe('console book data', () => {
  it('reads the book, its exceptions and blocks with the contract’s paths', async () => {
    const { api, calls } = fakeApi(['RUNNING']);
    const data = await loadBook(api, 'bk_1');
    expect(calls.sort()).toEqual([
      'GET /rebalance/books/bk_1',
      'GET /rebalance/books/bk_1/blocks',
      'GET /rebalance/books/bk_1/exceptions',
    ]);
    expect(data.exceptions).toHaveLength(1);
    expect(data.fx_blocks).toEqual([]);
    expect(percentDone(data.book)).toBe(33);
    expect(isLive('QUEUED') && isLive('RUNNING')).toBe(true);
    expect(isLive('SUCCEEDED') || isLive('FAILED') || isLive('CANCELLED')).toBe(false);
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
