/**
 * The DPM run store (spec 30 §12.1): runs, idempotency mappings and history, lineage edges,
 * artifacts; look-ups, keyset-paginated lists, the supportability summary and retention.
 * Every query is scoped to a tenant. Timestamps are `Date`s here and ISO text at the edge.
 */
import type { Database, Queryable } from './database.js';
import { keysetPage, type Page } from './keyset.js';

export type { Page } from './keyset.js';

export interface RunRecord {
  rebalance_run_id: string;
  tenant_id: string;
  correlation_id: string;
  request_hash: string;
  idempotency_key: string | null;
  portfolio_id: string;
  status: string;
  created_at: Date;
  /** The exact JSON text of the result that was served. */
  result_json: string;
  /** The authenticated caller who created the run, when known. */
  created_by: string | null;
  /** The policy pack the run was computed under, with its definition (JSON); null: none selected. */
  policy_pack_json?: string | null;
}

export interface IdempotencyMapping {
  idempotency_key: string;
  request_hash: string;
  rebalance_run_id: string;
  created_at: Date;
}

export interface HistoryRow {
  rebalance_run_id: string;
  correlation_id: string;
  request_hash: string;
  created_at: Date;
}

export interface LineageEdge {
  source_entity_id: string;
  edge_type: string;
  target_entity_id: string;
  created_at: Date;
  metadata_json: string;
}

export interface RunFilters {
  from?: Date;
  to?: Date;
  status?: string;
  request_hash?: string;
  portfolio_id?: string;
}

const RUN_COLUMNS =
  'rebalance_run_id, tenant_id, correlation_id, request_hash, idempotency_key, portfolio_id, status, created_at, result_json, created_by, policy_pack_json';

/**
 * How a recording treats the idempotency key: `claim` records only if the key is still free
 * (replay on: the first request wins, later ones replay), `overwrite` re-points the key to this
 * run (replay off), `none` for runs without a key (batch scenarios).
 */
export type KeyMode = 'claim' | 'overwrite' | 'none';

/**
 * Everything one recording writes — run, artifact, idempotency mapping and history, lineage
 * edges — as ONE statement, so it is atomic and costs one round trip (GAP G-S5). Returns false
 * when `claim` found the key taken (nothing was written).
 */
export async function recordRun(
  q: Queryable,
  run: RunRecord,
  options: { keyMode: KeyMode; artifactJson?: string },
): Promise<boolean> {
  const params: unknown[] = [
    run.rebalance_run_id,
    run.tenant_id,
    run.correlation_id,
    run.request_hash,
    run.idempotency_key,
    run.portfolio_id,
    run.status,
    run.created_at,
    run.result_json,
    JSON.stringify({ request_hash: run.request_hash }),
    options.artifactJson ?? null,
    run.created_by,
    run.policy_pack_json ?? null,
  ];
  const keyed = options.keyMode !== 'none' && run.idempotency_key !== null;
  const ctes: string[] = [];
  let gate = '(SELECT 1) AS one';
  if (keyed) {
    const onConflict =
      options.keyMode === 'claim'
        ? 'DO NOTHING'
        : 'DO UPDATE SET request_hash = EXCLUDED.request_hash, rebalance_run_id = EXCLUDED.rebalance_run_id, created_at = EXCLUDED.created_at';
    ctes.push(`mapping AS (
      INSERT INTO dpm_run_idempotency (tenant_id, idempotency_key, request_hash, rebalance_run_id, created_at)
      VALUES ($2::text, $5::text, $4::text, $1::text, $8::timestamptz) ON CONFLICT (tenant_id, idempotency_key) ${onConflict}
      RETURNING 1)`);
    gate = 'mapping';
    ctes.push(`history AS (
      INSERT INTO dpm_run_idempotency_history (tenant_id, idempotency_key, rebalance_run_id, correlation_id, request_hash, created_at)
      SELECT $2::text, $5::text, $1::text, $3::text, $4::text, $8::timestamptz FROM mapping)`);
  }
  ctes.push(`run AS (
    INSERT INTO dpm_runs (${RUN_COLUMNS})
    SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::timestamptz, $9::text, $12::text, $13::text FROM ${gate}
    RETURNING 1)`);
  const edgeSources = keyed
    ? `(VALUES ($3::text, 'CORRELATION_TO_RUN'), ($5::text, 'IDEMPOTENCY_TO_RUN'))`
    : `(VALUES ($3::text, 'CORRELATION_TO_RUN'))`;
  ctes.push(`edges AS (
    INSERT INTO dpm_lineage_edges (tenant_id, source_entity_id, edge_type, target_entity_id, created_at, metadata_json)
    SELECT $2::text, e.source, e.edge_type, $1::text, $8::timestamptz, $10::text FROM ${gate} CROSS JOIN ${edgeSources} AS e(source, edge_type))`);
  ctes.push(`artifact AS (
    INSERT INTO dpm_run_artifacts (rebalance_run_id, artifact_json)
    SELECT $1::text, $11::text FROM ${gate} WHERE $11::text IS NOT NULL)`);
  // One text per key mode: prepared once per server connection (keel_record_run_claim, …).
  const rows = await q.query<{ recorded: number }>(
    `WITH ${ctes.join(',\n')} SELECT COUNT(*)::int AS recorded FROM run`,
    params,
    { name: `keel_record_run_${keyed ? options.keyMode : 'none'}` },
  );
  return rows[0]!.recorded === 1;
}

