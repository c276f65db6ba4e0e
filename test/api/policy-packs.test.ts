/**
 * DPM policy packs over HTTP (spec 40 Part B, §26 policy-pack checklist, demo 31) on every test
 * backend: selection, the effect of every override on simulate and analyze, replay, the catalog,
 * the admin APIs with their version history and audit, the applied pack in lineage, stored run,
 * artifact and bundle, async resolution at submission, restarts, tenancy and token auth.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactHash } from '../../src/api/dpm/artifact.js';
import { PolicyPackService } from '../../src/api/policies/service.js';
import type { Database } from '../../src/store/database.js';
import { BACKENDS } from '../support/store.js';
import { demo, startTestApp, type TestApp } from '../support/http.js';
import { comparable } from './helpers.js';

const BODY_31 = demo('31_dpm_policy_pack_supportability_diagnostics.json');
const DEMO_HEADERS = {
  'X-Policy-Pack-Id': 'dpm_standard_v1',
  'X-Tenant-Policy-Pack-Id': 'dpm_tenant_default_v1',
  'X-Tenant-Id': 'tenant_001',
};
const SELECTION_FIELDS = [
  'enabled',
  'total',
  'selected_policy_pack_id',
  'selected_policy_pack_present',
  'selected_policy_pack_source',
  'items',
];

/** The §24 recipes, one pack per dimension (plus consent with gates on, and an empty pack). */
const RECIPES: Record<string, Record<string, unknown>> = {
  turnover: { turnover_policy: { max_turnover_pct: '0.01' } },
  tax: { tax_policy: { enable_tax_awareness: true, max_realized_capital_gains: '100' } },
  settlement: { settlement_policy: { enable_settlement_awareness: true, settlement_horizon_days: 3 } },
  constraints: {
    constraint_policy: {
      single_position_max_weight: '0.25',
      group_constraints: { 'sector:TECH': { max_weight: '0.20' } },
    },
  },
  workflow: {
    workflow_policy: {
      enable_workflow_gates: false,
      workflow_requires_client_consent: true,
      client_consent_already_obtained: true,
    },
  },
  consent: { workflow_policy: { workflow_requires_client_consent: true } },
  empty: {},
  no_replay: { idempotency_policy: { replay_enabled: false } },
  replay: { idempotency_policy: { replay_enabled: true } },
};

/** The options a recipe writes, flattened: what a client would put into `options` itself. */
const recipeOptions = (recipe: Record<string, unknown>) =>
  Object.assign(
    {},
    ...Object.entries(recipe)
      .filter(([dimension]) => dimension !== 'idempotency_policy')
      .map(([, fields]) => fields),
  ) as Record<string, unknown>;

const withOptions = (body: string, extra: Record<string, unknown>) => {
  const parsed = JSON.parse(body);
  return JSON.stringify({ ...parsed, options: { ...parsed.options, ...extra } });
};

const SECRET = 'a-test-secret-of-sufficient-length-0123456789';
const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(Math.floor(Date.now() / 1000) - 120)
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
const bearer = (jwt: string) => ({ Authorization: `Bearer ${jwt}` });

