/**
 * Async operations and workflow decisions as the run supportability endpoints read them
 * (spec 30 §5, §11). Writers live with the async and workflow features.
 */
import type { Database, Queryable } from './database.js';
import { keysetPage, type Page } from './keyset.js';
import { findNewestByCorrelationIn, findOperationIn, type OperationTable } from './operation-lookup.js';

export interface OperationRecord {
  operation_id: string;
  tenant_id: string;
  operation_type: string;
  status: 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  correlation_id: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  result_json: string | null;
  error_json: string | null;
  request_json: string | null;
  attempts: number;
  created_by: string | null;
}

const OPERATION_COLUMNS =
  'operation_id, tenant_id, operation_type, status, correlation_id, created_at, started_at, finished_at, result_json, error_json, request_json, attempts, created_by';

const OPERATIONS: OperationTable = {
  table: 'dpm_async_operations',
  columns: OPERATION_COLUMNS,
  tieBreak: 'operation_id',
};

export function findOperation(
  db: Queryable,
  tenant: string,
  operationId: string,
): Promise<OperationRecord | null> {
  return findOperationIn<OperationRecord>(db, OPERATIONS, tenant, operationId);
}

/** Newest operation with this correlation id. */
export function findOperationByCorrelation(
  db: Queryable,
  tenant: string,
  correlationId: string,
): Promise<OperationRecord | null> {
  return findNewestByCorrelationIn<OperationRecord>(db, OPERATIONS, tenant, correlationId);
}

export interface DecisionRecord {
  decision_id: string;
  run_id: string;
  action: string;
  reason_code: string;
  comment: string | null;
  actor_id: string;
  decided_at: Date;
  correlation_id: string;
}

/** A run's workflow decisions, oldest first. */
export async function getDecisions(db: Queryable, tenant: string, runId: string): Promise<DecisionRecord[]> {
  return db.query<DecisionRecord>(
    `SELECT decision_id, run_id, action, reason_code, comment, actor_id, decided_at, correlation_id
     FROM dpm_workflow_decisions WHERE tenant_id = $1 AND run_id = $2 ORDER BY decided_at, seq`,
    [tenant, runId],
  );
}