export interface IdempotentResult {
  request_hash: string;
  result_json: string | null;
  /** The policy pack record of the mapped run (spec 40 Q-B8: replay compares it too). */
  policy_pack_json: string | null;
}

/** The stored answer for an idempotency key: its request hash and the mapped run's result. */
export async function getIdempotentResult(
  db: Queryable,
  tenant: string,
  key: string,
): Promise<IdempotentResult | null> {
  const rows = await db.query<IdempotentResult>(
    `SELECT m.request_hash, r.result_json, r.policy_pack_json FROM dpm_run_idempotency m
     LEFT JOIN dpm_runs r ON r.rebalance_run_id = m.rebalance_run_id
     WHERE m.tenant_id = $1 AND m.idempotency_key = $2`,
    [tenant, key],
  );
  return rows[0] ?? null;
}

export async function appendEdge(tx: Queryable, tenant: string, edge: LineageEdge): Promise<void> {
  await tx.query(
    `INSERT INTO dpm_lineage_edges (tenant_id, source_entity_id, edge_type, target_entity_id, created_at, metadata_json)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      tenant,
      edge.source_entity_id,
      edge.edge_type,
      edge.target_entity_id,
      edge.created_at,
      edge.metadata_json,
    ],
  );
}

export async function saveArtifact(tx: Queryable, runId: string, artifactJson: string): Promise<void> {
  await tx.query(
    `INSERT INTO dpm_run_artifacts (rebalance_run_id, artifact_json) VALUES ($1, $2)
     ON CONFLICT (rebalance_run_id) DO UPDATE SET artifact_json = EXCLUDED.artifact_json`,
    [runId, artifactJson],
  );
}

export async function getArtifact(db: Queryable, runId: string): Promise<string | null> {
  const rows = await db.query<{ artifact_json: string }>(
    'SELECT artifact_json FROM dpm_run_artifacts WHERE rebalance_run_id = $1',
    [runId],
  );
  return rows[0]?.artifact_json ?? null;
}

export async function getRun(db: Queryable, tenant: string, runId: string): Promise<RunRecord | null> {
  const rows = await db.query<RunRecord>(
    `SELECT ${RUN_COLUMNS} FROM dpm_runs WHERE tenant_id = $1 AND rebalance_run_id = $2`,
    [tenant, runId],
  );
  return rows[0] ?? null;
}

/** Newest run (by created_at, then id) whose `column` equals `value`. */
async function newestRunWhere(
  db: Queryable,
  tenant: string,
  column: 'correlation_id' | 'request_hash',
  value: string,
): Promise<RunRecord | null> {
  const rows = await db.query<RunRecord>(
    `SELECT ${RUN_COLUMNS} FROM dpm_runs WHERE tenant_id = $1 AND ${column} = $2
     ORDER BY created_at DESC, rebalance_run_id DESC LIMIT 1`,
    [tenant, value],
  );
  return rows[0] ?? null;
}

/** Newest run with this correlation id (docs/decisions/0005). */
export const getRunByCorrelation = (db: Queryable, tenant: string, correlationId: string) =>
  newestRunWhere(db, tenant, 'correlation_id', correlationId);

export const getRunByRequestHash = (db: Queryable, tenant: string, requestHash: string) =>
  newestRunWhere(db, tenant, 'request_hash', requestHash);

export async function listRuns(
  db: Queryable,
  tenant: string,
  filters: RunFilters,
  limit: number,
  cursor?: string,
): Promise<Page<RunRecord>> {
  return keysetPage<RunRecord>(db, {
    table: 'dpm_runs',
    columns: RUN_COLUMNS,
    timeColumn: 'created_at',
    idColumn: 'rebalance_run_id',
    tenant,
    filters: [
      ['created_at >= ?', filters.from],
      ['created_at <= ?', filters.to],
      ['status = ?', filters.status],
      ['request_hash = ?', filters.request_hash],
      ['portfolio_id = ?', filters.portfolio_id],
    ],
    limit,
    cursor,
  });
}

export async function getMapping(
  db: Queryable,
  tenant: string,
  key: string,
): Promise<IdempotencyMapping | null> {
  const rows = await db.query<IdempotencyMapping>(
    `SELECT idempotency_key, request_hash, rebalance_run_id, created_at FROM dpm_run_idempotency
     WHERE tenant_id = $1 AND idempotency_key = $2`,
    [tenant, key],
  );
  return rows[0] ?? null;
}

export async function getHistory(db: Queryable, tenant: string, key: string): Promise<HistoryRow[]> {
  return db.query<HistoryRow>(
    `SELECT rebalance_run_id, correlation_id, request_hash, created_at FROM dpm_run_idempotency_history
     WHERE tenant_id = $1 AND idempotency_key = $2
     ORDER BY created_at, rebalance_run_id, correlation_id, request_hash, seq`,
    [tenant, key],
  );
}

/** Edges where the entity is source or target, ascending (spec 30 §9). */
export async function getEdges(db: Queryable, tenant: string, entityId: string): Promise<LineageEdge[]> {
  return db.query<LineageEdge>(
    `SELECT source_entity_id, edge_type, target_entity_id, created_at, metadata_json FROM dpm_lineage_edges
     WHERE tenant_id = $1 AND (source_entity_id = $2 OR target_entity_id = $2)
     ORDER BY created_at, source_entity_id, edge_type, target_entity_id, seq`,
    [tenant, entityId],
  );
}

export interface StoreSummary {
  run_count: number;
  operation_count: number;
  operation_status_counts: Record<string, number>;
  run_status_counts: Record<string, number>;
  workflow_decision_count: number;
  workflow_action_counts: Record<string, number>;
  workflow_reason_code_counts: Record<string, number>;
  lineage_edge_count: number;
  oldest_run_created_at: Date | null;
  newest_run_created_at: Date | null;
  oldest_operation_created_at: Date | null;
  newest_operation_created_at: Date | null;
}

export async function summarise(db: Queryable, tenant: string): Promise<StoreSummary> {
  const counts = async (table: string, column: string) => {
    const rows = await db.query<{ key: string; n: number }>(
      `SELECT ${column} AS key, COUNT(*)::int AS n FROM ${table} WHERE tenant_id = $1 AND ${column} <> '' GROUP BY ${column} ORDER BY ${column}`,
      [tenant],
    );
    return Object.fromEntries(rows.map((r) => [r.key, r.n]));
  };
  const span = async (table: string) =>
    (
      await db.query<{ n: number; oldest: Date | null; newest: Date | null }>(
        `SELECT COUNT(*)::int AS n, MIN(created_at) AS oldest, MAX(created_at) AS newest FROM ${table} WHERE tenant_id = $1`,
        [tenant],
      )
    )[0]!;
  const runs = await span('dpm_runs');
  const operations = await span('dpm_async_operations');
  const decisions = await db.query<{ n: number }>(
    'SELECT COUNT(*)::int AS n FROM dpm_workflow_decisions WHERE tenant_id = $1',
    [tenant],
  );
  const edges = await db.query<{ n: number }>(
    'SELECT COUNT(*)::int AS n FROM dpm_lineage_edges WHERE tenant_id = $1',
    [tenant],
  );
  return {
    run_count: runs.n,
    operation_count: operations.n,
    operation_status_counts: await counts('dpm_async_operations', 'status'),
    run_status_counts: await counts('dpm_runs', 'status'),
    workflow_decision_count: decisions[0]!.n,
    workflow_action_counts: await counts('dpm_workflow_decisions', 'action'),
    workflow_reason_code_counts: await counts('dpm_workflow_decisions', 'reason_code'),
    lineage_edge_count: edges[0]!.n,
    oldest_run_created_at: runs.oldest,
    newest_run_created_at: runs.newest,
    oldest_operation_created_at: operations.oldest,
    newest_operation_created_at: operations.newest,
  };
}

/**
 * Retention (spec 30 §12.5): delete runs older than the cut-off with their artifacts, workflow
 * decisions, idempotency mappings and history rows, and the lineage edges that point at them.
 * Unlike the reference (QUIRK Q-S18), edges of younger runs that merely share a correlation id
 * or key are kept: only edges whose source or target is an expired run id go.
 */
export async function purgeExpiredRuns(db: Database, cutoff: Date): Promise<number> {
  return db.transaction(async (tx) => {
    const expired = await tx.query<{ rebalance_run_id: string }>(
      'DELETE FROM dpm_runs WHERE created_at < $1 RETURNING rebalance_run_id',
      [cutoff],
    );
    if (expired.length === 0) return 0;
    const ids = expired.map((r) => r.rebalance_run_id);
    await tx.query('DELETE FROM dpm_run_artifacts WHERE rebalance_run_id = ANY($1)', [ids]);
    await tx.query('DELETE FROM dpm_workflow_decisions WHERE run_id = ANY($1)', [ids]);
    await tx.query('DELETE FROM dpm_run_idempotency WHERE rebalance_run_id = ANY($1)', [ids]);
    await tx.query('DELETE FROM dpm_run_idempotency_history WHERE rebalance_run_id = ANY($1)', [ids]);
    await tx.query(
      'DELETE FROM dpm_lineage_edges WHERE source_entity_id = ANY($1) OR target_entity_id = ANY($1)',
      [ids],
    );
    return ids.length;
  });
}
