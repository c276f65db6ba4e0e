/**
 * Durability under a killed process: a server is SIGKILLed while simulate calls are in flight,
 * then restarted on the same store. Every acknowledged run must be there, and every recorded
 * run must be whole (its idempotency mapping, history row and lineage edges), because each
 * recording is one transaction.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { readFixtureText } from '../support/fixtures.js';
import { serveKeel, stopKeel } from '../support/process.js';
import { BACKENDS, openTestStore, type TestStore } from '../support/store.js';

const body = (i: number) =>
  readFixtureText('demo', '01_standard_drift.json').replace(
    '"portfolio_id": "demo_01"',
    `"portfolio_id": "crash_${i}"`,
  );

describe.each(BACKENDS)('a killed server loses nothing it acknowledged (%s)', (backend) => {
  let store: TestStore | null = null;
  let dataDir: string | null = null;
  afterAll(async () => {
    await store?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged run whole after SIGKILL and restart', async () => {
    let env: Record<string, string>;
    if (backend === 'postgres') {
      store = await openTestStore('postgres');
      env = { DATABASE_URL: store.url! };
    } else {
      dataDir = mkdtempSync(join(tmpdir(), 'keel-crash-'));
      env = { KEEL_DATA_DIR: dataDir, DATABASE_URL: '' };
    }
    const { child, port } = await serveKeel(env);
    const acknowledged: string[] = [];
    const requests = Array.from({ length: 120 }, (_, i) =>
      fetch(`http://127.0.0.1:${port}/rebalance/simulate`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'Idempotency-Key': `crash-${i}`,
          'X-Correlation-Id': `crash-corr-${i}`,
        },
        body: body(i),
      })
        .then(async (res) => {
          if (res.status === 200)
            acknowledged.push(((await res.json()) as { rebalance_run_id: string }).rebalance_run_id);
        })
        .catch(() => undefined),
    );
    // Kill while calls are still in flight, once some have been acknowledged.
    const exited = new Promise((r) => child.once('exit', r));
    const settledAll = Promise.all(requests);
    let finished = false;
    void settledAll.then(() => (finished = true));
    while (acknowledged.length < 10 && !finished) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await exited;
    await Promise.all(requests);
    expect(acknowledged.length).toBeLessThan(120);

    // Restart on the same store and inspect it.
    const again = await serveKeel(env);
    const health = await fetch(`http://127.0.0.1:${again.port}/health/ready`);
    expect(health.status).toBe(200);
    await stopKeel(again.child);

    const db = backend === 'postgres' ? store!.db : await openDatabase({ dataDir: dataDir! });
    try {
      const runs = await db.query<{ rebalance_run_id: string; idempotency_key: string }>(
        "SELECT rebalance_run_id, idempotency_key FROM dpm_runs WHERE portfolio_id LIKE 'crash_%'",
      );
      const ids = new Set(runs.map((r) => r.rebalance_run_id));
      for (const id of acknowledged) expect(ids.has(id), `acknowledged run ${id} was lost`).toBe(true);
      for (const run of runs) {
        const [mapping] = await db.query<{ n: number }>(
          'SELECT COUNT(*)::int AS n FROM dpm_run_idempotency WHERE idempotency_key = $1 AND rebalance_run_id = $2',
          [run.idempotency_key, run.rebalance_run_id],
        );
        const [history] = await db.query<{ n: number }>(
          'SELECT COUNT(*)::int AS n FROM dpm_run_idempotency_history WHERE rebalance_run_id = $1',
          [run.rebalance_run_id],
        );
        const [edges] = await db.query<{ n: number }>(
          'SELECT COUNT(*)::int AS n FROM dpm_lineage_edges WHERE target_entity_id = $1',
          [run.rebalance_run_id],
        );
        expect([mapping!.n, history!.n, edges!.n]).toEqual([1, 1, 2]);
      }
      const [orphans] = await db.query<{ n: number }>(
        "SELECT COUNT(*)::int AS n FROM dpm_run_idempotency m WHERE m.idempotency_key LIKE 'crash-%' AND NOT EXISTS (SELECT 1 FROM dpm_runs r WHERE r.rebalance_run_id = m.rebalance_run_id)",
      );
      expect(orphans!.n).toBe(0);
      expect(acknowledged.length).toBeGreaterThan(0);
    } finally {
      if (backend === 'embedded') await db.close();
    }
  }, 60_000);
});
