/**
 * Simulate's two idempotency paths (docs/decisions/0065): a light request runs the engine before
 * its key is read (the recording claims the key), a heavy one reads the key first. Both must give
 * the same answers: the stored bytes on replay, 409 for another body, one recorded run per key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/store.js';
import { demo, startTestApp, type TestApp } from '../support/http.js';

const BODY = demo('27_dpm_supportability_artifact_flow.json');
const OTHER = BODY.replace('"single_position_max_weight": "0.60"', '"single_position_max_weight": "0.70"');

const PATHS = [
  [
    'light (engine first)',
    {
      KEEL_ENGINE_OFFLOAD_MIN_SIZE: '100000',
      KEEL_ENGINE_THREADS: '0',
      DPM_IDEMPOTENCY_HISTORY_APIS_ENABLED: 'true',
    },
  ],
  [
    'heavy (key read first)',
    {
      KEEL_ENGINE_OFFLOAD_MIN_SIZE: '1',
      KEEL_ENGINE_THREADS: '0',
      DPM_IDEMPOTENCY_HISTORY_APIS_ENABLED: 'true',
    },
  ],
] as const;

describe.each(BACKENDS)('simulate idempotency paths (%s)', (backend) => {
  const apps: Record<string, TestApp> = {};
  beforeAll(async () => {
    for (const [name, env] of PATHS) apps[name] = await startTestApp(backend, env);
  }, 120_000);
  afterAll(async () => {
    for (const t of Object.values(apps)) await t.close();
  });

  it.each(PATHS.map(([name]) => name))('%s: replay, conflict and one recorded run per key', async (name) => {
    const t = apps[name]!;
    expect(OTHER).not.toBe(BODY);
    const first = await t.post('/rebalance/simulate', BODY, { 'Idempotency-Key': 'k-1' });
    expect(first.status).toBe(200);
    const replay = await t.post('/rebalance/simulate', BODY, { 'Idempotency-Key': 'k-1' });
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(first.text);
    const conflict = await t.post('/rebalance/simulate', OTHER, { 'Idempotency-Key': 'k-1' });
    expect(conflict.status).toBe(409);
    expect(conflict.json).toEqual({ detail: 'IDEMPOTENCY_KEY_CONFLICT: request hash mismatch' });
    const history = await t.get('/rebalance/idempotency/k-1/history');
    expect(history.status).toBe(200);
    expect(history.json.history.map((h: { rebalance_run_id: string }) => h.rebalance_run_id)).toEqual([
      first.json.rebalance_run_id,
    ]);
    const runs = await t.get('/rebalance/runs?limit=50');
    expect(runs.json.items).toHaveLength(1);
    // Concurrent first requests under one new key: one run, every answer its bytes.
    const racing = await Promise.all(
      Array.from({ length: 6 }, () => t.post('/rebalance/simulate', BODY, { 'Idempotency-Key': 'k-race' })),
    );
    expect(racing.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(new Set(racing.map((r) => r.text)).size).toBe(1);
    expect((await t.get('/rebalance/runs?limit=50')).json.items).toHaveLength(2);
  });
});
