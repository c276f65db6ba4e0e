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
  /** The pack resolved at submission (PackForRun JSON); null: none selected. */
  policy_pack_json: string | null;
}

const COLUMNS = `book_id, tenant_id, status, idempotency_key, body_hash, created_at, created_by, started_at,
  finished_at, portfolios_total, portfolios_done, ready, pending_review, blocked, failed, chunks_total,
  chunks_done, summary_json, error_json, policy_pack_json`;

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
    policy_pack_json?: string | null;
  },
): Promise<void> {
  await q.query(
    `INSERT INTO rebalance_books (book_id, tenant_id, status, created_at, created_by, shared_json, policy_pack_json)
     VALUES ($1, $2, 'RECEIVING', $3, $4, $5, $6)`,
    [
      book.book_id,
      book.tenant_id,
      book.created_at,
      book.created_by,
      book.shared_json,
      book.policy_pack_json ?? null,
    ],
  );
}

/** Rows per INSERT: one parameter per value stays far below PostgreSQL's 65,535. */
const ROWS_PER_INSERT = 1000;

/**
 * `INSERT … VALUES` with one parameter per value — not `unnest` of text[] arrays, whose array
 * literal escapes every quote of the JSON texts (measured: 3× the client CPU of the whole
 * submission). `$1` is the book id.
 */
async function insertRows(
  q: Queryable,
  sql: (values: string) => string,
  bookId: string,
  rows: unknown[][],
  casts: string[],
): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const params: unknown[] = [bookId];
    const values: string[] = [];
    for (const row of rows.slice(start, start + ROWS_PER_INSERT)) {
      const refs = row.map((value, i) => {
        params.push(value);
        return `$${params.length}${casts[i]}`;
      });
      values.push(`($1, ${refs.join(', ')})`);
    }
    await q.query(sql(values.join(', ')), params);
  }
}

export async function insertLines(q: Queryable, bookId: string, lines: { line: number; text: string }[]) {
  await insertRows(
    q,
    (values) => `INSERT INTO rebalance_book_lines (book_id, line_no, line_json) VALUES ${values}`,
    bookId,
    lines.map((l) => [l.line, l.text]),
    ['::int', ''],
  );
}

/** Result rows; an existing row of the line is left as it is (a chunk recorded twice writes once). */
export async function insertResults(q: Queryable, bookId: string, rows: ResultRow[]) {
  await insertRows(
    q,
    (values) =>
      `INSERT INTO rebalance_book_results (book_id, line_no, portfolio_id, status, request_hash, outcome_json)
       VALUES ${values} ON CONFLICT (book_id, line_no) DO NOTHING`,
    bookId,
    rows.map((r) => [r.line_no, r.portfolio_id, r.status, r.request_hash, r.outcome_json]),
    ['::int', '', '', '', ''],
  );
}

/** A chunk of a book still being received: its lines are stored; its job is enqueued by the caller in the same transaction. */
export async function addChunk(
  q: Queryable,
  bookId: string,
  chunk: { chunk_no: number; first_line: number; last_line: number },
): Promise<void> {
  await q.query(
    `INSERT INTO rebalance_book_chunks (book_id, chunk_no, first_line, last_line, status) VALUES ($1, $2, $3, $4, 'PENDING')`,
    [bookId, chunk.chunk_no, chunk.first_line, chunk.last_line],
  );
}

/**
 * The whole body was read: the book leaves RECEIVING with its totals and idempotency key —
 * QUEUED, RUNNING (chunks already started) or, when every chunk is already recorded (or there
 * is none), SUCCEEDED with `finish`'s summary. Under the book row lock, so a chunk commit
 * racing with it sees either RECEIVING (and does not finish) or the totals (and may finish).
 */
