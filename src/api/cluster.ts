/**
 * `keel serve`: one process by default; with `KEEL_WORKERS=N` and a PostgreSQL server
 * (`DATABASE_URL`), a primary applies migrations once and forks N workers that share the port,
 * so every core serves requests. The embedded store belongs to one process, so it always runs
 * a single worker. Workers that die unexpectedly are replaced.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { envInt, envText } from './config.js';
import { openStore, readServerConfig, startServer } from './server.js';

export async function serve(env = process.env): Promise<void> {
  const requested =
    envText(env, 'KEEL_WORKERS') === 'auto' ? availableParallelism() : envInt(env, 'KEEL_WORKERS', 1, 1);
  const config = readServerConfig(env);
  if (requested <= 1 || !cluster.isPrimary) {
    await startServer(env);
    return;
  }
  if (!config.databaseUrl) {
    process.stderr.write(
      'keel: KEEL_WORKERS > 1 needs DATABASE_URL (the embedded store is single-process); starting one worker\n',
    );
    await startServer(env);
    return;
  }
  const db = await openStore(config); // migrations once, before any worker listens
  await db.close();
  let stopping = false;
  for (let i = 0; i < requested; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    process.stderr.write(`keel: worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
    cluster.fork();
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const)
    process.once(sig, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(sig);
      const check = setInterval(() => {
        if (Object.keys(cluster.workers ?? {}).length === 0) {
          clearInterval(check);
          process.exit(0);
        }
      }, 50);
    });
}
