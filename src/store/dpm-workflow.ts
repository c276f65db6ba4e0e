/** Workflow decisions on runs (spec 30 §11): append, read per run, filtered keyset lists. */
import type { Queryable } from './database.js';
import type { DecisionRecord } from './dpm-operations.js';
import { keysetPage, type Page } from './keyset.js';

const COLUMNS = 'decision_id, run_id, action, reason_code, comment, actor_id, decided_at, correlation_id';

export async function appendDecision(q: Queryable, tenant: string, d: DecisionRecord): Promise<void> {
  await q.query(
    `INSERT INTO dpm_workflow_decisions (tenant_id, ${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      tenant,
      d.decision_id,
      d.run_id,
      d.action,
      d.reason_code,
      d.comment,
      d.actor_id,
      d.decided_at,
      d.correlation_id,
    ],
  );
}

/** The newest decision of a run (largest decided_at, then insertion order). */
export async function latestDecision(
  q: Queryable,
  tenant: string,
  runId: string,
): Promise<DecisionRecord | null> {
  const rows = await q.query<DecisionRecord>(
    `SELECT ${COLUMNS} FROM dpm_workflow_decisions WHERE tenant_id = $1 AND run_id = $2 ORDER BY decided_at DESC, seq DESC LIMIT 1`,
    [tenant, runId],
  );
  return rows[0] ?? null;
}

export interface DecisionFilters {
  rebalance_run_id?: string;
  action?: string;
  actor_id?: string;
  reason_code?: string;
  from?: Date;
  to?: Date;
}

export async function listDecisions(
  q: Queryable,
  tenant: string,
  filters: DecisionFilters,
  limit: number,
  cursor?: string,
): Promise<Page<DecisionRecord>> {
  return keysetPage<DecisionRecord>(q, {
    table: 'dpm_workflow_decisions',
    columns: COLUMNS,
    timeColumn: 'decided_at',
    idColumn: 'decision_id',
    tenant,
    filters: [
      ['run_id = ?', filters.rebalance_run_id],
      ['action = ?', filters.action],
      ['actor_id = ?', filters.actor_id],
      ['reason_code = ?', filters.reason_code],
      ['decided_at >= ?', filters.from],
      ['decided_at <= ?', filters.to],
    ],
    limit,
    cursor,
  });
}
