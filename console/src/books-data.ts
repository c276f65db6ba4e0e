/**
 * Data of the book pages, in one small module (tested on its own): the book API's reads, whether
 * to keep polling, the poll loop and the downloads. The shapes are the book API's contracts
 * (src/contracts/book.ts: Book, BookExceptions, BookBlocks, BookPage); the routes are
 * GET /rebalance/books, /rebalance/books/{id}, …/exceptions, …/blocks (only once SUCCEEDED: 409
 * BOOK_NOT_FINISHED before), …/orders.csv, …/orders.fix and POST …/cancel.
 */
import type { Fetcher } from './fetcher.js';

export const BOOK_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type BookStatus = (typeof BOOK_STATUSES)[number];
export type RunStatus = 'READY' | 'PENDING_REVIEW' | 'BLOCKED';

export interface StatusCounts {
  READY: number;
  PENDING_REVIEW: number;
  BLOCKED: number;
}
export interface CurrencyTotals {
  turnover_base: string;
  buy_base: string;
  sell_base: string;
  fx_base: string;
}
export interface BookSummary {
  portfolios: number;
  by_status: StatusCounts;
  failed_lines: { line: number; error: string }[];
  totals: {
    base_currency: string | null;
    turnover_base: string | null;
    buy_base: string | null;
    sell_base: string | null;
    fx_base: string | null;
    intents: number;
    by_base_currency: Record<string, CurrencyTotals>;
  };
}
export interface Book {
  book_id: string;
  status: BookStatus;
  created_at: string;
  created_by: string | null;
  started_at: string | null;
  finished_at: string | null;
  progress: {
    portfolios_total: number;
    portfolios_done: number;
    by_status: StatusCounts;
    failed_lines: number;
    rate_per_second: number | null;
    eta_seconds: number | null;
  };
  summary: BookSummary | null;
  error: string | null;
  links: {
    self: string;
    exceptions: string;
    blocks: string;
    results: string;
    orders_csv: string;
    orders_fix: string;
    cancel: string;
  };
}
export interface BookException {
  portfolio_id: string;
  line: number;
  status: RunStatus;
  reason: 'BLOCKED' | 'PENDING_REVIEW' | 'NOT_TRADED_OUTSIDE_TOLERANCE' | 'HIGH_CASH' | 'LOW_CASH';
  detail: string;
}
export interface BlockOrder {
  instrument_id: string;
  side: 'BUY' | 'SELL';
  quantity: string;
  allocations: { portfolio_id: string; quantity: string }[];
}
export interface FxBlock {
  pair: string;
  buy_currency: string;
  sell_currency: string;
  amount: string;
  sell_amount_estimated: string;
  allocations: { portfolio_id: string; amount: string; sell_amount_estimated: string }[];
}
export interface BookBlocks {
  net: boolean;
  blocks: BlockOrder[];
  fx_blocks: FxBlock[];
}
export interface BookData {
  book: Book;
  exceptions: BookException[];
  /** Null until the book SUCCEEDED (the API has no blocks before). */
  blocks: BookBlocks | null;
}
export interface BookPage {
  items: Book[];
  next_cursor: string | null;
}

export const POLL_MS = 2000;

/** Timer functions (replaceable in tests). */
export interface Timers {
  set: (f: () => void, ms: number) => unknown;
  clear: (t: unknown) => void;
}

export const bookPath = (id: string, rest = '') => `/rebalance/books/${encodeURIComponent(id)}${rest}`;

/**
 * The book and its exceptions, read together; its block orders too once it SUCCEEDED (gross,
 * per instrument and side, as the CSV and FIX exports have them).
 */
export async function loadBook(api: Fetcher, id: string): Promise<BookData> {
  const [book, exceptions] = await Promise.all([
    api<Book>('GET', bookPath(id)),
    api<{ items: BookException[] }>('GET', bookPath(id, '/exceptions')),
  ]);
  const blocks = book.status === 'SUCCEEDED' ? await api<BookBlocks>('GET', bookPath(id, '/blocks')) : null;
  return { book, exceptions: exceptions.items, blocks };
}

/** A page of books, newest first (`GET /rebalance/books`). */
export function listBooks(
  api: Fetcher,
  filters: { status?: string; cursor?: string; limit?: number },
): Promise<BookPage> {
  const q = new URLSearchParams();
  if (filters.status) q.set('status', filters.status);
  if (filters.limit) q.set('limit', String(filters.limit));
  if (filters.cursor) q.set('cursor', filters.cursor);
  const s = q.toString();
  return api<BookPage>('GET', `/rebalance/books${s ? `?${s}` : ''}`);
}

/** Progress still moves while the book is queued or running. */
export function isLive(status: BookStatus): boolean {
  return status === 'QUEUED' || status === 'RUNNING';
}

/** POST …/cancel: answers the book, now CANCELLED (409 BOOK_NOT_CANCELLABLE once finished). */
export function cancelBook(api: Fetcher, id: string): Promise<Book> {
  return api<Book>('POST', bookPath(id, '/cancel'), {});
}

/** Share done, as a whole percent (0 without portfolios). */
export function percentDone(book: Book): number {
  const { portfolios_total: total, portfolios_done: done } = book.progress;
  return total > 0 ? Math.floor((done * 100) / total) : 0;
}

/** "12.5 per second, about 4 s left" (rates are display figures from the API, never money). */
export function pace(book: Book): string {
  const { rate_per_second: rate, eta_seconds: eta } = book.progress;
  if (rate === null) return '–';
  return eta === null ? `${rate} per second` : `${rate} per second, about ${eta} s left`;
}

/** The two exports of a finished book, with the file names the API gives them. */
export function bookDownloads(book: Book): { label: string; path: string; filename: string }[] {
  if (book.status !== 'SUCCEEDED') return [];
  return [
    { label: 'Block orders (CSV)', path: book.links.orders_csv, filename: `${book.book_id}.csv` },
    { label: 'Block orders (FIX 4.4)', path: book.links.orders_fix, filename: `${book.book_id}.fix` },
  ];
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
