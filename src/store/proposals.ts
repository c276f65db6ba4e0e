/**
 * The advisory proposal lifecycle in PostgreSQL (spec 40 §3, §11): aggregates, immutable
 * versions, append-only events and approvals, the create idempotency mapping and async
 * operations. Every query is scoped by tenant. Versions, events and approvals are insert-only
 * (closing QUIRK Q-P14): a duplicate key is an error, never an overwrite.
 */
import type { Queryable } from './database.js';
import { keysetPage, type Page } from './keyset.js';
import { findNewestByCorrelationIn, findOperationIn, type OperationTable } from './operation-lookup.js';

export interface ProposalRecord {
  proposal_id: string;
  portfolio_id: string;
  mandate_id: string | null;
  jurisdiction: string | null;
  created_by: string;
  created_at: Date;
  last_event_at: Date;
  current_state: string;
  current_version_no: number;
  title: string | null;
  advisor_notes: string | null;
}

export interface VersionRecord {
  proposal_version_id: string;
  proposal_id: string;
  version_no: number;
  created_by: string;
  created_at: Date;
  request_hash: string;
  artifact_hash: string;
  simulation_hash: string;
  status_at_creation: string;
  proposal_result_json: string;
  artifact_json: string;
  evidence_bundle_json: string;
  gate_decision_json: string | null;
}

export type VersionHashes = Pick<
  VersionRecord,
  | 'proposal_version_id'
  | 'version_no'
  | 'created_at'
  | 'status_at_creation'
  | 'request_hash'
  | 'simulation_hash'
  | 'artifact_hash'
>;

export interface EventRecord {
  event_id: string;
  proposal_id: string;
  event_type: string;
  from_state: string | null;
  to_state: string;
  actor_id: string;
  occurred_at: Date;
  reason_json: string;
  related_version_no: number | null;
}

export interface ApprovalRecord {
  approval_id: string;
  proposal_id: string;
  approval_type: string;
  approved: boolean;
  actor_id: string;
  occurred_at: Date;
  details_json: string;
  related_version_no: number | null;
}

export interface IdempotencyRecord {
  idempotency_key: string;
  request_hash: string;
  proposal_id: string;
  proposal_version_no: number;
  created_at: Date;
}

const PROPOSAL_COLUMNS =
  'proposal_id, portfolio_id, mandate_id, jurisdiction, created_by, created_at, last_event_at, current_state, current_version_no, title, advisor_notes';
const VERSION_COLUMNS =
  'proposal_version_id, proposal_id, version_no, created_by, created_at, request_hash, artifact_hash, simulation_hash, status_at_creation, proposal_result_json, artifact_json, evidence_bundle_json, gate_decision_json';
const EVENT_COLUMNS =
  'event_id, proposal_id, event_type, from_state, to_state, actor_id, occurred_at, reason_json, related_version_no';
const APPROVAL_COLUMNS =
  'approval_id, proposal_id, approval_type, approved, actor_id, occurred_at, details_json, related_version_no';

const values = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ');

// --- aggregates ------------------------------------------------------------------------------

export async function insertProposal(q: Queryable, tenant: string, p: ProposalRecord): Promise<void> {
  await q.query(`INSERT INTO proposal_records (tenant_id, ${PROPOSAL_COLUMNS}) VALUES (${values(12)})`, [
    tenant,
    p.proposal_id,
    p.portfolio_id,
    p.mandate_id,
    p.jurisdiction,
    p.created_by,
    p.created_at,
    p.last_event_at,
    p.current_state,
    p.current_version_no,
    p.title,
    p.advisor_notes,
  ]);
}

/** The aggregate; with `lock`, its row stays locked until the transaction ends (commands on one proposal serialise). */
export async function findProposal(
  q: Queryable,
  tenant: string,
  proposalId: string,
  options: { lock?: boolean } = {},
): Promise<ProposalRecord | null> {
  const rows = await q.query<ProposalRecord>(
    `SELECT ${PROPOSAL_COLUMNS} FROM proposal_records WHERE tenant_id = $1 AND proposal_id = $2${options.lock ? ' FOR UPDATE' : ''}`,
    [tenant, proposalId],
  );
  return rows[0] ?? null;
}

