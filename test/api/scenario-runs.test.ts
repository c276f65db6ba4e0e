/**
 * The scenario run life cycle (spec 50 §2) with the queue but no worker until the end, so every
 * state is held deliberately: de-duplication of identical active runs (also under concurrency),
 * cancellation and the admin state rules, a cancel landing while a worker computes (nothing
 * written), a dead worker's run retried, FAILED after the last retry, queued runs surviving a
 * restart, and HIGH before NORMAL before LOW.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DpmService } from '../../src/api/dpm/service.js';
import { PolicyPackService } from '../../src/api/policies/service.js';
import { EnginePool } from '../../src/compute/engine-pool.js';
import { Metrics } from '../../src/api/metrics.js';
import { ScenarioCache } from '../../src/api/scenarios/cache.js';
import { ScenarioRunner } from '../../src/api/scenarios/runner.js';
import type { ScenarioJob } from '../../src/api/scenarios/service.js';
import type { Database } from '../../src/store/database.js';
import { claimRun, finishRun } from '../../src/store/scenarios.js';
import { BACKENDS } from '../support/store.js';
import { startTestApp, type Response, type TestApp } from '../support/http.js';
import { poll, scenarioBase } from '../support/scenarios.js';

const quiet = { info: () => undefined, error: () => undefined, warn: () => undefined };

function expectError(res: Response, status: number, code: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.json.error.code, res.text).toBe(code);
}

describe.each(BACKENDS)('scenario run life cycle (%s)', (backend) => {
  let t: TestApp;
  let scenario: string;
  const metrics = new Metrics();
  const runner = (db?: Database) =>
    new ScenarioRunner(
      db ?? t.store.db,
      new DpmService(db ?? t.store.db, {}, new EnginePool({ threads: 0 })),
      new PolicyPackService(db ?? t.store.db, {}),
      t.queue!,
      new ScenarioCache({ prefix: 'test:', ttlSeconds: 1 }, metrics, quiet),
      metrics,
      quiet,
    );
  const job = (run: { id: string }): ScenarioJob => ({
    tenant: 'default',
    scenario_id: scenario,
    run_id: run.id,
  });
  const queue = async (body: Record<string, unknown>) => {
    const res = await t.post(`/v1/scenarios/${scenario}/run`, body);
    expect(res.status, res.text).toBe(202);
    return res.json;
  };
  const get = async (run: { id: string }) => (await t.get(`/v1/scenarios/${scenario}/runs/${run.id}`)).json;
  const count = async (sql: string, params: unknown[]) =>
    (await t.store.db.query<{ n: number }>(sql, params))[0]!.n;

  beforeAll(async () => {
    t = await startTestApp(backend, {}, undefined, { workers: 0 });
    const created = await t.post('/v1/scenarios', {
      name: 'life cycle',
      base: scenarioBase(),
      assumptions: [{ driver_type: 'market_shock', payload: { scope: 'all', shock_pct: '-10' } }],
    });
    scenario = created.json.id;
  }, 60_000);
  afterAll(async () => t.close());

  it('returns the identical QUEUED or RUNNING run with 200; another version, code version or options is a new run', async () => {
    const first = await queue({ code_version: 'v1', options: { max_turnover_pct: '0.10' } });
    expect(first.state).toBe('QUEUED');
    const same = await t.post(`/v1/scenarios/${scenario}/run`, {
      code_version: 'v1',
      priority: 'HIGH',
      options: { max_turnover_pct: '0.10' },
    });
    expect(same.status).toBe(200);
    expect(same.json).toEqual(first);
    await t.post(`/v1/scenarios/runs/${first.id}/state`, { state: 'RUNNING' });
    expect(
      (
        await t.post(`/v1/scenarios/${scenario}/run`, {
          code_version: 'v1',
          options: { max_turnover_pct: '0.10' },
        })
      ).status,
    ).toBe(200);
    expect((await queue({ code_version: 'v2', options: { max_turnover_pct: '0.10' } })).id).not.toBe(
      first.id,
    );
    expect((await queue({ code_version: 'v1', options: { max_turnover_pct: '0.20' } })).id).not.toBe(
      first.id,
    );
    await t.post(`/v1/scenarios/runs/${first.id}/state`, { state: 'FAILED' });
    expect((await queue({ code_version: 'v1', options: { max_turnover_pct: '0.10' } })).id).not.toBe(
      first.id,
    );
  });

  it('two concurrent identical requests yield one run', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => t.post(`/v1/scenarios/${scenario}/run`, { code_version: 'race' })),
    );
    expect(new Set(results.map((r) => r.json.id)).size).toBe(1);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 202]);
    expect(await count(`SELECT COUNT(*)::int AS n FROM scenario_runs WHERE code_version = 'race'`, [])).toBe(
      1,
    );
  });

  it('cancel: QUEUED or RUNNING → CANCELLED, idempotent, 409 once finished, 404 unknown', async () => {
    const queued = await queue({ code_version: 'cancel-queued' });
    const cancelled = await t.post(`/v1/scenarios/runs/${queued.id}/cancel`, '');
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ state: 'CANCELLED', started_at: null });
    expect(cancelled.json.finished_at).not.toBeNull();
    const again = await t.post(`/v1/scenarios/runs/${queued.id}/cancel`, '');
    expect(again.status).toBe(200);
    expect(again.json).toEqual(cancelled.json);
    const running = await queue({ code_version: 'cancel-running' });
    await t.post(`/v1/scenarios/runs/${running.id}/state`, { state: 'RUNNING' });
    expect((await t.post(`/v1/scenarios/runs/${running.id}/cancel`, '')).json.state).toBe('CANCELLED');
    const succeeded = await queue({ code_version: 'cancel-late' });
    await runner().execute(job(succeeded));
    expect((await get(succeeded)).state).toBe('SUCCEEDED');
    const late = await t.post(`/v1/scenarios/runs/${succeeded.id}/cancel`, '');
    expectError(late, 409, 'ILLEGAL_STATE_TRANSITION');
    expect(late.json.error.details).toEqual({ state: 'SUCCEEDED', requested_state: 'CANCELLED' });
    expectError(await t.post('/v1/scenarios/runs/unknown/cancel', ''), 404, 'SCENARIO_RUN_NOT_FOUND');
    // A cancelled run's job does nothing when a worker gets it.
    await runner().execute(job(queued));
    expect((await get(queued)).state).toBe('CANCELLED');
  });

  it('state route: QUEUED → RUNNING | CANCELLED, RUNNING → SUCCEEDED | FAILED | CANCELLED, nothing else', async () => {
    const run = await queue({ code_version: 'states' });
    const set = (state: string, extra = {}) =>
      t.post(`/v1/scenarios/runs/${run.id}/state`, { state, ...extra });
    for (const state of ['SUCCEEDED', 'FAILED'])
      expectError(await set(state), 409, 'ILLEGAL_STATE_TRANSITION');
    const running = await set('RUNNING');
    expect(running.json).toMatchObject({ state: 'RUNNING', finished_at: null });
    expect(running.json.started_at).not.toBeNull();
    expectError(await set('RUNNING'), 409, 'ILLEGAL_STATE_TRANSITION');
    expectError(await set('SUCCEEDED', { error: { code: 'X', message: 'y' } }), 400, 'VALIDATION_ERROR');
    expectError(await set('QUEUED'), 400, 'VALIDATION_ERROR');
    const failed = await set('FAILED', {
      error: { code: 'UPSTREAM_DATA_MISSING', message: 'Prices were not delivered.' },
    });
    expect(failed.json).toMatchObject({
      state: 'FAILED',
      error: { code: 'UPSTREAM_DATA_MISSING', message: 'Prices were not delivered.' },
    });
    for (const state of ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'])
      expectError(await set(state), 409, 'ILLEGAL_STATE_TRANSITION');
    const other = await queue({ code_version: 'states-2' });
    await t.post(`/v1/scenarios/runs/${other.id}/state`, { state: 'RUNNING' });
    const done = await t.post(`/v1/scenarios/runs/${other.id}/state`, { state: 'SUCCEEDED' });
    expect(done.json).toMatchObject({ state: 'SUCCEEDED', metrics: null, rebalance_run_id: null });
    const defaultError = await queue({ code_version: 'states-3' });
    await t.post(`/v1/scenarios/runs/${defaultError.id}/state`, { state: 'RUNNING' });
    expect(
      (await t.post(`/v1/scenarios/runs/${defaultError.id}/state`, { state: 'FAILED' })).json.error.code,
    ).toBe('MARKED_FAILED');
    expectError(
      await t.post('/v1/scenarios/runs/unknown/state', { state: 'RUNNING' }),
      404,
      'SCENARIO_RUN_NOT_FOUND',
    );
  });

  it('a run cancelled while the worker computes writes nothing', async () => {
    const run = await queue({ code_version: 'cancel-mid-run' });
    const db = t.store.db;
    let cancel: Response | null = null;
    // The cancel commits after the worker claimed the run and ran the engine, just before its write.
    const racing: Database = {
      kind: db.kind,
      query: (sql, params) => db.query(sql, params),
      exec: (sql) => db.exec(sql),
      readiness: () => db.readiness(),
      close: () => db.close(),
      transaction: async (work) => {
        cancel ??= await t.post(`/v1/scenarios/runs/${run.id}/cancel`, '');
        return db.transaction(work);
      },
    };
    await runner(racing).execute(job(run));
    expect(cancel!.json.state).toBe('CANCELLED');
    const after = await get(run);
    expect(after).toMatchObject({ state: 'CANCELLED', attempts: 1, metrics: null, rebalance_run_id: null });
    expect(await count('SELECT COUNT(*)::int AS n FROM scenario_outputs WHERE run_id = $1', [run.id])).toBe(
      0,
    );
    expect(await count('SELECT COUNT(*)::int AS n FROM dpm_runs WHERE correlation_id = $1', [run.id])).toBe(
      0,
    );
    const events = await t.store.db.query<{ event_type: string }>(
      'SELECT event_type FROM scenario_events WHERE run_id = $1 ORDER BY event_id',
      [run.id],
    );
    expect(events.map((e) => e.event_type)).toEqual(['RUN_QUEUED', 'RUN_CANCELLED']);
  });

  it('a run whose worker died is claimed again and finished once', async () => {
    const run = await queue({ code_version: 'dead-worker' });
    expect(await claimRun(t.store.db, 'default', run.id, 'dead-token', new Date())).not.toBeNull();
    expect((await get(run)).state).toBe('RUNNING');
    await runner().execute(job(run), { retryCount: 1, retryLimit: 3 });
    const after = await get(run);
    expect(after).toMatchObject({ state: 'SUCCEEDED', attempts: 2 });
    // The dead worker waking up later cannot finish it again.
    expect(
      await finishRun(t.store.db, run.id, 'dead-token', { state: 'SUCCEEDED', now: new Date() }),
    ).toBeNull();
    expect(await count('SELECT COUNT(*)::int AS n FROM scenario_outputs WHERE run_id = $1', [run.id])).toBe(
      10,
    );
    expect(await count('SELECT COUNT(*)::int AS n FROM dpm_runs WHERE correlation_id = $1', [run.id])).toBe(
      1,
    );
  });

  it('a failing run is retried while retries remain, then ends FAILED with its error class only', async () => {
    const broken = await t.post('/v1/scenarios', { name: 'broken', base: scenarioBase() });
    await t.store.db.query(
      `UPDATE scenario_versions SET base_json = '{"corrupt": true}' WHERE scenario_id = $1`,
      [broken.json.id],
    );
    const accepted = await t.post(`/v1/scenarios/${broken.json.id}/run`, {});
    const brokenJob = { tenant: 'default', scenario_id: broken.json.id, run_id: accepted.json.id };
    await expect(runner().execute(brokenJob, { retryCount: 0, retryLimit: 1 })).rejects.toThrow(
      /no longer validates/,
    );
    expect((await t.get(accepted.json.status_url)).json.state).toBe('RUNNING');
    await runner().execute(brokenJob, { retryCount: 1, retryLimit: 1 });
    const failed = (await t.get(accepted.json.status_url)).json;
    expect(failed).toMatchObject({ state: 'FAILED', attempts: 2, metrics: null });
    expect(failed.error).toEqual({
      code: 'Error',
      message: `The scenario run failed (Error); the server log has details for run ${accepted.json.id}.`,
    });
  });

  it('queued runs survive a restart, then run HIGH before NORMAL before LOW', async () => {
    const low = await queue({ code_version: 'p', priority: 'LOW' });
    const normal = await queue({
      code_version: 'p',
      priority: 'NORMAL',
      options: { max_turnover_pct: '0.5' },
    });
    const high = await queue({ code_version: 'p', priority: 'HIGH', options: { max_turnover_pct: '0.4' } });
    await t.restart();
    for (const run of [low, normal, high]) expect((await get(run)).state).toBe('QUEUED');
    await runner().startWorkers(1);
    const done = await poll(
      () => Promise.all([high, normal, low].map(get)),
      (runs) => runs.every((r) => r.state === 'SUCCEEDED'),
    );
    expect(done.map((r) => r.state)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const started = done.map((r) => Date.parse(r.started_at));
    expect(started[0]).toBeLessThanOrEqual(started[1]!);
    expect(started[1]).toBeLessThanOrEqual(started[2]!);
    const order = await t.store.db.query<{ run_id: string }>(
      `SELECT run_id FROM scenario_events WHERE event_type = 'RUN_SUCCEEDED' AND run_id = ANY($1) ORDER BY event_id`,
      [[low.id, normal.id, high.id]],
    );
    expect(order.map((e) => e.run_id)).toEqual([high.id, normal.id, low.id]);
  });
});
