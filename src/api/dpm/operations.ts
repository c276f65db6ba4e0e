/**
 * Asynchronous batch analyses (spec 30 §5). An accepted operation is stored (with its lineage
 * edge, and its queue job when queued) in one transaction before any work starts, then run:
 * - INLINE (the default, as the reference): inside the submitting request, before the 202;
 * - QUEUED: by a queue worker in any process attached to the database;
 * - ACCEPT_ONLY: by a manual execute.
 * Every execution holds a lease it renews while it works (a heartbeat); an operation whose lease
 * lapsed — its process died — is put back on the queue by any live process within about
 * 1.5 × KEEL_OPERATION_LEASE_SECONDS, and fails after KEEL_JOB_RETRY_LIMIT interruptions. An
 * operation finishes exactly once: the scenario runs and the SUCCEEDED status are written
 * together, under the claim token of the executor that ran it (docs/decisions/0012).
 */
import { randomBytes } from 'node:crypto';
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { analyzeRequestSchema, type AnalyzeRequest } from '../../contracts/dpm-analyze.js';
import { validate } from '../../contracts/parse.js';
import type { JobAttempt, JobQueue } from '../../store/queue.js';
import {
  claimOperation,
  createOperation,
  findOperation,
  finishOperation,
  type OperationRecord,
  purgeExpiredOperations,
  recoverLapsedOperations,
  releaseClaim,
  renewLease,
  setOperationJob,
  waitingQueuedOperations,
} from '../../store/dpm-operations.js';
import { appendEdge } from '../../store/dpm-runs.js';
import { type Env, envInt, envText } from '../config.js';
import {
  NO_POLICY_PACK,
  policyContext,
  policyFromContext,
  type ResolvedPolicyPack,
} from '../../policy/record.js';
import { newId, type DpmService } from './service.js';

export const ANALYZE_QUEUE = 'dpm-analyze-scenarios';

export interface AnalyzeJob {
  tenant: string;
  operation_id: string;
}

class StaleClaim extends Error {}

export type ExecutionMode = 'INLINE' | 'QUEUED' | 'ACCEPT_ONLY';
type Executor = 'inline' | 'queue' | 'manual';

/** DPM_ASYNC_EXECUTION_MODE, trimmed and upper-cased; anything unknown means INLINE (spec 30 §13). */
export function executionMode(env: Env): ExecutionMode {
  const mode = envText(env, 'DPM_ASYNC_EXECUTION_MODE')?.toUpperCase();
  return mode === 'ACCEPT_ONLY' || mode === 'QUEUED' ? mode : 'INLINE';
}

export const DEFAULT_LEASE_SECONDS = 30;

interface Log {
  error: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
  info: (obj: object, msg: string) => void;
}

const SILENT: Log = { error: () => undefined, warn: () => undefined, info: () => undefined };

export class OperationService {
  private recovery: NodeJS.Timeout | null = null;

  constructor(
    private readonly dpm: DpmService,
    private readonly env: Env,
    private readonly queue: JobQueue | null,
    private readonly log: Log = SILENT,
  ) {}

  get db() {
    return this.dpm.db;
  }

  get mode(): ExecutionMode {
    return executionMode(this.env);
  }

  /** The lease an execution holds and renews (KEEL_OPERATION_LEASE_SECONDS). */
  get leaseSeconds(): number {
    return envInt(this.env, 'KEEL_OPERATION_LEASE_SECONDS', DEFAULT_LEASE_SECONDS, 2);
  }

  private get retryLimit(): number {
    return envInt(this.env, 'KEEL_JOB_RETRY_LIMIT', 3, 0);
  }

  async purgeExpired(): Promise<void> {
    const ttl = envInt(this.env, 'DPM_ASYNC_OPERATIONS_TTL_SECONDS', 86_400, 1);
    await purgeExpiredOperations(this.db, new Date(this.dpm.now().getTime() - ttl * 1000));
  }

