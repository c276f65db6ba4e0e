/** Workflow decisions on runs (spec 30 §11): append, read per run, filtered keyset lists. */
import type { Queryable } from './database.js';
import type { DecisionRecord } from './dpm-operations.js';
import type { Page } from './dpm-runs.js';

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
  const where = ['tenant_id = $1'];
  const params: unknown[] = [tenant];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  if (filters.rebalance_run_id !== undefined) add('run_id = ?', filters.rebalance_run_id);
  if (filters.action !== undefined) add('action = ?', filters.action);
  if (filters.actor_id !== undefined) add('actor_id = ?', filters.actor_id);
  if (filters.reason_code !== undefined) add('reason_code = ?', filters.reason_code);
  if (filters.from) add('decided_at >= ?', filters.from);
  if (filters.to) add('decided_at <= ?', filters.to);
  if (cursor !== undefined) {
    const anchor = await q.query<{ decided_at: Date }>(
      'SELECT decided_at FROM dpm_workflow_decisions WHERE tenant_id = $1 AND decision_id = $2',
      [tenant, cursor],
    );
    if (!anchor[0]) return { items: [], next_cursor: null };
    params.push(anchor[0].decided_at, cursor);
    where.push(`(decided_at, decision_id) < ($${params.length - 1}, $${params.length})`);
  }
  params.push(limit + 1);
  const rows = await q.query<DecisionRecord>(
    `SELECT ${COLUMNS} FROM dpm_workflow_decisions WHERE ${where.join(' AND ')}
     ORDER BY decided_at DESC, decision_id DESC LIMIT $${params.length}`,
    params,
  );
  const items = rows.slice(0, limit);
  return { items, next_cursor: rows.length > limit ? items[items.length - 1]!.decision_id : null };
}
