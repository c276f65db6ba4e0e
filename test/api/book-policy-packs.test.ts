/**
 * DPM policy packs applied to book rebalance (docs/decisions/0073), on every test backend: the
 * pack is resolved at submission exactly as /rebalance/simulate resolves it, stored with the
 * book and applied in every chunk, so each portfolio's result is what simulate of its body gives
 * under the same headers; no pack → the results of today; a pack changed after submission does
 * not reach the running book.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BookService } from '../../src/api/books/service.js';
import { EnginePool } from '../../src/compute/engine-pool.js';
import { NDJSON, SMALL_BOOK, SMALL_LINES, simulateBodyOf } from '../support/book.js';
import { signUser } from '../support/jwt.js';
import { BACKENDS } from '../support/store.js';
import { startTestApp, type TestApp } from '../support/http.js';

const SECRET = 'a-book-pack-test-secret-of-sufficient-length-77';
/** Lines of SMALL_BOOK that are portfolios the engine runs (5, 7, 8 are failed lines). */
const RUN_LINES = [2, 3, 4, 6];

const BASE = { KEEL_JWT_SECRET: SECRET, KEEL_BOOK_CHUNK_SIZE: '2' };
const PACKS = {
  ...BASE,
  DPM_POLICY_PACKS_ENABLED: 'true',
  DPM_POLICY_PACK_ADMIN_APIS_ENABLED: 'true',
  DPM_TENANT_POLICY_PACK_RESOLUTION_ENABLED: 'true',
  DPM_TENANT_POLICY_PACK_MAP_JSON: JSON.stringify({ 'bank-a': 'house' }),
  DPM_POLICY_PACK_CATALOG_JSON: JSON.stringify({
    bands: { version: 'b1', drift_band_policy: { drift_band_abs: '0.60' } },
  }),
};

/** Ids simulate draws at random (the run id and the ids derived from it) and the correlation id. */
const RUN_IDENTITY = new Set(['rebalance_run_id', 'correlation_id', 'target_id', 'universe_id']);

/** A result without the identity simulate draws at random. */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !RUN_IDENTITY.has(k))
      .map(([k, v]) => [k, comparable(v)]),
  );
}