export async function createOperation(q: Queryable, op: OperationRecord): Promise<void> {
  await q.query(
    `INSERT INTO dpm_async_operations (${OPERATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      op.operation_id,
      op.tenant_id,
      op.operation_type,
      op.status,
      op.correlation_id,
      op.created_at,
      op.started_at,
      op.finished_at,
      op.result_json,
      op.error_json,
      op.request_json,
      op.attempts,
      op.created_by,
    ],
  );
}

/**
 * Claim an operation for execution: PENDING → RUNNING with a fresh claim token and lease. The
 * queue may also take over an operation a queue attempt left RUNNING whose lease lapsed or was
 * released (a crash, or an error being retried); inline and manual executions never can.
 * Returns null when the operation is not claimable.
 */
export async function claimOperation(
  q: Queryable,
  tenant: string,
  operationId: string,
  claim: { executor: 'queue' | 'manual' | 'inline'; token: string; now: Date; lapsedBefore: Date },
): Promise<OperationRecord | null> {
  const rows = await q.query<OperationRecord>(
    `UPDATE dpm_async_operations
     SET status = 'RUNNING', started_at = $4, attempts = attempts + 1, executor = $3, claim_token = $5, heartbeat_at = $4
     WHERE tenant_id = $1 AND operation_id = $2 AND request_json IS NOT NULL
       AND (status = 'PENDING' OR ($3 = 'queue' AND status = 'RUNNING' AND executor = 'queue'
            AND (heartbeat_at IS NULL OR heartbeat_at < $6)))
     RETURNING ${OPERATION_COLUMNS}`,
    [tenant, operationId, claim.executor, claim.now, claim.token, claim.lapsedBefore],
  );
  return rows[0] ?? null;
}

/** Renew the lease of a claimed operation (the executor's heartbeat). */
export async function renewLease(q: Queryable, operationId: string, token: string, now: Date): Promise<void> {
  await q.query(
    `UPDATE dpm_async_operations SET heartbeat_at = $3 WHERE operation_id = $1 AND claim_token = $2 AND status = 'RUNNING'`,
    [operationId, token, now],
  );
}

/** Give up a claim without finishing (the queue retries the job): the lease is released. */
export async function releaseClaim(q: Queryable, operationId: string, token: string): Promise<void> {
  await q.query(
    `UPDATE dpm_async_operations SET heartbeat_at = NULL, claim_token = NULL WHERE operation_id = $1 AND claim_token = $2 AND status = 'RUNNING'`,
    [operationId, token],
  );
}

/**
 * Operations RUNNING under a lease that lapsed (their executor's process died): back to PENDING
 * (and onto the queue, unless a manual execution was interrupted), or FAILED once they were
 * attempted `maxAttempts` times. One transaction; rows another process is recovering are skipped.
 */
export async function recoverLapsedOperations(
  db: Database,
  options: {
    lapsedBefore: Date;
    maxAttempts: number;
    now: Date;
    failure: (op: { operation_id: string; attempts: number }) => string;
    enqueue?: (tx: Queryable, op: { operation_id: string; tenant_id: string }) => Promise<string>;
  },
): Promise<{ requeued: number; failed: number }> {
  return db.transaction(async (tx) => {
    const lapsed = await tx.query<{
      operation_id: string;
      tenant_id: string;
      attempts: number;
      executor: string | null;
    }>(
      `SELECT operation_id, tenant_id, attempts, executor FROM dpm_async_operations
       WHERE status = 'RUNNING' AND heartbeat_at < $1 FOR UPDATE SKIP LOCKED`,
      [options.lapsedBefore],
    );
    let requeued = 0;
    let failed = 0;
    for (const op of lapsed) {
      if (op.attempts >= options.maxAttempts) {
        await tx.query(
          `UPDATE dpm_async_operations SET status = 'FAILED', finished_at = $2, error_json = $3, claim_token = NULL, heartbeat_at = NULL
           WHERE operation_id = $1`,
          [op.operation_id, options.now, options.failure(op)],
        );
        failed++;
        continue;
      }
      const jobId = op.executor !== 'manual' && options.enqueue ? await options.enqueue(tx, op) : null;
      await tx.query(
        `UPDATE dpm_async_operations SET status = 'PENDING', executor = NULL, claim_token = NULL, heartbeat_at = NULL, job_id = $2
         WHERE operation_id = $1`,
        [op.operation_id, jobId],
      );
      requeued++;
    }
    return { requeued, failed };
  });
}

/** Record the queue job that carries an operation. */
export async function setOperationJob(q: Queryable, operationId: string, jobId: string): Promise<void> {
  await q.query('UPDATE dpm_async_operations SET job_id = $2 WHERE operation_id = $1', [operationId, jobId]);
}

/** Queued operations still PENDING although created before `before`, oldest first (at most `limit`). */
export async function waitingQueuedOperations(
  q: Queryable,
  before: Date,
  limit: number,
): Promise<{ operation_id: string; tenant_id: string; job_id: string }[]> {
  return q.query(
    `SELECT operation_id, tenant_id, job_id FROM dpm_async_operations
     WHERE status = 'PENDING' AND job_id IS NOT NULL AND created_at < $1 ORDER BY created_at LIMIT $2`,
    [before, limit],
  );
}

/** Finish a claimed operation; false when the claim is no longer ours (nothing written). */
export async function finishOperation(
  q: Queryable,
  operationId: string,
  token: string,
  outcome: {
    status: 'SUCCEEDED' | 'FAILED';
    result_json: string | null;
    error_json: string | null;
    now: Date;
  },
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE dpm_async_operations SET status = $3, finished_at = $4, result_json = $5, error_json = $6, claim_token = NULL
     WHERE operation_id = $1 AND claim_token = $2 AND status = 'RUNNING' RETURNING 1`,
    [operationId, token, outcome.status, outcome.now, outcome.result_json, outcome.error_json],
  );
  return rows.length === 1;
}

/** TTL (spec 30 §5.6): delete operations whose finish (or creation, while unfinished) is older than the cut-off. */
export async function purgeExpiredOperations(q: Queryable, cutoff: Date): Promise<number> {
  const rows = await q.query(
    'DELETE FROM dpm_async_operations WHERE COALESCE(finished_at, created_at) < $1 RETURNING 1',
    [cutoff],
  );
  return rows.length;
}

export interface OperationFilters {
  from?: Date;
  to?: Date;
  operation_type?: string;
  status?: string;
  correlation_id?: string;
}

export async function listOperations(
  q: Queryable,
  tenant: string,
  filters: OperationFilters,
  limit: number,
  cursor?: string,
): Promise<Page<OperationRecord>> {
  return keysetPage<OperationRecord>(q, {
    table: 'dpm_async_operations',
    columns: OPERATION_COLUMNS,
    timeColumn: 'created_at',
    idColumn: 'operation_id',
    tenant,
    filters: [
      ['created_at >= ?', filters.from],
      ['created_at <= ?', filters.to],
      ['operation_type = ?', filters.operation_type],
      ['status = ?', filters.status],
      ['correlation_id = ?', filters.correlation_id],
    ],
    limit,
    cursor,
  });
}