export async function updateProposalState(
  q: Queryable,
  tenant: string,
  proposalId: string,
  change: { current_state: string; current_version_no: number; last_event_at: Date },
): Promise<void> {
  await q.query(
    `UPDATE proposal_records SET current_state = $3, current_version_no = $4, last_event_at = $5
     WHERE tenant_id = $1 AND proposal_id = $2`,
    [tenant, proposalId, change.current_state, change.current_version_no, change.last_event_at],
  );
}

export interface ProposalFilters {
  portfolio_id?: string;
  state?: string;
  created_by?: string;
  created_from?: Date;
  created_to?: Date;
}

/** Newest first (created_at, then proposal_id, descending); keyset pages in SQL (GAP G-P6). */
export function listProposals(
  q: Queryable,
  tenant: string,
  filters: ProposalFilters,
  limit: number,
  cursor?: string,
): Promise<Page<ProposalRecord>> {
  return keysetPage<ProposalRecord>(q, {
    table: 'proposal_records',
    columns: PROPOSAL_COLUMNS,
    timeColumn: 'created_at',
    idColumn: 'proposal_id',
    tenant,
    filters: [
      ['portfolio_id = ?', filters.portfolio_id],
      ['current_state = ?', filters.state],
      ['created_by = ?', filters.created_by],
      ['created_at >= ?', filters.created_from],
      ['created_at <= ?', filters.created_to],
    ],
    limit,
    cursor,
  });
}

// --- versions --------------------------------------------------------------------------------

export async function insertVersion(q: Queryable, tenant: string, v: VersionRecord): Promise<void> {
  await q.query(`INSERT INTO proposal_versions (tenant_id, ${VERSION_COLUMNS}) VALUES (${values(14)})`, [
    tenant,
    v.proposal_version_id,
    v.proposal_id,
    v.version_no,
    v.created_by,
    v.created_at,
    v.request_hash,
    v.artifact_hash,
    v.simulation_hash,
    v.status_at_creation,
    v.proposal_result_json,
    v.artifact_json,
    v.evidence_bundle_json,
    v.gate_decision_json,
  ]);
}

export async function findVersion(
  q: Queryable,
  tenant: string,
  proposalId: string,
  versionNo: number,
): Promise<VersionRecord | null> {
  const rows = await q.query<VersionRecord>(
    `SELECT ${VERSION_COLUMNS} FROM proposal_versions WHERE tenant_id = $1 AND proposal_id = $2 AND version_no = $3`,
    [tenant, proposalId, versionNo],
  );
  return rows[0] ?? null;
}

/** Status and creator of a version, without its documents. */
export async function versionHeader(
  q: Queryable,
  tenant: string,
  proposalId: string,
  versionNo: number,
): Promise<{ status_at_creation: string; created_by: string } | null> {
  const rows = await q.query<{ status_at_creation: string; created_by: string }>(
    'SELECT status_at_creation, created_by FROM proposal_versions WHERE tenant_id = $1 AND proposal_id = $2 AND version_no = $3',
    [tenant, proposalId, versionNo],
  );
  return rows[0] ?? null;
}

/** Hashes of versions 1 … upTo, ascending (spec 40 §6.13). */
export async function listVersionHashes(
  q: Queryable,
  tenant: string,
  proposalId: string,
  upTo: number,
): Promise<VersionHashes[]> {
  return q.query<VersionHashes>(
    `SELECT proposal_version_id, version_no, created_at, status_at_creation, request_hash, simulation_hash, artifact_hash
     FROM proposal_versions WHERE tenant_id = $1 AND proposal_id = $2 AND version_no <= $3 ORDER BY version_no`,
    [tenant, proposalId, upTo],
  );
}

