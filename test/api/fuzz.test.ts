/**
 * Bad input never produces a 500: random JSON and randomly mutated valid bodies against every
 * body-taking route get a 2xx or a 4xx.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFixture } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/http.js';
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
            const res = await t.call(method, url, JSON.stringify(payload));
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
