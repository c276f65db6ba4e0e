/**
 * Bad input never produces a 500: random JSON and randomly mutated valid bodies against every
 * body-taking route get a 2xx or a 4xx.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFixture } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/http.js';

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