// --- events and approvals --------------------------------------------------------------------

export async function insertEvent(q: Queryable, tenant: string, e: EventRecord): Promise<void> {
  await q.query(`INSERT INTO proposal_workflow_events (tenant_id, ${EVENT_COLUMNS}) VALUES (${values(10)})`, [
    tenant,
    e.event_id,
    e.proposal_id,
    e.event_type,
    e.from_state,
    e.to_state,
    e.actor_id,
    e.occurred_at,
    e.reason_json,
    e.related_version_no,
  ]);
}

/**
 * Events in the order they were recorded. Every event of a proposal is written under its row lock,
 * so the sequence is the causal order (the same as occurred_at's, unless servers' clocks disagree).
 */
export async function listEvents(q: Queryable, tenant: string, proposalId: string): Promise<EventRecord[]> {
  return q.query<EventRecord>(
    `SELECT ${EVENT_COLUMNS} FROM proposal_workflow_events WHERE tenant_id = $1 AND proposal_id = $2 ORDER BY seq`,
    [tenant, proposalId],
  );
}

export async function latestEvent(
  q: Queryable,
  tenant: string,
  proposalId: string,
): Promise<EventRecord | null> {
  const rows = await q.query<EventRecord>(
    `SELECT ${EVENT_COLUMNS} FROM proposal_workflow_events WHERE tenant_id = $1 AND proposal_id = $2
     ORDER BY seq DESC LIMIT 1`,
    [tenant, proposalId],
  );
  return rows[0] ?? null;
}

export async function insertApproval(q: Queryable, tenant: string, a: ApprovalRecord): Promise<void> {
  await q.query(`INSERT INTO proposal_approvals (tenant_id, ${APPROVAL_COLUMNS}) VALUES (${values(9)})`, [
    tenant,
    a.approval_id,
    a.proposal_id,
    a.approval_type,
    a.approved,
    a.actor_id,
    a.occurred_at,
    a.details_json,
    a.related_version_no,
  ]);
}

/** Approvals in the order they were recorded (see listEvents). */
export async function listApprovals(
  q: Queryable,
  tenant: string,
  proposalId: string,
): Promise<ApprovalRecord[]> {
  return q.query<ApprovalRecord>(
    `SELECT ${APPROVAL_COLUMNS} FROM proposal_approvals WHERE tenant_id = $1 AND proposal_id = $2 ORDER BY seq`,
    [tenant, proposalId],
  );
}

/** The type of the latest approving RISK or COMPLIANCE decision, if any. */
export async function lastApprovedReview(
  q: Queryable,
  tenant: string,
  proposalId: string,
): Promise<'RISK' | 'COMPLIANCE' | null> {
  const rows = await q.query<{ approval_type: 'RISK' | 'COMPLIANCE' }>(
    `SELECT approval_type FROM proposal_approvals
     WHERE tenant_id = $1 AND proposal_id = $2 AND approved AND approval_type IN ('RISK', 'COMPLIANCE')
     ORDER BY seq DESC LIMIT 1`,
    [tenant, proposalId],
  );
  return rows[0]?.approval_type ?? null;
}

// --- create idempotency ----------------------------------------------------------------------

export async function findIdempotency(
  q: Queryable,
  tenant: string,
  key: string,
): Promise<IdempotencyRecord | null> {
  const rows = await q.query<IdempotencyRecord>(
    `SELECT idempotency_key, request_hash, proposal_id, proposal_version_no, created_at
     FROM proposal_create_idempotency WHERE tenant_id = $1 AND idempotency_key = $2`,
    [tenant, key],
  );
  return rows[0] ?? null;
}

/**
 * Claim a key for a new proposal (GAP G-P10): false when another create holds it. A concurrent
 * claimer waits here until the holder's transaction ends, so the loser sees the winner's mapping.
 */
