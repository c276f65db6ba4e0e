/**
 * The durable job queue: pg-boss on the same PostgreSQL database (embedded or server), reached
 * through our own connection, so a job can be enqueued in the same transaction as the record it
 * is about. Workers in any process attached to the database share the queue; failed attempts are
 * retried with exponential backoff; a job whose worker died is retried once it expires.
 */
import PgBoss from 'pg-boss';
import type { Database, Queryable } from './database.js';

export interface QueueConfig {
  /** PostgreSQL schema holding the queue tables. */
  schema: string;
  /** Retries after the first attempt. */
  retryLimit: number;
  retryDelaySeconds: number;
  /** An active job not finished within this time is considered lost and retried. */
  expireInSeconds: number;
  /** How often expired jobs are detected. */
  maintenanceSeconds: number;
  pollingSeconds: number;
}

export const DEFAULT_QUEUE_CONFIG: QueueConfig = {
  schema: 'pgboss',
  retryLimit: 3,
  retryDelaySeconds: 5,
  expireInSeconds: 900,
  maintenanceSeconds: 30,
  pollingSeconds: 0.5,
};

export interface JobAttempt {
  retryCount: number;
  retryLimit: number;
}

/** What one finished job attempt reports to an observer (metrics). */
export interface JobObservation {
  queue: string;
  /** From enqueue (or the first attempt's enqueue, for a retry) to the start of this attempt. */
  waitSeconds: number;
  runSeconds: number;
  outcome: 'completed' | 'failed';
}

/** pg-boss's database port over ours; a text of several statements (its migrations) runs as a script. */
function adapter(q: Queryable | Database): PgBoss.Db {
  return {
    executeSql: async (text: string, values: unknown[] = []) => {
      if (values.length === 0 && 'exec' in q && /;\s*\S/.test(text)) {
        await q.exec(text);
        return { rows: [] };
      }
      return { rows: await q.query(text, values) };
    },
  };
}

/** A failed attempt as pg-boss records it: the error's class and first line, control characters removed. */
export function jobFailure(error: unknown): Error {
  const name = error instanceof Error ? error.constructor.name : 'Error';
  const first = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  const clean = new Error(`${name}: ${first.replace(/\p{Cc}/gu, ' ').slice(0, 200)}`);
  clean.stack = clean.message;
  return clean;
}

export class JobQueue {
  private readonly workerIds = new Map<string, string[]>();
  private observer: ((o: JobObservation) => void) | null = null;

  private constructor(
    private readonly boss: PgBoss,
    private readonly config: QueueConfig,
  ) {}

  static async start(db: Database, overrides: Partial<QueueConfig> = {}): Promise<JobQueue> {
    const config = { ...DEFAULT_QUEUE_CONFIG, ...overrides };
    const boss = new PgBoss({
      db: adapter(db),
      schema: config.schema,
      supervise: true,
      schedule: false,
      maintenanceIntervalSeconds: config.maintenanceSeconds,
      monitorStateIntervalSeconds: Math.max(config.maintenanceSeconds, 10),
    });
    boss.on('error', () => undefined); // surfaced through failed jobs and readiness, not as crashes
    await boss.start();
    return new JobQueue(boss, config);
  }

  /**
   * Create `name` unless it exists. `expireInSeconds` overrides the default job timeout for this
   * queue (a queue whose jobs are short and idempotent retries a dead worker's job sooner).
   */
  async ensureQueue(name: string, overrides: { expireInSeconds?: number } = {}): Promise<void> {
    const expireInSeconds = overrides.expireInSeconds ?? this.config.expireInSeconds;
    const existing = await this.boss.getQueue(name);
    if (existing) {
      if (overrides.expireInSeconds !== undefined && existing.expireInSeconds !== expireInSeconds)
        await this.boss.updateQueue(name, { ...existing, expireInSeconds });
      return;
    }
    // Processes starting together on a fresh database race to create a queue, and its DDL can
    // deadlock: the loser waits for the winner's commit and finds the queue there.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.boss.createQueue(name, {
          name,
          retryLimit: this.config.retryLimit,
          retryDelay: this.config.retryDelaySeconds,
          retryBackoff: true,
          expireInSeconds,
        });
        return;
      } catch (error) {
        await new Promise((r) => setTimeout(r, 100 * attempt + Math.floor(Math.random() * 100)));
        if (await this.boss.getQueue(name)) return;
        if (attempt >= 5) throw error;
      }
    }
  }

  /**
   * Enqueue inside the caller's transaction: the job exists exactly when the transaction commits.
   * A higher `priority` is fetched first. Returns the job id.
   */
  async enqueue(
    tx: Queryable,
    name: string,
    data: object,
    options: { priority?: number } = {},
  ): Promise<string> {
    const id = await this.boss.send(name, data, { db: adapter(tx), ...options });
    if (!id) throw new Error(`pg-boss did not create a job on ${name}`);
    return id;
  }

  /** When a job was taken by a worker that is still (or was last seen) working on it; null otherwise. */
  async activeSince(name: string, id: string): Promise<Date | null> {
    const job = await this.boss.getJobById(name, id);
    return job?.state === 'active' ? job.startedOn : null;
  }

  /** Wake this process's idle pollers of `name` (after a commit that enqueued work) instead of waiting for their next poll. */
  wake(name: string): void {
    for (const id of this.workerIds.get(name) ?? []) this.boss.notifyWorker(id);
  }

  /** Report every finished job attempt to `observer` (one observer; metrics). */
  observe(observer: (o: JobObservation) => void): void {
    this.observer = observer;
  }

  /** Jobs of `name` waiting to start, and running. */
  async depth(name: string): Promise<{ waiting: number; active: number }> {
    const waiting = (await this.boss.getQueueSize(name)) ?? 0;
    const unfinished = (await this.boss.getQueueSize(name, { before: 'completed' })) ?? 0;
    return { waiting, active: Math.max(0, unfinished - waiting) };
  }

  /**
   * Start `concurrency` pollers for `name`. A poller that finished a job polls again at once, so
   * a backlog drains without waiting a polling interval per job.
   */
  async work<T extends object>(
    name: string,
    concurrency: number,
    handler: (data: T, attempt: JobAttempt) => Promise<void>,
  ): Promise<void> {
    for (let i = 0; i < concurrency; i++) {
      let id = '';
      id = await this.boss.work<T>(
        name,
        { includeMetadata: true, batchSize: 1, pollingIntervalSeconds: this.config.pollingSeconds },
        async ([job]) => {
          if (!job) return;
          const started = Date.now();
          let outcome: JobObservation['outcome'] = 'failed';
          try {
            await handler(job.data, { retryCount: job.retryCount, retryLimit: job.retryLimit });
            outcome = 'completed';
          } catch (error) {
            // pg-boss stores a failure in a jsonb column: hand it a short, clean message only (an
            // error echoing a NUL or other odd input made that write fail and took the process down).
            throw jobFailure(error);
          } finally {
            this.observer?.({
              queue: name,
              waitSeconds: Math.max(0, (started - new Date(job.createdOn).getTime()) / 1000),
              runSeconds: (Date.now() - started) / 1000,
              outcome,
            });
            this.boss.notifyWorker(id);
          }
        },
      );
      this.workerIds.set(name, [...(this.workerIds.get(name) ?? []), id]);
    }
  }

  /** Stop polling; with `graceful`, wait for running jobs to finish. */
  async stop(graceful = true): Promise<void> {
    await this.boss.stop({ graceful, wait: true, timeout: 30_000 });
  }
}