describe.each(BACKENDS)('book rebalance under DPM policy packs (%s)', (backend) => {
  let t: TestApp;
  let books: BookService;
  let engine: EnginePool;
  let auth: Record<string, string>;
  let key = 0;

  beforeAll(async () => {
    t = await startTestApp(backend, PACKS, undefined, { workers: 0 });
    engine = new EnginePool({ threads: 0 });
    books = new BookService(t.store.db, t.queue!, engine, PACKS);
    auth = { Authorization: `Bearer ${await signUser(SECRET, 'admin_a', ['admin'], 'bank-a')}` };
  }, 120_000);
  afterAll(async () => {
    await engine.close();
    await t.close();
  }, 60_000);

  const putPack = (id: string, body: Record<string, unknown>) =>
    t.request('PUT', `/rebalance/policies/catalog/${id}`, body, auth);

  async function runAll(bookId: string) {
    const chunks = await t.store.db.query<{ chunk_no: number }>(
      'SELECT chunk_no FROM rebalance_book_chunks WHERE book_id = $1 ORDER BY chunk_no',
      [bookId],
    );
    for (const c of chunks) await books.runChunk({ tenant: 'bank-a', book_id: bookId, chunk_no: c.chunk_no });
  }

  /** Submit SMALL_BOOK, run it, return the book and its results by line. */
  async function runBook(headers: Record<string, string> = {}) {
    const res = await t.request('POST', '/rebalance/books', SMALL_BOOK, { ...NDJSON, ...auth, ...headers });
    expect(res.status, res.text).toBe(202);
    await runAll(res.json.book_id);
    return bookOf(res.json.book_id);
  }

  async function bookOf(id: string) {
    const book = (await t.request('GET', `/rebalance/books/${id}`, undefined, auth)).json;
    expect(book.status).toBe('SUCCEEDED');
    const text = (await t.request('GET', `/rebalance/books/${id}/results`, undefined, auth)).text;
    const results = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    return { book, byLine: new Map(results.map((r, i) => [i + 2, r])) };
  }

  /** POST /rebalance/simulate of a line's body with the headers. */
  async function simulate(line: number, headers: Record<string, string> = {}) {
    const res = await t.request('POST', '/rebalance/simulate', simulateBodyOf(SMALL_LINES[line - 1]!), {
      ...auth,
      'Idempotency-Key': `bp-${backend}-${++key}`,
      ...headers,
    });
    expect(res.status, res.text).toBe(200);
    return res.json;
  }

  async function expectAsSimulate(byLine: Map<number, unknown>, headers: Record<string, string> = {}) {
    for (const line of RUN_LINES) {
      const single = await simulate(line, headers);
      expect(comparable(byLine.get(line)), `line ${line}`).toEqual(comparable(single));
    }
  }

  let plain: Awaited<ReturnType<typeof bookOf>>;

  it('no pack selected: the book and its results are those of today', async () => {
    await t.restart(BASE);
    plain = await runBook();
    expect(plain.book.policy_pack).toBeNull();
    for (const line of RUN_LINES) expect((plain.byLine.get(line) as any).lineage.policy_pack).toBeNull();
    await expectAsSimulate(plain.byLine);
  });

  it('a tenant default pack (max_turnover_pct) changes each portfolio as simulate with the same headers does', async () => {
    await t.restart(PACKS);
    expect(
      (await putPack('house', { version: 'v1', turnover_policy: { max_turnover_pct: '0.01' } })).status,
    ).toBe(200);
    const packed = await runBook();
    expect(packed.book.policy_pack).toEqual({
      policy_pack_id: 'house',
      version: 'v1',
      source: 'TENANT_DEFAULT',
      catalog_source: 'STORED',
      definition_hash: expect.stringMatching(/^sha256:/),
      applied: true,
    });
    await expectAsSimulate(packed.byLine);
    // The pack really changed something, and only the options: the request hash is of the body as sent.
    const a = packed.byLine.get(2) as any;
    const before = plain.byLine.get(2) as any;
    expect(a.intents).not.toEqual(before.intents);
    expect(a.lineage.request_hash).toBe(before.lineage.request_hash);
    expect(a.lineage.policy_pack).toEqual(packed.book.policy_pack);
    expect(packed.book.summary).not.toEqual(plain.book.summary);
  });

  it('X-Policy-Pack-Id (a drift-band seed pack) wins over the tenant default, as in simulate', async () => {
    const headers = { 'X-Policy-Pack-Id': 'bands' };
    const banded = await runBook(headers);
    expect(banded.book.policy_pack).toMatchObject({
      policy_pack_id: 'bands',
      version: 'b1',
      source: 'REQUEST',
      catalog_source: 'ENV_JSON',
      applied: true,
    });
    await expectAsSimulate(banded.byLine, headers);
    expect((banded.byLine.get(2) as any).intents).not.toEqual((plain.byLine.get(2) as any).intents);
  });

  it('an unknown selected pack: what simulate does — no error, own options, recorded applied: false', async () => {
    const headers = { 'X-Policy-Pack-Id': 'nope' };
    const unknown = await runBook(headers);
    expect(unknown.book.policy_pack).toEqual({
      policy_pack_id: 'nope',
      version: null,
      source: 'REQUEST',
      catalog_source: null,
      definition_hash: null,
      applied: false,
    });
    await expectAsSimulate(unknown.byLine, headers);
    expect((unknown.byLine.get(2) as any).intents).toEqual((plain.byLine.get(2) as any).intents);
  });

  it('a foreign X-Tenant-Id is 403 TENANT_MISMATCH, as in simulate, and nothing is stored', async () => {
    const count = async () =>
      (await t.store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM rebalance_books', []))[0]!.n;
    const before = await count();
    const res = await t.request('POST', '/rebalance/books', SMALL_BOOK, {
      ...NDJSON,
      ...auth,
      'X-Tenant-Id': 'bank-b',
    });
    const sim = await t.request('POST', '/rebalance/simulate', simulateBodyOf(SMALL_LINES[1]!), {
      ...auth,
      'Idempotency-Key': `bp-${backend}-${++key}`,
      'X-Tenant-Id': 'bank-b',
    });
    expect([res.status, res.json]).toEqual([sim.status, sim.json]);
    expect(res.status).toBe(403);
    expect(await count()).toBe(before);
  });

  it('a pack changed after submission does not affect the running book', async () => {
    expect(
      (await putPack('house', { version: 'v1', turnover_policy: { max_turnover_pct: '0.01' } })).status,
    ).toBe(200);
    const res = await t.request('POST', '/rebalance/books', SMALL_BOOK, { ...NDJSON, ...auth });
    expect(res.status).toBe(202);
    const id = res.json.book_id;
    // Submitted under v1; the pack moves on (v2: no turnover cap) before any chunk runs.
    const v1Results = (await runBook()).byLine;
    expect((await putPack('house', { version: 'v2' })).status).toBe(200);
    await runAll(id);
    const after = await bookOf(id);
    expect(after.book.policy_pack).toMatchObject({ policy_pack_id: 'house', version: 'v1' });
    for (const line of RUN_LINES)
      expect(comparable(after.byLine.get(line))).toEqual(comparable(v1Results.get(line)));
    // …while a book submitted now runs under v2.
    const now = await runBook();
    expect(now.book.policy_pack).toMatchObject({ version: 'v2' });
    expect((now.byLine.get(2) as any).intents).toEqual((plain.byLine.get(2) as any).intents);
  });

  it('an Idempotency-Key replay must be under the same pack (409 otherwise, as simulate)', async () => {
    const send = (headers: Record<string, string>) =>
      t.request('POST', '/rebalance/books', SMALL_BOOK, {
        ...NDJSON,
        ...auth,
        'Idempotency-Key': 'bp-key',
        ...headers,
      });
    const first = await send({});
    expect(first.status).toBe(202);
    expect((await send({})).status).toBe(200);
    const other = await send({ 'X-Policy-Pack-Id': 'bands' });
    expect([other.status, other.json]).toEqual([
      409,
      { detail: 'IDEMPOTENCY_KEY_CONFLICT: policy pack mismatch' },
    ]);
  });
});
