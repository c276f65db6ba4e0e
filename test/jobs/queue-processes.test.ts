/**
 * The queue across processes: a server killed with SIGKILL while analyses run loses none and
 * finishes none twice after a restart (recovered by operation leases within seconds, not by the
 * queue's 15-minute job timeout); two `keel worker` processes share 200 jobs with no job
 * done twice.
 */
import { describe, expect, it } from 'vitest';
import { OperationService } from '../../src/api/dpm/operations.js';
import { DpmService } from '../../src/api/dpm/service.js';
import { EnginePool } from '../../src/compute/engine-pool.js';
import { analyzeRequestSchema } from '../../src/contracts/dpm-analyze.js';
import { validate } from '../../src/contracts/parse.js';
import type { Database } from '../../src/store/database.js';
import { generateRequest } from '../../src/tools/generate-request.js';
import { readFixture } from '../support/fixtures.js';
import { serveKeel, spawnKeel, stopKeel } from '../support/process.js';
import {
  allSettled,
  countReaches,
  processDatabase,
  workersStarted,
  withWorkerStore,
} from '../support/queue.js';
import { BACKENDS } from '../support/store.js';

const QUEUE_ENV = {
  DPM_ASYNC_EXECUTION_MODE: 'QUEUED',
  KEEL_QUEUE_MAINTENANCE_SECONDS: '1',
  KEEL_JOB_RETRY_DELAY_SECONDS: '1',
  LOG_LEVEL: 'info',
};

/** Operations and, per operation, how many scenario runs were recorded. */
async function operationReport(db: Database, ids: string[]) {
  return db.query<{ operation_id: string; status: string; runs: number }>(
    `SELECT o.operation_id, o.status,
            (SELECT COUNT(*)::int FROM dpm_runs r WHERE starts_with(r.correlation_id, o.correlation_id || ':')) AS runs
     FROM dpm_async_operations o WHERE o.operation_id = ANY($1)`,
    [ids],
  );
}

describe.each(BACKENDS)('queue across processes (%s)', (backend) => {
  const database = processDatabase(backend, 'keel-queue-crash-');

  it('a SIGKILLed server loses no accepted analysis and finishes none twice', async () => {
    let env = await database.open(QUEUE_ENV);
    // Batches heavy enough (100 positions, 4 scenarios) that several are in flight at the kill.
    const base = generateRequest({ positions: 100, seed: 3, constraints: true });
    const body = JSON.stringify({
      ...base,
      options: undefined,
      scenarios: {
        a: { options: {} },
        b: { options: { max_turnover_pct: '0.1' } },
        c: { options: { target_method: 'SOLVER' } },
        d: { options: base.options },
      },
    });
    // The job timeout stays at its 900 s default: the operation lease (2 s here) must notice the
    // dead worker, not the queue's backstop.
    env = { ...env, KEEL_OPERATION_LEASE_SECONDS: '2' };
    const first = await serveKeel({ ...env, KEEL_WORKER_CONCURRENCY: '2' });
    const accepted: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`http://127.0.0.1:${first.port}/rebalance/analyze/async`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Correlation-Id': `crash-op-${i}` },
        body,
      });
      expect(res.status).toBe(202);
      accepted.push(((await res.json()) as { operation_id: string }).operation_id);
    }
    await stopKeel(first.child, 'SIGKILL');

    const second = await serveKeel({ ...env, KEEL_WORKER_CONCURRENCY: '2' });
    const statusOf = async (id: string) =>
      (
        (await (await fetch(`http://127.0.0.1:${second.port}/rebalance/operations/${id}`)).json()) as {
          status: string;
        }
      ).status;
    const statuses = await allSettled(accepted, statusOf, 60_000);
    await stopKeel(second.child);
    expect(statuses).toEqual(accepted.map(() => 'SUCCEEDED'));
    const report = await database.inspect((db) => operationReport(db, accepted));
    expect(report).toHaveLength(30);
    for (const row of report)
      expect(row.runs, `operation ${row.operation_id} finished more than once`).toBe(4);
  }, 120_000);

  it.runIf(backend === 'postgres')(
    'two worker processes share 200 jobs, none done twice',
    () =>
      withWorkerStore(QUEUE_ENV, '2', async ({ store: workerStore, env, queue }) => {
        await queue.ensureQueue('dpm-analyze-scenarios');
        const operations = new OperationService(
          new DpmService(workerStore.db, {}, new EnginePool({ threads: 0 })),
          { DPM_ASYNC_EXECUTION_MODE: 'QUEUED' },
          queue,
        );
        const parsed = validate(
          analyzeRequestSchema,
          readFixture('demo', '26_dpm_async_batch_analysis.json'),
        );
        if (!parsed.ok) throw new Error('demo 26 invalid');
        // Both workers are up before the first job exists, so on a busy machine a slow-starting
        // worker cannot find the queue already drained by the other one.
        const workers = [spawnKeel(['worker'], env), spawnKeel(['worker'], env)];
        await workersStarted(workers);
        const ids: string[] = [];
        for (let i = 0; i < 200; i++)
          ids.push((await operations.submit('default', parsed.value, `shared-${i}`)).operation_id);
        await queue.stop(false);

        const done = await countReaches(
          workerStore.db,
          "SELECT COUNT(*)::int AS n FROM dpm_async_operations WHERE status IN ('SUCCEEDED', 'FAILED')",
          200,
          90_000,
        );
        await Promise.all(workers.map((w) => stopKeel(w.child)));
        expect(done).toBe(200);
        const report = await operationReport(workerStore.db, ids);
        expect(report.every((r) => r.status === 'SUCCEEDED' && r.runs === 1)).toBe(true);
        const attempts = await workerStore.db.query<{ attempts: number }>(
          'SELECT attempts FROM dpm_async_operations',
        );
        expect(attempts.every((a) => a.attempts === 1)).toBe(true);
        const perWorker = workers.map((w) => (w.output().match(/operation succeeded/g) ?? []).length);
        expect(perWorker[0]! + perWorker[1]!).toBe(200);
        expect(Math.min(...perWorker)).toBeGreaterThan(0);
      }),
    150_000,
  );
});
