/**
 * One SQL dialect (PostgreSQL), two ways to reach it: embedded PGlite (a data directory, or
 * memory for tests) by default, or a PostgreSQL server through a `pg` pool when a URL is given.
 * Repositories see only this interface.
 */
import { mkdirSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as pgliteParse, PGlite, protocol } from '@electric-sql/pglite';
import pg from 'pg';
import { DataDirLockedError, lockDataDir } from './data-dir-lock.js';
import { storeFault, type StoreFault } from './errors.js';

export interface QueryOptions {
  /**
   * Name a hot statement whose text never varies for that name: on a PostgreSQL server each
   * connection parses and plans it once and then only binds and executes it (a prepared
   * statement). The embedded store prepares it too and runs it in one protocol call when every
   * parameter is text, a Date or null. Wrappers may drop it; the result is the same.
   */
  name?: string;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<T[]>;
}

export interface Readiness {
  ready: boolean;
  /** Why not: a store fault, or `unreachable`. */
  reason?: StoreFault | 'unreachable';
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Whether the database answers and a write commits (and, embedded, the disk has room). */
  readiness(): Promise<Readiness>;
  /** Run `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Run several statements (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Storage faults seen on real work (a full disk, corruption) make readiness fail: corruption or
 * an I/O error until restart; a full disk until the statement that failed succeeds again (space
 * was freed) or a minute passes without another such failure.
 */
class FaultLatch {
  private fault: StoreFault | null = null;
  private failedSql: string | null = null;
  private at = 0;

  observe(error: unknown, sql?: string): never {
    const fault = storeFault(error);
    if (fault === 'storage_fault') this.fault = fault;
    else if (fault === 'storage_full' && this.fault !== 'storage_fault') {
      this.fault = fault;
      this.failedSql = sql ?? this.failedSql;
      this.at = Date.now();
    }
    throw error;
  }

  succeeded(sql: string): void {
    if (this.fault === 'storage_full' && sql === this.failedSql) this.fault = null;
  }

  get current(): StoreFault | null {
    if (this.fault === 'storage_full' && Date.now() - this.at > 60_000) this.fault = null;
    return this.fault;
  }
}

/** Run one statement, telling the latch how it went. */
async function observed<T>(latch: FaultLatch, sql: string, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    latch.succeeded(sql);
    return result;
  } catch (error) {
    return latch.observe(error, sql);
  }
}

/** The readiness write: one row updated in its own transaction. */
const READINESS_PROBE = `INSERT INTO keel_readiness (id, checked_at) VALUES (1, now())
  ON CONFLICT (id) DO UPDATE SET checked_at = EXCLUDED.checked_at`;

async function probe(
  db: Database,
  latch: FaultLatch,
  extra?: () => Promise<StoreFault | null>,
): Promise<Readiness> {
  try {
    await db.query(READINESS_PROBE);
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') {
      // Not migrated yet: the database answers, which is all readiness can say.
      await db.query('SELECT 1').catch(() => undefined);
    } else return { ready: false, reason: storeFault(error) ?? 'unreachable' };
  }
  const limited = extra ? await extra() : null;
  if (limited) return { ready: false, reason: limited };
  return latch.current ? { ready: false, reason: latch.current } : { ready: true };
}

/** PGlite 0.5's locks, as its own `query` takes them (not in its typings). */
interface PgliteLocks {
  _runExclusiveTransaction<R>(work: () => Promise<R>): Promise<R>;
  _runExclusiveQuery<R>(work: () => Promise<R>): Promise<R>;
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  private readonly latch = new FaultLatch();
  constructor(
    private readonly db: PGlite,
    private readonly dataDir: string | undefined,
    private readonly minFreeBytes: number,
    private readonly unlock: () => void,
  ) {}

  async query<T>(sql: string, params: unknown[] = [], options?: QueryOptions): Promise<T[]> {
    const name = options?.name;
    if (name && params.every((p) => p === null || typeof p === 'string' || p instanceof Date))
      // Dates as PGlite's own serialiser sends them (ISO text).
      return observed(this.latch, sql, () =>
        this.named<T>(
          name,
          sql,
          params.map((p) => (p instanceof Date ? p.toISOString() : (p as string | null))),
        ),
      );
    return observed(this.latch, sql, async () => (await this.db.query<T>(sql, params)).rows);
  }

  private readonly prepared = new Set<string>();