describe.each(BACKENDS)('DPM policy packs (%s)', (backend) => {
  let t: TestApp;
  const logs: any[] = [];
  let key = 0;
  const nextKey = () => `pp-${backend}-${++key}`;
  const simulate = (body: string, headers: Record<string, string> = {}) =>
    t.post('/rebalance/simulate', body, { 'Idempotency-Key': nextKey(), ...headers });
  const ENABLED = { DPM_POLICY_PACKS_ENABLED: 'true' };
  const ADMIN = { ...ENABLED, DPM_POLICY_PACK_ADMIN_APIS_ENABLED: 'true' };

  beforeAll(async () => {
    t = await startTestApp(backend, {}, undefined, {
      logger: { level: 'info', stream: { write: (line: string) => logs.push(JSON.parse(line)) } },
    });
  });
  afterAll(async () => t.close());

  describe('demo 31', () => {
    it('with the default configuration: a domain status, DISABLED selection, the catalog fields', async () => {
      await t.restart({});
      const res = await t.post('/rebalance/simulate', BODY_31, {
        'Idempotency-Key': 'demo-31',
        ...DEMO_HEADERS,
      });
      expect(res.status).toBe(200);
      expect(['READY', 'PENDING_REVIEW', 'BLOCKED']).toContain(res.json.status);
      expect(res.json.lineage.policy_pack).toBeNull();
      const effective = await t.get('/rebalance/policies/effective', DEMO_HEADERS);
      expect(effective.status).toBe(200);
      expect(effective.json).toEqual({ enabled: false, selected_policy_pack_id: null, source: 'DISABLED' });
      const catalog = await t.get('/rebalance/policies/catalog', DEMO_HEADERS);
      expect(catalog.status).toBe(200);
      expect(Object.keys(catalog.json)).toEqual(SELECTION_FIELDS);
      expect(catalog.json).toEqual({
        enabled: false,
        total: 0,
        selected_policy_pack_id: null,
        selected_policy_pack_present: false,
        selected_policy_pack_source: 'DISABLED',
        items: [],
      });
    });

    it('with DPM_POLICY_PACKS_ENABLED=true: REQUEST / dpm_standard_v1; an id not in the catalog changes nothing (GAP G-B1, recorded)', async () => {
      await t.restart(ENABLED);
      expect((await t.get('/rebalance/policies/effective', DEMO_HEADERS)).json).toEqual({
        enabled: true,
        selected_policy_pack_id: 'dpm_standard_v1',
        source: 'REQUEST',
      });
      const catalog = await t.get('/rebalance/policies/catalog', DEMO_HEADERS);
      expect(catalog.json).toMatchObject({
        enabled: true,
        selected_policy_pack_id: 'dpm_standard_v1',
        selected_policy_pack_present: false,
        selected_policy_pack_source: 'REQUEST',
      });
      const plain = await simulate(BODY_31);
      const res = await simulate(BODY_31, DEMO_HEADERS);
      expect(res.status).toBe(200);
      expect(comparable(res.json)).toEqual(comparable(plain.json));
      expect(res.json.lineage.request_hash).toBe(plain.json.lineage.request_hash);
      expect(res.json.lineage.policy_pack).toEqual({
        policy_pack_id: 'dpm_standard_v1',
        version: null,
        source: 'REQUEST',
        catalog_source: null,
        definition_hash: null,
        applied: false,
      });
    });
  });

  describe('selection (spec 40 §16)', () => {
    beforeAll(async () => {
      await t.restart({
        ...ENABLED,
        DPM_TENANT_POLICY_PACK_RESOLUTION_ENABLED: 'true',
        DPM_TENANT_POLICY_PACK_MAP_JSON: JSON.stringify({ tenant_001: ' mapped ' }),
        DPM_DEFAULT_POLICY_PACK_ID: ' global ',
      });
    });
    const effective = async (headers: Record<string, string>) =>
      (await t.get('/rebalance/policies/effective', headers)).json;

    it('takes the request header, the tenant default, the global default, in that order, trimmed', async () => {
      expect(await effective({ 'X-Policy-Pack-Id': '  req  ', 'X-Tenant-Id': 'tenant_001' })).toEqual({
        enabled: true,
        selected_policy_pack_id: 'req',
        source: 'REQUEST',
      });
      expect(await effective({ 'X-Policy-Pack-Id': '   ', 'X-Tenant-Id': 'tenant_001' })).toEqual({
        enabled: true,
        selected_policy_pack_id: 'mapped',
        source: 'TENANT_DEFAULT',
      });
      expect(await effective({ 'X-Tenant-Id': 'other' })).toEqual({
        enabled: true,
        selected_policy_pack_id: 'global',
        source: 'GLOBAL_DEFAULT',
      });
    });

    it('lets the tenant-pack header beat the tenant map; blank, it suppresses the map (QUIRK Q-B5)', async () => {
      expect(
        await effective({ 'X-Tenant-Policy-Pack-Id': ' tp ', 'X-Tenant-Id': 'tenant_001' }),
      ).toMatchObject({ selected_policy_pack_id: 'tp', source: 'TENANT_DEFAULT' });
      expect(await effective({ 'X-Tenant-Policy-Pack-Id': '  ', 'X-Tenant-Id': 'tenant_001' })).toMatchObject(
        { selected_policy_pack_id: 'global', source: 'GLOBAL_DEFAULT' },
      );
    });

    it('simulate ignores the tenant-pack header (QUIRK Q-B7) and uses the tenant map', async () => {
      const viaMap = await simulate(BODY_31, {
        'X-Tenant-Policy-Pack-Id': 'tp',
        'X-Tenant-Id': 'tenant_001',
      });
      expect(viaMap.json.lineage.policy_pack).toMatchObject({
        policy_pack_id: 'mapped',
        source: 'TENANT_DEFAULT',
      });
      const global = await simulate(BODY_31, { 'X-Tenant-Policy-Pack-Id': 'tp' });
      expect(global.json.lineage.policy_pack).toMatchObject({
        policy_pack_id: 'global',
        source: 'GLOBAL_DEFAULT',
      });
    });

    it('ignores every id when disabled', async () => {
      await t.restart({
        DPM_DEFAULT_POLICY_PACK_ID: 'global',
        DPM_POLICY_PACK_CATALOG_JSON: '{"global": {}}',
      });
      expect(await effective({ 'X-Policy-Pack-Id': 'req', 'X-Tenant-Policy-Pack-Id': 'tp' })).toEqual({
        enabled: false,
        selected_policy_pack_id: null,
        source: 'DISABLED',
      });
      const res = await simulate(BODY_31, { 'X-Policy-Pack-Id': 'global' });
      expect(res.json.lineage.policy_pack).toBeNull();
    });
  });

  describe('effect on requests (spec 40 §17)', () => {
    beforeAll(async () => {
      await t.restart({ ...ENABLED, DPM_POLICY_PACK_CATALOG_JSON: JSON.stringify(RECIPES) });
    });

    it.each([
      ['turnover', (r: any) => expect(r.diagnostics.dropped_intents[0].reason).toBe('TURNOVER_LIMIT')],
      ['tax', (r: any) => expect(r.tax_impact.budget_limit).toEqual({ amount: '100', currency: 'USD' })],
      [
        'settlement',
        (r: any) => expect(r.diagnostics.cash_ladder.map((d: any) => d.date_offset)).toEqual([0, 1, 2, 3]),
      ],
      [
        'constraints',
        (r: any) =>
          expect(r.diagnostics.group_constraint_events[0]).toMatchObject({
            constraint_key: 'sector:TECH',
            max_weight: '0.20',
          }),
      ],
      ['workflow', (r: any) => expect(r.gate_decision).toBeNull()],
      ['consent', (r: any) => expect(r.gate_decision.gate).toBe('CLIENT_CONSENT_REQUIRED')],
      ['empty', (r: any) => expect(r.status).toBe('READY')],
    ])('%s: the result is exactly that of the options written into the request', async (id, check) => {
      const plain = await simulate(BODY_31);
      const written = await simulate(withOptions(BODY_31, recipeOptions(RECIPES[id]!)));
      const packed = await simulate(BODY_31, { 'X-Policy-Pack-Id': id });
      expect(packed.status).toBe(200);
      check(packed.json);
      expect(comparable(packed.json)).toEqual(comparable(written.json));
      if (id !== 'empty') expect(comparable(packed.json)).not.toEqual(comparable(plain.json));
      else expect(comparable(packed.json)).toEqual(comparable(plain.json));
      expect(packed.json.lineage.request_hash).toBe(plain.json.lineage.request_hash);
      expect(packed.json.lineage.policy_pack).toMatchObject({
        policy_pack_id: id,
        version: '1',
        source: 'REQUEST',
        catalog_source: 'ENV_JSON',
        applied: true,
      });
      expect(packed.json.lineage.policy_pack.definition_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    });

    it('analyze: resolved once, applied to each scenario after its own validation', async () => {
      const shared = JSON.parse(BODY_31);
      delete shared.options;
      const batch = {
        ...shared,
        scenarios: {
          own: { options: { single_position_max_weight: '0.70' } },
          looser: { options: { max_turnover_pct: '0.9' } },
          invalid: { options: { max_turnover_pct: '2' } },
        },
      };
      const res = await t.post('/rebalance/analyze', batch, { 'X-Policy-Pack-Id': 'turnover' });
      expect(res.status).toBe(200);
      expect(Object.keys(res.json.results)).toEqual(['looser', 'own']);
      expect(res.json.failed_scenarios).toEqual({
        invalid: 'INVALID_OPTIONS: Value error, max_turnover_pct must be between 0 and 1 inclusive',
      });
      const capped = await simulate(withOptions(BODY_31, { max_turnover_pct: '0.01' }));
      for (const name of ['own', 'looser']) {
        const scenario = res.json.results[name];
        expect(scenario.diagnostics).toEqual(capped.json.diagnostics);
        expect(scenario.intents).toEqual(capped.json.intents);
        expect(scenario.lineage.policy_pack).toMatchObject({ policy_pack_id: 'turnover', applied: true });
      }
      const stored = await t.get(`/rebalance/runs/${res.json.results.own.rebalance_run_id}/support-bundle`);
      expect(stored.json.policy_pack).toMatchObject({ policy_pack_id: 'turnover', version: '1' });
    });

    it('replay override both ways (spec 40 §17.2)', async () => {
      const a = await t.post('/rebalance/simulate', BODY_31, {
        'Idempotency-Key': 'no-replay',
        'X-Policy-Pack-Id': 'no_replay',
      });
      const b = await t.post('/rebalance/simulate', BODY_31, {
        'Idempotency-Key': 'no-replay',
        'X-Policy-Pack-Id': 'no_replay',
      });
      const other = await t.post('/rebalance/simulate', withOptions(BODY_31, { max_turnover_pct: '0.5' }), {
        'Idempotency-Key': 'no-replay',
        'X-Policy-Pack-Id': 'no_replay',
      });
      expect([a.status, b.status, other.status]).toEqual([200, 200, 200]);
      expect(
        new Set([a.json.rebalance_run_id, b.json.rebalance_run_id, other.json.rebalance_run_id]).size,
      ).toBe(3);

      await t.restart({
        ...ENABLED,
        DPM_POLICY_PACK_CATALOG_JSON: JSON.stringify(RECIPES),
        DPM_IDEMPOTENCY_REPLAY_ENABLED: 'false',
      });
      const headers = { 'Idempotency-Key': 'forced-replay', 'X-Policy-Pack-Id': 'replay' };
      const first = await t.post('/rebalance/simulate', BODY_31, headers);
      const again = await t.post('/rebalance/simulate', BODY_31, headers);
      expect(again.text).toBe(first.text);
      expect(
        (await t.post('/rebalance/simulate', withOptions(BODY_31, { max_turnover_pct: '0.5' }), headers))
          .json,
      ).toEqual({
        detail: 'IDEMPOTENCY_KEY_CONFLICT: request hash mismatch',
      });
      // The environment's false still rules requests without the pack.
      const plain1 = await t.post('/rebalance/simulate', BODY_31, { 'Idempotency-Key': 'env-off' });
      const plain2 = await t.post('/rebalance/simulate', BODY_31, { 'Idempotency-Key': 'env-off' });
      expect(plain1.json.rebalance_run_id).not.toBe(plain2.json.rebalance_run_id);
    });
  });

  describe('replay compares the applied pack (QUIRK Q-B8, docs/decisions/0032)', () => {
    it('replays only under the same pack and version; the request hash stays that of the request', async () => {
      await t.restart(ADMIN);
      const put = (version: string, turnover: string) =>
        t.put('/rebalance/policies/catalog/replay_pack', {
          version,
          turnover_policy: { max_turnover_pct: turnover },
        });
      expect((await put('1', '0.01')).status).toBe(200);
      const k = { 'Idempotency-Key': 'q-b8' };
      const first = await t.post('/rebalance/simulate', BODY_31, { ...k, 'X-Policy-Pack-Id': 'replay_pack' });
      const plain = await simulate(BODY_31);
      expect(first.json.lineage.request_hash).toBe(plain.json.lineage.request_hash);
      expect(
        (await t.post('/rebalance/simulate', BODY_31, { ...k, 'X-Policy-Pack-Id': 'replay_pack' })).text,
      ).toBe(first.text);
      const mismatch = { detail: 'IDEMPOTENCY_KEY_CONFLICT: policy pack mismatch' };
      expect((await t.post('/rebalance/simulate', BODY_31, k)).json).toEqual(mismatch);
      expect(
        (await t.post('/rebalance/simulate', BODY_31, { ...k, 'X-Policy-Pack-Id': 'unknown' })).json,
      ).toEqual(mismatch);
      expect((await put('2', '0.02')).status).toBe(200);
      const changed = await t.post('/rebalance/simulate', BODY_31, {
        ...k,
        'X-Policy-Pack-Id': 'replay_pack',
      });
      expect(changed.status).toBe(409);
      expect(changed.json).toEqual(mismatch);
      // A key first used without a pack is not replayed under one either.
      await t.post('/rebalance/simulate', BODY_31, { 'Idempotency-Key': 'q-b8-none' });
      expect(
        (
          await t.post('/rebalance/simulate', BODY_31, {
            'Idempotency-Key': 'q-b8-none',
            'X-Policy-Pack-Id': 'replay_pack',
          })
        ).json,
      ).toEqual(mismatch);
    });
  });

  describe('catalog and admin APIs (spec 40 §18)', () => {
    it('lists the seed and the stored packs in code-point order, the stored one winning on the same id', async () => {
      await t.restart({
        ...ADMIN,
        DPM_POLICY_PACK_CATALOG_JSON: JSON.stringify({
          b: { version: 'env' },
          a: { version: 'env' },
          Z: {},
          'bad ': { turnover_policy: { max_turnover_pct: 'x' } },
        }),
      });
      const tn = { 'X-Tenant-Id': 'catalog-tenant' };
      expect((await t.put('/rebalance/policies/catalog/a', { version: 'stored' }, tn)).status).toBe(200);
      const catalog = await t.get('/rebalance/policies/catalog', { ...tn, 'X-Policy-Pack-Id': ' b ' });
      expect(catalog.json.items.map((p: any) => [p.policy_pack_id, p.version])).toEqual([
        ['Z', '1'],
        ['a', 'stored'],
        ['b', 'env'],
      ]);
      expect(catalog.json).toMatchObject({
        enabled: true,
        total: 3,
        selected_policy_pack_id: 'b',
        selected_policy_pack_present: true,
        selected_policy_pack_source: 'REQUEST',
      });
      expect(
        (await t.get('/rebalance/policies/catalog', { ...tn, 'X-Policy-Pack-Id': 'nope' })).json
          .selected_policy_pack_present,
      ).toBe(false);
      expect((await t.get('/rebalance/policies/catalog/a', tn)).json.version).toBe('stored');
      expect((await t.get('/rebalance/policies/catalog/b', tn)).json.version).toBe('env');
      // The bad seed entry is skipped with a logged warning naming the field.
      expect(
        logs.some(
          (l) =>
            l.msg === 'DPM_POLICY_PACK_CATALOG_JSON: entry skipped' &&
            l.policy_pack_id === 'bad' &&
            l.reason === 'turnover_policy.max_turnover_pct: Input should be a valid decimal',
        ),
      ).toBe(true);
      // Listed even when packs are disabled.
      await t.restart({ DPM_POLICY_PACK_CATALOG_JSON: JSON.stringify({ b: {} }) });
      expect(
        (await t.get('/rebalance/policies/catalog', { ...tn, 'X-Policy-Pack-Id': 'b' })).json,
      ).toMatchObject({
        enabled: false,
        total: 2,
        selected_policy_pack_present: false,
        selected_policy_pack_source: 'DISABLED',
      });
    });

    it('admin APIs are 404 when off, after validation', async () => {
      await t.restart(ENABLED);
      const bad = await t.put('/rebalance/policies/catalog/off', {
        version: '1',
        turnover_policy: { max_turnover_pct: '1.5' },
      });
      expect(bad.status).toBe(422);
      expect(bad.json.detail).toEqual([
        {
          type: 'value_error',
          loc: ['body', 'turnover_policy', 'max_turnover_pct'],
          msg: 'Value error, max_turnover_pct must be between 0 and 1 inclusive',
          input: '1.5',
        },
      ]);
      expect((await t.put('/rebalance/policies/catalog/off', { version: '1' })).json).toEqual({
        detail: 'DPM_POLICY_PACK_ADMIN_APIS_DISABLED',
      });
      const del = await t.delete('/rebalance/policies/catalog/off');
      expect([del.status, del.json]).toEqual([404, { detail: 'DPM_POLICY_PACK_ADMIN_APIS_DISABLED' }]);
      expect((await t.get('/rebalance/policies/catalog/off')).json).toEqual({
        detail: 'DPM_POLICY_PACK_NOT_FOUND',
      });
    });

    it('answers 422, not a database error, for an id or version PostgreSQL cannot store', async () => {
      await t.restart(ADMIN);
      const path = await t.put('/rebalance/policies/catalog/a%00b', { version: '1' });
      expect([path.status, path.json.detail[0].loc]).toEqual([422, ['path', 'policy_pack_id']]);
      expect((await t.get('/rebalance/policies/catalog/a%00b')).status).toBe(422);
      const version = await t.put('/rebalance/policies/catalog/ok', { version: 'v\u0000' });
      expect([version.status, version.json.detail[0].loc]).toEqual([422, ['body', 'version']]);
      expect((await t.get('/rebalance/policies/catalog/ok/versions/v%00')).status).toBe(422);
    });

    it('PUT → GET → DELETE 204 → GET 404', async () => {
      await t.restart(ADMIN);
      const body = {
        version: 'v1',
        tax_policy: { enable_tax_awareness: true, max_realized_capital_gains: '250.50' },
      };
      const put = await t.put('/rebalance/policies/catalog/cycle', body);
      expect(put.status).toBe(200);
      expect(put.json.item).toMatchObject({
        policy_pack_id: 'cycle',
        version: 'v1',
        tax_policy: { enable_tax_awareness: true, max_realized_capital_gains: '250.50' },
        turnover_policy: { max_turnover_pct: null },
      });
      const got = await t.get('/rebalance/policies/catalog/cycle');
      expect(got.json).toEqual(put.json.item);
      const del = await t.delete('/rebalance/policies/catalog/cycle');
      expect(del.status).toBe(204);
      expect(del.text).toBe('');
      expect((await t.get('/rebalance/policies/catalog/cycle')).json).toEqual({
        detail: 'DPM_POLICY_PACK_NOT_FOUND',
      });
      expect((await t.delete('/rebalance/policies/catalog/cycle')).json).toEqual({
        detail: 'DPM_POLICY_PACK_NOT_FOUND',
      });
      const mismatch = await t.put('/rebalance/policies/catalog/cycle', { ...body, policy_pack_id: 'other' });
      expect(mismatch.status).toBe(422);
      expect(mismatch.json.detail[0].loc).toEqual(['body', 'policy_pack_id']);
      expect(
        (await t.put('/rebalance/policies/catalog/cycle', { ...body, policy_pack_id: 'cycle' })).status,
      ).toBe(200);
    });

    it('a seed pack is read-only: DELETE is 409 (a stored pack may shadow it)', async () => {
      await t.restart({ ...ADMIN, DPM_POLICY_PACK_CATALOG_JSON: '{"seeded": {"version": "env"}}' });
      expect((await t.delete('/rebalance/policies/catalog/seeded')).json).toEqual({
        detail: 'DPM_POLICY_PACK_READ_ONLY',
      });
      await t.put('/rebalance/policies/catalog/seeded', { version: 'mine' });
      expect((await t.get('/rebalance/policies/catalog/seeded')).json.version).toBe('mine');
      expect((await t.delete('/rebalance/policies/catalog/seeded')).status).toBe(204);
      expect((await t.get('/rebalance/policies/catalog/seeded')).json.version).toBe('env');
      expect(
        (await t.get('/rebalance/policies/catalog/seeded/versions')).json.items.map((i: any) => i.change),
      ).toEqual(['CREATED', 'DELETED']);
    });

    it('keeps a version history, readable by id and version; a version label names one definition (GAP G-B3)', async () => {
      await t.restart(ADMIN);
      const url = '/rebalance/policies/catalog/hist';
      const v1 = { version: 'v1', turnover_policy: { max_turnover_pct: '0.10' } };
      const v2 = { version: 'v2', turnover_policy: { max_turnover_pct: '0.20' } };
      expect((await t.put(url, v1)).status).toBe(200);
      expect((await t.put(url, v2)).status).toBe(200);
      expect((await t.put(url, v2)).status).toBe(200); // the same definition again: nothing changes
      const reuse = await t.put(url, { ...v1, turnover_policy: { max_turnover_pct: '0.11' } });
      expect([reuse.status, reuse.json]).toEqual([409, { detail: 'DPM_POLICY_PACK_VERSION_CONFLICT' }]);
      expect((await t.put(url, { ...v2, tax_policy: { enable_tax_awareness: true } })).status).toBe(409);
      expect((await t.get(url)).json.turnover_policy.max_turnover_pct).toBe('0.20');
      expect((await t.delete(url)).status).toBe(204);
      const history = await t.get(`${url}/versions`);
      expect(history.status).toBe(200);
      expect(history.json.policy_pack_id).toBe('hist');
      expect(
        history.json.items.map((i: any) => [
          i.version,
          i.change,
          i.definition.turnover_policy.max_turnover_pct,
        ]),
      ).toEqual([
        ['v1', 'CREATED', '0.10'],
        ['v2', 'UPDATED', '0.20'],
        ['v2', 'DELETED', '0.20'],
      ]);
      for (const item of history.json.items) {
        expect(item.changed_at).toMatch(/^\d{4}-\d{2}-\d{2}T.*\+00:00$/);
        expect(item.changed_by).toBeNull(); // no authentication in this suite
      }
      const one = await t.get(`${url}/versions/v1`);
      expect(one.json).toMatchObject({ policy_pack_id: 'hist', version: 'v1', change: 'CREATED' });
      expect(one.json.definition).toEqual({
        ...(await t.put('/rebalance/policies/catalog/tmp', v1)).json.item,
        policy_pack_id: 'hist',
      });
      expect((await t.get(`${url}/versions/v9`)).json).toEqual({
        detail: 'DPM_POLICY_PACK_VERSION_NOT_FOUND',
      });
      expect((await t.get('/rebalance/policies/catalog/never/versions')).json).toEqual({
        detail: 'DPM_POLICY_PACK_NOT_FOUND',
      });
      // Restoring a deleted version with its own definition is allowed.
      expect((await t.put(url, v2)).status).toBe(200);
      expect((await t.get(`${url}/versions`)).json.items.at(-1)).toMatchObject({
        version: 'v2',
        change: 'CREATED',
      });
      // Every change is audit-logged with what changed.
      const audits = logs.filter((l) => l.audit?.policy_pack_id === 'hist').map((l) => l.audit);
      expect(audits.map((a) => [a.action, a.change, a.version])).toEqual([
        ['POLICY_PACK_PUT', 'CREATED', 'v1'],
        ['POLICY_PACK_PUT', 'UPDATED', 'v2'],
        ['POLICY_PACK_PUT', 'UNCHANGED', 'v2'],
        ['POLICY_PACK_DELETE', 'DELETED', 'v2'],
        ['POLICY_PACK_PUT', 'CREATED', 'v2'],
      ]);
      expect(audits[1]).toMatchObject({ tenant: 'default', actor: null, previous_version: 'v1' });
    });
  });

  describe('the applied pack is recorded (GAP G-B2)', () => {
    it('in the result lineage, the stored run, the artifact and the support bundle', async () => {
      await t.restart({ ...ADMIN, DPM_ARTIFACT_STORE_MODE: 'PERSISTED' });
      await t.put('/rebalance/policies/catalog/rec', {
        version: '7',
        settlement_policy: { enable_settlement_awareness: true },
      });
      const res = await simulate(BODY_31, { 'X-Policy-Pack-Id': 'rec' });
      const runId = res.json.rebalance_run_id;
      const lineage = res.json.lineage.policy_pack;
      expect(lineage).toMatchObject({
        policy_pack_id: 'rec',
        version: '7',
        source: 'REQUEST',
        catalog_source: 'STORED',
        applied: true,
      });
      const run = await t.get(`/rebalance/runs/${runId}`);
      expect(run.json.result.lineage.policy_pack).toEqual(lineage);
      const definition = (await t.get('/rebalance/policies/catalog/rec')).json;
      const artifact = await t.get(`/rebalance/runs/${runId}/artifact`);
      expect(artifact.json.evidence.policy_pack).toEqual({ ...lineage, definition });
      const claimed = artifact.json.evidence.hashes.artifact_hash;
      delete artifact.json.evidence.hashes.artifact_hash;
      expect(artifactHash(artifact.json)).toBe(claimed);
      const bundle = await t.get(`/rebalance/runs/${runId}/support-bundle`);
      expect(Object.keys(bundle.json).at(-1)).toBe('policy_pack');
      expect(bundle.json.policy_pack).toEqual({ ...lineage, definition });
      // The pack changing later does not change what the run recorded.
      await t.put('/rebalance/policies/catalog/rec', { version: '8' });
      expect((await t.get(`/rebalance/runs/${runId}/support-bundle`)).json.policy_pack.definition).toEqual(
        definition,
      );
      // A run without a pack: no evidence entry, a null bundle entry.
      const plain = await simulate(BODY_31);
      expect(
        (await t.get(`/rebalance/runs/${plain.json.rebalance_run_id}/artifact`)).json.evidence,
      ).not.toHaveProperty('policy_pack');
      expect(
        (await t.get(`/rebalance/runs/${plain.json.rebalance_run_id}/support-bundle`)).json.policy_pack,
      ).toBeNull();
    });
  });

  describe('async analyses (QUIRK Q-B6: resolved at submission)', () => {
    it('store the resolved pack with the operation and apply it at execution, whatever changed in between', async () => {
      await t.restart({ ...ADMIN, DPM_ASYNC_EXECUTION_MODE: 'ACCEPT_ONLY' });
      await t.put('/rebalance/policies/catalog/async_pack', {
        version: 'a1',
        turnover_policy: { max_turnover_pct: '0.01' },
      });
      const shared = JSON.parse(BODY_31);
      delete shared.options;
      const batch = { ...shared, scenarios: { base: { options: {} } } };
      const op = await t.post('/rebalance/analyze/async', batch, {
        'X-Policy-Pack-Id': 'async_pack',
        'X-Correlation-Id': `async-pack-${backend}`,
      });
      expect(op.status).toBe(202);
      const stored = await t.store.db.query<{ request_json: string }>(
        'SELECT request_json FROM dpm_async_operations WHERE operation_id = $1',
        [op.json.operation_id],
      );
      const context = JSON.parse(stored[0]!.request_json).policy_context;
      expect(context).toMatchObject({
        request_policy_pack_id: 'async_pack',
        tenant_id: 'default',
        selection: { enabled: true, selected_policy_pack_id: 'async_pack', source: 'REQUEST' },
        policy_pack: { policy_pack_id: 'async_pack', version: 'a1', applied: true },
      });
      // The pack changes and packs are even switched off before the operation runs.
      await t.put('/rebalance/policies/catalog/async_pack', { version: 'a2' });
      await t.restart({
        DPM_POLICY_PACK_ADMIN_APIS_ENABLED: 'true',
        DPM_ASYNC_EXECUTION_MODE: 'ACCEPT_ONLY',
      });
      const done = await t.post(`/rebalance/operations/${op.json.operation_id}/execute`, '');
      expect(done.json.status).toBe('SUCCEEDED');
      const result = done.json.result.results.base;
      expect(result.lineage.policy_pack).toMatchObject({
        policy_pack_id: 'async_pack',
        version: 'a1',
        applied: true,
      });
      expect(result.diagnostics.dropped_intents[0].reason).toBe('TURNOVER_LIMIT');
      const bundle = await t.get(`/rebalance/runs/by-operation/${op.json.operation_id}/support-bundle`);
      expect(bundle.json.policy_pack).toMatchObject({
        version: 'a1',
        definition: { turnover_policy: { max_turnover_pct: '0.01' } },
      });
    });
  });

  describe('storage and tenancy', () => {
    it('stored packs survive a restart', async () => {
      await t.restart(ADMIN);
      const put = await t.put('/rebalance/policies/catalog/durable', {
        version: 'd1',
        constraint_policy: { single_position_max_weight: '0.3' },
      });
      await t.restart(ADMIN);
      expect((await t.get('/rebalance/policies/catalog/durable')).json).toEqual(put.json.item);
      expect((await t.get('/rebalance/policies/catalog/durable/versions')).json.items).toHaveLength(1);
    });

    it('tenant A’s packs are invisible to tenant B', async () => {
      await t.restart(ADMIN);
      const a = { 'X-Tenant-Id': 'tenant-a' };
      const b = { 'X-Tenant-Id': 'tenant-b' };
      expect(
        (
          await t.put(
            '/rebalance/policies/catalog/secret',
            { version: '1', turnover_policy: { max_turnover_pct: '0.01' } },
            a,
          )
        ).status,
      ).toBe(200);
      expect((await t.get('/rebalance/policies/catalog/secret', a)).status).toBe(200);
      expect((await t.get('/rebalance/policies/catalog/secret', b)).json).toEqual({
        detail: 'DPM_POLICY_PACK_NOT_FOUND',
      });
      expect((await t.get('/rebalance/policies/catalog/secret/versions', b)).status).toBe(404);
      expect((await t.get('/rebalance/policies/catalog/secret/versions/1', b)).status).toBe(404);
      expect(
        (await t.get('/rebalance/policies/catalog', { ...b, 'X-Policy-Pack-Id': 'secret' })).json,
      ).toMatchObject({
        total: 0,
        items: [],
        selected_policy_pack_present: false,
      });
      const simB = await simulate(BODY_31, { ...b, 'X-Policy-Pack-Id': 'secret' });
      expect(simB.json.lineage.policy_pack.applied).toBe(false);
      const simA = await simulate(BODY_31, { ...a, 'X-Policy-Pack-Id': 'secret' });
      expect(simA.json.lineage.policy_pack.applied).toBe(true);
      expect((await t.delete('/rebalance/policies/catalog/secret', b)).json).toEqual({
        detail: 'DPM_POLICY_PACK_NOT_FOUND',
      });
      expect((await t.get('/rebalance/policies/catalog/secret', a)).status).toBe(200);
    });

    it('reads the catalog only when a pack is selected (QUIRK Q-B9)', async () => {
      const seen: string[] = [];
      const db = t.store.db;
      const counting: Database = {
        kind: db.kind,
        query: (sql, params) => {
          seen.push(sql);
          return db.query(sql, params);
        },
        transaction: (work) => db.transaction(work),
        exec: (sql) => db.exec(sql),
        readiness: () => db.readiness(),
        close: () => db.close(),
      };
      const catalogReads = () => seen.filter((s) => s.includes('dpm_policy_packs')).length;
      const off = new PolicyPackService(counting, {});
      expect((await off.resolve('default', off.selection(undefined, 'anything'))).applied).toBeNull();
      const none = new PolicyPackService(counting, { DPM_POLICY_PACKS_ENABLED: 'true' });
      expect((await none.resolve('default', none.selection(undefined, undefined))).selection.source).toBe(
        'NONE',
      );
      expect(catalogReads()).toBe(0);
      await none.resolve('default', none.selection(undefined, 'p'));
      expect(catalogReads()).toBe(1);
    });

    it('has one database: the reference’s catalog backend and DSN variables do not apply (no §20 503s)', async () => {
      await t.restart({
        ...ADMIN,
        DPM_POLICY_PACK_CATALOG_BACKEND: 'POSTGRES',
        DPM_POLICY_PACK_POSTGRES_DSN: '',
      });
      expect((await t.get('/rebalance/policies/catalog')).status).toBe(200);
      expect((await t.put('/rebalance/policies/catalog/one_db', { version: '1' })).status).toBe(200);
      expect(
        (await simulate(BODY_31, { 'X-Policy-Pack-Id': 'one_db' })).json.lineage.policy_pack.catalog_source,
      ).toBe('STORED');
    });
  });

  describe('with token authentication', () => {
    beforeAll(async () => {
      await t.restart({
        ...ADMIN,
        KEEL_JWT_SECRET: SECRET,
        DPM_TENANT_POLICY_PACK_RESOLUTION_ENABLED: 'true',
        DPM_TENANT_POLICY_PACK_MAP_JSON: JSON.stringify({ 'bank-a': 'house' }),
      });
    });
    afterAll(async () => t.restart({}));

    it('needs policies:admin to write; packs belong to the token’s tenant; the actor is recorded', async () => {
      const pm = await token({ sub: 'pm-1', tenant_id: 'bank-a', roles: ['portfolio_manager'] });
      const adminA = await token({ sub: 'risk-admin', tenant_id: 'bank-a', roles: ['admin'] });
      const adminB = await token({ sub: 'other-admin', tenant_id: 'bank-b', roles: ['admin'] });
      const body = { version: 'h1', tax_policy: { enable_tax_awareness: true } };
      const denied = await t.put('/rebalance/policies/catalog/house', body, bearer(pm));
      expect([denied.status, denied.json]).toEqual([
        403,
        { detail: 'FORBIDDEN: missing permission policies:admin' },
      ]);
      expect((await t.delete('/rebalance/policies/catalog/house', bearer(pm))).status).toBe(403);
      expect((await t.put('/rebalance/policies/catalog/house', body, bearer(adminA))).status).toBe(200);
      expect((await t.get('/rebalance/policies/catalog/house', bearer(pm))).status).toBe(200);
      expect((await t.get('/rebalance/policies/catalog/house', bearer(adminB))).status).toBe(404);
      const history = await t.get('/rebalance/policies/catalog/house/versions', bearer(pm));
      expect(history.json.items[0]).toMatchObject({ change: 'CREATED', changed_by: 'risk-admin' });
      expect(
        logs.find((l) => l.audit?.action === 'POLICY_PACK_PUT' && l.audit.policy_pack_id === 'house')?.audit,
      ).toMatchObject({
        tenant: 'bank-a',
        actor: 'risk-admin',
        change: 'CREATED',
        version: 'h1',
      });
    });

    it('maps the token’s tenant; an X-Tenant-Id naming another tenant is 403 TENANT_MISMATCH', async () => {
      const pm = await token({ sub: 'pm-1', tenant_id: 'bank-a', roles: ['portfolio_manager'] });
      const res = await simulate(BODY_31, bearer(pm));
      expect(res.json.lineage.policy_pack).toMatchObject({
        policy_pack_id: 'house',
        source: 'TENANT_DEFAULT',
        applied: true,
      });
      expect((await simulate(BODY_31, { ...bearer(pm), 'X-Tenant-Id': 'bank-a' })).status).toBe(200);
      const mismatch = await simulate(BODY_31, { ...bearer(pm), 'X-Tenant-Id': 'bank-b' });
      expect([mismatch.status, mismatch.json]).toEqual([
        403,
        { detail: "TENANT_MISMATCH: X-Tenant-Id does not match the token's tenant" },
      ]);
      expect(
        (await t.get('/rebalance/policies/effective', { ...bearer(pm), 'X-Tenant-Id': 'bank-b' })).status,
      ).toBe(403);
      expect(
        (await t.post('/rebalance/analyze/async', '{}', { ...bearer(pm), 'X-Tenant-Id': 'bank-b' })).status,
      ).toBe(422); // validation first, as for every route
    });
  });
});
