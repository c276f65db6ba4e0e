/**
 * Book rebalance storage (issue 16): the book row with its progress counters, input lines,
 * chunks and one compact result row per portfolio line. `commitChunk` writes a chunk's rows,
 * marks it DONE and advances the book in one transaction under row locks (chunk, then book),
 * so a chunk run twice — a retry after a crash, or two workers — is recorded once.
 */
import type { Queryable } from './database.js';
import { keysetPage, type Page } from './keyset.js';

export interface BookRow {
  book_id: string;
  tenant_id: string;
  status: string;
  idempotency_key: string | null;
  body_hash: string | null;
  created_at: Date;
  created_by: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  portfolios_total: number;
  portfolios_done: number;
  ready: number;
  pending_review: number;
  blocked: number;
  failed: number;
  chunks_total: number;
  chunks_done: number;
  summary_json: string | null;
  error_json: string | null;
}

const COLUMNS = `book_id, tenant_id, status, idempotency_key, body_hash, created_at, created_by, started_at,
  finished_at, portfolios_total, portfolios_done, ready, pending_review, blocked, failed, chunks_total,
  chunks_done, summary_json, error_json`;

export interface ResultRow {
  line_no: number;
  portfolio_id: string | null;
  status: string;
  request_hash: string | null;
  outcome_json: string;
}

export async function createBook(
  q: Queryable,
  book: {
    book_id: string;
    tenant_id: string;
    created_at: Date;
    created_by: string | null;
    shared_json: string;
  },
): Promise<void> {
  await q.query(
    `INSERT INTO rebalance_books (book_id, tenant_id, status, created_at, created_by, shared_json)
     VALUES ($1, $2, 'RECEIVING', $3, $4, $5)`,
    [book.book_id, book.tenant_id, book.created_at, book.created_by, book.shared_json],
  );
}

export async function insertLines(q: Queryable, bookId: string, lines: { line: number; text: string }[]) {
  if (lines.length === 0) return;
  await q.query(
    `INSERT INTO rebalance_book_lines (book_id, line_no, line_json)
     SELECT $1, l, t FROM unnest($2::int[], $3::text[]) AS x(l, t)`,
    [bookId, lines.map((l) => l.line), lines.map((l) => l.text)],
  );
}