  async submit(
    tenant: string,
    request: AnalyzeRequest,
    correlationHeader: string | undefined,
    options: { policyPackId?: string; actor?: string | null; policy?: ResolvedPolicyPack } = {},
  ): Promise<OperationRecord> {
    await this.purgeExpired();
    const operation: OperationRecord = {
      operation_id: newId('dop_', 12),
      tenant_id: tenant,
      operation_type: 'ANALYZE_SCENARIOS',
      status: 'PENDING',
      correlation_id: correlationHeader || newId('corr_', 12),
      created_at: this.dpm.now(),
      started_at: null,
      finished_at: null,
      result_json: null,
      error_json: null,
      // lossless-json keeps every number token of the unvalidated scenario options as written.
      // The pack is resolved now and stored with the operation (spec 40 QUIRK Q-B6 closed).
      request_json: stringifyLossless({
        batch_request: request,
        policy_context: policyContext(tenant, options.policyPackId, options.policy ?? NO_POLICY_PACK),
      })!,
      attempts: 0,
      created_by: options.actor ?? null,
    };
    const queued = this.mode === 'QUEUED' && this.queue;
    await this.db.transaction(async (tx) => {
      await createOperation(tx, operation);
      await appendEdge(tx, tenant, {
        source_entity_id: operation.operation_id,
        edge_type: 'OPERATION_TO_CORRELATION',
        target_entity_id: operation.correlation_id,
        created_at: operation.created_at,
        metadata_json: JSON.stringify({ operation_type: operation.operation_type }),
      });
      if (queued)
        await setOperationJob(
          tx,
          operation.operation_id,
          await this.queue!.enqueue(tx, ANALYZE_QUEUE, {
            tenant,
            operation_id: operation.operation_id,
          } satisfies AnalyzeJob),
        );
    });
    return operation;
  }

  /**
   * Run an operation. An inline or manual execution may only take a PENDING operation (else
   * null → 409); the queue may also resume one whose lease lapsed or whose earlier attempt
   * failed. A failure is retried by the queue while attempts remain, then (or at once, inline
   * and manual) ends FAILED.
   */
  async execute(
    tenant: string,
    operationId: string,
    executor: Executor,
    attempt?: JobAttempt,
  ): Promise<OperationRecord | null> {
    await this.purgeExpired();
    const token = randomBytes(12).toString('hex');
    const now = this.dpm.now();
    const claimed = await claimOperation(this.db, tenant, operationId, {
      executor,
      token,
      now,
      lapsedBefore: new Date(now.getTime() - this.leaseSeconds * 1000),
    });
    if (!claimed) return null;
    const heartbeat = setInterval(
      () => {
        renewLease(this.db, operationId, token, this.dpm.now()).catch((error: unknown) =>
          this.log.warn({ err: error, operation_id: operationId }, 'lease renewal failed'),
        );
      },
      Math.max(500, (this.leaseSeconds * 1000) / 3),
    );
    try {
      const stored = parseLossless(claimed.request_json!) as {
        batch_request: unknown;
        policy_context?: unknown;
      };
      const parsed = validate(analyzeRequestSchema, stored.batch_request);
      if (!parsed.ok) throw new Error(`stored request no longer validates: ${parsed.errors[0]?.msg}`);
      const policy = policyFromContext(stored.policy_context);
      const batch = await this.dpm.runBatch(
        parsed.value,
        claimed.correlation_id,
        () => stringifyLossless(stored.batch_request)!,
        policy,
      );
      await this.db.transaction(async (tx) => {
        await this.dpm.recordBatch(
          tenant,
          parsed.value.portfolio_snapshot.portfolio_id,
          batch,
          claimed.created_by,
          tx,
          policy,
        );
        const finished = await finishOperation(tx, operationId, token, {
          status: 'SUCCEEDED',
          result_json: batch.text,
          error_json: null,
          now: this.dpm.now(),
        });
        if (!finished) throw new StaleClaim('operation was claimed by another executor or expired');
      });
      this.log.info(
        { operation_id: operationId, executor, attempts: claimed.attempts },
        'operation succeeded',
      );
    } catch (error) {
      if (error instanceof StaleClaim) return findOperation(this.db, tenant, operationId);
      const retriesLeft =
        executor === 'queue' && attempt !== undefined && attempt.retryCount < attempt.retryLimit;
      this.log.error({ err: error, operation_id: operationId, retriesLeft }, 'operation attempt failed');
      if (retriesLeft) {
        // Stays RUNNING without a lease: the queue's retry takes it up again with backoff.
        await releaseClaim(this.db, operationId, token);
        throw error;
      }
      // GAP G-S9: the error class is recorded, not the raw message (it stays in the server log).
      const code = error instanceof Error ? error.constructor.name : 'Error';
      await finishOperation(this.db, operationId, token, {
        status: 'FAILED',
        result_json: null,
        error_json: JSON.stringify({
          code,
          message: `The analysis failed (${code}); the server log has details for ${operationId}.`,
        }),
        now: this.dpm.now(),
      });
    } finally {
      clearInterval(heartbeat);
    }
    return findOperation(this.db, tenant, operationId);
  }

