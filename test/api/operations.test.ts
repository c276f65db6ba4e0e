/** Async operations over HTTP with a real queue and in-process workers (spec 30 §5, demos 26 and 28). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationService } from '../../src/api/dpm/operations.js';
import { DpmService } from '../../src/api/dpm/service.js';
import { EnginePool } from '../../src/compute/engine-pool.js';
import { BACKENDS } from '../support/store.js';
import { demo, startTestApp, type TestApp } from '../support/http.js';
import { operationSettled } from './helpers.js';

const BODY_26 = demo('26_dpm_async_batch_analysis.json');
/** These tests exercise the durable queue; INLINE (the default) is tested in operations-inline.test.ts. */
const QUEUED = { DPM_ASYNC_EXECUTION_MODE: 'QUEUED' };

describe.each(BACKENDS)('async operations (%s)', (backend) => {
  let t: TestApp;
  let now = Date.parse('2026-04-01T10:00:00Z');
  const clock = () => new Date((now += 10));
  beforeAll(async () => {
    t = await startTestApp(backend, QUEUED, clock, { workers: 2 });
  });
  afterAll(async () => t.close());

  const settled = (id: string) => operationSettled(t, `/rebalance/operations/${id}`);

  it('demo 26: accepts with 202, a worker runs it, the result carries the partial failure', async () => {
    const res = await t.post('/rebalance/analyze/async', BODY_26, {
      'X-Correlation-Id': 'demo-corr-26-async',
    });
    expect(res.status).toBe(202);
    expect(res.headers['x-correlation-id']).toBe('demo-corr-26-async');
    expect(res.json).toMatchObject({
      operation_type: 'ANALYZE_SCENARIOS',
      status: 'PENDING',
      correlation_id: 'demo-corr-26-async',
    });
    expect(res.json.status_url).toBe(`/rebalance/operations/${res.json.operation_id}`);
    expect(res.json.execute_url).toBe(`/rebalance/operations/${res.json.operation_id}/execute`);
    const done = await settled(res.json.operation_id);
    expect(done.json.status).toBe('SUCCEEDED');
    expect(done.json.is_executable).toBe(false);
    expect(done.json.result.warnings).toEqual(['PARTIAL_BATCH_FAILURE']);
    expect(done.json.result.failed_scenarios).toEqual({
      invalid_options:
        "INVALID_OPTIONS: Value error, group_constraints keys must use format '<attribute_key>:<attribute_value>'",
    });
    expect(done.json.error).toBeNull();
    const byCorrelation = await t.get('/rebalance/operations/by-correlation/demo-corr-26-async');
    expect(byCorrelation.json.operation_id).toBe(res.json.operation_id);
    const run = await t.get('/rebalance/runs/by-correlation/demo-corr-26-async:baseline');
    expect(run.status).toBe(200);
    const bundle = await t.get(`/rebalance/runs/by-operation/${res.json.operation_id}/support-bundle`);
    expect(bundle.json.run.rebalance_run_id).toBe(run.json.rebalance_run_id);
    expect(bundle.json.async_operation.operation_id).toBe(res.json.operation_id);
  });

  it('execute on a queued operation that already ran is 409', async () => {
    const res = await t.post('/rebalance/analyze/async', demo('28_dpm_async_manual_execute_guard.json'));
    expect(res.json.correlation_id).toMatch(/^corr_[0-9a-f]{12}$/);
    await settled(res.json.operation_id);
    const exec = await t.post(`/rebalance/operations/${res.json.operation_id}/execute`, '');
    expect(exec.status).toBe(409);
    expect(exec.json).toEqual({ detail: 'DPM_ASYNC_OPERATION_NOT_EXECUTABLE' });
  });

  it('ACCEPT_ONLY waits for a manual execute; a second execute is 409', async () => {
    await t.restart({ DPM_ASYNC_EXECUTION_MODE: ' accept_only ' });
    const res = await t.post('/rebalance/analyze/async', demo('28_dpm_async_manual_execute_guard.json'));
    await new Promise((r) => setTimeout(r, 700)); // a queue poll interval: nothing may pick it up
    const pending = await t.get(`/rebalance/operations/${res.json.operation_id}`);
    expect(pending.json).toMatchObject({
      status: 'PENDING',
      is_executable: true,
      started_at: null,
      result: null,
    });
    const exec = await t.post(`/rebalance/operations/${res.json.operation_id}/execute`, '');
    expect(exec.status).toBe(200);
    expect(exec.json.status).toBe('SUCCEEDED');
    expect(exec.json.result.batch_run_id).toMatch(/^batch_/);
    expect((await t.post(`/rebalance/operations/${res.json.operation_id}/execute`, '')).status).toBe(409);
    await t.restart(QUEUED);
  });

  it('records a failed analysis as FAILED with its error code, not its raw text', async () => {
    const service = new OperationService(
      new DpmService(t.store.db, {}, new EnginePool({ threads: 0 }), clock),
      { DPM_ASYNC_EXECUTION_MODE: 'ACCEPT_ONLY' },
      null,
    );
    const op = await service.submit('default', JSON.parse('{}'), 'broken-op');
    await t.store.db.query(
      `UPDATE dpm_async_operations SET request_json = '{"batch_request": {"scenarios": {}}}' WHERE operation_id = $1`,
      [op.operation_id],
    );
    const exec = await t.post(`/rebalance/operations/${op.operation_id}/execute`, '');
    expect(exec.json.status).toBe('FAILED');
    expect(exec.json.error.code).toBe('Error');
    expect(exec.json.error.message).not.toContain('stored request');
    expect(exec.json.finished_at).not.toBeNull();
  });

  it('lists operations newest first with filters and cursor paging', async () => {
    const all = await t.get('/rebalance/operations?limit=200');
    expect(all.json.items.length).toBeGreaterThanOrEqual(4);
    expect(Object.keys(all.json.items[0]).sort()).toEqual(
      [
        'correlation_id',
        'created_at',
        'finished_at',
        'is_executable',
        'operation_id',
        'operation_type',
        'started_at',
        'status',
      ].sort(),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await t.get(`/rebalance/operations?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.json.items.map((o: any) => o.operation_id));
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.json.items.map((o: any) => o.operation_id));
    expect(
      (await t.get('/rebalance/operations?status=FAILED')).json.items.map((o: any) => o.correlation_id),
    ).toEqual(['broken-op']);
    expect((await t.get('/rebalance/operations?correlation_id=demo-corr-26-async')).json.items).toHaveLength(
      1,
    );
    expect((await t.get('/rebalance/operations?limit=201')).status).toBe(422);
  });

  it('answers the gate and look-up codes in the spec order', async () => {
    const invalid = await t.post('/rebalance/analyze/async', { scenarios: {} });
    expect(invalid.status).toBe(422);
    await t.restart({ ...QUEUED, DPM_ASYNC_OPERATIONS_ENABLED: 'false' });
    expect((await t.post('/rebalance/analyze/async', BODY_26)).json).toEqual({
      detail: 'DPM_ASYNC_OPERATIONS_DISABLED',
    });
    expect((await t.get('/rebalance/operations/dop_x')).json).toEqual({
      detail: 'DPM_ASYNC_OPERATIONS_DISABLED',
    });
    await t.restart({ ...QUEUED, DPM_ASYNC_MANUAL_EXECUTION_ENABLED: 'no' });
    expect((await t.post('/rebalance/operations/dop_x/execute', '')).json).toEqual({
      detail: 'DPM_ASYNC_MANUAL_EXECUTION_DISABLED',
    });
    await t.restart(QUEUED);
    expect((await t.post('/rebalance/operations/dop_x/execute', '')).json).toEqual({
      detail: 'DPM_ASYNC_OPERATION_NOT_FOUND',
    });
    expect((await t.get('/rebalance/operations/dop_x')).json).toEqual({
      detail: 'DPM_ASYNC_OPERATION_NOT_FOUND',
    });
    expect((await t.get('/rebalance/operations/by-correlation/none')).json).toEqual({
      detail: 'DPM_ASYNC_OPERATION_NOT_FOUND',
    });
  });

  it('expires operations after the TTL', async () => {
    const op = await t.post('/rebalance/analyze/async', BODY_26, { 'X-Correlation-Id': 'ttl-op' });
    await settled(op.json.operation_id);
    await t.restart({ ...QUEUED, DPM_ASYNC_OPERATIONS_TTL_SECONDS: '60' });
    now += 61_000;
    expect((await t.get(`/rebalance/operations/${op.json.operation_id}`)).status).toBe(404);
    expect((await t.get('/rebalance/operations/by-correlation/ttl-op')).status).toBe(404);
    await t.restart(QUEUED);
  });

  it('stores the operation before answering: a created operation row exists with its request', async () => {
    const res = await t.post('/rebalance/analyze/async', BODY_26, { 'X-Correlation-Id': 'stored-first' });
    const rows = await t.store.db.query<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM dpm_async_operations WHERE operation_id = $1 AND request_json IS NOT NULL',
      [res.json.operation_id],
    );
    expect(rows[0]!.n).toBe(1);
    await settled(res.json.operation_id);
  });
});
