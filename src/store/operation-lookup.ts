/**
 * The two look-ups every async-operation table answers alike (DPM analyses in
 * dpm_async_operations, proposal operations in proposal_async_operations): one operation by id,
 * and the newest operation under a correlation id. Both are scoped by tenant.
 */
import type { Queryable } from './database.js';

export interface OperationTable {
  table: string;
  columns: string;
  /** The column that orders operations created in the same instant (newest = highest). */
  tieBreak: string;
}

export async function findOperationIn<T>(
  q: Queryable,
  t: OperationTable,
  tenant: string,
  operationId: string,
): Promise<T | null> {
  const rows = await q.query<T>(
    `SELECT ${t.columns} FROM ${t.table} WHERE tenant_id = $1 AND operation_id = $2`,
    [tenant, operationId],
  );
  return rows[0] ?? null;
}

/** The most recently created operation with this correlation id. */
export async function findNewestByCorrelationIn<T>(
  q: Queryable,
  t: OperationTable,
  tenant: string,
  correlationId: string,
): Promise<T | null> {
  const rows = await q.query<T>(
    `SELECT ${t.columns} FROM ${t.table} WHERE tenant_id = $1 AND correlation_id = $2
     ORDER BY created_at DESC, ${t.tieBreak} DESC LIMIT 1`,
    [tenant, correlationId],
  );
  return rows[0] ?? null;
}
