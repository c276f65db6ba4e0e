/**
 * Book rebalance over HTTP (issue 16), on every test backend: a small hand-checked book (blocks,
 * allocations, FX, exceptions, totals), per-portfolio results identical to single simulates,
 * bad lines, a bad shared line, idempotency, cancel, chunks recorded once however often they
 * run, paging, exports, permissions and tenancy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { BookService } from '../../src/api/books/service.js';
import { EnginePool } from '../../src/compute/engine-pool.js';
import { canonicalHash } from '../../src/contracts/canonical.js';
import { simulateRequestSchema } from '../../src/contracts/dpm-request.js';
import { parseAndValidate } from '../../src/contracts/parse.js';
import { simulateRebalance } from '../../src/engine/pipeline.js';
import { resultJsonText } from '../../src/engine/wire.js';
import { parseFix } from '../../src/book/fix.js';
import { generateBookLines } from '../../src/tools/generate-request.js';
import { commitChunk } from '../../src/store/books.js';
import { signUser } from '../support/jwt.js';
import { BACKENDS } from '../support/store.js';
import { startTestApp, type TestApp } from '../support/http.js';
import {
  EQ_1_BLOCKS,
  EQ_1_NET_BLOCK,
  NDJSON,
  SMALL_BOOK,
  SMALL_FIX_MSG_TYPES,
  SMALL_LINES,
  simulateBodyOf,
} from '../support/book.js';

const SECRET = 'a-book-test-secret-of-sufficient-length-4242';
const sign = (sub: string, roles: string[], tenant = 'bank-a') => signUser(SECRET, sub, roles, tenant);

/** What `keel simulate` prints for one body. */
function singleSimulate(body: unknown): string {
  const parsed = parseAndValidate(simulateRequestSchema, JSON.stringify(body));
  if (!parsed.ok) throw new Error('bad body');
  return resultJsonText(simulateRebalance(parsed.value, { requestHash: canonicalHash(parsed.value) }));
}

