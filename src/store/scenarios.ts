/**
 * The scenario store (spec 50 §1, §2): scenarios and their versions, runs with their claim
 * tokens, output rows, events, and the per-tenant cache version. Every query is scoped to a
 * tenant. Timestamps are `Date`s here; output values and dates come back as exact text.
 */
import type { Queryable } from './database.js';

export interface ScenarioRecord {
  scenario_id: string;
  tenant_id: string;
  name: string;
  description: string | null;
  status: string;
  tags: string[];
  /** The latest version. */
  version: number;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

/** One version of a scenario's content, as stored JSON text. */
export interface ScenarioContentRecord {
  version: number;
  base_json: string;
  assumptions_json: string;
  parameters_json: string;
  created_by: string | null;
  created_at: Date;
}

export interface ScenarioRunRecord {
  run_id: string;
  tenant_id: string;
  scenario_id: string;
  scenario_version: number;
  state: string;
  priority: string;
  code_version: string | null;
  options_json: string;
  request_key: string;
  created_by: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  attempts: number;
  error_json: string | null;
  rebalance_run_id: string | null;
  policy_pack_id: string | null;
  policy_pack_status: string | null;
  metrics_json: string | null;
}

export interface OutputRecord {
  output_id: string;
  tenant_id: string;
  scenario_id: string;
  run_id: string;
  metric_name: string;
  asof_date: string;
  value: string;
  unit: string;
  dimensions: Record<string, string>;
}

export interface NewOutput {
  metric_name: string;
  asof_date: string;
  /** Decimal text, stored as NUMERIC. */
  value: string;
  unit: string;
  dimensions: Record<string, string>;
}

/** Keyset position in a newest-first list. */
export interface ListCursor {
  at: Date;
  id: string;
}

export interface Page<T> {
  items: T[];
  next: ListCursor | null;
}

const SCENARIO_COLUMNS =
  'scenario_id, tenant_id, name, description, status, tags, version, created_by, created_at, updated_at';
const RUN_COLUMNS =
  'run_id, tenant_id, scenario_id, scenario_version, state, priority, code_version, options_json, request_key, created_by, created_at, started_at, finished_at, attempts, error_json, rebalance_run_id, policy_pack_id, policy_pack_status, metrics_json';
const OUTPUT_COLUMNS =
  'o.output_id::text AS output_id, o.tenant_id, o.scenario_id, o.run_id, o.metric_name, o.asof_date::text AS asof_date, o.value::text AS value, o.unit, o.dimensions';

/** PostgreSQL unique_violation (the name of a scenario taken by a concurrent writer). */
export const isUniqueViolation = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === '23505';

// ---- scenarios and versions ------------------------------------------------------------------

/** Insert a scenario and its first version; false when the tenant already has the name. */
export async function insertScenario(
  tx: Queryable,
  s: ScenarioRecord,
  content: ScenarioContentRecord,
): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO scenarios (${SCENARIO_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (tenant_id, name) DO NOTHING RETURNING 1`,
    [
      s.scenario_id,
      s.tenant_id,
      s.name,
      s.description,
      s.status,
      s.tags,
      s.version,
      s.created_by,
      s.created_at,
      s.updated_at,
    ],
  );
  if (rows.length === 0) return false;
  await insertVersion(tx, s.tenant_id, s.scenario_id, content);
  return true;
}

export async function insertVersion(
  tx: Queryable,
  tenant: string,
  scenarioId: string,
  c: ScenarioContentRecord,
): Promise<void> {
  await tx.query(
    `INSERT INTO scenario_versions (scenario_id, version, tenant_id, base_json, assumptions_json, parameters_json, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      scenarioId,
      c.version,
      tenant,
      c.base_json,
      c.assumptions_json,
      c.parameters_json,
      c.created_by,
      c.created_at,
    ],
  );
}

export async function getScenario(
  q: Queryable,
  tenant: string,
  scenarioId: string,
  lock = false,
): Promise<ScenarioRecord | null> {
  const rows = await q.query<ScenarioRecord>(
    `SELECT ${SCENARIO_COLUMNS} FROM scenarios WHERE tenant_id = $1 AND scenario_id = $2${lock ? ' FOR UPDATE' : ''}`,
    [tenant, scenarioId],
  );
  return rows[0] ?? null;
}

export async function getContent(
  q: Queryable,
  tenant: string,
  scenarioId: string,
  version: number,
): Promise<ScenarioContentRecord | null> {
  const rows = await q.query<ScenarioContentRecord>(
    `SELECT version, base_json, assumptions_json, parameters_json, created_by, created_at FROM scenario_versions
     WHERE tenant_id = $1 AND scenario_id = $2 AND version = $3`,
    [tenant, scenarioId, version],
  );
  return rows[0] ?? null;
}

/** The content of several scenario versions in one query, keyed by scenario id. */
export async function getContents(
  q: Queryable,
  tenant: string,
  versions: readonly { scenario_id: string; version: number }[],
): Promise<Map<string, ScenarioContentRecord>> {
  if (versions.length === 0) return new Map();
  const rows = await q.query<ScenarioContentRecord & { scenario_id: string }>(
    `SELECT v.scenario_id, v.version, v.base_json, v.assumptions_json, v.parameters_json, v.created_by, v.created_at
     FROM scenario_versions v JOIN unnest($2::text[], $3::int[]) AS k(id, version)
       ON v.scenario_id = k.id AND v.version = k.version
     WHERE v.tenant_id = $1`,
    [tenant, versions.map((v) => v.scenario_id), versions.map((v) => v.version)],
  );
  return new Map(rows.map(({ scenario_id, ...content }) => [scenario_id, content]));
}

/** Write the scenario's metadata and latest version number (its row must be locked). */
export async function updateScenario(tx: Queryable, s: ScenarioRecord): Promise<void> {
  await tx.query(
    `UPDATE scenarios SET name = $3, description = $4, status = $5, tags = $6, version = $7, updated_at = $8
     WHERE tenant_id = $1 AND scenario_id = $2`,
    [s.tenant_id, s.scenario_id, s.name, s.description, s.status, s.tags, s.version, s.updated_at],
  );
}

/** Delete a scenario with its versions, runs and outputs; false when there was none. */
export async function deleteScenario(tx: Queryable, tenant: string, scenarioId: string): Promise<boolean> {
  const rows = await tx.query('DELETE FROM scenarios WHERE tenant_id = $1 AND scenario_id = $2 RETURNING 1', [
    tenant,
    scenarioId,
  ]);
  return rows.length === 1;
}

export interface ScenarioFilters {
  status?: string;
  name?: string;
  tag?: string;
  createdAfter?: Date;
  createdBefore?: Date;
}

/** Newest first (created_at, then id, descending). */
export async function listScenarios(
  q: Queryable,
  tenant: string,
  filters: ScenarioFilters,
  limit: number,
  cursor?: ListCursor,
): Promise<Page<ScenarioRecord>> {
  return newestFirst<ScenarioRecord>(q, {
    table: 'scenarios',
    columns: SCENARIO_COLUMNS,
    idColumn: 'scenario_id',
    where: [
      ['tenant_id = ?', tenant],
      ['status = ?', filters.status],
      ['strpos(lower(name), lower(?)) > 0', filters.name],
      ['tags @> ARRAY[?]::text[]', filters.tag],
      ['created_at > ?', filters.createdAfter],
      ['created_at < ?', filters.createdBefore],
    ],
    limit,
    cursor,
  });
}

async function newestFirst<T extends { created_at: Date }>(
  q: Queryable,
  query: {
    table: string;
    columns: string;
    idColumn: string;
    /** `[sql with one ?, value]`; an undefined value means "no filter". */
    where: [string, unknown][];
    limit: number;
    cursor?: ListCursor;
  },
): Promise<Page<T>> {
  const params: unknown[] = [];
  const where: string[] = [];
  for (const [clause, value] of query.where) {
    if (value === undefined) continue;
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  }
  if (query.cursor) {
    params.push(query.cursor.at, query.cursor.id);
    where.push(`(created_at, ${query.idColumn}) < ($${params.length - 1}, $${params.length})`);
  }
  params.push(query.limit + 1);
  const rows = await q.query<T>(
    `SELECT ${query.columns} FROM ${query.table} WHERE ${where.join(' AND ')}
     ORDER BY created_at DESC, ${query.idColumn} DESC LIMIT $${params.length}`,
    params,
  );
  const items = rows.slice(0, query.limit);
  const last = items[items.length - 1] as (T & Record<string, unknown>) | undefined;
  return {
    items,
    next:
      rows.length > query.limit && last ? { at: last.created_at, id: String(last[query.idColumn]) } : null,
  };
}

// ---- runs ----------------------------------------------------------------------------------

/**
 * Insert a QUEUED run unless an identical one (same request key) is QUEUED or RUNNING; the
 * partial unique index decides, so two concurrent identical requests yield one run. Returns
 * whether this run was inserted.
 */
export async function insertRun(tx: Queryable, run: ScenarioRunRecord): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO scenario_runs (${RUN_COLUMNS})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
     ON CONFLICT (tenant_id, scenario_id, request_key) WHERE state IN ('QUEUED', 'RUNNING') DO NOTHING
     RETURNING 1`,
    [
      run.run_id,
      run.tenant_id,
      run.scenario_id,
      run.scenario_version,
      run.state,
      run.priority,
      run.code_version,
      run.options_json,
      run.request_key,
      run.created_by,
      run.created_at,
      run.started_at,
      run.finished_at,
      run.attempts,
      run.error_json,
      run.rebalance_run_id,
      run.policy_pack_id,
      run.policy_pack_status,
      run.metrics_json,
    ],
  );
  return rows.length === 1;
}

/** The QUEUED or RUNNING run with this request key, if any. */
export async function findActiveRun(
  q: Queryable,
  tenant: string,
  scenarioId: string,
  requestKey: string,
): Promise<ScenarioRunRecord | null> {
  const rows = await q.query<ScenarioRunRecord>(
    `SELECT ${RUN_COLUMNS} FROM scenario_runs WHERE tenant_id = $1 AND scenario_id = $2 AND request_key = $3
     AND state IN ('QUEUED', 'RUNNING')`,
    [tenant, scenarioId, requestKey],
  );
  return rows[0] ?? null;
}

export async function getRun(q: Queryable, tenant: string, runId: string): Promise<ScenarioRunRecord | null> {
  const rows = await q.query<ScenarioRunRecord>(
    `SELECT ${RUN_COLUMNS} FROM scenario_runs WHERE tenant_id = $1 AND run_id = $2`,
    [tenant, runId],
  );
  return rows[0] ?? null;
}

export interface RunFilters {
  state?: string;
  createdAfter?: Date;
  createdBefore?: Date;
}

export async function listRuns(
  q: Queryable,
  tenant: string,
  scenarioId: string,
  filters: RunFilters,
  limit: number,
  cursor?: ListCursor,
): Promise<Page<ScenarioRunRecord>> {
  return newestFirst<ScenarioRunRecord>(q, {
    table: 'scenario_runs',
    columns: RUN_COLUMNS,
    idColumn: 'run_id',
    where: [
      ['tenant_id = ?', tenant],
      ['scenario_id = ?', scenarioId],
      ['state = ?', filters.state],
      ['created_at > ?', filters.createdAfter],
      ['created_at < ?', filters.createdBefore],
    ],
    limit,
    cursor,
  });
}

/**
 * Claim a run for execution: QUEUED → RUNNING with a fresh claim token. A RUNNING run may be
 * claimed again (its worker died or its attempt failed and the queue retries it); the earlier
 * claim then no longer finishes it. Null when the run is gone or finished (e.g. CANCELLED).
 */
export async function claimRun(
  q: Queryable,
  tenant: string,
  runId: string,
  token: string,
  now: Date,
): Promise<ScenarioRunRecord | null> {
  const rows = await q.query<ScenarioRunRecord>(
    `UPDATE scenario_runs SET state = 'RUNNING', started_at = COALESCE(started_at, $3), attempts = attempts + 1, claim_token = $4
     WHERE tenant_id = $1 AND run_id = $2 AND state IN ('QUEUED', 'RUNNING')
     RETURNING ${RUN_COLUMNS}`,
    [tenant, runId, now, token],
  );
  return rows[0] ?? null;
}

export interface RunOutcome {
  state: 'SUCCEEDED' | 'FAILED';
  now: Date;
  error_json?: string | null;
  rebalance_run_id?: string | null;
  policy_pack_status?: string | null;
  metrics_json?: string | null;
}

/**
 * Finish a claimed run — only while it is still RUNNING under this claim token (a cancel, an
 * admin state change or a newer claim took it otherwise). Returns the finished run, or null when
 * nothing was written.
 */
export async function finishRun(
  q: Queryable,
  runId: string,
  token: string,
  outcome: RunOutcome,
): Promise<ScenarioRunRecord | null> {
  const rows = await q.query<ScenarioRunRecord>(
    `UPDATE scenario_runs SET state = $3, finished_at = $4, error_json = $5, rebalance_run_id = $6,
       policy_pack_status = $7, metrics_json = $8, claim_token = NULL
     WHERE run_id = $1 AND claim_token = $2 AND state = 'RUNNING'
     RETURNING ${RUN_COLUMNS}`,
    [
      runId,
      token,
      outcome.state,
      outcome.now,
      outcome.error_json ?? null,
      outcome.rebalance_run_id ?? null,
      outcome.policy_pack_status ?? null,
      outcome.metrics_json ?? null,
    ],
  );
  return rows[0] ?? null;
}

/**
 * Move a run from one of `from` to `to` atomically, dropping any claim (so a worker that held it
 * writes nothing). Null when the run is not in one of `from`.
 */
export async function transitionRun(
  q: Queryable,
  tenant: string,
  runId: string,
  from: readonly string[],
  to: string,
  fields: { now: Date; error_json?: string | null },
): Promise<ScenarioRunRecord | null> {
  const finished = to === 'SUCCEEDED' || to === 'FAILED' || to === 'CANCELLED';
  const rows = await q.query<ScenarioRunRecord>(
    `UPDATE scenario_runs SET state = $4, claim_token = NULL,
       started_at = CASE WHEN $4 = 'RUNNING' THEN COALESCE(started_at, $5) ELSE started_at END,
       finished_at = CASE WHEN $6 THEN $5 ELSE finished_at END,
       error_json = COALESCE($7, error_json)
     WHERE tenant_id = $1 AND run_id = $2 AND state = ANY($3::text[])
     RETURNING ${RUN_COLUMNS}`,
    [tenant, runId, from, to, fields.now, finished, fields.error_json ?? null],
  );
  return rows[0] ?? null;
}

// ---- outputs -------------------------------------------------------------------------------

/** All output rows of one run in one statement. */
export async function insertOutputs(
  tx: Queryable,
  tenant: string,
  scenarioId: string,
  runId: string,
  outputs: readonly NewOutput[],
): Promise<void> {
  if (outputs.length === 0) return;
  await tx.query(
    `INSERT INTO scenario_outputs (tenant_id, scenario_id, run_id, metric_name, asof_date, value, unit, dimensions)
     SELECT $1, $2, $3, m, d, v, u, dims::jsonb
     FROM unnest($4::text[], $5::date[], $6::numeric[], $7::text[], $8::text[]) AS t(m, d, v, u, dims)`,
    [
      tenant,
      scenarioId,
      runId,
      outputs.map((o) => o.metric_name),
      outputs.map((o) => o.asof_date),
      outputs.map((o) => o.value),
      outputs.map((o) => o.unit),
      outputs.map((o) => JSON.stringify(o.dimensions)),
    ],
  );
}

export interface OutputFilters {
  metricName?: string;
  runId?: string;
  asofFrom?: string;
  asofTo?: string;
}

function outputWhere(filters: OutputFilters, params: unknown[]): string {
  const where: string[] = [];
  const add = (clause: string, value: unknown) => {
    if (value === undefined) return;
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  add('o.metric_name = ?', filters.metricName);
  add('o.run_id = ?', filters.runId);
  add('o.asof_date >= ?::date', filters.asofFrom);
  add('o.asof_date <= ?::date', filters.asofTo);
  return where.map((w) => ` AND ${w}`).join('');
}

/**
 * Up to `limit` output rows of a scenario after the output id `after`, in output id order (the
 * order they were written), and whether the scenario exists (looked up only when no row came
 * back: output rows exist only while their scenario does).
 */
export async function outputPage(
  q: Queryable,
  tenant: string,
  scenarioId: string,
  filters: OutputFilters,
  limit: number,
  after?: string,
): Promise<{ exists: boolean; rows: OutputRecord[] }> {
  const params: unknown[] = [tenant, scenarioId, after ?? '0', limit];
  const rows = await q.query<OutputRecord>(
    `SELECT ${OUTPUT_COLUMNS} FROM scenario_outputs o
     WHERE o.tenant_id = $1 AND o.scenario_id = $2 AND o.output_id > $3::bigint${outputWhere(filters, params)}
     ORDER BY o.output_id LIMIT $4`,
    params,
  );
  if (rows.length > 0) return { exists: true, rows };
  return { exists: (await getScenario(q, tenant, scenarioId)) !== null, rows };
}

/**
 * For each metric, the rows of the latest SUCCEEDED run (by finish time, then run id) that wrote
 * it: its one value, or for a time series the last point of each series (per dimensions).
 * Null when the scenario does not exist.
 */
export async function latestMetrics(
  q: Queryable,
  tenant: string,
  scenarioId: string,
  metricNames: readonly string[],
): Promise<(OutputRecord & { finished_at: Date })[] | null> {
  const rows = await q.query<OutputRecord & { finished_at: Date; found: string }>(
    `SELECT s.scenario_id AS found, x.* FROM scenarios s
     LEFT JOIN LATERAL (
       SELECT m.ord, lr.finished_at, ${OUTPUT_COLUMNS}
       FROM unnest($3::text[]) WITH ORDINALITY AS m(metric_name, ord)
       CROSS JOIN LATERAL (
         SELECT r.run_id, r.finished_at FROM scenario_runs r
         WHERE r.tenant_id = s.tenant_id AND r.scenario_id = s.scenario_id AND r.state = 'SUCCEEDED'
           AND EXISTS (SELECT 1 FROM scenario_outputs e WHERE e.run_id = r.run_id AND e.metric_name = m.metric_name)
         ORDER BY r.finished_at DESC, r.run_id DESC LIMIT 1
       ) lr
       CROSS JOIN LATERAL (
         SELECT DISTINCT ON (p.dimensions) p.* FROM scenario_outputs p
         WHERE p.run_id = lr.run_id AND p.metric_name = m.metric_name
         ORDER BY p.dimensions, p.asof_date DESC, p.output_id DESC
       ) o
     ) x ON true
     WHERE s.tenant_id = $1 AND s.scenario_id = $2
     ORDER BY x.ord, x.dimensions::text`,
    [tenant, scenarioId, metricNames],
  );
  if (rows.length === 0) return null;
  return rows
    .filter((r) => r.output_id !== null)
    .map(
      ({
        found: _found,
        ord: _ord,
        ...row
      }: OutputRecord & { finished_at: Date; found: string; ord?: unknown }) => row,
    );
}

// ---- events and cache version --------------------------------------------------------------

export interface ScenarioEvent {
  tenant_id: string;
  scenario_id: string;
  run_id: string | null;
  event_type: string;
  actor: string | null;
  detail: Record<string, unknown>;
  created_at: Date;
}

/** Append to the audit trail (kept when the scenario is deleted). */
export async function appendEvent(tx: Queryable, e: ScenarioEvent): Promise<void> {
  await tx.query(
    `INSERT INTO scenario_events (tenant_id, scenario_id, run_id, event_type, actor, detail_json, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [e.tenant_id, e.scenario_id, e.run_id, e.event_type, e.actor, JSON.stringify(e.detail), e.created_at],
  );
}

/**
 * Bump the tenant's cache version inside the writing transaction, as its last statement (the
 * row lock is then held only until commit). Returns the new version.
 */
export async function bumpCacheVersion(tx: Queryable, tenant: string): Promise<number> {
  const rows = await tx.query<{ version: string }>(
    `INSERT INTO scenario_cache_versions (tenant_id, version) VALUES ($1, 1)
     ON CONFLICT (tenant_id) DO UPDATE SET version = scenario_cache_versions.version + 1
     RETURNING version::text AS version`,
    [tenant],
  );
  return Number(rows[0]!.version);
}

export async function getCacheVersion(q: Queryable, tenant: string): Promise<number> {
  const rows = await q.query<{ version: string }>(
    'SELECT version::text AS version FROM scenario_cache_versions WHERE tenant_id = $1',
    [tenant],
  );
  return rows[0] ? Number(rows[0].version) : 0;
}
