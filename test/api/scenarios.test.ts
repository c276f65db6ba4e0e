/**
 * `/v1/scenarios` over HTTP (seed 004, spec 50 §3) with a real queue and an in-process worker, on
 * every test backend: every route, the state rules, filters and errors in the seed's envelope,
 * tenancy, outputs (JSON and CSV), latest metrics and the engine run each run records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/store.js';
import { startTestApp, type TestApp, type Response } from '../support/http.js';
import { scenarioBase, settled } from '../support/scenarios.js';

const SHOCK = [
  { driver_type: 'market_shock', payload: { scope: 'asset_class', match: 'EQUITY', shock_pct: '-10' } },
  { driver_type: 'cash_flow', payload: { currency: 'USD', amount: '500' } },
];

/** A seed catalog with one pack, so the `policy` driver has something to apply. */
const POLICY_ENV = {
  DPM_POLICY_PACKS_ENABLED: 'true',
  DPM_POLICY_PACK_CATALOG_JSON: JSON.stringify({
    pack_conservative: { version: '7', turnover_policy: { max_turnover_pct: '0.01' } },
  }),
};

/** The seed's envelope, with its request id. */
function expectError(res: Response, status: number, code: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.json.error.code, res.text).toBe(code);
  expect(typeof res.json.error.message).toBe('string');
  expect(res.json.meta.request_id).toBe(res.headers['x-request-id']);
}

