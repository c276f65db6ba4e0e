/**
 * Property (spec 40 §17.1): for generated requests and generated packs, POST /rebalance/simulate
 * under a pack gives exactly the result of the same request with the pack's fields written into
 * its options by hand — apart from the lineage that names the pack (and the run's own ids).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_DIMENSIONS } from '../../src/contracts/policy-pack.js';
import { generateRequest } from '../../src/tools/generate-request.js';
import { startTestApp, type TestApp } from '../support/http.js';
import { comparable } from './helpers.js';

const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 2 });
const fraction = fc.integer({ min: 0, max: 100 }).map((n) => (n / 100).toFixed(2));
const SECTORS = ['TECH', 'HEALTH', 'ENERGY', 'FIN', 'INDUSTRIAL', 'UTILITIES'];

const arbitraryPack = fc.record({
  turnover_policy: fc.record({ max_turnover_pct: nullable(fraction) }),
  tax_policy: fc.record({
    enable_tax_awareness: nullable(fc.boolean()),
    max_realized_capital_gains: nullable(fc.integer({ min: 0, max: 50_000 }).map(String)),
  }),
  settlement_policy: fc.record({
    enable_settlement_awareness: nullable(fc.boolean()),
    settlement_horizon_days: nullable(fc.integer({ min: 0, max: 10 })),
  }),
  constraint_policy: fc.record({
    single_position_max_weight: nullable(fraction),
    group_constraints: fc.dictionary(
      fc.constantFrom(...SECTORS).map((s) => `sector:${s}`),
      fc.record({ max_weight: fraction }),
      { maxKeys: 3 },
    ),
  }),
  workflow_policy: fc.record({
    enable_workflow_gates: nullable(fc.boolean()),
    workflow_requires_client_consent: nullable(fc.boolean()),
    client_consent_already_obtained: nullable(fc.boolean()),
  }),
  idempotency_policy: fc.record({ replay_enabled: nullable(fc.boolean()) }),
  // Optional dimension (issue 15): sometimes absent altogether.
  drift_band_policy: fc.option(
    fc.record({
      drift_band_abs: nullable(fraction.map((f) => (Number(f) / 10).toFixed(3))),
      drift_band_rel: nullable(fraction),
      drift_band_rebalance_to: nullable(fc.constantFrom('TARGET', 'BAND_EDGE')),
    }),
    { nil: undefined },
  ),
});

const arbitraryRequest = fc.record({
  positions: fc.integer({ min: 1, max: 25 }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  constraints: fc.boolean(),
  mixedShelf: fc.boolean(),
  controls: fc.boolean(),
});

/** The test's own oracle: each set field over the option of the same name; a group map only when non-empty. */
function writtenInto(
  options: Record<string, unknown>,
  pack: Record<string, Record<string, unknown> | undefined>,
) {
  const out = { ...options };
  for (const [dimension, fields] of Object.entries(POLICY_DIMENSIONS))
    for (const field of fields) {
      const value = pack[dimension]?.[field] ?? null;
      if (value === null) continue;
      if (typeof value === 'object' && Object.keys(value as object).length === 0) continue;
      out[field] = value;
    }
  return out;
}

describe('simulate under a pack equals simulate with the pack written into the options', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('embedded', {
      DPM_POLICY_PACKS_ENABLED: 'true',
      DPM_POLICY_PACK_ADMIN_APIS_ENABLED: 'true',
    });
  });
  afterAll(async () => t.close());

  it('for generated requests and packs', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(arbitraryRequest, arbitraryPack, async (spec, pack) => {
        const id = `prop_${++n}`;
        const put = await t.put(`/rebalance/policies/catalog/${id}`, { version: '1', ...pack });
        expect(put.status).toBe(200);
        const body = generateRequest(spec);
        const packed = await t.post('/rebalance/simulate', body, {
          'Idempotency-Key': `${id}-packed`,
          'X-Policy-Pack-Id': id,
        });
        const written = await t.post(
          '/rebalance/simulate',
          { ...body, options: writtenInto(body.options as Record<string, unknown>, pack) },
          { 'Idempotency-Key': `${id}-written` },
        );
        expect([packed.status, written.status]).toEqual([200, 200]);
        expect(comparable(packed.json)).toEqual(comparable(written.json));
        expect(packed.json.lineage.policy_pack).toMatchObject({
          policy_pack_id: id,
          version: '1',
          applied: true,
        });
        expect(written.json.lineage.policy_pack).toBeNull();
      }),
      { numRuns: 40 },
    );
  }, 300_000);
});
