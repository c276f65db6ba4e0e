/** Run supportability over HTTP (spec 30 §6–§10), gates, retention, health and OpenAPI, on every test backend. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactHash } from '../../src/api/dpm/artifact.js';
import { BACKENDS } from '../support/store.js';
import { demo, startTestApp, type TestApp } from '../support/http.js';

const BODY_27 = demo('27_dpm_supportability_artifact_flow.json');

describe.each(BACKENDS)('run supportability (%s)', (backend) => {
  let t: TestApp;
  let now = new Date('2026-02-20T12:00:00.000Z');
  const tick = () => {
    now = new Date(now.getTime() + 1000);
    return now;
  };
  let runId: string;

  beforeAll(async () => {
    t = await startTestApp(backend, {}, tick);
    const res = await t.post('/rebalance/simulate', BODY_27, {
      'Idempotency-Key': 'demo-27-supportability',
      'X-Correlation-Id': 'demo-corr-27-supportability',
    });
    expect(res.json.status).toBe('READY');
    runId = res.json.rebalance_run_id;
  });
  afterAll(async () => t.close());

  it('finds the demo 27 run by id, correlation, request hash and idempotency key', async () => {
    const byId = await t.get(`/rebalance/runs/${runId}`);
    const byCorrelation = await t.get('/rebalance/runs/by-correlation/demo-corr-27-supportability');
    const byHash = await t.get(
      `/rebalance/runs/by-request-hash/${encodeURIComponent(byId.json.request_hash)}`,
    );
    expect(byCorrelation.text).toBe(byId.text);
    expect(byHash.text).toBe(byId.text);
    expect(byId.json.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/);
    const mapping = await t.get('/rebalance/runs/idempotency/demo-27-supportability');
    expect(mapping.json).toEqual({
      idempotency_key: 'demo-27-supportability',
      request_hash: byId.json.request_hash,
      rebalance_run_id: runId,
      created_at: byId.json.created_at,
    });
    const listed = await t.get('/rebalance/runs?status=READY&portfolio_id=pf_demo_support_27&limit=20');
    expect(listed.json.items.map((r: any) => r.rebalance_run_id)).toContain(runId);
  });

  it('answers the spec codes for unknown ids', async () => {
    expect((await t.get('/rebalance/runs/rr_unknown')).json).toEqual({ detail: 'DPM_RUN_NOT_FOUND' });
    expect((await t.get('/rebalance/runs/by-correlation/nope')).json).toEqual({
      detail: 'DPM_RUN_NOT_FOUND',
    });
    expect((await t.get('/rebalance/runs/idempotency/nope')).json).toEqual({
      detail: 'DPM_IDEMPOTENCY_KEY_NOT_FOUND',
    });
    expect((await t.get('/rebalance/runs/rr_unknown/artifact')).status).toBe(404);
  });

  it('returns the newest run for a reused correlation id (docs/decisions/0005)', async () => {
    const a = await t.post('/rebalance/simulate', BODY_27, {
      'Idempotency-Key': 'reuse-a',
      'X-Correlation-Id': 'shared-corr',
    });
    const b = await t.post('/rebalance/simulate', BODY_27.replace('"2000"', '"2500"'), {
      'Idempotency-Key': 'reuse-b',
      'X-Correlation-Id': 'shared-corr',
    });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await t.get('/rebalance/runs/by-correlation/shared-corr')).json.rebalance_run_id).toBe(
      b.json.rebalance_run_id,
    );
  });

  it('pages the run list newest first, visiting every row once with limit=1', async () => {
    for (let i = 0; i < 3; i++)
      await t.post('/rebalance/simulate', BODY_27.replace('"2000"', `"${3000 + i}"`), {
        'Idempotency-Key': `page-${i}`,
      });
    const all = (await t.get('/rebalance/runs?limit=200')).json.items.map((r: any) => r.rebalance_run_id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await t.get(`/rebalance/runs?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.json.items.map((r: any) => r.rebalance_run_id));
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all);
    const created = (await t.get('/rebalance/runs?limit=200')).json.items.map((r: any) => r.created_at);
    expect([...created].sort().reverse()).toEqual(created);
    expect((await t.get('/rebalance/runs?cursor=rr_missing')).json).toEqual({ items: [], next_cursor: null });
    for (const limit of [0, 201]) expect((await t.get(`/rebalance/runs?limit=${limit}`)).status).toBe(422);
    expect((await t.get('/rebalance/runs?from=not-a-date')).json.detail[0]).toMatchObject({
      type: 'datetime_parsing',
      loc: ['query', 'from'],
    });
  });

  it('filters by time bounds, reading a bound without offset as UTC', async () => {
    const all = (await t.get('/rebalance/runs?limit=200')).json.items;
    const oldest = all[all.length - 1].created_at as string;
    const naive = oldest.replace('+00:00', '');
    const upTo = await t.get(`/rebalance/runs?to=${encodeURIComponent(naive)}`);
    expect(upTo.json.items.map((r: any) => r.created_at)).toEqual([oldest]);
    expect((await t.get('/rebalance/runs?from=2099-01-01')).json.items).toEqual([]);
  });

  it('serves a deterministic artifact whose hash the client can recompute', async () => {
    const a = await t.get(`/rebalance/runs/${runId}/artifact`);
    const b = await t.get(`/rebalance/runs/${runId}/artifact`);
    expect(a.status).toBe(200);
    expect(b.text).toBe(a.text);
    expect(a.json.artifact_id).toBe(runId.replace('rr_', 'dra_'));
    expect(a.json.evidence.engine_version).toBe('unknown');
    const claimed = a.json.evidence.hashes.artifact_hash;
    expect(claimed).toMatch(/^sha256:[0-9a-f]{64}$/);
    delete a.json.evidence.hashes.artifact_hash;
    expect(artifactHash(a.json)).toBe(claimed);
  });

  it('serves the four support bundles with their include options', async () => {
    const byId = await t.get(`/rebalance/runs/${runId}/support-bundle`);
    expect(Object.keys(byId.json)).toEqual([
      'run',
      'artifact',
      'async_operation',
      'workflow_history',
      'lineage',
      'idempotency_history',
      'policy_pack',
    ]);
    expect(byId.json.policy_pack).toBeNull(); // no policy pack was selected (spec 40, GAP G-B2)
    expect(byId.json.run.rebalance_run_id).toBe(runId);
    expect(byId.json.artifact.rebalance_run_id).toBe(runId);
    expect(byId.json.workflow_history).toEqual({ run_id: runId, decisions: [] });
    expect(byId.json.lineage.edges.map((e: any) => e.edge_type).sort()).toEqual([
      'CORRELATION_TO_RUN',
      'IDEMPOTENCY_TO_RUN',
    ]);
    expect(byId.json.idempotency_history.history).toHaveLength(1);
    const byCorrelation = await t.get(
      '/rebalance/runs/by-correlation/demo-corr-27-supportability/support-bundle',
    );
    const byKey = await t.get('/rebalance/runs/idempotency/demo-27-supportability/support-bundle');
    expect(byCorrelation.json.run.rebalance_run_id).toBe(runId);
    expect(byKey.json.run.rebalance_run_id).toBe(runId);
    const lean = await t.get(
      `/rebalance/runs/${runId}/support-bundle?include_artifact=false&include_idempotency_history=no`,
    );
    expect(lean.json.artifact).toBeNull();
    expect(lean.json.idempotency_history).toBeNull();
    expect((await t.get(`/rebalance/runs/${runId}/support-bundle?include_artifact=maybe`)).status).toBe(422);
    expect((await t.get('/rebalance/runs/by-operation/dop_missing/support-bundle')).json).toEqual({
      detail: 'DPM_ASYNC_OPERATION_NOT_FOUND',
    });
    expect((await t.get('/rebalance/runs/idempotency/none/support-bundle')).json).toEqual({
      detail: 'DPM_IDEMPOTENCY_KEY_NOT_FOUND',
    });
  });

  it('keeps lineage and idempotency history behind their default-off gates', async () => {
    expect((await t.get('/rebalance/lineage/demo-corr-27-supportability')).json).toEqual({
      detail: 'DPM_LINEAGE_APIS_DISABLED',
    });
    expect((await t.get('/rebalance/idempotency/demo-27-supportability/history')).json).toEqual({
      detail: 'DPM_IDEMPOTENCY_HISTORY_APIS_DISABLED',
    });
    await t.restart({ DPM_LINEAGE_APIS_ENABLED: 'true' });
    const lineage = await t.get('/rebalance/lineage/demo-corr-27-supportability');
    expect(lineage.json.edges).toEqual([
      expect.objectContaining({
        source_entity_id: 'demo-corr-27-supportability',
        edge_type: 'CORRELATION_TO_RUN',
        target_entity_id: runId,
        metadata: { request_hash: expect.any(String) },
      }),
    ]);
    expect((await t.get('/rebalance/lineage/nothing-here')).json).toEqual({
      entity_id: 'nothing-here',
      edges: [],
      next_cursor: null,
    });
    const first = await t.get(`/rebalance/lineage/${runId}?limit=1`);
    expect(first.json.edges).toHaveLength(1);
    const second = await t.get(
      `/rebalance/lineage/${runId}?limit=1&cursor=${encodeURIComponent(first.json.next_cursor)}`,
    );
    expect(second.json.edges).toHaveLength(1);
    expect(second.json.next_cursor).toBeNull();
    expect(second.json.edges[0]).not.toEqual(first.json.edges[0]);
    await t.restart({});
  });

  it('reports the supportability summary', async () => {
    const res = await t.get('/rebalance/supportability/summary');
    expect(Object.keys(res.json).sort()).toEqual(
      [
        'store_backend',
        'retention_days',
        'run_count',
        'operation_count',
        'operation_status_counts',
        'run_status_counts',
        'workflow_decision_count',
        'workflow_action_counts',
        'workflow_reason_code_counts',
        'lineage_edge_count',
        'oldest_run_created_at',
        'newest_run_created_at',
        'oldest_operation_created_at',
        'newest_operation_created_at',
      ].sort(),
    );
    expect(res.json.run_count).toBeGreaterThanOrEqual(1);
    expect(res.json.run_status_counts.READY).toBeGreaterThanOrEqual(1);
    expect(res.json.oldest_operation_created_at).toBeNull();
    expect(res.json.store_backend).toBe(backend === 'postgres' ? 'POSTGRES' : 'EMBEDDED_POSTGRES');
  });

  it('closes every supportability route with its gate code', async () => {
    await t.restart({ DPM_SUPPORT_APIS_ENABLED: 'false' });
    for (const url of [
      '/rebalance/runs',
      `/rebalance/runs/${runId}`,
      `/rebalance/runs/${runId}/artifact`,
      '/rebalance/supportability/summary',
    ])
      expect((await t.get(url)).json).toEqual({ detail: 'DPM_SUPPORT_APIS_DISABLED' });
    expect((await t.get('/rebalance/runs?limit=0')).status).toBe(422); // validation first
    await t.restart({
      DPM_ARTIFACTS_ENABLED: '',
      DPM_SUPPORT_BUNDLE_APIS_ENABLED: 'off',
      DPM_SUPPORTABILITY_SUMMARY_APIS_ENABLED: '0',
    });
    expect((await t.get(`/rebalance/runs/${runId}/artifact`)).json).toEqual({
      detail: 'DPM_ARTIFACTS_DISABLED',
    });
    expect((await t.get(`/rebalance/runs/${runId}/support-bundle`)).json).toEqual({
      detail: 'DPM_SUPPORT_BUNDLE_APIS_DISABLED',
    });
    expect((await t.get('/rebalance/supportability/summary')).json).toEqual({
      detail: 'DPM_SUPPORTABILITY_SUMMARY_APIS_DISABLED',
    });
    await t.restart({});
  });

  it('persists artifacts in PERSISTED mode and backfills runs without one', async () => {
    await t.restart({ DPM_ARTIFACT_STORE_MODE: 'persisted' });
    const derived = await t.get(`/rebalance/runs/${runId}/artifact`);
    const stored = await t.store.db.query<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM dpm_run_artifacts WHERE rebalance_run_id = $1',
      [runId],
    );
    expect(stored[0]!.n).toBe(1);
    expect((await t.get(`/rebalance/runs/${runId}/artifact`)).text).toBe(derived.text);
    await t.restart({});
  });

  it('purges runs older than the retention period with their records', async () => {
    const old = await t.post('/rebalance/simulate', BODY_27.replace('"2000"', '"9000"'), {
      'Idempotency-Key': 'old-run',
      'X-Correlation-Id': 'old-corr',
    });
    const oldId = old.json.rebalance_run_id;
    now = new Date(now.getTime() + 3 * 86_400_000);
    await t.restart({
      DPM_SUPPORTABILITY_RETENTION_DAYS: '2',
      DPM_LINEAGE_APIS_ENABLED: 'true',
      DPM_IDEMPOTENCY_HISTORY_APIS_ENABLED: 'true',
    });
    expect((await t.get(`/rebalance/runs/${oldId}`)).status).toBe(404);
    expect((await t.get('/rebalance/runs/idempotency/old-run')).status).toBe(404);
    expect((await t.get('/rebalance/idempotency/old-run/history')).status).toBe(404);
    expect((await t.get('/rebalance/lineage/old-corr')).json.edges).toEqual([]);
    expect((await t.get('/rebalance/runs?limit=200')).json.items).toEqual([]);
    expect((await t.get('/rebalance/supportability/summary')).json.retention_days).toBe(2);
    await t.restart({});
  });
});

describe('service plumbing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('embedded');
  });
  afterAll(async () => t.close());

  it('answers health checks', async () => {
    expect((await t.get('/health/live')).json).toEqual({ status: 'ok' });
    expect((await t.get('/health/ready')).json).toEqual({ status: 'ok', database: 'ok' });
  });

  it('publishes an OpenAPI 3.1 document with every route, and the reference page', async () => {
    const doc = (await t.get('/openapi.json')).json;
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/rebalance/simulate',
      '/rebalance/analyze',
      '/rebalance/runs',
      '/rebalance/runs/{rebalance_run_id}',
      '/rebalance/runs/by-correlation/{correlation_id}',
      '/rebalance/runs/by-request-hash/{request_hash}',
      '/rebalance/runs/idempotency/{idempotency_key}',
      '/rebalance/idempotency/{idempotency_key}/history',
      '/rebalance/runs/{rebalance_run_id}/artifact',
      '/rebalance/runs/{rebalance_run_id}/support-bundle',
      '/rebalance/runs/by-operation/{operation_id}/support-bundle',
      '/rebalance/lineage/{entity_id}',
      '/rebalance/supportability/summary',
    ])
      expect(doc.paths[path], path).toBeDefined();
    const simulate = doc.paths['/rebalance/simulate'].post;
    const component = (schema: { $ref: string }) => doc.components.schemas[schema.$ref.split('/').pop()!];
    expect(
      component(simulate.requestBody.content['application/json'].schema).properties.options,
    ).toBeDefined();
    expect(
      component(simulate.responses['200'].content['application/json'].schema).properties.status.description,
    ).toBeTruthy();
    expect((await t.get('/docs/')).status).toBe(200);
  });
});
