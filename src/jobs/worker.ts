/**
 * `keel worker`: a process that only runs queued jobs (async analyses, async proposal creates and
 * versions, scenario runs, book chunks), with no HTTP API. Start as many as needed on other machines, all
 * pointed at one PostgreSQL server; each job is done by exactly one of them. SIGTERM lets running
 * jobs finish before exiting. With KEEL_WORKER_METRICS_PORT set, it serves its Prometheus metrics
 * on that port.
 */
import { createServer, type Server } from 'node:http';
import pino from 'pino';
import { DpmService } from '../api/dpm/service.js';
import { ANALYZE_QUEUE, OperationService } from '../api/dpm/operations.js';
import { PROPOSAL_QUEUE, ProposalOperations } from '../api/proposals/operations.js';
import { ProposalLifecycleService } from '../api/proposals/service.js';
import { type Env, envInt, envText } from '../api/config.js';
import { engineFromEnv } from '../api/app.js';
import { Metrics } from '../api/metrics.js';
import { PolicyPackService } from '../api/policies/service.js';
import { readCacheConfig, ScenarioCache } from '../api/scenarios/cache.js';
import { ScenarioRunner } from '../api/scenarios/runner.js';
import { SCENARIO_QUEUE } from '../api/scenarios/service.js';
import { BOOK_QUEUE, BookService } from '../api/books/service.js';
import { openStore, readServerConfig, StartupError } from '../api/server.js';
import { loadSolver } from '../engine/targets/solver.js';
import { JobQueue } from '../store/queue.js';

export async function runWorker(env: Env = process.env): Promise<void> {
  const config = readServerConfig(env);
  if (!config.databaseUrl)
    throw new StartupError(
      'keel worker needs DATABASE_URL: the embedded store belongs to the `keel serve` process, which runs its own workers',
    );
  const log = pino({ level: config.logLevel });
  await loadSolver(); // SOLVER target method, as in `keel serve`
  const db = await openStore(config);
  const queue = await JobQueue.start(db, config.queue);
  await queue.ensureQueue(ANALYZE_QUEUE);
  await queue.ensureQueue(SCENARIO_QUEUE);
  await queue.ensureQueue(PROPOSAL_QUEUE);
  const metrics = new Metrics();
  metrics.watchQueue(queue, [ANALYZE_QUEUE, SCENARIO_QUEUE, PROPOSAL_QUEUE, BOOK_QUEUE]);
  const cache = new ScenarioCache(readCacheConfig(env), metrics, log);
  const engine = engineFromEnv(env);
  const dpm = new DpmService(db, env, engine);
  const operations = new OperationService(dpm, env, queue, log);
  const policies = new PolicyPackService(db, env, log);
  const scenarios = new ScenarioRunner(db, dpm, policies, queue, cache, metrics, log);
  const concurrency = envInt(env, 'KEEL_WORKER_CONCURRENCY', 2, 1);
  await operations.startWorkers(concurrency);
  operations.startRecovery();
  await new ProposalOperations(new ProposalLifecycleService(db, env), queue, log).startWorkers(concurrency);
  await scenarios.startWorkers(concurrency);
  await new BookService(db, queue, engine, env, undefined, log).startWorkers(concurrency);
  const metricsServer = await serveMetrics(env, metrics, config.host);
  log.info(
    { concurrency, metrics_port: metricsServer ? envInt(env, 'KEEL_WORKER_METRICS_PORT', 0) : null },
    'worker started',
  );
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      log.info({ signal }, 'worker stopping');
      operations.stopRecovery();
      metricsServer?.close();
      queue
        .stop()
        .then(() => engine.close())
        .then(() => cache.close())
        .then(() => db.close())
        .then(
          () => process.exit(0),
          () => process.exit(1),
        );
    });
}

/** `GET /metrics` on KEEL_WORKER_METRICS_PORT (unset: no listener). */
async function serveMetrics(env: Env, metrics: Metrics, host: string): Promise<Server | null> {
  if (envText(env, 'KEEL_WORKER_METRICS_PORT') === undefined) return null;
  const port = envInt(env, 'KEEL_WORKER_METRICS_PORT', 0, 0);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}
