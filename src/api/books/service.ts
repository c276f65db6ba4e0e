/**
 * Book rebalance as a service (issue 16). A book arrives as a JSON Lines stream: line 1 (the
 * shared part) is validated before anything is written; portfolio lines are stored as they
 * arrive, cut into chunks of KEEL_BOOK_CHUNK_SIZE portfolios, each stored with its queue job in
 * one transaction, so every `keel serve` and `keel worker` process on the database starts on the
 * book while the body is still arriving. A line that is not a usable portfolio line is recorded
 * as a failed line by its chunk and the rest go on. A chunk's result rows and its DONE mark are
 * committed together (docs/decisions/0071).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { BookSummary } from '../../contracts/book.js';
import type { FieldError } from '../../contracts/primitives.js';
import type { EnginePool } from '../../compute/engine-pool.js';
import { BookAggregate, exceptionList, summarize } from '../../book/aggregate.js';
import type { FailedOutcome, LineOutcome, PortfolioOutcome } from '../../book/compact.js';
import { jsonLines } from '../../book/lines.js';
import { parseShared } from '../../book/request.js';
import {
  NO_POLICY_PACK,
  packForRun,
  type PackForRun,
  replayKey,
  type ResolvedPolicyPack,
} from '../../policy/record.js';
import type { Database } from '../../store/database.js';
import type { JobAttempt, JobQueue } from '../../store/queue.js';
import {
  addChunk,
  type BookRow,
  closeBook,
  bookChunks,
  chunkLines,
  commitChunk,
  createBook,
  deleteBook,
  failBook,
  failedRows,
  findBook,
  findBookByKey,
  findBookForWork,
  findChunk,
  insertLines,
  insertResults,
  purgeAbandonedBooks,
  type ResultRow,
  resultRows,
  sharedJson,
  startChunk,
} from '../../store/books.js';
import { type Env, envInt } from '../config.js';
import { conflict, HttpError, invalid } from '../errors.js';

export const BOOK_QUEUE = 'rebalance-book-chunks';
export const DEFAULT_CHUNK_SIZE = 500;

export interface BookJob {
  tenant: string;
  book_id: string;
  chunk_no: number;
}

interface Log {
  error: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
  info: (obj: object, msg: string) => void;
}
const SILENT: Log = { error: () => undefined, warn: () => undefined, info: () => undefined };

const isUniqueViolation = (error: unknown) => (error as { code?: unknown } | null)?.code === '23505';

/** A stored result row back to the outcome it was written from. */
export function outcomeOf(row: ResultRow): LineOutcome {
  const o = JSON.parse(row.outcome_json) as Omit<PortfolioOutcome, 'line'> | { error: string };
  if ('error' in o) return { ok: false, line: row.line_no, portfolio_id: row.portfolio_id, error: o.error };
  return { ok: true, line: row.line_no, ...o };
}

function rowOf(o: LineOutcome): ResultRow {
  if (!o.ok)
    return {
      line_no: o.line,
      portfolio_id: o.portfolio_id,
      status: 'FAILED',
      request_hash: null,
      outcome_json: JSON.stringify({ error: o.error }),
    };
  const { ok: _ok, line: _line, ...rest } = o;
  return {
    line_no: o.line,
    portfolio_id: o.portfolio_id,
    status: o.status,
    request_hash: o.request_hash,
    outcome_json: JSON.stringify(rest),
  };
}

/** Split stored rows into run portfolios and failed lines. */
export function splitOutcomes(rows: ResultRow[]): { ok: PortfolioOutcome[]; failed: FailedOutcome[] } {
  const ok: PortfolioOutcome[] = [];
  const failed: FailedOutcome[] = [];
  for (const row of rows) {
    const o = outcomeOf(row);
    if (o.ok) {
      const { ok: _ok, ...rest } = o;
      ok.push(rest);
    } else failed.push({ line: o.line, portfolio_id: o.portfolio_id, error: o.error });
  }
  return { ok, failed };
}

