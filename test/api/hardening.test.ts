/**
 * Bad input and bad days (issue 10): NUL characters, deep nesting, over-long ids, impossible
 * dates, numbers where objects belong, blank keys, huge number tokens — each a 422 naming the
 * field; every layer's error in the documented body with X-Request-Id; a database that is full
 * or damaged answers 503 + Retry-After and fails readiness.
 */
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { MAX_ID_LENGTH } from '../../src/api/schemas.js';
import { BACKENDS } from '../support/store.js';
import { demo, startTestApp, type TestApp } from '../support/http.js';

const BODY_01 = JSON.parse(demo('01_standard_drift.json'));
const BODY_26 = JSON.parse(demo('26_dpm_async_batch_analysis.json'));

const locs = (res: { json: any }) => (res.json.detail as { loc: unknown[] }[]).map((e) => e.loc);

describe.each(BACKENDS)('hardening (%s)', (backend) => {
  let t: TestApp;
  let n = 0;
  const key = () => ({ 'Idempotency-Key': `hard-${n++}` });
  beforeAll(async () => {
    t = await startTestApp(
      backend,
      {
        DPM_ASYNC_EXECUTION_MODE: 'QUEUED',
        DPM_WORKFLOW_ENABLED: 'true',
        DPM_LINEAGE_APIS_ENABLED: 'true',
        DPM_IDEMPOTENCY_HISTORY_APIS_ENABLED: 'true',
      },
      undefined,
      { workers: 1 },
    );
  });
  afterAll(async () => t.close());

  it('refuses a NUL character in body strings, keys, paths, queries and headers with a 422 naming it', async () => {
    const async = await t.post('/rebalance/analyze/async', {
      ...BODY_26,
      portfolio_snapshot: { ...BODY_26.portfolio_snapshot, portfolio_id: 'pf\u0000x' },
    });
    expect(async.status).toBe(422);
    expect(async.json.detail[0]).toMatchObject({
      type: 'string_nul_character',
      loc: ['body', 'portfolio_snapshot', 'portfolio_id'],
      input: 'pf\\u0000x',
    });
    expect((await t.get('/rebalance/operations?limit=200')).json.items).toEqual([]); // nothing accepted
    const key = await t.post(
      '/rebalance/simulate',
      {
        ...BODY_01,
        options: { group_constraints: { 'a\u0000:b': { max_weight: '0.5' } } },
      },
      { 'Idempotency-Key': 'nul-key' },
    );
    expect(locs(key)).toEqual([['body', 'options', 'group_constraints', 'a\u0000:b']]);
    expect(locs(await t.get('/rebalance/runs/rr%00x'))).toEqual([['path', 'rebalance_run_id']]);
    expect(locs(await t.get('/rebalance/runs?portfolio_id=a%00b'))).toEqual([['query', 'portfolio_id']]);
    expect(
      locs(
        await t.post('/rebalance/simulate', BODY_01, {
          'Idempotency-Key': 'k',
          'X-Correlation-Id': 'c\u0000',
        }),
      ),
    ).toEqual([['header', 'X-Correlation-Id']]);
    expect((await t.get('/health/ready')).status).toBe(200); // the store is fine
  });

  it('refuses deep nesting before parsing, and never echoes deep input', async () => {
    for (const depth of [65, 2_000, 200_000]) {
      const body = `{"portfolio_snapshot": ${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const res = await t.post('/rebalance/simulate', body, key());
      expect(res.status, `depth ${depth}`).toBe(422);
      expect(res.json.detail).toEqual([
        {
          type: 'json_too_deep',
          loc: ['body'],
          msg: 'JSON nesting should be at most 64 levels deep',
          input: null,
        },
      ]);
    }
    // Up to the limit it is an ordinary field error.
    const shallow = `{"options": ${'['.repeat(60)}${']'.repeat(60)}}`;
    const res = await t.post('/rebalance/simulate', shallow, key());
    expect(res.status).toBe(422);
    expect(locs(res)).toContainEqual(['body', 'options']);
  });

  it('one id limit on write and read: 256 characters round-trip, 257 are a 422 naming the field', async () => {
    const longest = 'k'.repeat(MAX_ID_LENGTH);
    const written = await t.post('/rebalance/simulate', BODY_01, { 'Idempotency-Key': longest });
    expect(written.status).toBe(200);
    const read = await t.get(`/rebalance/runs/idempotency/${longest}`);
    expect(read.status).toBe(200); // was 414 from the router for ids over 100 characters
    expect(read.json.rebalance_run_id).toBe(written.json.rebalance_run_id);
    // Percent-encoded, the path parameter is three times longer and still reaches validation.
    const encoded = encodeURIComponent('é'.repeat(MAX_ID_LENGTH + 1));
    expect(locs(await t.get(`/rebalance/runs/by-correlation/${encoded}`))).toEqual([
      ['path', 'correlation_id'],
    ]);
    expect(locs(await t.post('/rebalance/simulate', BODY_01, { 'Idempotency-Key': `${longest}k` }))).toEqual([
      ['header', 'Idempotency-Key'],
    ]);
    expect(locs(await t.get(`/rebalance/runs/idempotency/${longest}k`))).toEqual([
      ['path', 'idempotency_key'],
    ]);
    const portfolio = await t.post(
      '/rebalance/simulate',
      {
        ...BODY_01,
        portfolio_snapshot: { ...BODY_01.portfolio_snapshot, portfolio_id: 'p'.repeat(3000) },
      },
      key(),
    );
    expect(portfolio.json.detail[0]).toMatchObject({
      type: 'string_too_long',
      loc: ['body', 'portfolio_snapshot', 'portfolio_id'],
    });
  });

  it('refuses impossible and out-of-range dates with a 422 naming the parameter', async () => {
    for (const bad of [
      '0000-01-01',
      '2026-02-30',
      '2023-02-29',
      '2026-13-01',
      '10000-01-01',
      '2026-04-31T00:00:00Z',
    ])
      expect(locs(await t.get(`/rebalance/runs?from=${encodeURIComponent(bad)}`)), bad).toEqual([
        ['query', 'from'],
      ]);
    expect((await t.get('/rebalance/runs?from=2024-02-29&to=9999-12-31T23:59:59Z')).status).toBe(200);
    expect(locs(await t.get('/rebalance/operations?to=0000-06-01T00:00:00Z'))).toEqual([['query', 'to']]);
  });

  it('refuses a JSON number where an object is required', async () => {
    const res = await t.post('/rebalance/simulate', { ...BODY_01, options: 1 }, key());
    expect(res.status).toBe(422);
    expect(res.json.detail).toEqual([
      { type: 'dict_type', loc: ['body', 'options'], msg: 'Input should be a valid dictionary', input: 1 },
    ]);
    expect(locs(await t.post('/rebalance/simulate', { ...BODY_01, portfolio_snapshot: 2.5 }, key()))).toEqual(
      [['body', 'portfolio_snapshot']],
    );
    const nested = await t.post('/rebalance/analyze', {
      ...BODY_26,
      market_data_snapshot: { prices: [7] },
    });
    expect(locs(nested)).toEqual([['body', 'market_data_snapshot', 'prices', 0]]);
  });

  it('refuses an empty or blank Idempotency-Key (closing QUIRK Q-S1)', async () => {
    for (const blank of ['', '   ']) {
      const res = await t.post('/rebalance/simulate', BODY_01, { 'Idempotency-Key': blank });
      expect(res.status, JSON.stringify(blank)).toBe(422);
      expect(locs(res)).toEqual([['header', 'Idempotency-Key']]);
    }
    const advisory = await t.post(
      '/rebalance/proposals/simulate',
      demo('10_advisory_proposal_simulate.json'),
      {
        'Idempotency-Key': '',
      },
    );
    expect(locs(advisory)).toEqual([['header', 'Idempotency-Key']]);
  });

  it('refuses a 9 MiB number token as out of range without parsing it', async () => {
    const huge = '9'.repeat(9 * 1024 * 1024);
    const body = JSON.stringify(BODY_01).replace('"portfolio_snapshot":{', `"portfolio_snapshot":{"x":0,`);
    const res = await t.post(
      '/rebalance/simulate',
      body.replace(/"quantity":\s*"?[0-9.]+"?/, `"quantity": ${huge}`),
      key(),
    );
    expect(res.status).toBe(422);
    expect(res.json.detail[0]).toMatchObject({
      type: 'decimal_out_of_range',
      loc: ['body', 'portfolio_snapshot', 'positions', 0, 'quantity'],
    });
  });

  it('answers router, parser and size errors in the documented body with X-Request-Id', async () => {
    const badUrl = await t.get('/rebalance/runs/%E0%A4%A');
    expect(badUrl.status).toBe(400);
    expect(badUrl.json.detail).toMatch(/^BAD_REQUEST: /);
    expect(badUrl.headers['x-request-id']).toBeTruthy();
    const media = await t.app.inject({
      method: 'POST',
      url: '/rebalance/simulate',
      headers: { 'content-type': 'application/xml', 'Idempotency-Key': 'm' },
      payload: 'x',
    });
    expect(media.statusCode).toBe(415);
    expect(media.json()).toEqual({ detail: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(media.headers['x-request-id']).toBeTruthy();
    const notFound = await t.get('/nowhere', { 'X-Request-Id': 'mine-1' });
    expect([notFound.status, notFound.json, notFound.headers['x-request-id']]).toEqual([
      404,
      { detail: 'Not Found' },
      'mine-1',
    ]);
  });

  it('answers 503 + Retry-After when the database is full, fails readiness, and recovers', async () => {
    await t.store.db
      .query(`CREATE OR REPLACE FUNCTION keel_test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$`);
    await t.store.db.query(
      'CREATE TRIGGER keel_test_disk_full BEFORE INSERT ON dpm_runs FOR EACH ROW EXECUTE FUNCTION keel_test_disk_full()',
    );
    const full = await t.post('/rebalance/simulate', BODY_01, key());
    expect(full.status).toBe(503);
    expect(full.json).toEqual({ detail: 'DATABASE_STORAGE_FULL' });
    expect(full.headers['retry-after']).toBe('5');
    const ready = await t.get('/health/ready');
    expect([ready.status, ready.json]).toEqual([503, { status: 'unavailable', database: 'storage_full' }]);
    await t.store.db.query('DROP TRIGGER keel_test_disk_full ON dpm_runs');
    expect((await t.post('/rebalance/simulate', BODY_01, key())).status).toBe(200);
    expect((await t.get('/health/ready')).status).toBe(200);
  });

  it('answers Node’s own parser errors (oversized headers, bad syntax) in the documented body with X-Request-Id', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as AddressInfo).port;
    const raw = (request: string) =>
      new Promise<string>((resolve) => {
        let out = '';
        const socket = connect(port, '127.0.0.1', () => socket.write(request));
        socket.on('data', (chunk) => (out += chunk.toString()));
        socket.on('close', () => resolve(out));
        socket.on('error', () => resolve(out));
      });
    const big = await raw(`GET /rebalance/runs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    expect(big).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}\r\n/);
    expect(big.split('\r\n\r\n')[1]).toBe('{"detail":"REQUEST_HEADER_FIELDS_TOO_LARGE"}');
    const bad = await raw('NONSENSE\r\n\r\n');
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
    expect(bad).toMatch(/X-Request-Id: /);
    expect(bad.split('\r\n\r\n')[1]).toBe('{"detail":"BAD_REQUEST"}');
  });

  it('lets an encapsulated plugin answer its own errors in its own envelope, still with X-Request-Id', async () => {
    const app = await buildApp({ db: t.store.db, env: {}, bodyLimit: 2048 });
    await app.register(
      async (scoped) => {
        scoped.setErrorHandler((error: Error & { statusCode?: number }, request, reply) =>
          reply.status(error.statusCode === 413 ? 413 : 400).send({
            error: { code: 'VALIDATION_ERROR', message: error.message, details: [] },
            meta: { request_id: request.id },
          }),
        );
        scoped.post('/things', async () => {
          throw Object.assign(new Error('name is required'), { statusCode: 400 });
        });
      },
      { prefix: '/v1' },
    );
    const post = (payload: string, type = 'application/json') =>
      app.inject({ method: 'POST', url: '/v1/things', headers: { 'content-type': type }, payload });
    for (const res of [
      await post('{}'),
      await post('x', 'text/plain'),
      await post(`{"a":"${'x'.repeat(4096)}"}`),
    ]) {
      expect(res.json().error.code).toBe('VALIDATION_ERROR');
      expect(res.json().meta.request_id).toBe(res.headers['x-request-id']);
    }
    // Keel's own routes on the same app keep the documented body.
    const own = await app.inject({ method: 'GET', url: '/rebalance/runs?limit=0' });
    expect(own.json().detail[0].loc).toEqual(['query', 'limit']);
    await app.close();
  });

  // Last: a storage fault latches readiness for the rest of this store's life.
  it('answers 503 DATABASE_STORAGE_FAULT on corruption and stays not ready', async () => {
    await t.store.db
      .query(`CREATE OR REPLACE FUNCTION keel_test_corrupt() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'invalid page in block 7 of relation base/5/16384' USING ERRCODE = 'data_corrupted'; END $$`);
    await t.store.db.query(
      'CREATE TRIGGER keel_test_corrupt BEFORE INSERT ON dpm_runs FOR EACH ROW EXECUTE FUNCTION keel_test_corrupt()',
    );
    const res = await t.post('/rebalance/simulate', BODY_01, key());
    expect([res.status, res.json]).toEqual([503, { detail: 'DATABASE_STORAGE_FAULT' }]);
    await t.store.db.query('DROP TRIGGER keel_test_corrupt ON dpm_runs');
    const ready = await t.get('/health/ready');
    expect([ready.status, ready.json]).toEqual([503, { status: 'unavailable', database: 'storage_fault' }]);
  });
});