describe.each(BACKENDS)('book rebalance over HTTP (%s)', (backend) => {
  let t: TestApp;
  let books: BookService;
  let engine: EnginePool;
  const as: Record<string, Record<string, string>> = {};
  const env = { KEEL_JWT_SECRET: SECRET, KEEL_BOOK_CHUNK_SIZE: '2' };

  beforeAll(async () => {
    // A queue but no in-process workers: the tests run the chunks themselves, deterministically.
    t = await startTestApp(backend, env, undefined, { workers: 0 });
    engine = new EnginePool({ threads: 0 });
    books = new BookService(t.store.db, t.queue!, engine, env);
    for (const [name, sub, roles, tenant] of [
      ['pm', 'pm_a', ['portfolio_manager'], 'bank-a'],
      ['support', 'support_a', ['support'], 'bank-a'],
      ['advisor', 'advisor_a', ['advisor'], 'bank-a'],
      ['other', 'admin_b', ['admin'], 'bank-b'],
    ] as const)
      as[name] = { Authorization: `Bearer ${await sign(sub, [...roles], tenant)}` };
  }, 120_000);
  afterAll(async () => {
    await engine.close();
    await t.close();
  }, 60_000);

  const submit = (body: string, headers: Record<string, string> = {}) =>
    t.request('POST', '/rebalance/books', body, { ...NDJSON, ...as.pm, ...headers });

  /** Run every chunk of a book as a queue worker would. */
  async function runAll(bookId: string) {
    const chunks = await t.store.db.query<{ chunk_no: number }>(
      'SELECT chunk_no FROM rebalance_book_chunks WHERE book_id = $1 ORDER BY chunk_no',
      [bookId],
    );
    for (const c of chunks) await books.runChunk({ tenant: 'bank-a', book_id: bookId, chunk_no: c.chunk_no });
  }

  let small: string;

  it('accepts a book (202, Location, progress) and finishes it with hand-checked blocks and allocations', async () => {
    const res = await submit(SMALL_BOOK);
    expect(res.status, res.text).toBe(202);
    small = res.json.book_id;
    expect(res.headers.location).toBe(`/rebalance/books/${small}`);
    expect(res.json.status).toBe('QUEUED');
    expect(res.json.progress).toMatchObject({ portfolios_total: 7, portfolios_done: 0, failed_lines: 0 });
    await runAll(small);
    const book = (await t.get(`/rebalance/books/${small}`, as.support)).json;
    expect(book.status).toBe('SUCCEEDED');
    expect(book.created_by).toBe('pm_a');
    expect(book.progress).toMatchObject({
      portfolios_total: 7,
      portfolios_done: 7,
      by_status: { READY: 3, PENDING_REVIEW: 1, BLOCKED: 0 },
      failed_lines: 3,
      eta_seconds: null,
    });
    expect(book.summary.by_status).toEqual({ READY: 3, PENDING_REVIEW: 1, BLOCKED: 0 });
    expect(book.summary.failed_lines.map((f: { line: number }) => f.line)).toEqual([5, 7, 8]);
    expect(book.summary.failed_lines[1].error).toBe("model_id: unknown model 'nope'");
    expect(book.summary.failed_lines[2].error).toMatch(/portfolio_snapshot\.base_currency: Field required/);
    // A buys 50 and B 100 EQ_1 at 100 (half of 10,000 and 20,000); C sells 100 of its 200;
    // E buys 110 EQ_EU at 50 EUR (0.55 × 11,000 USD / 55 USD) funded by 5,500 EUR against 6,050 USD.
    expect(book.summary.totals).toMatchObject({
      base_currency: 'USD',
      buy_base: '21050.00',
      sell_base: '10000.0',
      turnover_base: '31050.00',
      fx_base: '6050.0000',
      intents: 5,
    });
    const gross = (await t.get(`/rebalance/books/${small}/blocks`, as.support)).json;
    expect(gross.blocks).toEqual([
      ...EQ_1_BLOCKS,
      {
        instrument_id: 'EQ_EU',
        side: 'BUY',
        quantity: '110',
        allocations: [{ portfolio_id: 'E', quantity: '110' }],
      },
    ]);
    expect(gross.fx_blocks).toEqual([
      {
        pair: 'EUR/USD',
        buy_currency: 'EUR',
        sell_currency: 'USD',
        amount: '5500.00',
        sell_amount_estimated: '6050.0000',
        allocations: [{ portfolio_id: 'E', amount: '5500.00', sell_amount_estimated: '6050.0000' }],
      },
    ]);
    const net = (await t.get(`/rebalance/books/${small}/blocks?net=true`, as.support)).json;
    expect(net.blocks[0]).toEqual(EQ_1_NET_BLOCK);
    const exceptions = (await t.get(`/rebalance/books/${small}/exceptions`, as.support)).json.items;
    expect(
      exceptions.map((e: { portfolio_id: string; reason: string }) => [e.portfolio_id, e.reason]),
    ).toEqual([
      ['E', 'PENDING_REVIEW'],
      ['E', 'HIGH_CASH'],
    ]);
    expect(exceptions[1].detail).toBe('cash weight 0.45 above 0.30');
  });

  it('serves each portfolio’s result identical to a single simulate of its body, in input order', async () => {
    const res = await t.get(`/rebalance/books/${small}/results`, as.support);
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/application\/x-ndjson/);
    const lines = res.text.trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    const expected = SMALL_LINES.slice(1).map((text, i) => {
      const line = i + 2;
      if ([5, 7, 8].includes(line)) return null;
      return singleSimulate(simulateBodyOf(text));
    });
    lines.forEach((text, i) => {
      if (expected[i] === null) expect(JSON.parse(text)).toMatchObject({ line: i + 2 });
      else expect(text).toBe(expected[i]);
    });
    // The same status and intents as POST /rebalance/simulate (whose run id is random).
    const http = await t.request('POST', '/rebalance/simulate', simulateBodyOf(SMALL_LINES[5]!), {
      ...as.pm,
      'Idempotency-Key': 'book-single-E',
    });
    expect(http.status).toBe(200);
    const fromBook = JSON.parse(lines[4]!);
    expect(http.json.status).toBe(fromBook.status);
    expect(http.json.intents).toEqual(fromBook.intents);
    expect(http.json.lineage.request_hash).toBe(fromBook.lineage.request_hash);
  });

  it('runs a generated book as N single simulates would, chunk by chunk', async () => {
    const lines = [...generateBookLines({ portfolios: 9, positions: 8, seed: 5 })];
    const res = await submit(`${lines.join('\n')}\n`);
    expect(res.status).toBe(202);
    await runAll(res.json.book_id);
    const shared = JSON.parse(lines[0]!);
    const results = (await t.get(`/rebalance/books/${res.json.book_id}/results`, as.support)).text
      .trimEnd()
      .split('\n');
    expect(results).toEqual(lines.slice(1).map((l) => singleSimulate(simulateBodyOf(l, shared))));
    const book = (await t.get(`/rebalance/books/${res.json.book_id}`, as.support)).json;
    const statuses = results.map((r) => JSON.parse(r).status);
    expect(book.summary.by_status.READY).toBe(statuses.filter((s) => s === 'READY').length);
    expect(book.progress.portfolios_done).toBe(9);
    // Stored compactly: status, hash, intents, metrics — not the result.
    const rows = await t.store.db.query<{ request_hash: string; outcome_json: string }>(
      'SELECT request_hash, outcome_json FROM rebalance_book_results WHERE book_id = $1 ORDER BY line_no',
      [res.json.book_id],
    );
    expect(rows.map((r) => r.request_hash)).toEqual(results.map((r) => JSON.parse(r).lineage.request_hash));
    for (const [i, r] of rows.entries()) expect(r.outcome_json.length).toBeLessThan(results[i]!.length / 2);
  });

  it('stores chunks larger than one INSERT batch (1,000 rows) completely', async () => {
    const big = new BookService(t.store.db, t.queue!, engine, { ...env, KEEL_BOOK_CHUNK_SIZE: '2500' });
    const lines = [...generateBookLines({ portfolios: 2100, positions: 2, seed: 31 })];
    const { book } = await big.submit('bank-a', null, undefined, [`${lines.join('\n')}\n`]);
    const stored = await t.store.db.query<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM rebalance_book_lines WHERE book_id = $1',
      [book.book_id],
    );
    expect(stored[0]!.n).toBe(2100);
    await big.runChunk({ tenant: 'bank-a', book_id: book.book_id, chunk_no: 0 });
    const view = (await t.get(`/rebalance/books/${book.book_id}`, as.support)).json;
    expect(view.status).toBe('SUCCEEDED');
    expect(view.progress.portfolios_done).toBe(2100);
    const rows = await t.store.db.query<{ n: number; last: number }>(
      'SELECT COUNT(*)::int AS n, MAX(line_no)::int AS last FROM rebalance_book_results WHERE book_id = $1',
      [book.book_id],
    );
    expect(rows[0]).toEqual({ n: 2100, last: 2101 });
  }, 120_000);

  it('refuses a bad shared line with a 422 naming the field, storing nothing', async () => {
    const before = (await t.get('/rebalance/books', as.support)).json.items.length;
    const shared = {
      ...JSON.parse(SMALL_LINES[0]!),
      models: { half: { targets: [{ instrument_id: 'EQ_1' }] } },
    };
    const res = await submit(`${JSON.stringify(shared)}\n${SMALL_LINES[1]}\n`);
    expect(res.status).toBe(422);
    expect(res.json.detail[0].loc).toEqual(['body', 'line 1', 'models', 'half', 'targets', 0, 'weight']);
    const badOptions = { ...JSON.parse(SMALL_LINES[0]!), options: { max_turnover_pct: '2' } };
    const res2 = await submit(`${JSON.stringify(badOptions)}\n${SMALL_LINES[1]}\n`);
    expect(res2.status).toBe(422);
    expect(res2.json.detail[0].loc).toEqual(['body', 'line 1', 'options', 'max_turnover_pct']);
    expect((await submit(`${SMALL_LINES[0]}\n`)).status).toBe(422); // no portfolio
    expect((await submit('')).status).toBe(422);
    const json = await t.request('POST', '/rebalance/books', JSON.parse(SMALL_LINES[0]!), as.pm);
    expect(json.status).toBe(415);
    const jsonl = await submit(SMALL_BOOK, { 'content-type': 'application/jsonl; charset=utf-8' });
    expect(jsonl.status).toBe(202);
    await t.request('POST', `/rebalance/books/${jsonl.json.book_id}/cancel`, undefined, as.pm);
    const before2 = before + 1;
    expect((await t.get('/rebalance/books', as.support)).json.items.length).toBe(before2);
    const leftovers = await t.store.db.query(`SELECT 1 FROM rebalance_books WHERE status = 'RECEIVING'`);
    expect(leftovers).toEqual([]);
  });

  it('records an over-long portfolio line as failed without buffering it, and refuses an over-long line 1', async () => {
    const small = new BookService(t.store.db, t.queue!, engine, { ...env, KEEL_BOOK_MAX_LINE_BYTES: '2048' });
    const long = JSON.stringify({ model_id: 'half', pad: 'x'.repeat(5000) });
    const { book } = await small.submit('bank-a', null, undefined, [
      `${SMALL_LINES[0]}\n${SMALL_LINES[1]}\n${long}\n${SMALL_LINES[2]}\n`,
    ]);
    await runAll(book.book_id);
    const view = (await t.get(`/rebalance/books/${book.book_id}`, as.support)).json;
    expect(view.summary.failed_lines).toEqual([{ line: 3, error: 'line: longer than 2048 bytes' }]);
    expect(view.summary.by_status.READY).toBe(2);
    await expect(
      small.submit('bank-a', null, undefined, [
        `${JSON.stringify({ ...JSON.parse(SMALL_LINES[0]!), pad: long })}\n`,
      ]),
    ).rejects.toMatchObject({ statusCode: 422 });
  });

  it('replays an Idempotency-Key with the same body and refuses another body', async () => {
    const first = await submit(SMALL_BOOK, { 'Idempotency-Key': 'book-key-1' });
    expect(first.status).toBe(202);
    const again = await submit(SMALL_BOOK, { 'Idempotency-Key': 'book-key-1' });
    expect(again.status).toBe(200);
    expect(again.json.book_id).toBe(first.json.book_id);
    const other = await submit(SMALL_BOOK.replace('"10000"', '"10001"'), { 'Idempotency-Key': 'book-key-1' });
    expect(other.status).toBe(409);
    expect(other.json.detail).toBe('IDEMPOTENCY_KEY_CONFLICT');
  });

  it('cancels a book (idempotently): no further chunk is recorded; a finished book is not cancellable', async () => {
    const res = await submit(SMALL_BOOK);
    const id = res.json.book_id;
    await books.runChunk({ tenant: 'bank-a', book_id: id, chunk_no: 0 });
    const cancel = await t.request('POST', `/rebalance/books/${id}/cancel`, undefined, as.pm);
    expect(cancel.status).toBe(200);
    expect(cancel.json.status).toBe('CANCELLED');
    const again = await t.request('POST', `/rebalance/books/${id}/cancel`, undefined, as.pm);
    expect(again.status).toBe(200);
    expect(again.json).toEqual(cancel.json);
    await runAll(id);
    const book = (await t.get(`/rebalance/books/${id}`, as.support)).json;
    expect(book.status).toBe('CANCELLED');
    expect(book.progress.portfolios_done).toBe(cancel.json.progress.portfolios_done);
    expect((await t.get(`/rebalance/books/${id}/blocks`, as.support)).status).toBe(409);
    const done = await t.request('POST', `/rebalance/books/${small}/cancel`, undefined, as.pm);
    expect(done.status).toBe(409);
    expect(done.json.detail).toBe('BOOK_NOT_CANCELLABLE');
  });

  it('records a chunk once however often it runs', async () => {
    const res = await submit(SMALL_BOOK);
    const id = res.json.book_id;
    await books.runChunk({ tenant: 'bank-a', book_id: id, chunk_no: 0 });
    await books.runChunk({ tenant: 'bank-a', book_id: id, chunk_no: 0 });
    // A late duplicate commit of the same chunk (a worker that was presumed dead) changes nothing.
    const late = await t.store.db.transaction((tx) => commitChunk(tx, id, 0, [], new Date(), () => '{}'));
    expect(late).toBe('already-done');
    await runAll(id);
    await runAll(id);
    const book = (await t.get(`/rebalance/books/${id}`, as.support)).json;
    expect(book.progress.portfolios_done).toBe(7);
    expect(book.summary.by_status).toEqual({ READY: 3, PENDING_REVIEW: 1, BLOCKED: 0 });
    const rows = await t.store.db.query<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM rebalance_book_results WHERE book_id = $1',
      [id],
    );
    expect(rows[0]!.n).toBe(7);
  });

  it('runs chunks while the body is still arriving, and finishes at the end of the body if they are all done', async () => {
    let bookId = '';
    let seenWhileReceiving: number | null = null;
    const body = async function* () {
      yield `${SMALL_LINES[0]}\n`;
      yield `${SMALL_LINES[1]}\n`;
      yield `${SMALL_LINES[2]}\n`;
      // Chunk 0 (lines 2–3) is stored and enqueued by now: a worker records it.
      const [row] = await t.store.db.query<{ book_id: string }>(
        `SELECT book_id FROM rebalance_books WHERE status = 'RECEIVING'`,
      );
      bookId = row!.book_id;
      expect((await t.get(`/rebalance/books/${bookId}`, as.support)).status).toBe(404); // not visible yet
      await books.runChunk({ tenant: 'bank-a', book_id: bookId, chunk_no: 0 });
      const [book] = await t.store.db.query<{ portfolios_done: number; status: string }>(
        'SELECT portfolios_done, status FROM rebalance_books WHERE book_id = $1',
        [bookId],
      );
      seenWhileReceiving = book!.portfolios_done;
      expect(book!.status).toBe('RECEIVING');
      yield '\n'; // a blank line: counted, nothing to run
    };
    const { book, created } = await books.submit('bank-a', 'pm_a', undefined, body());
    expect(created).toBe(true);
    expect(book.book_id).toBe(bookId);
    expect(seenWhileReceiving).toBe(2);
    // Every chunk was recorded before the body ended: the book is finished by the closing transaction.
    const view = (await t.get(`/rebalance/books/${bookId}`, as.support)).json;
    expect(view.status).toBe('SUCCEEDED');
    expect(view.summary).toMatchObject({
      portfolios: 2,
      by_status: { READY: 2 },
      failed_lines: [],
    });
    expect(view.progress).toMatchObject({ portfolios_done: 2, failed_lines: 0 });

    // Chunk 0 done while receiving, chunk 1 after the close: RUNNING, then SUCCEEDED by the last chunk.
    const body2 = async function* () {
      for (const line of SMALL_LINES.slice(0, 3)) yield `${line}\n`;
      const [row] = await t.store.db.query<{ book_id: string }>(
        `SELECT book_id FROM rebalance_books WHERE status = 'RECEIVING'`,
      );
      await books.runChunk({ tenant: 'bank-a', book_id: row!.book_id, chunk_no: 0 });
      yield `${SMALL_LINES[3]}\n`;
    };
    const second = await books.submit('bank-a', 'pm_a', undefined, body2());
    expect(second.book.status).toBe('RUNNING');
    await runAll(second.book.book_id);
    const done = (await t.get(`/rebalance/books/${second.book.book_id}`, as.support)).json;
    expect(done.status).toBe('SUCCEEDED');
    expect(done.summary.by_status.READY).toBe(3);
  });

  it('retries a failing chunk while attempts remain, then fails the book with a generic error', async () => {
    const res = await submit(SMALL_BOOK);
    const id = res.json.book_id;
    // A stored shared line that no longer validates makes every chunk attempt throw.
    await t.store.db.query(`UPDATE rebalance_books SET shared_json = '{}' WHERE book_id = $1`, [id]);
    const job = { tenant: 'bank-a', book_id: id, chunk_no: 0 };
    await expect(books.runChunk(job, { retryCount: 0, retryLimit: 3 })).rejects.toThrow(/shared line/);
    expect((await t.get(`/rebalance/books/${id}`, as.support)).json.status).toBe('RUNNING');
    await books.runChunk(job, { retryCount: 3, retryLimit: 3 });
    const book = (await t.get(`/rebalance/books/${id}`, as.support)).json;
    expect(book.status).toBe('FAILED');
    expect(book.error).toBe(`chunk 0 failed on every attempt (Error); the server log has details for ${id}`);
    expect(book.finished_at).not.toBeNull();
    await books.runChunk({ ...job, chunk_no: 1 }); // a failed book runs nothing more
    expect((await t.get(`/rebalance/books/${id}`, as.support)).json.progress.portfolios_done).toBe(0);
  });

  it('keeps a book FAILED when a chunk failed on every attempt while the body was still arriving', async () => {
    const body = async function* () {
      for (const line of SMALL_LINES.slice(0, 3)) yield `${line}\n`;
      const [row] = await t.store.db.query<{ book_id: string }>(
        `SELECT book_id FROM rebalance_books WHERE status = 'RECEIVING'`,
      );
      await t.store.db.query(`UPDATE rebalance_books SET shared_json = '{}' WHERE book_id = $1`, [
        row!.book_id,
      ]);
      await books.runChunk(
        { tenant: 'bank-a', book_id: row!.book_id, chunk_no: 0 },
        { retryCount: 3, retryLimit: 3 },
      );
      yield `${SMALL_LINES[3]}\n`;
    };
    const { book } = await books.submit('bank-a', 'pm_a', undefined, body());
    expect(book.status).toBe('FAILED');
    expect(book.portfolios_total).toBe(3);
    await runAll(book.book_id);
    expect((await t.get(`/rebalance/books/${book.book_id}`, as.support)).json.status).toBe('FAILED');
  });

  it('lists books newest first with cursor paging and a status filter', async () => {
    const page1 = (await t.get('/rebalance/books?limit=2', as.support)).json;
    expect(page1.items).toHaveLength(2);
    expect(page1.next_cursor).toBe(page1.items[1].book_id);
    const page2 = (await t.get(`/rebalance/books?limit=2&cursor=${page1.next_cursor}`, as.support)).json;
    expect(page2.items[0].book_id).not.toBe(page1.items[0].book_id);
    const cancelled = (await t.get('/rebalance/books?status=CANCELLED', as.support)).json.items;
    expect(cancelled.length).toBeGreaterThan(0);
    expect(cancelled.every((b: { status: string }) => b.status === 'CANCELLED')).toBe(true);
    expect((await t.get('/rebalance/books?status=DONE', as.support)).status).toBe(422);
  });

  it('exports the blocks as CSV and FIX 4.4', async () => {
    const csv = await t.get(`/rebalance/books/${small}/orders.csv`, as.support);
    expect(csv.status).toBe(200);
    expect(String(csv.headers['content-type'])).toMatch(/text\/csv/);
    expect(csv.text.split('\n')[1]).toBe(`${small}-S1,SECURITY,EQ_1,BUY,150,,A,50`);
    const fix = await t.get(`/rebalance/books/${small}/orders.fix`, as.support);
    expect(fix.status).toBe(200);
    const messages = fix.text.trimEnd().split('\n');
    expect(messages.map((m) => new Map(parseFix(m)).get(35))).toEqual(SMALL_FIX_MSG_TYPES);
    expect(new Map(parseFix(messages[6]!)).get(55)).toBe('EUR/USD');
  });

  it('audit-logs submissions and cancels with tenant, actor and book id', async () => {
    const lines: { msg: string; audit?: Record<string, unknown> }[] = [];
    const stream = { write: (line: string) => lines.push(JSON.parse(line)) };
    const app = await buildApp({
      db: t.store.db,
      env,
      queue: t.queue,
      workers: 0,
      logger: { level: 'info', stream },
    });
    try {
      const created = await app.inject({
        method: 'POST',
        url: '/rebalance/books',
        headers: { ...NDJSON, ...as.pm },
        payload: SMALL_BOOK,
      });
      expect(created.statusCode).toBe(202);
      const id = created.json().book_id;
      await app.inject({ method: 'POST', url: `/rebalance/books/${id}/cancel`, headers: as.pm });
      await app.inject({
        method: 'POST',
        url: '/rebalance/books',
        headers: { ...NDJSON, ...as.support },
        payload: SMALL_BOOK,
      });
    } finally {
      await app.close();
    }
    const audits = lines.filter((l) => l.msg === 'audit').map((l) => l.audit!);
    expect(audits).toEqual([
      expect.objectContaining({
        tenant: 'bank-a',
        actor: 'pm_a',
        route: '/rebalance/books',
        status: 202,
        book_id: expect.any(String),
        portfolios: 7,
      }),
      expect.objectContaining({
        tenant: 'bank-a',
        actor: 'pm_a',
        route: '/rebalance/books/:book_id/cancel',
        status: 200,
        book_id: audits[0]!.book_id,
      }),
      expect.objectContaining({
        tenant: 'bank-a',
        actor: 'support_a',
        route: '/rebalance/books',
        status: 403,
      }),
    ]);
  });

  it('checks permissions and keeps books per tenant', async () => {
    expect((await submit(SMALL_BOOK, as.support)).status).toBe(403);
    expect((await submit(SMALL_BOOK, as.advisor)).status).toBe(403);
    expect((await t.request('POST', `/rebalance/books/${small}/cancel`, undefined, as.support)).status).toBe(
      403,
    );
    expect((await t.get(`/rebalance/books/${small}`, as.advisor)).status).toBe(200); // runs:read
    const other = await t.get(`/rebalance/books/${small}`, as.other);
    expect(other.status).toBe(404);
    expect(other.json.detail).toBe('BOOK_NOT_FOUND');
    expect((await t.get(`/rebalance/books/${small}/results`, as.other)).status).toBe(404);
    expect((await t.get('/rebalance/books', as.other)).json.items).toEqual([]);
    expect((await t.get('/rebalance/books/bk_missing', as.support)).status).toBe(404);
  });
});
