/**
 * Bad input never produces a 500 and never takes the process down: random JSON and randomly
 * mutated valid bodies against every body-taking route, and — on both backends, for every route
 * in the OpenAPI document — NUL characters, deep nesting, over-long ids, odd dates and wrong JSON
 * types in paths, queries, headers and bodies get a 2xx or a 4xx.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFixture } from '../support/fixtures.js';
import { demo, startTestApp, type TestApp } from '../support/http.js';
import { BACKENDS } from '../support/store.js';
import { scenarioBase } from '../support/scenarios.js';

const ROUTES: [string, string][] = [
  ['/rebalance/simulate', '01_standard_drift.json'],
  ['/rebalance/analyze', '09_batch_what_if_analysis.json'],
  ['/rebalance/analyze/async', '26_dpm_async_batch_analysis.json'],
  ['/rebalance/proposals/simulate', '19_advisory_proposal_artifact.json'],
  ['/rebalance/proposals/artifact', '19_advisory_proposal_artifact.json'],
];

/** Replace the value at a random path of `body` with `value`. */
function mutate(body: unknown, pathSeed: number, value: unknown): unknown {
  const copy = structuredClone(body) as any;
  let node = copy;
  let seed = pathSeed;
  for (let depth = 0; depth < 6; depth++) {
    if (!node || typeof node !== 'object') break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[seed % keys.length]!;
    seed = Math.floor(seed / keys.length) + 7;
    if (typeof node[key] !== 'object' || node[key] === null || seed % 3 === 0) {
      node[key] = value;
      return copy;
    }
    node = node[key];
  }
  return copy;
}

describe('no 500 on bad input', () => {
  let t: TestApp;
  let n = 0;
  beforeAll(async () => {
    t = await startTestApp('embedded', { DPM_WORKFLOW_ENABLED: 'true' }, undefined, { workers: 1 });
  });
  afterAll(async () => t.close());

  it('random JSON bodies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), fc.jsonValue(), async ([url], body) => {
        const res = await t.post(url, JSON.stringify(body), { 'Idempotency-Key': `fuzz-${n++}` });
        expect(res.status, res.text).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });

  it('valid bodies with one field replaced by a random value', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.nat(),
        fc.oneof(
          fc.jsonValue(),
          fc.constantFrom('0', '-1', '1e400', 'NaN', '', '9'.repeat(60), '0.0000000001', -0, 1e308),
        ),
        async ([url, fixture], seed, value) => {
          const body = mutate(readFixture('demo', fixture), seed, value);
          const res = await t.post(url, JSON.stringify(body), { 'Idempotency-Key': `fuzz-${n++}` });
          expect(res.status, `${url} ${res.text.slice(0, 300)}`).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('/v1/scenarios: random bodies, mutated scenarios and random query strings', async () => {
    const valid = {
      name: 'fuzz',
      base: scenarioBase(),
      assumptions: [
        { driver_type: 'market_shock', payload: { scope: 'asset_class', match: 'EQUITY', shock_pct: '-10' } },
        { driver_type: 'fx_shock', payload: { currency: 'EUR', shock_bp: '25' } },
        { driver_type: 'projection', payload: { horizon_days: 3, daily_return: { EQUITY: '0.001' } } },
      ],
      parameters: { shock_bp: 25 },
    };
    const created = await t.post('/v1/scenarios', valid);
    expect(created.status).toBe(201);
    const id = created.json.id;
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue(),
        fc.nat(),
        fc.jsonValue(),
        fc.string(),
        async (body, seed, value, q) => {
          const mutated = { ...(mutate(valid, seed, value) as object), name: `fuzz-${n++}` };
          for (const [method, url, payload] of [
            ['POST', '/v1/scenarios', body],
            ['POST', '/v1/scenarios', mutated],
            ['PATCH', `/v1/scenarios/${id}`, mutate(valid, seed, value)],
            ['POST', `/v1/scenarios/${id}/run`, body],
            ['POST', `/v1/scenarios/${id}/runs:bulk`, { runs: [body] }],
            ['POST', '/v1/scenarios/runs/x/state', body],
          ] as const) {
            const res = await t.request(method, url, JSON.stringify(payload));
            expect(res.status, `${method} ${url} ${res.text.slice(0, 300)}`).toBeLessThan(500);
            if (res.status >= 400) expect(res.json.error.code, res.text).toBeTruthy();
          }
          const query = encodeURIComponent(q);
          for (const url of [
            `/v1/scenarios?limit=${query}&created_after=${query}&name=${query}`,
            `/v1/scenarios/${id}/outputs?limit=${query}&asof_from=${query}&cursor=${query}`,
            `/v1/scenarios/${id}/runs?state=${query}&cursor=${query}`,
            `/v1/scenarios/${id}?version=${query}`,
          ])
            expect((await t.get(url)).status, url).toBeLessThan(500);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('random workflow actions and query strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.string(), async (body, q) => {
        expect(
          (await t.post('/rebalance/runs/rr_x/workflow/actions', JSON.stringify(body))).status,
        ).toBeLessThan(500);
        expect(
          (await t.get(`/rebalance/runs?limit=${encodeURIComponent(q)}&from=${encodeURIComponent(q)}`))
            .status,
        ).toBeLessThan(500);
      }),
      { numRuns: 100 },
    );
  });
});

