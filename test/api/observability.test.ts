/**
 * Observability (spec 50 §5): `/metrics` in the Prometheus text format — public, with route
 * templates and no tenant data — and JSON log lines carrying the request id, tenant and actor,
 * plus scenario and run ids on run state changes.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { loadSolver } from '../../src/engine/targets/solver.js';
import { JobQueue } from '../../src/store/queue.js';
import { poll, scenarioBase } from '../support/scenarios.js';
import { openTestStore, type TestStore } from '../support/store.js';

const SECRET = 'an-observability-secret-of-sufficient-length';

describe('observability', () => {
  let store: TestStore;
  let queue: JobQueue;
  let app: FastifyInstance;
  const lines: any[] = [];
  let token: string;

  beforeAll(async () => {
    await loadSolver();
    store = await openTestStore('embedded');
    queue = await JobQueue.start(store.db, { schema: store.queueSchema, pollingSeconds: 0.5 });
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        done();
      },
    });
    app = await buildApp({
      db: store.db,
      env: { KEEL_JWT_SECRET: SECRET },
      queue,
      workers: 1,
      logger: { level: 'info', stream },
    });
    token = await new SignJWT({ sub: 'pm-42', tenant_id: 'tenant-obs', roles: ['portfolio_manager'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
  });
  afterAll(async () => {
    await app.close();
    await queue.stop(false);
    await store.drop();
  });

  const call = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
    const res = await app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { payload: JSON.stringify(body) }),
    });
    return { status: res.statusCode, json: JSON.parse(res.body), headers: res.headers };
  };

  it('logs JSON lines with request id, tenant and actor, and run state changes with their ids', async () => {
    const created = await call('POST', '/v1/scenarios', { name: 'observed', base: scenarioBase() });
    expect(created.status).toBe(201);
    const accepted = await call('POST', `/v1/scenarios/${created.json.id}/run`, {});
    const runId = accepted.json.id;
    await poll(
      () => call('GET', accepted.json.status_url),
      (r) => r.json.state === 'SUCCEEDED',
    );
    const completed = lines.find(
      (l) => l.msg === 'request completed' && l.reqId === created.headers['x-request-id'],
    );
    expect(completed).toMatchObject({ tenant_id: 'tenant-obs', actor: 'pm-42' });
    expect(completed.res.statusCode).toBe(201);
    const audit = lines.find((l) => l.audit && l.reqId === accepted.headers['x-request-id']);
    expect(audit).toMatchObject({ tenant_id: 'tenant-obs', actor: 'pm-42', audit: { status: 202 } });
    const queued = lines.find((l) => l.msg === 'scenario run queued');
    expect(queued).toMatchObject({
      reqId: accepted.headers['x-request-id'],
      tenant_id: 'tenant-obs',
      actor: 'pm-42',
      scenario_id: created.json.id,
      run_id: runId,
      state: 'QUEUED',
    });
    for (const state of ['RUNNING', 'SUCCEEDED'])
      expect(lines.find((l) => l.run_id === runId && l.state === state)).toMatchObject({
        tenant_id: 'tenant-obs',
        scenario_id: created.json.id,
      });
  });

  it('serves /metrics without a token: HTTP by route template, queue, runs, cache; no tenant data', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toMatch(
      /^keel_http_requests_total\{method="POST",route="\/v1\/scenarios\/:id\/run",status_code="202"\} 1$/m,
    );
    expect(text).toMatch(
      /^keel_http_request_duration_seconds_count\{method="GET",route="\/v1\/scenarios\/:id\/runs\/:run_id",status_code="200"\} \d+$/m,
    );
    expect(text).toMatch(/^keel_scenario_run_duration_seconds_count\{state="SUCCEEDED"\} 1$/m);
    expect(text).toMatch(/^keel_queue_depth\{queue="scenario-runs"\} 0$/m);
    expect(text).toMatch(
      /^keel_queue_job_duration_seconds_count\{queue="scenario-runs",outcome="completed"\} 1$/m,
    );
    expect(text).toMatch(/^keel_queue_job_wait_seconds_count\{queue="scenario-runs"\} 1$/m);
    expect(text).toMatch(/^# TYPE keel_scenario_cache_misses_total counter$/m);
    expect(text).toMatch(/^# TYPE keel_scenario_cache_hits_total counter$/m);
    expect(text).toMatch(/^keel_process_cpu_seconds_total /m);
    expect(text).not.toContain('tenant-obs');
    expect(text).not.toContain('pm-42');
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/); // no ids
    // An unknown URL is counted under one label, not its path.
    await app.inject({ method: 'GET', url: '/no/such/path/123' });
    const after = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(after).toMatch(
      /^keel_http_requests_total\{method="GET",route="unmatched",status_code="\d+"\} \d+$/m,
    );
    expect(after).not.toContain('/no/such/path');
  });

  it('KEEL_METRICS_ENABLED=false hides /metrics', async () => {
    const off = await buildApp({ db: store.db, env: { KEEL_METRICS_ENABLED: 'false' } });
    try {
      expect((await off.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    } finally {
      await off.close();
    }
  });
});
