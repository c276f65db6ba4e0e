/**
 * Async operations and workflow decisions as the run supportability endpoints read them
 * (spec 30 §5, §11). Writers live with the async and workflow features.
 */
import type { Queryable } from './database.js';

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
}

const OPERATION_COLUMNS =
  'operation_id, tenant_id, operation_type, status, correlation_id, created_at, started_at, finished_at, result_json, error_json, request_json, attempts';

export async function findOperation(
  db: Queryable,
  tenant: string,
  operationId: string,
): Promise<OperationRecord | null> {
  const rows = await db.query<OperationRecord>(
    `SELECT ${OPERATION_COLUMNS} FROM dpm_async_operations WHERE tenant_id = $1 AND operation_id = $2`,
    [tenant, operationId],
  );
  return rows[0] ?? null;
}

/** Newest operation with this correlation id. */
export async function findOperationByCorrelation(
  db: Queryable,
  tenant: string,
  correlationId: string,
): Promise<OperationRecord | null> {
  const rows = await db.query<OperationRecord>(
    `SELECT ${OPERATION_COLUMNS} FROM dpm_async_operations WHERE tenant_id = $1 AND correlation_id = $2
     ORDER BY created_at DESC, operation_id DESC LIMIT 1`,
    [tenant, correlationId],
  );
  return rows[0] ?? null;
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