/** Result rows; an existing row of the line is left as it is (a chunk recorded twice writes once). */
export async function insertResults(q: Queryable, bookId: string, rows: ResultRow[]) {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO rebalance_book_results (book_id, line_no, portfolio_id, status, request_hash, outcome_json)
     SELECT $1, l, p, s, h, o FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x(l, p, s, h, o)
     ON CONFLICT (book_id, line_no) DO NOTHING`,
    [
      bookId,
      rows.map((r) => r.line_no),
      rows.map((r) => r.portfolio_id),
      rows.map((r) => r.status),
      rows.map((r) => r.request_hash),
      rows.map((r) => r.outcome_json),
    ],
  );
}

/** The received book becomes QUEUED with its chunks (the caller enqueues their jobs in the same transaction). */
export async function queueBook(
  q: Queryable,
  bookId: string,
  o: {
    idempotencyKey: string | null;
    bodyHash: string;
    portfolios: number;
    failed: number;
    chunks: { chunk_no: number; first_line: number; last_line: number }[];
  },
): Promise<void> {
  await q.query(
    `UPDATE rebalance_books SET status = 'QUEUED', idempotency_key = $2, body_hash = $3, portfolios_total = $4,
       portfolios_done = $5, failed = $5, chunks_total = $6 WHERE book_id = $1`,
    [bookId, o.idempotencyKey, o.bodyHash, o.portfolios, o.failed, o.chunks.length],
  );
  if (o.chunks.length > 0)
    await q.query(
      `INSERT INTO rebalance_book_chunks (book_id, chunk_no, first_line, last_line, status)
       SELECT $1, c, f, l, 'PENDING' FROM unnest($2::int[], $3::int[], $4::int[]) AS x(c, f, l)`,
      [
        bookId,
        o.chunks.map((c) => c.chunk_no),
        o.chunks.map((c) => c.first_line),
        o.chunks.map((c) => c.last_line),
      ],
    );
}

export async function deleteBook(q: Queryable, bookId: string): Promise<void> {
  await q.query('DELETE FROM rebalance_books WHERE book_id = $1', [bookId]);
}

export async function findBook(q: Queryable, tenant: string, bookId: string): Promise<BookRow | null> {
  const rows = await q.query<BookRow>(
    `SELECT ${COLUMNS} FROM rebalance_books WHERE tenant_id = $1 AND book_id = $2 AND status <> 'RECEIVING'`,
    [tenant, bookId],
  );
  return rows[0] ?? null;
}

export async function findBookByKey(q: Queryable, tenant: string, key: string): Promise<BookRow | null> {
  const rows = await q.query<BookRow>(
    `SELECT ${COLUMNS} FROM rebalance_books WHERE tenant_id = $1 AND idempotency_key = $2`,
    [tenant, key],
  );
  return rows[0] ?? null;
}

export async function listBooks(
  q: Queryable,
  tenant: string,
  o: { status?: string; cursor?: string; limit: number },
): Promise<Page<BookRow>> {
  return keysetPage<BookRow>(q, {
    table: 'rebalance_books',
    columns: COLUMNS,
    timeColumn: 'created_at',
    idColumn: 'book_id',
    tenant,
    filters: [
      ['status <> ?', 'RECEIVING'],
      ['status = ?', o.status],
    ],
    limit: o.limit,
    cursor: o.cursor,
  });
}

export async function sharedJson(q: Queryable, bookId: string): Promise<string | null> {
  const rows = await q.query<{ shared_json: string }>(
    'SELECT shared_json FROM rebalance_books WHERE book_id = $1',
    [bookId],
  );
  return rows[0]?.shared_json ?? null;
}

export interface ChunkRow {
  chunk_no: number;
  first_line: number;
  last_line: number;
  status: string;
}

export async function bookChunks(q: Queryable, bookId: string): Promise<ChunkRow[]> {
  return q.query<ChunkRow>(
    'SELECT chunk_no, first_line, last_line, status FROM rebalance_book_chunks WHERE book_id = $1 ORDER BY chunk_no',
    [bookId],
  );
}

export async function findChunk(q: Queryable, bookId: string, chunkNo: number): Promise<ChunkRow | null> {
  const rows = await q.query<ChunkRow>(
    'SELECT chunk_no, first_line, last_line, status FROM rebalance_book_chunks WHERE book_id = $1 AND chunk_no = $2',
    [bookId, chunkNo],
  );
  return rows[0] ?? null;
}

export async function chunkLines(
  q: Queryable,
  bookId: string,
  chunk: ChunkRow,
): Promise<{ line: number; text: string }[]> {
  const rows = await q.query<{ line_no: number; line_json: string }>(
    `SELECT line_no, line_json FROM rebalance_book_lines WHERE book_id = $1 AND line_no BETWEEN $2 AND $3 ORDER BY line_no`,
    [bookId, chunk.first_line, chunk.last_line],
  );
  return rows.map((r) => ({ line: r.line_no, text: r.line_json }));
}

/** QUEUED → RUNNING (first chunk to start); counts the chunk's attempt. */
export async function startChunk(q: Queryable, bookId: string, chunkNo: number, now: Date): Promise<void> {
  await q.query(
    `UPDATE rebalance_books SET status = 'RUNNING', started_at = COALESCE(started_at, $2) WHERE book_id = $1 AND status = 'QUEUED'`,
    [bookId, now],
  );
  await q.query(
    'UPDATE rebalance_book_chunks SET attempts = attempts + 1 WHERE book_id = $1 AND chunk_no = $2',
    [bookId, chunkNo],
  );
}

export type ChunkCommit = 'recorded' | 'finished' | 'already-done' | 'book-closed';

/**
 * Record a chunk: rows, DONE mark and counters in the caller's transaction. When it was the
 * last chunk, `finish` computes the summary from every result row (same transaction) and the
 * book becomes SUCCEEDED.
 */
export async function commitChunk(
  tx: Queryable,
  bookId: string,
  chunkNo: number,
  rows: ResultRow[],
  now: Date,
  finish: (rows: ResultRow[], portfolios: number) => string,
): Promise<ChunkCommit> {
  const chunk = await tx.query<{ status: string }>(
    'SELECT status FROM rebalance_book_chunks WHERE book_id = $1 AND chunk_no = $2 FOR UPDATE',
    [bookId, chunkNo],
  );
  if (chunk[0]?.status !== 'PENDING') return 'already-done';
  const book = await tx.query<{
    status: string;
    chunks_total: number;
    chunks_done: number;
    portfolios_total: number;
  }>(
    'SELECT status, chunks_total, chunks_done, portfolios_total FROM rebalance_books WHERE book_id = $1 FOR UPDATE',
    [bookId],
  );
  const b = book[0];
  if (!b || (b.status !== 'QUEUED' && b.status !== 'RUNNING')) return 'book-closed';
  await insertResults(tx, bookId, rows);
  await tx.query(
    `UPDATE rebalance_book_chunks SET status = 'DONE', done_at = $3 WHERE book_id = $1 AND chunk_no = $2`,
    [bookId, chunkNo, now],
  );
  const count = (s: string) => rows.filter((r) => r.status === s).length;
  const last = b.chunks_done + 1 === b.chunks_total;
  const summary = last ? finish(await resultRows(tx, bookId), b.portfolios_total) : null;
  await tx.query(
    `UPDATE rebalance_books SET chunks_done = chunks_done + 1, portfolios_done = portfolios_done + $2,
       ready = ready + $3, pending_review = pending_review + $4, blocked = blocked + $5, failed = failed + $6,
       status = CASE WHEN $7::boolean THEN 'SUCCEEDED' ELSE 'RUNNING' END,
       started_at = COALESCE(started_at, $8),
       finished_at = CASE WHEN $7::boolean THEN $8 ELSE finished_at END,
       summary_json = COALESCE($9, summary_json)
     WHERE book_id = $1`,
    [
      bookId,
      rows.length,
      count('READY'),
      count('PENDING_REVIEW'),
      count('BLOCKED'),
      count('FAILED'),
      last,
      now,
      summary,
    ],
  );
  return last ? 'finished' : 'recorded';
}

/** A book with no chunk to run (every line failed at submission) is finished at once. */
export async function finishEmptyBook(
  q: Queryable,
  bookId: string,
  now: Date,
  summary: string,
): Promise<void> {
  await q.query(
    `UPDATE rebalance_books SET status = 'SUCCEEDED', started_at = $2, finished_at = $2, summary_json = $3 WHERE book_id = $1`,
    [bookId, now, summary],
  );
}

export async function resultRows(q: Queryable, bookId: string): Promise<ResultRow[]> {
  return q.query<ResultRow>(
    `SELECT line_no, portfolio_id, status, request_hash, outcome_json FROM rebalance_book_results
     WHERE book_id = $1 ORDER BY line_no`,
    [bookId],
  );
}

/** Failed result rows (line errors), in line order. */
export async function failedRows(q: Queryable, bookId: string): Promise<ResultRow[]> {
  return q.query<ResultRow>(
    `SELECT line_no, portfolio_id, status, request_hash, outcome_json FROM rebalance_book_results
     WHERE book_id = $1 AND status = 'FAILED' ORDER BY line_no`,
    [bookId],
  );
}

/** QUEUED or RUNNING → CANCELLED; returns whether this call cancelled it. */
export async function cancelBook(q: Queryable, tenant: string, bookId: string, now: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE rebalance_books SET status = 'CANCELLED', finished_at = $3
     WHERE tenant_id = $1 AND book_id = $2 AND status IN ('QUEUED', 'RUNNING') RETURNING book_id`,
    [tenant, bookId, now],
  );
  return rows.length > 0;
}

export async function failBook(q: Queryable, bookId: string, now: Date, error: string): Promise<void> {
  await q.query(
    `UPDATE rebalance_books SET status = 'FAILED', finished_at = $2, error_json = $3
     WHERE book_id = $1 AND status IN ('QUEUED', 'RUNNING')`,
    [bookId, now, error],
  );
}