/** Values that broke (or could break) some layer: the store, the parser, the validator, the router. */
const ODD_STRINGS = [
  'a\u0000b',
  '\u0000',
  'x'.repeat(300),
  'é'.repeat(1_000),
  '0000-01-01',
  '2026-02-30',
  '2026-02-30T25:61:00+99:99',
  '10000-01-01T00:00:00Z',
  '',
  '   ',
  '-1',
  '1e400',
  '%',
];
/** For queries and headers (many per route): one of each kind of trouble. */
const ODD_VALUES = ['a\u0000b', 'x'.repeat(300), '2026-02-30', '0000-01-01', '', '%'];
const ODD_BODIES = [
  '1',
  '"x"',
  '[]',
  'null',
  'true',
  '{"options": 1}',
  `{"portfolio_snapshot": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
  `{"a": ${'{"b": '.repeat(63)}1${'}'.repeat(63)}}`,
  '{"portfolio_snapshot": {"portfolio_id": "a\u0000b"}}',
  `{"x": ${'9'.repeat(100_000)}}`,
  '{"\u0000": 1}',
  '{',
];

describe.each(BACKENDS)('every route, odd input (%s)', (backend) => {
  let t: TestApp;
  let routes: { method: string; path: string; op: any }[];
  beforeAll(async () => {
    t = await startTestApp(
      backend,
      {
        DPM_WORKFLOW_ENABLED: 'true',
        DPM_LINEAGE_APIS_ENABLED: 'true',
        DPM_IDEMPOTENCY_HISTORY_APIS_ENABLED: 'true',
        KEEL_RATE_LIMIT_READ_PER_MINUTE: '0',
        KEEL_RATE_LIMIT_WRITE_PER_MINUTE: '0',
      },
      undefined,
      { workers: 1 },
    );
    const doc = (await t.get('/openapi.json')).json;
    routes = [];
    for (const [path, methods] of Object.entries<any>(doc.paths))
      for (const [method, op] of Object.entries<any>(methods))
        routes.push({ method: method.toUpperCase(), path, op });
  });
  afterAll(async () => t.close());

  const send = (method: string, url: string, headers: Record<string, string> = {}, payload?: string) =>
    t.app.inject({
      method: method as 'GET',
      url,
      headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(payload !== undefined && { payload }),
    });
  const fill = (path: string, value: string) => path.replace(/\{[^}]+\}/g, encodeURIComponent(value));
  const failures: string[] = [];
  const check = (
    label: string,
    res: { statusCode: number; body: string; headers: Record<string, unknown> },
  ) => {
    if (res.statusCode >= 500 || !res.headers['x-request-id'])
      failures.push(`${label} → ${res.statusCode} ${res.body.slice(0, 200)}`);
  };

  it('never answers 5xx, always with X-Request-Id, and the service stays up', async () => {
    expect(routes.length).toBeGreaterThanOrEqual(35);
    for (const { method, path, op } of routes) {
      const valid = method === 'POST' ? validBody(path) : undefined;
      const headers: Record<string, string> = { 'Idempotency-Key': `fuzz-${Math.random()}` };
      // Path parameters.
      if (path.includes('{'))
        for (const odd of ODD_STRINGS) {
          const url = fill(path, odd);
          check(`${method} ${url.slice(0, 80)}`, await send(method, url, headers, valid));
        }
      const url = fill(path, 'rr_missing');
      // Query parameters, one at a time.
      for (const p of (op.parameters ?? []).filter((x: any) => x.in === 'query'))
        for (const odd of ODD_VALUES) {
          const q = `${url}?${p.name}=${encodeURIComponent(odd)}`;
          check(`${method} ${q.slice(0, 80)}`, await send(method, q, headers, valid));
        }
      // Headers, one at a time.
      for (const p of (op.parameters ?? []).filter((x: any) => x.in === 'header'))
        for (const odd of ODD_VALUES)
          check(
            `${method} ${url} ${p.name}=${JSON.stringify(odd).slice(0, 30)}`,
            await send(method, url, { ...headers, [p.name]: odd }, valid),
          );
      // Bodies.
      if (method === 'POST')
        for (const body of ODD_BODIES)
          check(`${method} ${url} body ${body.slice(0, 40)}`, await send(method, url, headers, body));
    }
    expect(failures).toEqual([]);
    expect((await t.get('/health/live')).status).toBe(200);
    expect((await t.get('/health/ready')).status).toBe(200);
    // The store still takes writes.
    expect(
      (
        await t.post('/rebalance/simulate', demo('01_standard_drift.json'), {
          'Idempotency-Key': 'after-fuzz',
        })
      ).status,
    ).toBe(200);
  }, 300_000);
});

/** A valid body for a POST route, so path, query and header problems are not masked by the body. */
function validBody(path: string): string | undefined {
  if (path === '/rebalance/simulate') return demo('01_standard_drift.json');
  if (path.startsWith('/rebalance/analyze')) return demo('26_dpm_async_batch_analysis.json');
  if (path.startsWith('/rebalance/proposals')) return demo('19_advisory_proposal_artifact.json');
  if (path.endsWith('/workflow/actions'))
    return JSON.stringify({ action: 'APPROVE', reason_code: 'OK', actor_id: 'r' });
  return '';
}