describe.each(BACKENDS)('scenarios API (%s)', (backend) => {
  let t: TestApp;
  let n = 0;
  const unique = (prefix: string) => `${prefix} ${backend} ${n++}`;
  const create = (extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    t.post('/v1/scenarios', { name: unique('scenario'), base: scenarioBase(), ...extra }, headers);
  const runOnce = async (id: string, body: unknown = {}, headers: Record<string, string> = {}) => {
    const res = await t.post(`/v1/scenarios/${id}/run`, body, headers);
    expect(res.status, res.text).toBe(202);
    return settled(t, res.json.status_url, headers);
  };

  beforeAll(async () => {
    t = await startTestApp(backend, POLICY_ENV, undefined, { workers: 1 });
  }, 60_000);
  afterAll(async () => t.close());

  describe('scenarios', () => {
    it('creates a scenario: 201 with Location, defaults, the normalised base and version 1', async () => {
      const res = await t.post('/v1/scenarios', {
        tenant_id: 'default',
        name: 'RPS sensitivity',
        assumptions: SHOCK,
        parameters: { shock_bp: 25 },
        tags: ['demo', 'sensitivity'],
        base: scenarioBase(),
      });
      expect(res.status, res.text).toBe(201);
      expect(res.headers.location).toBe(`/v1/scenarios/${res.json.id}`);
      expect(res.json).toMatchObject({
        tenant_id: 'default',
        name: 'RPS sensitivity',
        description: null,
        status: 'active',
        tags: ['demo', 'sensitivity'],
        version: 1,
        latest_version: 1,
        assumptions: SHOCK,
        parameters: { shock_bp: 25 },
        created_by: null,
      });
      expect(res.json.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.json.base.options.fx_buffer_pct).toBe('0.01'); // defaults made explicit
      expect(res.json.base.portfolio_snapshot.cash_balances[0].amount).toBe('1000.00'); // digits as sent
      const got = await t.get(`/v1/scenarios/${res.json.id}`);
      expect(got.text).toBe(res.text);
    });

    it('refuses a duplicate name (409), another tenant_id (403), and keeps names per tenant', async () => {
      const name = unique('dup');
      expect((await create({ name })).status).toBe(201);
      expectError(await create({ name }), 409, 'SCENARIO_NAME_CONFLICT');
      expectError(await create({ tenant_id: 'someone-else' }), 403, 'TENANT_MISMATCH');
      expect((await create({ name }, { 'X-Tenant-Id': 'other-bank' })).status).toBe(201);
    });

    it('answers 400 naming the field: missing, unknown, bad driver payloads by assumption index', async () => {
      const before = await t.store.db.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM scenarios');
      const missing = await t.post('/v1/scenarios', { base: scenarioBase() });
      expectError(missing, 400, 'VALIDATION_ERROR');
      expect(missing.json.error.details.map((d: any) => d.field)).toEqual(['name']);
      const unknown = await create({ colour: 'blue' });
      expect(unknown.json.error.details).toEqual([
        {
          type: 'extra_forbidden',
          loc: ['body', 'colour'],
          msg: 'Extra inputs are not permitted',
          input: 'blue',
          field: 'colour',
        },
      ]);
      const drivers = await create({
        assumptions: [
          SHOCK[0],
          { driver_type: 'cash_flow', payload: { currency: 'USD', amount: 'ten' } },
          { driver_type: 'market_shock', payload: { scope: 'all', shock_pct: '-150' } },
          { driver_type: 'weather', payload: {} },
          { driver_type: 'policy', payload: { policy_name: 'RPS', start_year: 2030, target: 0.6 } },
        ],
      });
      expectError(drivers, 400, 'VALIDATION_ERROR');
      expect(drivers.json.error.details.map((d: any) => [d.field, d.type])).toEqual([
        ['assumptions[1].payload.amount', 'decimal_parsing'],
        ['assumptions[2].payload.shock_pct', 'greater_than'],
        ['assumptions[3].driver_type', 'union_tag_invalid'],
        ['assumptions[4].payload.policy_pack_id', 'missing'],
        ['assumptions[4].payload.policy_name', 'extra_forbidden'],
        ['assumptions[4].payload.start_year', 'extra_forbidden'],
        ['assumptions[4].payload.target', 'extra_forbidden'],
      ]);
      expect(drivers.json.error.message).toBe(
        'assumptions[1].payload.amount: Input should be a valid decimal (and 6 more)',
      );
      const contextual = await create({
        assumptions: [{ driver_type: 'fx_shock', payload: { currency: 'USD', shock_bp: '50' } }],
      });
      expectError(contextual, 400, 'VALIDATION_ERROR');
      expect(contextual.json.error.details[0].field).toBe('assumptions[0].payload.currency');
      const base = await create({ base: { ...scenarioBase(), options: { max_turnover_pct: '3' } } });
      expect(base.json.error.details[0].field).toBe('base.options.max_turnover_pct');
      const params = await create({ parameters: { shock_bp: 'lots' } });
      expect(params.json.error.details[0].field).toBe('parameters.shock_bp');
      const tags = await create({ tags: ['a', 'a'] });
      expect(tags.json.error.details[0].field).toBe('tags[1]');
      const stored = await t.store.db.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM scenarios');
      expect(stored[0]!.n).toBe(before[0]!.n); // nothing partial stored
    });

    it('answers 400 INVALID_JSON for a syntax error, and 400 for a body that is not a JSON object', async () => {
      expectError(await t.post('/v1/scenarios', '{"name": '), 400, 'INVALID_JSON');
      const text = await t.request('POST', '/v1/scenarios', undefined, { 'content-type': 'text/plain' });
      expect(text.status).toBe(400); // no body at all: the body is missing
      const plain = await t.app.inject({
        method: 'POST',
        url: '/v1/scenarios',
        headers: { 'content-type': 'text/plain' },
        payload: 'name=x',
      });
      expect(plain.statusCode).toBe(400);
      expect(JSON.parse(plain.body).error.details[0]).toMatchObject({
        field: 'body',
        type: 'model_attributes_type',
      });
    });

    it('lists newest first with filters and cursor paging; bad filters are 400', async () => {
      const tag = `list-${backend}`;
      const names = ['Alpha Growth', 'alpha income', 'Beta'];
      for (const name of names) await create({ name: `${name} ${backend}`, tags: [tag] });
      await create({ name: `Gamma ${backend}`, tags: [tag], status: 'archived' });
      const all = await t.get(`/v1/scenarios?tag=${tag}`);
      expect(all.json.data.map((s: any) => s.name)).toEqual([
        `Gamma ${backend}`,
        `Beta ${backend}`,
        `alpha income ${backend}`,
        `Alpha Growth ${backend}`,
      ]);
      expect(all.json.data[0].base).toBeUndefined();
      expect(all.json.meta).toEqual({ request_id: all.headers['x-request-id'], next_cursor: null });
      expect((await t.get(`/v1/scenarios?tag=${tag}&status=active`)).json.data).toHaveLength(3);
      expect((await t.get(`/v1/scenarios?tag=${tag}&name=ALPHA`)).json.data).toHaveLength(2);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Response = await t.get(
          `/v1/scenarios?tag=${tag}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.json.data.map((s: any) => s.name));
        cursor = page.json.meta.next_cursor;
      } while (cursor);
      expect(seen).toEqual(all.json.data.map((s: any) => s.name));
      const newest = all.json.data[0].created_at;
      expect(
        (await t.get(`/v1/scenarios?tag=${tag}&created_before=${encodeURIComponent(newest)}`)).json.data,
      ).toHaveLength(3);
      expect(
        (await t.get(`/v1/scenarios?tag=${tag}&created_after=${encodeURIComponent(newest)}`)).json.data,
      ).toHaveLength(0);
      for (const [query, field] of [
        ['limit=0', 'limit'],
        ['limit=101', 'limit'],
        ['status=deleted', 'status'],
        ['created_after=yesterday', 'created_after'],
        ['created_after=2026-02-02&created_before=2026-02-01', 'created_before'],
        ['cursor=not-a-cursor', 'cursor'],
        ['sort=name', 'sort'],
      ]) {
        const res = await t.get(`/v1/scenarios?${query}`);
        expectError(res, 400, 'VALIDATION_ERROR');
        expect(res.json.error.details[0].field, query).toBe(field);
      }
    });

    it('patches metadata without a version, content with one, and keeps old versions readable', async () => {
      const created = (await create({ assumptions: SHOCK })).json;
      const url = `/v1/scenarios/${created.id}`;
      const meta = await t.request('PATCH', url, {
        description: 'Equity down',
        tags: ['x'],
        status: 'archived',
      });
      expect(meta.status, meta.text).toBe(200);
      expect(meta.json).toMatchObject({
        description: 'Equity down',
        tags: ['x'],
        status: 'archived',
        version: 1,
      });
      const same = await t.request('PATCH', url, { assumptions: SHOCK });
      expect(same.json.version).toBe(1); // the same content adds no version
      const changed = await t.request('PATCH', url, {
        assumptions: [SHOCK[1]],
        parameters: { note: 'v2' },
      });
      expect(changed.json).toMatchObject({
        version: 2,
        latest_version: 2,
        assumptions: [SHOCK[1]],
        parameters: { note: 'v2' },
      });
      const v1 = await t.get(`${url}?version=1`);
      expect(v1.json).toMatchObject({
        version: 1,
        latest_version: 2,
        assumptions: SHOCK,
        parameters: {},
        status: 'archived',
      });
      expectError(await t.get(`${url}?version=3`), 404, 'SCENARIO_VERSION_NOT_FOUND');
      expectError(await t.get(`${url}?version=zero`), 400, 'VALIDATION_ERROR');
      const other = (await create()).json;
      expectError(await t.request('PATCH', url, { name: other.name }), 409, 'SCENARIO_NAME_CONFLICT');
      const bad = await t.request('PATCH', url, {
        assumptions: [{ driver_type: 'fx_shock', payload: { currency: 'JPY', shock_pct: '1' } }],
      });
      expect(bad.json.error.details[0].field).toBe('assumptions[0].payload.currency');
      expectError(await t.request('PATCH', url, { version: 5 }), 400, 'VALIDATION_ERROR');
      expect((await t.get(url)).json.version).toBe(2); // failed patches changed nothing
      expectError(
        await t.request('PATCH', '/v1/scenarios/unknown', { description: 'x' }),
        404,
        'SCENARIO_NOT_FOUND',
      );
    });

    it('deletes a scenario with its runs and outputs, keeping its events', async () => {
      const created = (await create({ assumptions: SHOCK })).json;
      const run = await runOnce(created.id);
      expect(run.json.state).toBe('SUCCEEDED');
      const del = await t.request('DELETE', `/v1/scenarios/${created.id}`);
      expect(del.status).toBe(204);
      expect(del.text).toBe('');
      expectError(await t.get(`/v1/scenarios/${created.id}`), 404, 'SCENARIO_NOT_FOUND');
      expectError(await t.get(run.json.status_url), 404, 'SCENARIO_NOT_FOUND');
      expectError(await t.request('DELETE', `/v1/scenarios/${created.id}`), 404, 'SCENARIO_NOT_FOUND');
      const count = async (table: string) =>
        (
          await t.store.db.query<{ n: number }>(
            `SELECT COUNT(*)::int AS n FROM ${table} WHERE scenario_id = $1`,
            [created.id],
          )
        )[0]!.n;
      expect(await count('scenario_runs')).toBe(0);
      expect(await count('scenario_outputs')).toBe(0);
      expect(await count('scenario_versions')).toBe(0);
      const events = await t.store.db.query<{ event_type: string }>(
        'SELECT event_type FROM scenario_events WHERE scenario_id = $1 ORDER BY event_id',
        [created.id],
      );
      expect(events.map((e) => e.event_type)).toEqual([
        'SCENARIO_CREATED',
        'RUN_QUEUED',
        'RUN_SUCCEEDED',
        'SCENARIO_DELETED',
      ]);
    });

    it('unknown routes under the prefix answer in the envelope; the rest of the API keeps {"detail"}', async () => {
      expectError(await t.get('/v1/scenarios/a/b/c'), 404, 'NOT_FOUND');
      expect((await t.get('/rebalance/runs/unknown')).json).toEqual({ detail: 'DPM_RUN_NOT_FOUND' });
    });
  });

  describe('runs', () => {
    let scenario: any;
    beforeAll(async () => {
      scenario = (await create({ assumptions: SHOCK })).json;
    });

    it('runs in the background and records the engine run it produced', async () => {
      const accepted = await t.post(`/v1/scenarios/${scenario.id}/run`, {
        code_version: 'v1',
        priority: 'HIGH',
      });
      expect(accepted.status).toBe(202);
      expect(accepted.json).toMatchObject({
        scenario_id: scenario.id,
        scenario_version: 1,
        priority: 'HIGH',
        code_version: 'v1',
        options: {},
        attempts: 0,
        metrics: null,
        policy: null,
      });
      expect(accepted.json.state).toMatch(/^(QUEUED|RUNNING|SUCCEEDED)$/);
      expect(accepted.headers.location).toBe(accepted.json.status_url);
      const done = await settled(t, accepted.json.status_url);
      expect(done.json).toMatchObject({ state: 'SUCCEEDED', attempts: 1, error: null });
      expect(done.json.started_at).not.toBeNull();
      expect(done.json.finished_at).not.toBeNull();
      // 100 × 90.000 × 1.0 + 50 × 200.00 × 1.10 + 1500.00
      expect(done.json.metrics.total_value_before).toEqual({ value: '21500.0000', unit: 'USD' });
      expect(done.json.metrics.status_code.unit).toBe('code');
      const engineRun = await t.get(`/rebalance/runs/${done.json.rebalance_run_id}`);
      expect(engineRun.status).toBe(200);
      expect(engineRun.json.correlation_id).toBe(done.json.id);
      expect(engineRun.json.result.before.total_value.amount).toBe('21500.0000');
      expect((await t.get(`/rebalance/runs/by-correlation/${done.json.id}`)).json.rebalance_run_id).toBe(
        done.json.rebalance_run_id,
      );
    });

    it('returns the queued identical run (200) and queues a different one (202); bad options are 400', async () => {
      const other = (await create()).json;
      // Identical requests in one bulk land in one transaction, before any worker can see them.
      const bulk = await t.post(`/v1/scenarios/${other.id}/runs:bulk`, {
        runs: [
          { options: { max_turnover_pct: '0.1' } },
          { options: { max_turnover_pct: '0.1' } },
          { options: {} },
        ],
      });
      expect(bulk.status, bulk.text).toBe(202);
      const ids = bulk.json.data.map((r: any) => r.id);
      expect(ids[0]).toBe(ids[1]);
      expect(ids[2]).not.toBe(ids[0]);
      expect(bulk.json.meta.request_id).toBe(bulk.headers['x-request-id']);
      const invalid = await t.post(`/v1/scenarios/${other.id}/run`, { options: { max_turnover_pct: '2' } });
      expectError(invalid, 400, 'VALIDATION_ERROR');
      expect(invalid.json.error.details[0].field).toBe('options.max_turnover_pct');
      expect(
        (await t.post(`/v1/scenarios/${other.id}/run`, { priority: 'URGENT' })).json.error.details[0].field,
      ).toBe('priority');
      expectError(await t.post('/v1/scenarios/unknown/run', {}), 404, 'SCENARIO_NOT_FOUND');
      for (const id of ids) await settled(t, `/v1/scenarios/${other.id}/runs/${id}`);
    });

    it('bulk: at most 100, all or nothing', async () => {
      const other = (await create()).json;
      const tooMany = await t.post(`/v1/scenarios/${other.id}/runs:bulk`, {
        runs: Array.from({ length: 101 }, () => ({})),
      });
      expectError(tooMany, 400, 'VALIDATION_ERROR');
      expect(tooMany.json.error.details[0].field).toBe('runs');
      const oneBad = await t.post(`/v1/scenarios/${other.id}/runs:bulk`, {
        runs: [{ code_version: 'ok' }, { options: { target_method: 'QUANTUM' } }],
      });
      expect(oneBad.json.error.details[0].field).toBe('runs[1].options.target_method');
      expect((await t.get(`/v1/scenarios/${other.id}/runs`)).json.data).toEqual([]);
      const hundred = await t.post(`/v1/scenarios/${other.id}/runs:bulk`, {
        runs: Array.from({ length: 100 }, (_, i) => ({ code_version: `b${i % 50}` })),
      });
      expect(hundred.status).toBe(202);
      expect(new Set(hundred.json.data.map((r: any) => r.id)).size).toBe(50);
      for (const run of hundred.json.data.slice(0, 50)) await settled(t, run.status_url);
    }, 120_000);

    it('refuses to run an archived scenario (409)', async () => {
      const archived = (await create({ status: 'archived' })).json;
      expectError(await t.post(`/v1/scenarios/${archived.id}/run`, {}), 409, 'SCENARIO_ARCHIVED');
    });

    it('lists runs newest first with filters and paging; a run of another scenario is 404', async () => {
      const other = (await create()).json;
      const r1 = await runOnce(other.id, { code_version: 'one' });
      const r2 = await runOnce(other.id, { code_version: 'two' });
      const list = await t.get(`/v1/scenarios/${other.id}/runs`);
      expect(list.json.data.map((r: any) => r.id)).toEqual([r2.json.id, r1.json.id]);
      expect(list.json.data[0].metrics.total_value_before.value).toBe('22000.0000');
      const page1 = await t.get(`/v1/scenarios/${other.id}/runs?limit=1`);
      const page2 = await t.get(
        `/v1/scenarios/${other.id}/runs?limit=1&cursor=${page1.json.meta.next_cursor}`,
      );
      expect([...page1.json.data, ...page2.json.data].map((r: any) => r.id)).toEqual([
        r2.json.id,
        r1.json.id,
      ]);
      expect(page2.json.meta.next_cursor).toBeNull();
      expect((await t.get(`/v1/scenarios/${other.id}/runs?state=FAILED`)).json.data).toEqual([]);
      expect(
        (
          await t.get(
            `/v1/scenarios/${other.id}/runs?created_after=${encodeURIComponent(r1.json.created_at)}`,
          )
        ).json.data.map((r: any) => r.id),
      ).toEqual([r2.json.id]);
      expectError(await t.get(`/v1/scenarios/${other.id}/runs?state=DONE`), 400, 'VALIDATION_ERROR');
      expectError(
        await t.get(`/v1/scenarios/${scenario.id}/runs/${r1.json.id}`),
        404,
        'SCENARIO_RUN_NOT_FOUND',
      );
      expectError(await t.get(`/v1/scenarios/unknown/runs`), 404, 'SCENARIO_NOT_FOUND');
    });
  });

  describe('outputs and metrics', () => {
    let scenario: any;
    let runs: any[];
    beforeAll(async () => {
      scenario = (
        await create({
          assumptions: [
            ...SHOCK,
            { driver_type: 'projection', payload: { horizon_days: 3, daily_return: { EQUITY: '0.001' } } },
          ],
          base: scenarioBase({ enable_settlement_awareness: true, settlement_horizon_days: 2 }),
        })
      ).json;
      runs = [
        await runOnce(scenario.id, { code_version: 'a' }),
        await runOnce(scenario.id, { code_version: 'b', options: { max_turnover_pct: '0' } }),
      ];
    });

    it('pages the output rows of every run in the order written, and filters them', async () => {
      const all = await t.get(`/v1/scenarios/${scenario.id}/outputs?limit=1000`);
      expect(all.status, all.text).toBe(200);
      // Run a: 10 run-level metrics, the cash ladder (EUR and USD, days 0..2), the projection (days
      // 0..3); run b trades nothing (turnover cap 0), so its ladder has USD only.
      expect(all.json.data).toHaveLength(20 + 17);
      expect(all.json.data.slice(0, 20).every((o: any) => o.run_id === runs[0].json.id)).toBe(true);
      expect(all.json.data.slice(20).every((o: any) => o.run_id === runs[1].json.id)).toBe(true);
      expect(all.json.meta).toEqual({
        request_id: all.headers['x-request-id'],
        next_cursor: null,
        limit: 1000,
      });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Response = await t.get(
          `/v1/scenarios/${scenario.id}/outputs?limit=7${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.json.data.map((o: any) => o.id));
        cursor = page.json.meta.next_cursor;
      } while (cursor);
      expect(seen).toEqual(all.json.data.map((o: any) => o.id));
      const byMetric = await t.get(`/v1/scenarios/${scenario.id}/outputs?metric_name=turnover_pct`);
      expect(byMetric.json.data.map((o: any) => o.run_id)).toEqual([runs[0].json.id, runs[1].json.id]); // across runs
      expect(byMetric.json.data[1].value).toBe('0'); // no turnover allowed in run b
      const ladder = await t.get(
        `/v1/scenarios/${scenario.id}/outputs?metric_name=cash_projected_balance&run_id=${runs[0].json.id}`,
      );
      expect(ladder.json.data.map((o: any) => o.dimensions.currency)).toEqual([
        'EUR',
        'EUR',
        'EUR',
        'USD',
        'USD',
        'USD',
      ]);
      const runDate = all.json.data[0].asof_date;
      const later = await t.get(
        `/v1/scenarios/${scenario.id}/outputs?asof_from=${runDate}&asof_to=${runDate}`,
      );
      expect(later.json.data.every((o: any) => o.asof_date === runDate)).toBe(true);
      expect(later.json.data.length).toBe(10 + 2 + 1 + (10 + 1 + 1));
    });

    it('keeps the engine decimals exactly', async () => {
      const before = await t.get(
        `/v1/scenarios/${scenario.id}/outputs?metric_name=total_value_before&run_id=${runs[0].json.id}`,
      );
      expect(before.json.data[0]).toMatchObject({ value: '21500.0000', unit: 'USD', dimensions: {} });
      const metrics = runs[0].json.metrics;
      const all = await t.get(`/v1/scenarios/${scenario.id}/outputs?run_id=${runs[0].json.id}&limit=10`);
      for (const o of all.json.data) expect(o.value, o.metric_name).toBe(metrics[o.metric_name].value);
    });

    it('streams CSV with a header row', async () => {
      const csv = await t.get(`/v1/scenarios/${scenario.id}/outputs?format=csv`);
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.headers['content-disposition']).toContain('attachment');
      const lines = csv.text.trim().split('\n');
      expect(lines[0]).toBe('tenant_id,scenario_id,run_id,metric_name,asof_date,value,unit,dimensions');
      expect(lines).toHaveLength(1 + 37);
      expect(lines[1]).toBe(
        `default,${scenario.id},${runs[0].json.id},total_value_before,${lines[1]!.split(',')[4]},21500.0000,USD,{}`,
      );
      expect(lines.find((l) => l.includes('cash_projected_balance'))).toMatch(/,"{""currency"":""EUR""}"$/);
      const limited = await t.get(
        `/v1/scenarios/${scenario.id}/outputs?format=csv&limit=3&metric_name=status_code`,
      );
      expect(limited.text.trim().split('\n')).toHaveLength(1 + 2);
      expectError(await t.get('/v1/scenarios/unknown/outputs?format=csv'), 404, 'SCENARIO_NOT_FOUND');
    });

    it('rejects bad output filters with 400 naming them', async () => {
      for (const [query, field] of [
        ['metric_name=NPV', 'metric_name'],
        ['format=xml', 'format'],
        ['limit=1001', 'limit'],
        ['asof_from=2026-02-30', 'asof_from'],
        ['asof_from=2026-03-02&asof_to=2026-03-01', 'asof_to'],
        ['cursor=abc', 'cursor'],
        ['scenario=1', 'scenario'],
      ]) {
        const res = await t.get(`/v1/scenarios/${scenario.id}/outputs?${query}`);
        expectError(res, 400, 'VALIDATION_ERROR');
        expect(res.json.error.details[0].field, query).toBe(field);
      }
      expectError(await t.get('/v1/scenarios/unknown/outputs'), 404, 'SCENARIO_NOT_FOUND');
    });

    it('metrics/latest: each metric from the latest SUCCEEDED run, the last point of each of its series', async () => {
      const latest = await t.get(`/v1/scenarios/${scenario.id}/metrics/latest`);
      expect(latest.status).toBe(200);
      const names = latest.json.data.map(
        (m: any) => `${m.metric_name}${m.dimensions.currency ? `:${m.dimensions.currency}` : ''}`,
      );
      expect(names).toEqual([
        'total_value_before',
        'total_value_after',
        'turnover_notional_base',
        'turnover_pct',
        'security_intent_count',
        'fx_intent_count',
        'realized_capital_gains',
        'cash_weight_after',
        'max_abs_drift_after',
        'status_code',
        // Run b (the latest) traded nothing, so its ladder has USD only: the EUR series of run a is
        // not the latest value of the metric.
        'cash_projected_balance:USD',
        'projected_total_value',
      ]);
      expect(latest.json.data.every((m: any) => m.run_id === runs[1].json.id)).toBe(true);
      expect(latest.json.data.find((m: any) => m.metric_name === 'turnover_pct').value).toBe('0');
      const projection = latest.json.data.find((m: any) => m.metric_name === 'projected_total_value');
      const lastDay = (
        await t.get(
          `/v1/scenarios/${scenario.id}/outputs?metric_name=projected_total_value&run_id=${runs[1].json.id}`,
        )
      ).json.data.at(-1);
      expect(projection).toMatchObject({ asof_date: lastDay.asof_date, value: lastDay.value });
      expect(projection.run_finished_at).toBe(runs[1].json.finished_at);
      const empty = (await create()).json;
      expect((await t.get(`/v1/scenarios/${empty.id}/metrics/latest`)).json.data).toEqual([]);
      expectError(await t.get('/v1/scenarios/unknown/metrics/latest'), 404, 'SCENARIO_NOT_FOUND');
    });

    it("applies the policy driver's pack like X-Policy-Pack-Id, and says when it could not", async () => {
      const withPolicy = async (packId: string) =>
        (
          await create({
            assumptions: [{ driver_type: 'policy', payload: { policy_pack_id: packId } }],
          })
        ).json;
      const applied = await withPolicy('pack_conservative');
      const accepted = await t.post(`/v1/scenarios/${applied.id}/run`, {});
      expect(accepted.json.policy).toEqual({
        policy_pack_id: 'pack_conservative',
        applied: null,
        reason: null,
      });
      const done = await settled(t, accepted.json.status_url);
      expect(done.json.state).toBe('SUCCEEDED');
      expect(done.json.policy).toEqual({ policy_pack_id: 'pack_conservative', applied: true, reason: null });
      // The pack capped turnover at 1 % (the base alone trades far more), and the engine run says so.
      expect(Number(done.json.metrics.turnover_pct.value)).toBeLessThanOrEqual(0.01);
      const engineRun = await t.get(`/rebalance/runs/${done.json.rebalance_run_id}`);
      expect(engineRun.json.result.lineage.policy_pack).toMatchObject({
        policy_pack_id: 'pack_conservative',
        version: '7',
        source: 'REQUEST',
        applied: true,
      });
      const plain = await runOnce((await create()).json.id);
      expect(Number(plain.json.metrics.turnover_pct.value)).toBeGreaterThan(0.01);
      expect(plain.json.policy).toBeNull();

      const missing = await runOnce((await withPolicy('pack_missing')).id);
      expect(missing.json.policy).toEqual({
        policy_pack_id: 'pack_missing',
        applied: false,
        reason: 'POLICY_PACK_NOT_FOUND',
      });
      t.env.DPM_POLICY_PACKS_ENABLED = 'false'; // flags are read per request and per run
      try {
        const off = await runOnce((await withPolicy('pack_conservative')).id);
        expect(off.json.policy).toEqual({
          policy_pack_id: 'pack_conservative',
          applied: false,
          reason: 'POLICY_PACKS_DISABLED',
        });
        expect(Number(off.json.metrics.turnover_pct.value)).toBeGreaterThan(0.01);
      } finally {
        t.env.DPM_POLICY_PACKS_ENABLED = 'true';
      }
    });
  });

  describe('tenancy', () => {
    it('another tenant sees none of it: 404 on every look-up, empty lists', async () => {
      const a = { 'X-Tenant-Id': `bank-a-${backend}` };
      const b = { 'X-Tenant-Id': `bank-b-${backend}` };
      const created = (await create({}, a)).json;
      const run = await runOnce(created.id, {}, a);
      for (const url of [
        `/v1/scenarios/${created.id}`,
        `/v1/scenarios/${created.id}/runs`,
        `/v1/scenarios/${created.id}/runs/${run.json.id}`,
        `/v1/scenarios/${created.id}/outputs`,
        `/v1/scenarios/${created.id}/outputs?format=csv`,
        `/v1/scenarios/${created.id}/metrics/latest`,
      ])
        expect((await t.get(url, b)).status, url).toBe(404);
      expect((await t.get('/v1/scenarios', b)).json.data).toEqual([]);
      expect((await t.post(`/v1/scenarios/${created.id}/run`, {}, b)).status).toBe(404);
      expect((await t.post(`/v1/scenarios/runs/${run.json.id}/cancel`, '', b)).status).toBe(404);
      expect((await t.request('PATCH', `/v1/scenarios/${created.id}`, { description: 'x' }, b)).status).toBe(
        404,
      );
      expect((await t.request('DELETE', `/v1/scenarios/${created.id}`, undefined, b)).status).toBe(404);
      expect((await t.get(`/rebalance/runs/${run.json.rebalance_run_id}`, b)).status).toBe(404);
      expect((await t.get(`/v1/scenarios/${created.id}`, a)).status).toBe(200);
    });
  });
});
