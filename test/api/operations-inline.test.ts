/**
 * Async operations in INLINE mode, the documented default (spec 30 §5.2, demos 26 and 28): the
 * operation is stored first, executed inside the submitting request, and already finished when
 * the 202 arrives; an immediate execute is 409.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/store.js';
import { demo, startTestApp, type TestApp } from '../support/http.js';
import { until } from './helpers.js';

/** A short lease, so a lapsed one is noticed within seconds. */
const LEASE = { KEEL_OPERATION_LEASE_SECONDS: '2' };

describe.each(BACKENDS)('async operations, INLINE (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend, LEASE, undefined, { workers: 1 });
  });
  afterAll(async () => t.close());

  /**
   * Leave an operation as its executor's crash mid-work would (RUNNING, `attempts` made, its
   * heartbeat stopped), restart, and poll it until it reaches `final`.
   */
  const interruptAndRestart = async (
    operationId: string,
    executor: 'inline' | 'queue',
    attempts: number,
    final: 'SUCCEEDED' | 'FAILED',
  ) => {
    await t.store.db.query(
      `UPDATE dpm_async_operations SET status = 'RUNNING', executor = $2, attempts = $3, claim_token = 'dead',
         heartbeat_at = now() - interval '1 minute' WHERE operation_id = $1`,
      [operationId, executor, attempts],
    );
    await t.restart(LEASE);
    return until(
      () => t.get(`/rebalance/operations/${operationId}`),
      (r) => r.json.status === final,
    );
  };

  it('demo 26: the 202 arrives after the work; the operation is SUCCEEDED with the partial failure', async () => {
    const res = await t.post('/rebalance/analyze/async', demo('26_dpm_async_batch_analysis.json'), {
      'X-Correlation-Id': 'inline-26',
    });
    expect(res.status).toBe(202);
    expect(res.headers['x-correlation-id']).toBe('inline-26');
    // The body is the acceptance snapshot (QUIRK Q-S9, reproduced).
    expect(res.json).toMatchObject({ status: 'PENDING', correlation_id: 'inline-26' });
    const op = await t.get(`/rebalance/operations/${res.json.operation_id}`);
    expect(op.json).toMatchObject({ status: 'SUCCEEDED', is_executable: false, error: null });
    expect(op.json.started_at).not.toBeNull();
    expect(op.json.finished_at).not.toBeNull();
    expect(op.json.result.warnings).toEqual(['PARTIAL_BATCH_FAILURE']);
    expect(Object.keys(op.json.result.failed_scenarios)).toEqual(['invalid_options']);
    expect((await t.get('/rebalance/operations/by-correlation/inline-26')).json.operation_id).toBe(
      res.json.operation_id,
    );
    expect((await t.get('/rebalance/runs/by-correlation/inline-26:baseline')).status).toBe(200);
  });

  it('demo 28: an immediate execute is 409 DPM_ASYNC_OPERATION_NOT_EXECUTABLE', async () => {
    const res = await t.post('/rebalance/analyze/async', demo('28_dpm_async_manual_execute_guard.json'));
    expect(res.status).toBe(202);
    const exec = await t.post(`/rebalance/operations/${res.json.operation_id}/execute`, '');
    expect(exec.status).toBe(409);
    expect(exec.json).toEqual({ detail: 'DPM_ASYNC_OPERATION_NOT_EXECUTABLE' });
  });

  it('an unknown mode falls back to INLINE; ACCEPT_ONLY leaves it PENDING for a manual execute', async () => {
    await t.restart({ ...LEASE, DPM_ASYNC_EXECUTION_MODE: 'sometimes' });
    const inline = await t.post('/rebalance/analyze/async', demo('28_dpm_async_manual_execute_guard.json'));
    expect((await t.get(`/rebalance/operations/${inline.json.operation_id}`)).json.status).toBe('SUCCEEDED');
    await t.restart({ ...LEASE, DPM_ASYNC_EXECUTION_MODE: 'ACCEPT_ONLY' });
    const waiting = await t.post('/rebalance/analyze/async', demo('28_dpm_async_manual_execute_guard.json'));
    expect((await t.get(`/rebalance/operations/${waiting.json.operation_id}`)).json).toMatchObject({
      status: 'PENDING',
      is_executable: true,
    });
    const exec = await t.post(`/rebalance/operations/${waiting.json.operation_id}/execute`, '');
    expect(exec.json.status).toBe('SUCCEEDED');
    await t.restart(LEASE);
  });

  it('an operation whose executor died (lease lapsed) is put back on the queue and finished', async () => {
    // As a crash mid-work leaves it: the record written first, RUNNING, its heartbeat stopped.
    await t.restart({ ...LEASE, DPM_ASYNC_EXECUTION_MODE: 'ACCEPT_ONLY' });
    const res = await t.post('/rebalance/analyze/async', demo('26_dpm_async_batch_analysis.json'), {
      'X-Correlation-Id': 'interrupted-inline',
    });
    const done = await interruptAndRestart(res.json.operation_id, 'inline', 1, 'SUCCEEDED');
    expect(done.json.status).toBe('SUCCEEDED');
    const [row] = await t.store.db.query<{ attempts: number }>(
      'SELECT attempts FROM dpm_async_operations WHERE operation_id = $1',
      [res.json.operation_id],
    );
    expect(row!.attempts).toBe(2);
    expect((await t.get('/rebalance/runs/by-correlation/interrupted-inline:baseline')).status).toBe(200);
  });

  it('an operation interrupted more often than the retry limit ends FAILED, not in a crash loop', async () => {
    await t.restart({ ...LEASE, DPM_ASYNC_EXECUTION_MODE: 'ACCEPT_ONLY' });
    const res = await t.post('/rebalance/analyze/async', demo('26_dpm_async_batch_analysis.json'));
    const done = await interruptAndRestart(res.json.operation_id, 'queue', 4, 'FAILED');
    expect(done.json.error.code).toBe('OperationInterrupted');
  });
});
