/**
 * Data of the book page, in one small module (tested on its own): the book API's three reads,
 * whether to keep polling, and the poll loop. The contract (GET /rebalance/books/{id},
 * …/exceptions, …/blocks, POST …/cancel) is the book API's.
 */
import type { Fetcher } from './fetcher.js';

export type BookStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface Book {
  book_id: string;
  status: BookStatus;
  created_at: string;
  progress: {
    portfolios_total: number;
    portfolios_done: number;
    by_status: { READY: number; PENDING_REVIEW: number; BLOCKED: number };
    failed_lines: number;
    rate_per_second: number | string | null;
    eta_seconds: number | string | null;
  };
  summary: unknown;
}
export interface BookException {
  portfolio_id: string;
  line: number;
  status: string;
  reason: string;
  detail: unknown;
}
export interface BlockOrder {
  instrument_id: string;
  side: string;
  quantity: string;
  allocations: { portfolio_id: string; quantity: string }[];
}
export interface BookData {
  book: Book;
  exceptions: BookException[];
  blocks: BlockOrder[];
  fx_blocks: Record<string, unknown>[];
}

export const POLL_MS = 2000;

/** Timer functions (replaceable in tests). */
export interface Timers {
  set: (f: () => void, ms: number) => unknown;
  clear: (t: unknown) => void;
}

const path = (id: string, rest = '') => `/rebalance/books/${encodeURIComponent(id)}${rest}`;

/** The book, its exceptions and its block orders, read together. */
export async function loadBook(api: Fetcher, id: string): Promise<BookData> {
  const [book, exceptions, blocks] = await Promise.all([
    api<Book>('GET', path(id)),
    api<{ items: BookException[] }>('GET', path(id, '/exceptions')),
    api<{ blocks: BlockOrder[]; fx_blocks?: Record<string, unknown>[] }>('GET', path(id, '/blocks')),
  ]);
  return { book, exceptions: exceptions.items, blocks: blocks.blocks, fx_blocks: blocks.fx_blocks ?? [] };
}

/** Progress still moves while the book is queued or running. */
export function isLive(status: BookStatus): boolean {
  return status === 'QUEUED' || status === 'RUNNING';
}

export function cancelBook(api: Fetcher, id: string): Promise<unknown> {
  return api('POST', path(id, '/cancel'), {});
}

/** Share done, as a whole percent (0 without portfolios). */
export function percentDone(book: Book): number {
  const { portfolios_total: total, portfolios_done: done } = book.progress;
  return total > 0 ? Math.floor((done * 100) / total) : 0;
}

/**
 * Loads now, then again every `intervalMs` while the book is live; `onData` / `onError` get
 * each answer. Returns a stop function.
 */
export function pollBook(
  api: Fetcher,
  id: string,
  onData: (d: BookData) => void,
  onError: (e: unknown) => void,
  intervalMs = POLL_MS,
  timers: Timers = {
    set: (f, ms) => setTimeout(f, ms),
    clear: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
  },
): () => void {
  let stopped = false;
  let timer: unknown;
  const tick = async () => {
    try {
      const d = await loadBook(api, id);
      if (stopped) return;
      onData(d);
      if (isLive(d.book.status)) timer = timers.set(() => void tick(), intervalMs);
    } catch (e) {
      if (!stopped) onError(e);
    }
  };
  void tick();
  return () => {
    stopped = true;
    if (timer !== undefined) timers.clear(timer);
  };
}
