/** The book document served by every book route (issue 16). */
import type { BookSummary } from '../../contracts/book.js';
import type { BookRow } from '../../store/books.js';
import type { PackForRun } from '../../policy/record.js';
import { isoTimestamp } from '../time.js';

export function bookLinks(id: string) {
  const self = `/rebalance/books/${id}`;
  return {
    self,
    exceptions: `${self}/exceptions`,
    blocks: `${self}/blocks`,
    results: `${self}/results`,
    orders_csv: `${self}/orders.csv`,
    orders_fix: `${self}/orders.fix`,
    cancel: `${self}/cancel`,
  };
}

export function bookView(book: BookRow, now: Date) {
  const started = book.started_at?.getTime() ?? null;
  const end = (book.finished_at ?? now).getTime();
  const elapsed = started === null ? 0 : Math.max(0.001, (end - started) / 1000);
  const done = book.portfolios_done;
  const rate = started === null || done === 0 ? null : Math.round((done / elapsed) * 10) / 10;
  const running = book.status === 'QUEUED' || book.status === 'RUNNING';
  const eta =
    running && rate !== null && rate > 0
      ? Math.round(((book.portfolios_total - done) / rate) * 10) / 10
      : null;
  return {
    book_id: book.book_id,
    status: book.status as 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED',
    created_at: isoTimestamp(book.created_at),
    created_by: book.created_by,
    started_at: book.started_at ? isoTimestamp(book.started_at) : null,
    finished_at: book.finished_at ? isoTimestamp(book.finished_at) : null,
    progress: {
      portfolios_total: book.portfolios_total,
      portfolios_done: done,
      by_status: { READY: book.ready, PENDING_REVIEW: book.pending_review, BLOCKED: book.blocked },
      failed_lines: book.failed,
      rate_per_second: rate,
      eta_seconds: eta,
    },
    summary: book.summary_json ? (JSON.parse(book.summary_json) as BookSummary) : null,
    error: book.error_json,
    policy_pack: book.policy_pack_json ? (JSON.parse(book.policy_pack_json) as PackForRun).applied : null,
    links: bookLinks(book.book_id),
  };
}