export async function claimIdempotencyKey(
  q: Queryable,
  tenant: string,
  m: IdempotencyRecord,
): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO proposal_create_idempotency (tenant_id, idempotency_key, request_hash, proposal_id, proposal_version_no, created_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING 1`,
    [tenant, m.idempotency_key, m.request_hash, m.proposal_id, m.proposal_version_no, m.created_at],
  );
  return rows.length === 1;
}

// --- async operations ------------------------------------------------------------------------

export interface ProposalOperationRecord {
  operation_id: string;
  operation_type: 'CREATE_PROPOSAL' | 'CREATE_PROPOSAL_VERSION';
  status: 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  correlation_id: string;
  idempotency_key: string | null;
  proposal_id: string | null;
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  request_json: string;
  result_json: string | null;
  error_json: string | null;
  attempts: number;
}

const OPERATION_COLUMNS =
  'operation_id, operation_type, status, correlation_id, idempotency_key, proposal_id, created_by, created_at, started_at, finished_at, request_json, result_json, error_json, attempts';

export async function insertOperation(
  q: Queryable,
  tenant: string,
  op: ProposalOperationRecord,
): Promise<void> {
  await q.query(
    `INSERT INTO proposal_async_operations (tenant_id, ${OPERATION_COLUMNS}) VALUES (${values(15)})`,
    [
      tenant,
      op.operation_id,
      op.operation_type,
      op.status,
      op.correlation_id,
      op.idempotency_key,
      op.proposal_id,
      op.created_by,
      op.created_at,
      op.started_at,
      op.finished_at,
      op.request_json,
      op.result_json,
      op.error_json,
      op.attempts,
    ],
  );
}

const OPERATIONS: OperationTable = {
  table: 'proposal_async_operations',
  columns: OPERATION_COLUMNS,
  tieBreak: 'seq',
};

export function findOperation(
  q: Queryable,
  tenant: string,
  operationId: string,
): Promise<ProposalOperationRecord | null> {
  return findOperationIn<ProposalOperationRecord>(q, OPERATIONS, tenant, operationId);
}

/** The most recently created operation with this correlation id (QUIRK Q-P17, docs/decisions/0023). */
export function findOperationByCorrelation(
  q: Queryable,
  tenant: string,
  correlationId: string,
): Promise<ProposalOperationRecord | null> {
  return findNewestByCorrelationIn<ProposalOperationRecord>(q, OPERATIONS, tenant, correlationId);
}

/**
 * Claim an operation for one execution attempt: PENDING, or RUNNING left by an earlier attempt
 * (a crash or a retried error), becomes RUNNING under a fresh token. Null once it has finished.
 */
export async function claimOperation(
  q: Queryable,
  tenant: string,
  operationId: string,
  token: string,
  now: Date,
): Promise<ProposalOperationRecord | null> {
  const rows = await q.query<ProposalOperationRecord>(
    `UPDATE proposal_async_operations
     SET status = 'RUNNING', started_at = COALESCE(started_at, $4), attempts = attempts + 1, claim_token = $3
     WHERE tenant_id = $1 AND operation_id = $2 AND status IN ('PENDING', 'RUNNING')
     RETURNING ${OPERATION_COLUMNS}`,
    [tenant, operationId, token, now],
  );
  return rows[0] ?? null;
}

/** Finish a claimed operation; false when the claim is no longer ours (nothing written). */
export async function finishOperation(
  q: Queryable,
  operationId: string,
  token: string,
  outcome: {
    status: 'SUCCEEDED' | 'FAILED';
    proposal_id: string | null;
    result_json: string | null;
    error_json: string | null;
    now: Date;
  },
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE proposal_async_operations
     SET status = $3, finished_at = $4, proposal_id = COALESCE($5, proposal_id), result_json = $6, error_json = $7, claim_token = NULL
     WHERE operation_id = $1 AND claim_token = $2 AND status = 'RUNNING' RETURNING 1`,
    [
      operationId,
      token,
      outcome.status,
      outcome.now,
      outcome.proposal_id,
      outcome.result_json,
      outcome.error_json,
    ],
  );
  return rows.length === 1;
}