  /**
   * A named statement of text parameters in ONE protocol call (bind, describe, execute, sync),
   * prepared on first use; `query` makes six calls (parse, describe, bind, describe, execute, sync)
   * and plans every time. Same locks as `query` (PGlite 0.5's own transaction and query mutexes,
   * so it never runs inside another caller's transaction) and the same file-system sync after.
   */
  private async named<T>(name: string, sql: string, params: (string | null)[]): Promise<T[]> {
    const db = this.db as unknown as PgliteLocks;
    const rows = await db._runExclusiveTransaction(() =>
      db._runExclusiveQuery(async () => {
        const s = protocol.serialize;
        const parts: Uint8Array[] = [];
        // (Closed first: a failed first call may have left it half made.)
        if (!this.prepared.has(name)) parts.push(s.close({ type: 'S', name }), s.parse({ name, text: sql }));
        parts.push(
          s.bind({ statement: name, values: params }),
          s.describe({ type: 'P' }),
          s.execute({}),
          s.sync(),
        );
        let length = 0;
        for (const part of parts) length += part.length;
        const message = new Uint8Array(length);
        length = 0;
        for (const part of parts) {
          message.set(part, length);
          length += part.length;
        }
        const { messages } = await this.db.execProtocol(message, { syncToFs: false });
        this.prepared.add(name);
        return pgliteParse.parseResults(messages, this.db.parsers)[0]?.rows ?? [];
      }),
    );
    await this.db.syncToFs();
    return rows as T[];
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) =>
      work({
        query: <R>(sql: string, params: unknown[] = []) =>
          observed(this.latch, sql, async () => (await tx.query<R>(sql, params)).rows),
      }),
    );
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  snapshot(): Promise<Blob> {
    return this.db.dumpDataDir('none');
  }

  readiness(): Promise<Readiness> {
    return probe(this, this.latch, async () => {
      if (!this.dataDir) return null;
      const fs = await statfs(this.dataDir).catch(() => null);
      return fs && fs.bavail * fs.bsize < this.minFreeBytes ? 'storage_full' : null;
    });
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
    this.unlock();
  }
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  private readonly latch = new FaultLatch();
  constructor(private readonly pool: pg.Pool) {}

  async query<T>(sql: string, params: unknown[] = [], options?: QueryOptions): Promise<T[]> {
    const config = options?.name ? { name: options.name, text: sql, values: params } : null;
    return observed(
      this.latch,
      sql,
      async () => (await (config ? this.pool.query(config) : this.pool.query(sql, params))).rows as T[],
    );
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((error: unknown) => this.latch.observe(error));
    let broken: unknown = undefined;
    try {
      await client.query('BEGIN');
      const result = await work({
        query: <R>(sql: string, params: unknown[] = [], options?: QueryOptions) =>
          observed(
            this.latch,
            sql,
            async () =>
              (
                await (options?.name
                  ? client.query({ name: options.name, text: sql, values: params })
                  : client.query(sql, params))
              ).rows as R[],
          ),
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that timed out or broke cannot be reused: it is destroyed on release.
      await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError));
      if (storeFault(error)) broken ??= error;
      throw error;
    } finally {
      client.release(broken instanceof Error ? broken : broken === undefined ? undefined : true);
    }
  }

  readiness(): Promise<Readiness> {
    return probe(this, this.latch);
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export interface DatabaseTimeouts {
  /** Connecting, and waiting for a free pooled connection (ms). */
  connectMs: number;
  /** One statement, enforced by the server and, against a stalled network, by the client (ms). */
  statementMs: number;
}

export const DEFAULT_TIMEOUTS: DatabaseTimeouts = { connectMs: 5_000, statementMs: 30_000 };

export interface DatabaseOptions {
  /** `postgres://…` for a server; otherwise embedded. */
  url?: string;
  /** Embedded data directory; omitted or `memory://` keeps everything in memory. */
  dataDir?: string;
  /** Server pool size. */
  poolSize?: number;
  timeouts?: Partial<DatabaseTimeouts>;
  /** Embedded: readiness fails when the data directory's disk has less free space (bytes). */
  minFreeBytes?: number;
  /**
   * Embedded, in memory only: start from this snapshot of a data directory (from
   * `snapshotEmbedded`) instead of running initdb — about 0.2 s instead of about 1 s. Tests use it
   * to open one freshly migrated store per file cheaply.
   */
  template?: Blob;
}

/** A snapshot of an embedded store's data directory (uncompressed tar), for `template`. */
export async function snapshotEmbedded(db: Database): Promise<Blob> {
  if (!(db instanceof PgliteDatabase)) throw new Error('only an embedded store can be snapshotted');
  return db.snapshot();
}

/** Opening the database failed; the message says what is wrong and what to do. */
export class DatabaseOpenError extends Error {}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: timeouts.connectMs,
      // The server cancels a long statement; the client gives up a little later if the network
      // stalls and the cancellation never arrives.
      statement_timeout: timeouts.statementMs,
      query_timeout: timeouts.statementMs + 1_000,
      idle_in_transaction_session_timeout: timeouts.statementMs * 2,
      keepAlive: true,
    });
    // A broken idle connection must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    return new PostgresDatabase(pool);
  }
  const dir = options.dataDir && options.dataDir !== 'memory://' ? resolve(options.dataDir) : undefined;
  let unlock = () => undefined as void;
  if (dir) {
    try {
      mkdirSync(dir, { recursive: true });
      unlock = lockDataDir(dir);
    } catch (error) {
      if (error instanceof DataDirLockedError) throw new DatabaseOpenError(error.message);
      throw new DatabaseOpenError(
        `cannot use ${dir} as the embedded database directory: ${describe(error)}. Check that KEEL_DATA_DIR is a writable directory.`,
      );
    }
  }
  try {
    return new PgliteDatabase(
      await (options.template && !dir
        ? PGlite.create({ loadDataDir: options.template })
        : PGlite.create(dir)),
      dir,
      options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES,
      unlock,
    );
  } catch (error) {
    unlock();
    throw new DatabaseOpenError(
      `cannot open the embedded database in ${dir ?? 'memory'}: ${describe(error)}. ` +
        'The directory is not a Keel data directory, is damaged, or was written by an incompatible version. ' +
        'Restore it from a backup, or move it aside (or set KEEL_DATA_DIR to an empty directory) to start with an empty store.',
    );
  }
}

/** Default free space the embedded store needs to be ready: 64 MiB. */
export const DEFAULT_MIN_FREE_BYTES = 64 * 1024 * 1024;

/** Text of anything thrown, including PGlite's non-Error objects (`[object Object]` otherwise). */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object') {
    const { message, code, errno } = error as { message?: unknown; code?: unknown; errno?: unknown };
    const parts = [message, code, errno !== undefined ? `errno ${String(errno)}` : undefined].filter(
      (p) => p !== undefined && p !== '',
    );
    if (parts.length > 0) return parts.map(String).join(', ');
    try {
      return JSON.stringify(error);
    } catch {
      return Object.prototype.toString.call(error);
    }
  }
  return String(error);
}