/** The pack a book was submitted under, as its chunks apply it; undefined: none. */
export function bookPolicy(book: Pick<BookRow, 'policy_pack_json'>): PackForRun | undefined {
  return book.policy_pack_json ? (JSON.parse(book.policy_pack_json) as PackForRun) : undefined;
}

/** A replay under the key must be under the same applied pack, as a simulate replay (spec 40 Q-B8). */
function samePack(book: BookRow, policy: ResolvedPolicyPack): boolean {
  return replayKey(bookPolicy(book)?.applied) === replayKey(policy.applied);
}

export function summaryJson(rows: ResultRow[], portfolios: number): string {
  const { ok, failed } = splitOutcomes(rows);
  return JSON.stringify(summarize(ok, failed, portfolios));
}

export class BookService {
  constructor(
    readonly db: Database,
    private readonly queue: JobQueue | null,
    private readonly engine: EnginePool,
    private readonly env: Env,
    private readonly clock: () => Date = () => new Date(),
    private readonly log: Log = SILENT,
  ) {}

  get chunkSize(): number {
    return envInt(this.env, 'KEEL_BOOK_CHUNK_SIZE', DEFAULT_CHUNK_SIZE, 1);
  }

  get maxLineBytes(): number {
    return envInt(this.env, 'KEEL_BOOK_MAX_LINE_BYTES', 16 * 1024 * 1024, 1024);
  }

  /** Seconds a chunk job may run before the queue hands it to another worker. */
  get chunkTimeoutSeconds(): number {
    return envInt(this.env, 'KEEL_BOOK_CHUNK_TIMEOUT_SECONDS', 300, 5);
  }

  async ensureQueue(): Promise<void> {
    await this.queue?.ensureQueue(BOOK_QUEUE, { expireInSeconds: this.chunkTimeoutSeconds });
  }