  /** Attach queue workers in this process. */
  async startWorkers(concurrency: number): Promise<void> {
    if (!this.queue || concurrency < 1) return;
    await this.queue.work<AnalyzeJob>(ANALYZE_QUEUE, concurrency, async (job, attempt) => {
      await this.execute(job.tenant, job.operation_id, 'queue', attempt);
    });
  }

  /**
   * Operations whose lease lapsed (their process died mid-run, inline or queued) go back to
   * PENDING and onto the queue; after KEEL_JOB_RETRY_LIMIT interruptions they end FAILED, so an
   * operation that kills its process cannot do so forever. Returns how many were recovered.
   */
  async recoverLapsed(): Promise<number> {
    const now = this.dpm.now();
    const { requeued, failed } = await recoverLapsedOperations(this.db, {
      lapsedBefore: new Date(now.getTime() - this.leaseSeconds * 1000),
      maxAttempts: this.retryLimit + 1,
      now,
      failure: (op) =>
        JSON.stringify({
          code: 'OperationInterrupted',
          message: `The analysis was interrupted ${op.attempts} times (its process stopped); ${op.operation_id} was not retried again.`,
        }),
      enqueue: this.queue
        ? (tx, op) =>
            this.queue!.enqueue(tx, ANALYZE_QUEUE, {
              tenant: op.tenant_id,
              operation_id: op.operation_id,
            } satisfies AnalyzeJob)
        : undefined,
    });
    const stranded = await this.requeueStranded(now);
    if (requeued + failed + stranded > 0)
      this.log.warn({ requeued, failed, stranded }, 'recovered operations whose executor died');
    return requeued + failed + stranded;
  }

  /**
   * A queued operation whose job was taken by a worker that died before claiming it stays PENDING
   * while its job is "active" until the queue's own timeout (KEEL_JOB_TIMEOUT_SECONDS): give it a
   * new job once the old one has been active longer than a lease.
   */
  private async requeueStranded(now: Date): Promise<number> {
    if (!this.queue) return 0;
    const cutoff = new Date(now.getTime() - this.leaseSeconds * 1000);
    let count = 0;
    // pg-boss stamps jobs with the database's clock: compare with real time, not the service clock.
    const jobCutoff = new Date(Date.now() - this.leaseSeconds * 1000);
    for (const op of await waitingQueuedOperations(this.db, cutoff, 100)) {
      const since = await this.queue.activeSince(ANALYZE_QUEUE, op.job_id);
      if (!since || since >= jobCutoff) continue;
      await this.db.transaction(async (tx) => {
        const still = await tx.query(
          `SELECT 1 FROM dpm_async_operations WHERE operation_id = $1 AND status = 'PENDING' AND job_id = $2 FOR UPDATE`,
          [op.operation_id, op.job_id],
        );
        if (still.length === 0) return;
        await setOperationJob(
          tx,
          op.operation_id,
          await this.queue!.enqueue(tx, ANALYZE_QUEUE, {
            tenant: op.tenant_id,
            operation_id: op.operation_id,
          } satisfies AnalyzeJob),
        );
        count++;
      });
    }
    return count;
  }

  /** Check for lapsed leases every half lease (in every process that has a queue). */
  startRecovery(): void {
    if (this.recovery || !this.queue) return;
    const tick = () =>
      this.recoverLapsed().catch((error: unknown) =>
        this.log.warn({ err: error }, 'operation recovery failed'),
      );
    void tick();
    this.recovery = setInterval(tick, Math.max(1000, (this.leaseSeconds * 1000) / 2));
    this.recovery.unref();
  }

  stopRecovery(): void {
    if (this.recovery) clearInterval(this.recovery);
    this.recovery = null;
  }
}
