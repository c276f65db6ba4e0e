/**
 * Scenario runs across processes: a `keel serve` killed with SIGKILL while runs are queued and
 * running loses none and finishes none twice after a restart; two `keel worker` processes share
 * 200 runs with none done twice.
 */
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/api/metrics.js';
import { ScenarioCache } from '../../src/api/scenarios/cache.js';
import { SCENARIO_QUEUE, ScenarioService } from '../../src/api/scenarios/service.js';
import { validate } from '../../src/contracts/parse.js';
import { scenarioCreateSchema } from '../../src/contracts/scenario.js';
import type { Database } from '../../src/store/database.js';
import { generateRequest } from '../../src/tools/generate-request.js';
import { serveKeel, spawnKeel, stopKeel } from '../support/process.js';
import { scenarioBase } from '../support/scenarios.js';
import { allSettled, countReaches, processDatabase, withWorkerStore } from '../support/queue.js';
import { BACKENDS } from '../support/store.js';

const QUEUE_ENV = {
  KEEL_JOB_TIMEOUT_SECONDS: '3',
  KEEL_QUEUE_MAINTENANCE_SECONDS: '1',
  KEEL_JOB_RETRY_DELAY_SECONDS: '1',
  KEEL_AUTH_DISABLED: '1',
  KEEL_RATE_LIMIT_WRITE_PER_MINUTE: '0',
  KEEL_RATE_LIMIT_READ_PER_MINUTE: '0',
  LOG_LEVEL: 'info',
};

/** Per run: its state, output rows and recorded engine runs. */
async function runReport(db: Database, ids: string[]) {
  return db.query<{ run_id: string; state: string; attempts: number; outputs: number; engine_runs: number }>(
    `SELECT r.run_id, r.state, r.attempts,
            (SELECT COUNT(*)::int FROM scenario_outputs o WHERE o.run_id = r.run_id) AS outputs,
            (SELECT COUNT(*)::int FROM dpm_runs d WHERE d.correlation_id = r.run_id) AS engine_runs
     FROM scenario_runs r WHERE r.run_id = ANY($1)`,
    [ids],
  );
}

describe.each(BACKENDS)('scenario runs across processes (%s)', (backend) => {
  const database = processDatabase(backend, 'keel-scenario-crash-');

  it('a SIGKILLed server loses no accepted run and finishes none twice', async () => {
    const env = await database.open(QUEUE_ENV);
    // Runs heavy enough (150 positions, the SOLVER) that some are running at the kill.
    const base = generateRequest({ positions: 150, seed: 5, constraints: true });
    const first = await serveKeel({ ...env, KEEL_WORKER_CONCURRENCY: '2' });
    const http = (port: number, method: string, path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const created = await http(first.port, 'POST', '/v1/scenarios', {
      name: 'crash',
      base,
      assumptions: [
        { driver_type: 'market_shock', payload: { scope: 'all', shock_pct: '-5' } },
        { driver_type: 'options', payload: { target_method: 'SOLVER' } },
      ],
    });
    expect(created.status).toBe(201);
    const scenarioId = ((await created.json()) as { id: string }).id;
    const accepted: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await http(first.port, 'POST', `/v1/scenarios/${scenarioId}/run`, {
        code_version: `crash-${i}`,
      });
      expect(res.status).toBe(202);
      accepted.push(((await res.json()) as { id: string }).id);
    }
    await stopKeel(first.child, 'SIGKILL');

    const second = await serveKeel({ ...env, KEEL_WORKER_CONCURRENCY: '2' });
    const stateOf = async (id: string) =>
      (
        (await (await http(second.port, 'GET', `/v1/scenarios/${scenarioId}/runs/${id}`)).json()) as {
          state: string;
        }
      ).state;
    const states = await allSettled(accepted, stateOf, 90_000);
    await stopKeel(second.child);
    expect(states).toEqual(accepted.map(() => 'SUCCEEDED'));
    const report = await database.inspect((db) => runReport(db, accepted));
    expect(report).toHaveLength(20);
    for (const row of report) {
      expect(row.outputs, `run ${row.run_id} wrote outputs more than once`).toBe(10);
      expect(row.engine_runs, `run ${row.run_id} recorded more than one engine run`).toBe(1);
    }
  }, 180_000);

  it.runIf(backend === 'postgres')(
    'two worker processes share 200 runs, none done twice',
    () =>
      withWorkerStore(QUEUE_ENV, '2', async ({ store: workerStore, env, queue }) => {
        await queue.ensureQueue(SCENARIO_QUEUE);
        const metrics = new Metrics();
        const quiet = { info: () => undefined, warn: () => undefined };
        const service = new ScenarioService(
          workerStore.db,
          queue,
          new ScenarioCache({ prefix: 'test:', ttlSeconds: 1 }, metrics, quiet),
          metrics,
        );
        const caller = { tenant: 'default', actor: null, log: quiet };
        const body = validate(scenarioCreateSchema, { name: 'shared', base: scenarioBase() });
        if (!body.ok) throw new Error(JSON.stringify(body.errors));
        const { scenario } = await service.create(caller, body.value);
        const ids: string[] = [];
        for (let batch = 0; batch < 2; batch++) {
          const runs = await service.requestRuns(
            caller,
            scenario.scenario_id,
            Array.from({ length: 100 }, (_, i) => ({ code_version: `shared-${batch}-${i}` })),
          );
          ids.push(...runs.map((r) => r.run.run_id));
        }
        expect(new Set(ids).size).toBe(200);
        await queue.stop(false);

        const workers = [spawnKeel(['worker'], env), spawnKeel(['worker'], env)];
        const done = await countReaches(
          workerStore.db,
          "SELECT COUNT(*)::int AS n FROM scenario_runs WHERE state IN ('SUCCEEDED', 'FAILED')",
          200,
          120_000,
        );
        await Promise.all(workers.map((w) => stopKeel(w.child)));
        expect(done).toBe(200);
        const report = await runReport(workerStore.db, ids);
        expect(report.filter((r) => r.state !== 'SUCCEEDED')).toEqual([]);
        expect(report.filter((r) => r.attempts !== 1 || r.outputs !== 10 || r.engine_runs !== 1)).toEqual([]);
        const perWorker = workers.map((w) => (w.output().match(/scenario run succeeded/g) ?? []).length);
        expect(perWorker[0]! + perWorker[1]!).toBe(200);
        expect(Math.min(...perWorker)).toBeGreaterThan(0);
      }),
    180_000,
  );
});
