/**
 * Asynchronous proposal create and new-version (spec 40 §10) on Keel's durable job queue
 * (GAP G-P12, docs/decisions/0023). Submitting stores the operation and its queue job in one
 * transaction, then answers 202. A worker in any process attached to the database claims the
 * operation and runs the same command as the synchronous endpoint; the command's writes and the
 * SUCCEEDED status commit together under the worker's claim token, so an operation finishes
 * exactly once even after a crash and a retry. Domain failures end FAILED at once with the
 * reference's error class as code (QUIRK Q-P15); unexpected errors are retried and then end
 * FAILED instead of staying RUNNING (QUIRK Q-P16).
 */
import { randomBytes } from 'node:crypto';
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import {
  proposalCreateRequestSchema,
  proposalVersionRequestSchema,
} from '../../contracts/proposal-lifecycle.js';
import { validate } from '../../contracts/parse.js';
import type { JobAttempt, JobQueue } from '../../store/queue.js';
import {
  claimOperation,
  finishOperation,
  insertOperation,
  type ProposalOperationRecord,
} from '../../store/proposals.js';
import { ProposalError } from './errors.js';
import { type InTransaction, lifecycleId, type ProposalLifecycleService } from './service.js';
import { jsonText } from './views.js';

export const PROPOSAL_QUEUE = 'proposal-lifecycle-operations';

export interface ProposalJob {
  tenant: string;
  operation_id: string;
}

interface Log {
  error: (obj: object, msg: string) => void;
  info: (obj: object, msg: string) => void;
}

class StaleClaim extends Error {}

export interface Submission {
  tenant: string;
  /** The resolved creator (token user or body). */
  createdBy: string;
  /** The request body as sent, with created_by resolved; re-validated when the work runs. */
  body: Record<string, unknown>;
  correlationHeader?: string;
}

export class ProposalOperations {
  constructor(
    private readonly service: ProposalLifecycleService,
    private readonly queue: JobQueue | null,
    private readonly log: Log = { error: () => undefined, info: () => undefined },
  ) {}

  submitCreate(s: Submission, idempotencyKey: string): Promise<ProposalOperationRecord> {
    return this.submit(s, 'CREATE_PROPOSAL', { idempotencyKey, proposalId: null });
  }

  submitVersion(s: Submission, proposalId: string): Promise<ProposalOperationRecord> {
    return this.submit(s, 'CREATE_PROPOSAL_VERSION', { idempotencyKey: null, proposalId });
  }

  private async submit(
    s: Submission,
    type: ProposalOperationRecord['operation_type'],
    target: { idempotencyKey: string | null; proposalId: string | null },
  ): Promise<ProposalOperationRecord> {
    const operation: ProposalOperationRecord = {
      operation_id: lifecycleId('pop_'),
      operation_type: type,
      status: 'PENDING',
      correlation_id: s.correlationHeader || lifecycleId('corr_'),
      idempotency_key: target.idempotencyKey,
      proposal_id: target.proposalId,
      created_by: s.createdBy,
      created_at: this.service.now(),
      started_at: null,
      finished_at: null,
      // lossless-json keeps every number token of the body as it was sent.
      request_json: stringifyLossless(s.body)!,
      result_json: null,
      error_json: null,
      attempts: 0,
    };
    await this.service.db.transaction(async (tx) => {
      await insertOperation(tx, s.tenant, operation);
      if (this.queue)
        await this.queue.enqueue(tx, PROPOSAL_QUEUE, {
          tenant: s.tenant,
          operation_id: operation.operation_id,
        } satisfies ProposalJob);
    });
    // Without a queue (an embedded app built without one) the work runs in this process after
    // the response, as in the reference.
    if (!this.queue)
      setImmediate(() =>
        this.execute(s.tenant, operation.operation_id).catch((err: unknown) =>
          this.log.error({ err, operation_id: operation.operation_id }, 'proposal operation failed'),
        ),
      );
    return operation;
  }

  /** Run one attempt of an operation; a no-op once it has finished. */
  async execute(tenant: string, operationId: string, attempt?: JobAttempt): Promise<void> {
    const token = randomBytes(12).toString('hex');
    const db = this.service.db;
    const claimed = await claimOperation(db, tenant, operationId, token, this.service.now());
    if (!claimed) return;
    const finish = (outcome: {
      status: 'SUCCEEDED' | 'FAILED';
      proposal_id: string | null;
      result_json: string | null;
      error_json: string | null;
    }) => ({ ...outcome, now: this.service.now() });
    const succeed: InTransaction = async (tx, response) => {
      const done = await finishOperation(
        tx,
        operationId,
        token,
        finish({
          status: 'SUCCEEDED',
          proposal_id: response.proposal.proposal_id,
          result_json: jsonText(response),
          error_json: null,
        }),
      );
      if (!done) throw new StaleClaim('operation was claimed by another attempt');
    };
    const fail = (error: { code: string; message: unknown }) =>
      finishOperation(
        db,
        operationId,
        token,
        finish({ status: 'FAILED', proposal_id: null, result_json: null, error_json: JSON.stringify(error) }),
      );
    try {
      const body = parseLossless(claimed.request_json);
      const correlation = { resolved: claimed.correlation_id };
      if (claimed.operation_type === 'CREATE_PROPOSAL') {
        const parsed = validate(proposalCreateRequestSchema, body);
        if (!parsed.ok) throw new Error(`stored request no longer validates: ${parsed.errors[0]?.msg}`);
        await this.service.create(
          tenant,
          { ...parsed.value, created_by: claimed.created_by },
          claimed.idempotency_key!,
          correlation,
          succeed,
        );
      } else {
        const parsed = validate(proposalVersionRequestSchema, body);
        if (!parsed.ok) throw new Error(`stored request no longer validates: ${parsed.errors[0]?.msg}`);
        await this.service.createVersion(
          tenant,
          claimed.proposal_id!,
          { ...parsed.value, created_by: claimed.created_by },
          correlation,
          succeed,
        );
      }
      this.log.info(
        { operation_id: operationId, attempts: claimed.attempts },
        'proposal operation succeeded',
      );
    } catch (error) {
      if (error instanceof StaleClaim) return;
      if (error instanceof ProposalError) {
        await fail({ code: error.errorClass, message: error.detail });
        return;
      }
      const retriesLeft = attempt !== undefined && attempt.retryCount < attempt.retryLimit;
      this.log.error(
        { err: error, operation_id: operationId, retriesLeft },
        'proposal operation attempt failed',
      );
      if (retriesLeft) throw error; // stays RUNNING; the queue retries it with backoff
      const code = error instanceof Error ? error.constructor.name : 'Error';
      await fail({
        code,
        message: `The operation failed (${code}); the server log has details for ${operationId}.`,
      });
    }
  }

  /** Attach queue workers in this process. */
  async startWorkers(concurrency: number): Promise<void> {
    if (!this.queue || concurrency < 1) return;
    await this.queue.work<ProposalJob>(PROPOSAL_QUEUE, concurrency, (job, attempt) =>
      this.execute(job.tenant, job.operation_id, attempt),
    );
  }
}