  /**
   * Read, validate and store a book; returns the book (new, or the one this Idempotency-Key
   * created from the same body) and whether it is new. Bad shared line → 422 with nothing
   * written; the same key with another body, or under another policy pack, → 409. `policy` is the
   * pack resolved for the request: stored with the book, so every chunk applies that definition
   * whatever happens to the catalog later (docs/decisions/0073).
   */
  async submit(
    tenant: string,
    actor: string | null,
    idempotencyKey: string | undefined,
    body: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
    policy: ResolvedPolicyPack = NO_POLICY_PACK,
  ): Promise<{ book: BookRow; created: boolean }> {
    if (!this.queue) throw new HttpError(503, 'BOOK_QUEUE_UNAVAILABLE', { 'Retry-After': '5' });
    const hash = createHash('sha256');
    const hashed = (async function* () {
      for await (const chunk of body) {
        hash.update(chunk);
        yield chunk;
      }
    })();
    const lines = jsonLines(hashed, this.maxLineBytes);
    const first = await lines.next();
    if (first.done)
      throw invalid([
        {
          type: 'missing',
          loc: ['body'],
          msg: 'A book needs the shared line and at least one portfolio line',
          input: null,
        },
      ]);
    const sharedLine = first.value;
    const shared = sharedLine.tooLong ? null : parseShared(sharedLine.text);
    if (!shared || !shared.ok) {
      const errors: FieldError[] = shared
        ? shared.errors
        : [{ type: 'too_long', loc: [], msg: `Line longer than ${this.maxLineBytes} bytes`, input: null }];
      throw invalid(errors.map((e) => ({ ...e, loc: ['body', `line ${sharedLine.line}`, ...e.loc] })));
    }
    const existing = idempotencyKey ? await findBookByKey(this.db, tenant, idempotencyKey) : null;
    if (existing) {
      for await (const _ of lines); // hash the rest of the body
      const bodyHash = `sha256:${hash.digest('hex')}`;
      if (existing.body_hash !== bodyHash) throw conflict('IDEMPOTENCY_KEY_CONFLICT');
      if (!samePack(existing, policy)) throw conflict('IDEMPOTENCY_KEY_CONFLICT: policy pack mismatch');
      return { book: existing, created: false };
    }
    const bookId = `bk_${randomBytes(8).toString('hex')}`;
    const now = this.clock();
    await purgeAbandonedBooks(this.db, new Date(now.getTime() - 86_400_000));
    await createBook(this.db, {
      book_id: bookId,
      tenant_id: tenant,
      created_at: now,
      created_by: actor,
      shared_json: sharedLine.text,
      policy_pack_json: policy.applied ? JSON.stringify(packForRun(policy)) : null,
    });
    try {
      let portfolios = 0;
      const failures: FailedOutcome[] = [];
      const chunks: { chunk_no: number; first_line: number; last_line: number }[] = [];
      let pending: { line: number; text: string }[] = [];
      // Each chunk is stored and enqueued as soon as it is complete, so workers start on the
      // book while the rest of the body is still arriving.
      const flush = async () => {
        if (pending.length === 0) return;
        const chunk = {
          chunk_no: chunks.length,
          first_line: pending[0]!.line,
          last_line: pending[pending.length - 1]!.line,
        };
        const batch = pending;
        pending = [];
        await this.db.transaction(async (tx) => {
          await insertLines(tx, bookId, batch);
          await addChunk(tx, bookId, chunk);
          await this.queue!.enqueue(tx, BOOK_QUEUE, {
            tenant,
            book_id: bookId,
            chunk_no: chunk.chunk_no,
          } satisfies BookJob);
        });
        chunks.push(chunk);
        this.queue!.wake(BOOK_QUEUE);
      };
      const flushFailures = async () => {
        await insertResults(
          this.db,
          bookId,
          failures.splice(0).map((f) => rowOf({ ok: false, ...f })),
        );
      };
      let failedCount = 0;
      for await (const line of lines) {
        portfolios++;
        // Every check of a portfolio line (JSON, model, schema) runs in its chunk, on the workers:
        // the submitting process only cuts and stores lines.
        if (line.tooLong) {
          failures.push({
            line: line.line,
            portfolio_id: null,
            error: `line: longer than ${this.maxLineBytes} bytes`,
          });
          failedCount++;
          if (failures.length >= 500) await flushFailures();
          continue;
        }
        pending.push({ line: line.line, text: line.text });
        if (pending.length >= this.chunkSize) await flush();
      }
      await flush();
      await flushFailures();
      if (portfolios === 0)
        throw invalid([
          {
            type: 'missing',
            loc: ['body', 'line 2'],
            msg: 'A book needs at least one portfolio line',
            input: null,
          },
        ]);
      const bodyHash = `sha256:${hash.digest('hex')}`;
      try {
        await this.db.transaction((tx) =>
          closeBook(
            tx,
            bookId,
            {
              idempotencyKey: idempotencyKey ?? null,
              bodyHash,
              portfolios,
              failed: failedCount,
              chunks: chunks.length,
            },
            this.clock(),
            summaryJson,
          ),
        );
      } catch (error) {
        if (!idempotencyKey || !isUniqueViolation(error)) throw error;
        // A concurrent request with the same key won: answer from its book.
        await deleteBook(this.db, bookId);
        const winner = await findBookByKey(this.db, tenant, idempotencyKey);
        if (!winner || winner.body_hash !== bodyHash) throw conflict('IDEMPOTENCY_KEY_CONFLICT');
        if (!samePack(winner, policy)) throw conflict('IDEMPOTENCY_KEY_CONFLICT: policy pack mismatch');
        return { book: winner, created: false };
      }
      this.log.info(
        { book_id: bookId, portfolios, chunks: chunks.length, failed: failedCount },
        'book queued',
      );
      return { book: (await findBook(this.db, tenant, bookId))!, created: true };
    } catch (error) {
      await deleteBook(this.db, bookId).catch(() => undefined);
      throw error;
    }
  }

