/**
 * Queue tests across `keel` processes: the database the processes share (per backend), worker
 * start-up and waiting for accepted work to settle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openDatabase, type Database } from '../../src/store/database.js';
import { JobQueue } from '../../src/store/queue.js';
import { poll } from './poll.js';
import type { KeelProcess } from './process.js';
import { openTestStore, type Backend, type TestStore } from './store.js';

/** The env that points a `keel` process at a PostgreSQL test store and its queue schema. */
export function storeEnv(store: TestStore): Record<string, string> {
  return { DATABASE_URL: store.url!, KEEL_QUEUE_SCHEMA: store.queueSchema };
}

/**
 * The database of a describe block's processes: a PostgreSQL test store or an embedded data
 * directory (prefix `prefix`), dropped after the block. Call inside `describe`.
 */
export function processDatabase(backend: Backend, prefix: string) {
  let store: TestStore | null = null;
  let dataDir: string | null = null;
  afterAll(async () => {
    await store?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    /** The PostgreSQL test store once `open` ran on that backend (null when embedded). */
    get store(): TestStore | null {
      return store;
    },
    /** Creates the database; returns `env` plus what points a process at it. */
    async open(env: Record<string, string>): Promise<Record<string, string>> {
      if (backend === 'postgres') {
        store = await openTestStore('postgres');
        return { ...env, ...storeEnv(store) };
      }
      dataDir = mkdtempSync(join(tmpdir(), prefix));
      return { ...env, DATABASE_URL: '', KEEL_DATA_DIR: dataDir };
    },
    /** Runs `fn` on the database (an embedded one only after its processes stopped; closed after). */
    async inspect<T>(fn: (db: Database) => Promise<T>): Promise<T> {
      const db = store?.db ?? (await openDatabase({ dataDir: dataDir! }));
      try {
        return await fn(db);
      } finally {
        if (!store) await db.close();
      }
    },
  };
}

/** Resolves once every worker logged `worker started`; throws if one exits or 60 s pass. */
export async function workersStarted(workers: KeelProcess[]): Promise<void> {
  const startBy = Date.now() + 60_000;
  while (!workers.every((w) => w.output().includes('worker started'))) {
    if (Date.now() > startBy || workers.some((w) => w.child.exitCode !== null))
      throw new Error(`workers did not start: ${workers.map((w) => w.output()).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls every id's status (every 250 ms) until all are SUCCEEDED or FAILED; the last statuses. */
export function allSettled(
  ids: string[],
  statusOf: (id: string) => Promise<string>,
  timeoutMs: number,
): Promise<string[]> {
  return poll(
    () => Promise.all(ids.map(statusOf)),
    (statuses) => statuses.every((s) => s === 'SUCCEEDED' || s === 'FAILED'),
    timeoutMs,
    250,
  );
}

/** Polls a `COUNT(*)::int AS n` query (every 250 ms) until it reaches `expected`; the last count. */
export function countReaches(
  db: Database,
  sql: string,
  expected: number,
  timeoutMs: number,
): Promise<number> {
  return poll(
    async () => (await db.query<{ n: number }>(sql))[0]!.n,
    (n) => n === expected,
    timeoutMs,
    250,
  );
}

/**
 * Runs `fn` on a fresh PostgreSQL test store (dropped afterwards) with a started queue there and
 * the env of `keel worker` processes on it (`env` plus the store and KEEL_WORKER_CONCURRENCY).
 */
export async function withWorkerStore<T>(
  env: Record<string, string>,
  concurrency: string,
  fn: (shared: { store: TestStore; env: Record<string, string>; queue: JobQueue }) => Promise<T>,
): Promise<T> {
  const store = await openTestStore('postgres');
  try {
    const workerEnv = { ...env, ...storeEnv(store), KEEL_WORKER_CONCURRENCY: concurrency };
    const queue = await JobQueue.start(store.db, { schema: store.queueSchema });
    return await fn({ store, env: workerEnv, queue });
  } finally {
    await store.drop();
  }
}