export async function closeBook(
  q: Queryable,
  bookId: string,
  o: { idempotencyKey: string | null; bodyHash: string; portfolios: number; failed: number; chunks: number },
  now: Date,
  finish: (rows: ResultRow[], portfolios: number) => string,
): Promise<void> {
  const [book] = await q.query<{ status: string; chunks_done: number; started_at: Date | null }>(
    'SELECT status, chunks_done, started_at FROM rebalance_books WHERE book_id = $1 FOR UPDATE',
    [bookId],
  );
  if (book!.status === 'FAILED') {
    // A chunk already failed on every attempt while the body was arriving: the book stays FAILED.
    await q.query(
      `UPDATE rebalance_books SET idempotency_key = $2, body_hash = $3, portfolios_total = $4, chunks_total = $5
       WHERE book_id = $1`,
      [bookId, o.idempotencyKey, o.bodyHash, o.portfolios, o.chunks],
    );
    return;
  }
  const done = book!.chunks_done >= o.chunks;
  const summary = done ? finish(await resultRows(q, bookId), o.portfolios) : null;
  await q.query(
    `UPDATE rebalance_books SET status = $2, idempotency_key = $3, body_hash = $4, portfolios_total = $5,
       portfolios_done = portfolios_done + $6, failed = failed + $6, chunks_total = $7,
       started_at = CASE WHEN $8::boolean THEN COALESCE(started_at, $9) ELSE started_at END,
       finished_at = CASE WHEN $8::boolean THEN $9 ELSE NULL END, summary_json = $10
     WHERE book_id = $1`,
    [
      bookId,
      done ? 'SUCCEEDED' : book!.started_at ? 'RUNNING' : 'QUEUED',
      o.idempotencyKey,
      o.bodyHash,
      o.portfolios,
      o.failed,
      o.chunks,
      done,
      now,
      summary,
    ],
  );
}

/** Books left RECEIVING by a process that died mid-upload (invisible, never finished): removed after a day. */
export async function purgeAbandonedBooks(q: Queryable, before: Date): Promise<void> {
  await q.query(`DELETE FROM rebalance_books WHERE status = 'RECEIVING' AND created_at < $1`, [before]);
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

/** A book in any state, RECEIVING included (chunk jobs start while the body is still arriving). */
export async function findBookForWork(q: Queryable, tenant: string, bookId: string): Promise<BookRow | null> {
  const rows = await q.query<BookRow>(
    `SELECT ${COLUMNS} FROM rebalance_books WHERE tenant_id = $1 AND book_id = $2`,
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

/** QUEUED → RUNNING and the start time (first chunk to start, possibly while RECEIVING); counts the chunk's attempt. */
export async function startChunk(q: Queryable, bookId: string, chunkNo: number, now: Date): Promise<void> {
  await q.query(
    `UPDATE rebalance_books SET status = CASE WHEN status = 'QUEUED' THEN 'RUNNING' ELSE status END,
       started_at = COALESCE(started_at, $2) WHERE book_id = $1 AND status IN ('RECEIVING', 'QUEUED', 'RUNNING')`,
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
  if (!b || (b.status !== 'QUEUED' && b.status !== 'RUNNING' && b.status !== 'RECEIVING'))
    return 'book-closed';
  await insertResults(tx, bookId, rows);
  await tx.query(
    `UPDATE rebalance_book_chunks SET status = 'DONE', done_at = $3 WHERE book_id = $1 AND chunk_no = $2`,
    [bookId, chunkNo, now],
  );
  const count = (s: string) => rows.filter((r) => r.status === s).length;
  // While the body is still being received the total is unknown: closeBook finishes the book then.
  const last = b.status !== 'RECEIVING' && b.chunks_done + 1 === b.chunks_total;
  const summary = last ? finish(await resultRows(tx, bookId), b.portfolios_total) : null;
  await tx.query(
    `UPDATE rebalance_books SET chunks_done = chunks_done + 1, portfolios_done = portfolios_done + $2,
       ready = ready + $3, pending_review = pending_review + $4, blocked = blocked + $5, failed = failed + $6,
       status = CASE WHEN $7::boolean THEN 'SUCCEEDED' WHEN status = 'RECEIVING' THEN status ELSE 'RUNNING' END,
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
     WHERE book_id = $1 AND status IN ('RECEIVING', 'QUEUED', 'RUNNING')`,
    [bookId, now, error],
  );
}