  /** One chunk job: run its portfolios on the engine pool, record rows + DONE in one transaction. */
  async runChunk(job: BookJob, attempt?: JobAttempt): Promise<void> {
    const book = await findBookForWork(this.db, job.tenant, job.book_id);
    if (!book || !['RECEIVING', 'QUEUED', 'RUNNING'].includes(book.status)) return;
    const chunk = await findChunk(this.db, job.book_id, job.chunk_no);
    if (!chunk || chunk.status !== 'PENDING') return;
    try {
      await startChunk(this.db, job.book_id, job.chunk_no, this.clock());
      const shared = (await sharedJson(this.db, job.book_id))!;
      const lines = await chunkLines(this.db, job.book_id, chunk);
      const policy = bookPolicy(book);
      const { outcomes } = await this.engine.bookChunk({ shared, lines, ...(policy && { policy }) });
      const outcome = await this.db.transaction((tx) =>
        commitChunk(tx, job.book_id, job.chunk_no, outcomes.map(rowOf), this.clock(), summaryJson),
      );
      this.log.info(
        { book_id: job.book_id, chunk_no: job.chunk_no, outcome, portfolios: lines.length },
        'book chunk',
      );
    } catch (error) {
      const final = !attempt || attempt.retryCount >= attempt.retryLimit;
      this.log.error(
        { err: error, book_id: job.book_id, chunk_no: job.chunk_no, final },
        'book chunk failed',
      );
      if (final) {
        const code = error instanceof Error ? error.constructor.name : 'Error';
        await failBook(
          this.db,
          job.book_id,
          this.clock(),
          `chunk ${job.chunk_no} failed on every attempt (${code}); the server log has details for ${job.book_id}`,
        );
        return;
      }
      throw error;
    }
  }

  async startWorkers(concurrency: number): Promise<void> {
    if (!this.queue || concurrency < 1) return;
    await this.ensureQueue();
    await this.queue.work<BookJob>(BOOK_QUEUE, concurrency, (job, attempt) => this.runChunk(job, attempt));
  }

  /** Every stored outcome of a book, in line order. */
  async outcomes(bookId: string): Promise<{ ok: PortfolioOutcome[]; failed: FailedOutcome[] }> {
    return splitOutcomes(await resultRows(this.db, bookId));
  }

  async exceptions(bookId: string) {
    return { items: exceptionList((await this.outcomes(bookId)).ok) };
  }

  async blocks(bookId: string, net: boolean) {
    const book = new BookAggregate();
    for (const o of (await this.outcomes(bookId)).ok) book.add(o);
    return { net, blocks: book.blocks(net), fx_blocks: book.fxBlocks() };
  }

  /**
   * Each line's simulate result, recomputed from the stored inputs, in input order: a result
   * JSON text per portfolio, `{"line", "error"}` for a failed line. Chunk by chunk, so memory
   * stays bounded by a chunk.
   */
  async *results(book: BookRow): AsyncGenerator<string> {
    const shared = (await sharedJson(this.db, book.book_id))!;
    const policy = bookPolicy(book);
    // Lines refused at submission are not in any chunk: merged back in by line number.
    const failed = (await failedRows(this.db, book.book_id))
      .map((r) => ({ line: r.line_no, error: (JSON.parse(r.outcome_json) as { error: string }).error }))
      .filter((f) => f.error !== undefined);
    const failure = (line: number, error: string) => JSON.stringify({ line, error });
    let next = 0;
    const before = function* (line: number) {
      while (next < failed.length && failed[next]!.line < line) {
        const f = failed[next++]!;
        yield failure(f.line, f.error);
      }
    };
    const chunked = new Set<number>();
    for (const chunk of await bookChunks(this.db, book.book_id)) {
      const lines = await chunkLines(this.db, book.book_id, chunk);
      for (const l of lines) chunked.add(l.line);
      const { outcomes, results } = await this.engine.bookChunk({
        shared,
        lines,
        results: true,
        ...(policy && { policy }),
      });
      for (let i = 0; i < outcomes.length; i++) {
        const o = outcomes[i]!;
        for (const f of before(o.line)) if (!chunked.has(JSON.parse(f).line as number)) yield f;
        yield o.ok ? results![i]! : failure(o.line, o.error);
      }
    }
    for (const f of before(Number.MAX_SAFE_INTEGER)) if (!chunked.has(JSON.parse(f).line as number)) yield f;
  }

  summaryOf(book: BookRow): BookSummary | null {
    return book.summary_json ? (JSON.parse(book.summary_json) as BookSummary) : null;
  }
}
