/**
 * `keel worker`: a process that only runs queued jobs (async analyses, async proposal creates and
 * versions), with no HTTP listener.
 * Start as many as needed on other machines, all pointed at one PostgreSQL server; each job is
 * done by exactly one of them. SIGTERM lets running jobs finish before exiting.
 */
import pino from 'pino';
import { DpmService } from '../api/dpm/service.js';
import { ANALYZE_QUEUE, OperationService } from '../api/dpm/operations.js';
import { PROPOSAL_QUEUE, ProposalOperations } from '../api/proposals/operations.js';
import { ProposalLifecycleService } from '../api/proposals/service.js';
import { type Env, envInt } from '../api/config.js';
import { openStore, readServerConfig, StartupError } from '../api/server.js';
import { engineFromEnv } from '../api/app.js';
import { JobQueue } from '../store/queue.js';

export async function runWorker(env: Env = process.env): Promise<void> {
  const config = readServerConfig(env);
  if (!config.databaseUrl)
    throw new StartupError(
      'keel worker needs DATABASE_URL: the embedded store belongs to the `keel serve` process, which runs its own workers',
    );
  const log = pino({ level: config.logLevel });
  const db = await openStore(config);
  const queue = await JobQueue.start(db, config.queue);
  await queue.ensureQueue(ANALYZE_QUEUE);
  const engine = engineFromEnv(env);
  const operations = new OperationService(new DpmService(db, env, engine), env, queue, log);
  const concurrency = envInt(env, 'KEEL_WORKER_CONCURRENCY', 2, 1);
  await operations.startWorkers(concurrency);
  operations.startRecovery();
  await queue.ensureQueue(PROPOSAL_QUEUE);
  await new ProposalOperations(new ProposalLifecycleService(db, env), queue, log).startWorkers(concurrency);
  log.info({ concurrency }, 'worker started');
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      log.info({ signal }, 'worker stopping');
      operations.stopRecovery();
      queue
        .stop()
        .then(() => engine.close())
        .then(() => db.close())
        .then(
          () => process.exit(0),
          () => process.exit(1),
        );
    });
}
