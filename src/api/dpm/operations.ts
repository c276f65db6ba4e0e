/**
 * Asynchronous batch analyses (spec 30 §5): an accepted operation is stored — with its queue job,
 * in one transaction — before the 202 is sent, executed by a queue worker (any process attached
 * to the database) or by a manual execute, and finished exactly once: the scenario runs and the
 * SUCCEEDED status are written together, under the claim token of the executor that ran it.
 */
import { randomBytes } from 'node:crypto';
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { analyzeRequestSchema, type AnalyzeRequest } from '../../contracts/dpm-analyze.js';
import { validate } from '../../contracts/parse.js';
import { analyzeBatch } from '../../engine/batch.js';
import { batchJsonText } from '../../engine/wire.js';
import type { JobAttempt, JobQueue } from '../../store/queue.js';
import {
  claimOperation,
  createOperation,
  findOperation,
  finishOperation,
  type OperationRecord,
  purgeExpiredOperations,
} from '../../store/dpm-operations.js';
import { appendEdge } from '../../store/dpm-runs.js';
import { type Env, envInt, envText } from '../config.js';
import { isoTimestamp } from '../time.js';
import {
  NO_POLICY_PACK,
  policyContext,
  policyFromContext,
  type ResolvedPolicyPack,
} from '../../policy/record.js';
import { batchPolicy, newId, newRunId, type DpmService } from './service.js';

export const ANALYZE_QUEUE = 'dpm-analyze-scenarios';

export interface AnalyzeJob {
  tenant: string;
  operation_id: string;
}

class StaleClaim extends Error {}

export class OperationService {
  constructor(
    private readonly dpm: DpmService,
    private readonly env: Env,
    private readonly queue: JobQueue | null,
    private readonly log: {
      error: (obj: object, msg: string) => void;
      info: (obj: object, msg: string) => void;
    } = {
      error: () => undefined,
      info: () => undefined,
    },
  ) {}

  get db() {
    return this.dpm.db;
  }

  /** `ACCEPT_ONLY` leaves operations PENDING for a manual execute; anything else queues them. */
  get mode(): 'QUEUED' | 'ACCEPT_ONLY' {
    return envText(this.env, 'DPM_ASYNC_EXECUTION_MODE')?.toUpperCase() === 'ACCEPT_ONLY'
      ? 'ACCEPT_ONLY'
      : 'QUEUED';
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
        await this.queue!.enqueue(tx, ANALYZE_QUEUE, {
          tenant,
          operation_id: operation.operation_id,
        } satisfies AnalyzeJob);
    });
    return operation;
  }

  /**
   * Run an operation. A manual execute may only take a PENDING operation (else null → 409); the
   * queue may also resume one its own earlier attempt left RUNNING. A failure is retried by the
   * queue while attempts remain, then (or at once, for a manual execute) ends FAILED.
   */
  async execute(
    tenant: string,
    operationId: string,
    executor: 'manual' | 'queue',
    attempt?: JobAttempt,
  ): Promise<OperationRecord | null> {
    await this.purgeExpired();
    const token = randomBytes(12).toString('hex');
    const claimed = await claimOperation(this.db, tenant, operationId, {
      executor,
      token,
      now: this.dpm.now(),
    });
    if (!claimed) return null;
    try {
      const stored = parseLossless(claimed.request_json!) as {
        batch_request: unknown;
        policy_context?: unknown;
      };
      const parsed = validate(analyzeRequestSchema, stored.batch_request);
      if (!parsed.ok) throw new Error(`stored request no longer validates: ${parsed.errors[0]?.msg}`);
      const policy = policyFromContext(stored.policy_context);
      const batch = analyzeBatch(parsed.value, {
        batchRunId: newId('batch_', 16),
        runAtUtc: isoTimestamp(this.dpm.now()),
        correlationId: claimed.correlation_id,
        runIdFor: () => newRunId(),
        ...batchPolicy(policy),
      });
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
          result_json: batchJsonText(batch),
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
      if (retriesLeft) throw error; // stays RUNNING; the queue retries it with backoff
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
}
