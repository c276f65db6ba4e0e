/**
 * Starting and stopping the service: configuration from the environment, the production
 * guardrails, migrations before the first request, graceful shutdown that finishes in-flight
 * requests.
 */
import type { FastifyInstance } from 'fastify';
import {
  DatabaseOpenError,
  DEFAULT_MIN_FREE_BYTES,
  DEFAULT_TIMEOUTS,
  describe,
  openDatabase,
  type Database,
  type DatabaseTimeouts,
} from '../store/database.js';
import { migrate, MigrationError } from '../store/migrations.js';
import { storeFault } from '../store/errors.js';
import { loadSolver } from '../engine/targets/solver.js';
import { DEFAULT_QUEUE_CONFIG, JobQueue, type QueueConfig } from '../store/queue.js';
import { buildApp, DEFAULT_BODY_LIMIT } from './app.js';
import { type AuthConfig, readAuthConfig } from './auth.js';
import { type Env, envInt, envText } from './config.js';

export interface ServerConfig {
  host: string;
  /** Queue workers in this process. */
  workers: number;
  queue: Partial<QueueConfig>;
  port: number;
  databaseUrl?: string;
  dataDir: string;
  bodyLimit: number;
  logLevel: string;
  /** Server pool size (DATABASE_URL). */
  poolSize: number;
  timeouts: DatabaseTimeouts;
  /** Embedded store: least free disk space for readiness, bytes. */
  minFreeBytes: number;
}

export class StartupError extends Error {}

export function readServerConfig(env: Env): ServerConfig {
  const config: ServerConfig = {
    host: envText(env, 'HOST') ?? '127.0.0.1',
    workers: envInt(env, 'KEEL_WORKER_CONCURRENCY', 2, 0),
    queue: queueConfig(env),
    port: envInt(env, 'PORT', 8000, 0),
    databaseUrl: envText(env, 'DATABASE_URL'),
    dataDir: envText(env, 'KEEL_DATA_DIR') ?? './data',
    bodyLimit: envInt(env, 'KEEL_MAX_BODY_BYTES', DEFAULT_BODY_LIMIT, 1024),
    logLevel: envText(env, 'LOG_LEVEL') ?? 'info',
    poolSize: envInt(env, 'KEEL_DB_POOL_SIZE', 10, 1),
    timeouts: {
      connectMs: envInt(env, 'KEEL_DB_CONNECT_TIMEOUT_MS', DEFAULT_TIMEOUTS.connectMs, 100),
      statementMs: envInt(env, 'KEEL_DB_STATEMENT_TIMEOUT_MS', DEFAULT_TIMEOUTS.statementMs, 100),
    },
    minFreeBytes: envInt(env, 'KEEL_MIN_FREE_DISK_MB', DEFAULT_MIN_FREE_BYTES / 1048576, 0) * 1048576,
  };
  // Production profile (spec 30 §12.7, spec 40 §22): Keel has one store, so PRODUCTION means a
  // PostgreSQL server must be configured.
  if (envText(env, 'APP_PERSISTENCE_PROFILE')?.toUpperCase() === 'PRODUCTION' && !config.databaseUrl)
    throw new StartupError(
      'PERSISTENCE_PROFILE_REQUIRES_DPM_POSTGRES_DSN: set DATABASE_URL to a PostgreSQL server',
    );
  return config;
}

export function queueConfig(env: Env): Partial<QueueConfig> {
  return {
    schema: envText(env, 'KEEL_QUEUE_SCHEMA') ?? DEFAULT_QUEUE_CONFIG.schema,
    retryLimit: envInt(env, 'KEEL_JOB_RETRY_LIMIT', DEFAULT_QUEUE_CONFIG.retryLimit, 0),
    retryDelaySeconds: envInt(env, 'KEEL_JOB_RETRY_DELAY_SECONDS', DEFAULT_QUEUE_CONFIG.retryDelaySeconds, 1),
    expireInSeconds: envInt(env, 'KEEL_JOB_TIMEOUT_SECONDS', DEFAULT_QUEUE_CONFIG.expireInSeconds, 1),
    maintenanceSeconds: envInt(
      env,
      'KEEL_QUEUE_MAINTENANCE_SECONDS',
      DEFAULT_QUEUE_CONFIG.maintenanceSeconds,
      1,
    ),
  };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * Refuse to serve a network without authentication: with no auth configured the service may only
 * listen on a loopback address (and says so loudly); KEEL_AUTH_DISABLED=1 is an explicit choice.
 */
export function checkAuthStartup(host: string, auth: AuthConfig): string | null {
  if (auth.mode !== 'unconfigured') return null;
  if (!LOOPBACK.test(host))
    throw new StartupError(
      `AUTH_NOT_CONFIGURED: refusing to listen on ${host} without authentication; set KEEL_JWT_SECRET or KEEL_JWT_JWKS_URL, or KEEL_AUTH_DISABLED=1`,
    );
  return 'AUTHENTICATION IS NOT CONFIGURED: every request is trusted (loopback only). Set KEEL_JWT_SECRET or KEEL_JWT_JWKS_URL before exposing this service.';
}

export async function openStore(
  config: Pick<ServerConfig, 'databaseUrl' | 'dataDir'> & Partial<ServerConfig>,
): Promise<Database> {
  const db = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.poolSize,
    timeouts: config.timeouts,
    minFreeBytes: config.minFreeBytes,
  });
  try {
    await migrate(db);
  } catch (error) {
    await db.close().catch(() => undefined);
    if (error instanceof MigrationError)
      throw new DatabaseOpenError(
        `${error.message}: the database was migrated by a different Keel; restore it or use another database`,
      );
    if (storeFault(error))
      throw new DatabaseOpenError(
        `cannot reach the ${config.databaseUrl ? 'PostgreSQL server (DATABASE_URL)' : 'embedded database'}: ${describe(error)}. Check that it is running and reachable, then start again.`,
      );
    throw error;
  }
  return db;
}

export async function startServer(
  env: Env = process.env,
): Promise<{ app: FastifyInstance; db: Database; close: () => Promise<void> }> {
  const config = readServerConfig(env);
  const authWarning = checkAuthStartup(config.host, readAuthConfig(env));
  await loadSolver();
  const db = await openStore(config);
  const queue = await JobQueue.start(db, config.queue);
  const app = await buildApp({
    db,
    env,
    queue,
    workers: config.workers,
    bodyLimit: config.bodyLimit,
    logger: { level: config.logLevel },
  });
  if (authWarning) app.log.warn(authWarning);
  await app.listen({ host: config.host, port: config.port });
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await app.drain(); // new requests get 503; in-flight ones finish and are fully sent
      await app.close();
      await queue.stop(); // lets running jobs finish
      await db.close();
    })());
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      app.log.info({ signal }, 'shutting down');
      close().then(
        () => {
          // Let buffered responses drain; exit by itself once every handle is closed.
          process.exitCode = 0;
          setTimeout(() => process.exit(0), 10_000).unref();
        },
        (error: unknown) => {
          app.log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  return { app, db, close };
}
