/**
 * The `dpm` namespace: runs and everything recorded about them (spec 30 §12). Compared with
 * the reference's all-TEXT baseline (GAP G-S5): timestamptz, an insertion sequence for stable
 * ordering, a tenant on every row, indexes for every look-up, and `correlation_id` not unique
 * (QUIRK Q-S5, docs/decisions/0005). Result and artifact documents are stored as the exact
 * text that was served, so replays and artifact reads are byte-identical.
 */
import type { Migration } from '../migrations.js';

const BASELINE = `
CREATE TABLE dpm_runs (
  rebalance_run_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  correlation_id TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  idempotency_key TEXT,
  portfolio_id TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  result_json TEXT NOT NULL
);
CREATE INDEX dpm_runs_created ON dpm_runs (tenant_id, created_at DESC, rebalance_run_id DESC);
CREATE INDEX dpm_runs_correlation ON dpm_runs (tenant_id, correlation_id, created_at DESC);
CREATE INDEX dpm_runs_request_hash ON dpm_runs (tenant_id, request_hash, created_at DESC);
CREATE INDEX dpm_runs_portfolio ON dpm_runs (tenant_id, portfolio_id, created_at DESC);
CREATE INDEX dpm_runs_retention ON dpm_runs (created_at);

CREATE TABLE dpm_run_artifacts (
  rebalance_run_id TEXT PRIMARY KEY,
  artifact_json TEXT NOT NULL
);

CREATE TABLE dpm_run_idempotency (
  tenant_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  rebalance_run_id TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (tenant_id, idempotency_key)
);

CREATE TABLE dpm_run_idempotency_history (
  seq BIGSERIAL PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  rebalance_run_id TEXT NOT NULL,
  correlation_id TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX dpm_idempotency_history_key ON dpm_run_idempotency_history (tenant_id, idempotency_key);

CREATE TABLE dpm_lineage_edges (
  seq BIGSERIAL PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  source_entity_id TEXT NOT NULL,
  edge_type TEXT NOT NULL,
  target_entity_id TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  metadata_json TEXT NOT NULL
);
CREATE INDEX dpm_lineage_source ON dpm_lineage_edges (tenant_id, source_entity_id);
CREATE INDEX dpm_lineage_target ON dpm_lineage_edges (tenant_id, target_entity_id);

CREATE TABLE dpm_async_operations (
  operation_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  operation_type TEXT NOT NULL,
  status TEXT NOT NULL,
  correlation_id TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ,
  result_json TEXT,
  error_json TEXT,
  request_json TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  executor TEXT,
  claim_token TEXT
);
CREATE INDEX dpm_operations_created ON dpm_async_operations (tenant_id, created_at DESC, operation_id DESC);
CREATE INDEX dpm_operations_correlation ON dpm_async_operations (tenant_id, correlation_id, created_at DESC);

CREATE TABLE dpm_workflow_decisions (
  decision_id TEXT PRIMARY KEY,
  seq BIGSERIAL NOT NULL,
  tenant_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  action TEXT NOT NULL,
  reason_code TEXT NOT NULL,
  comment TEXT,
  actor_id TEXT NOT NULL,
  decided_at TIMESTAMPTZ NOT NULL,
  correlation_id TEXT NOT NULL
);
CREATE INDEX dpm_decisions_run ON dpm_workflow_decisions (tenant_id, run_id, decided_at);
CREATE INDEX dpm_decisions_decided ON dpm_workflow_decisions (tenant_id, decided_at DESC, decision_id DESC);
`;

/** Who created a run or an operation, for four-eyes checks on approvals. */
const CREATED_BY = `
ALTER TABLE dpm_runs ADD COLUMN created_by TEXT;
ALTER TABLE dpm_async_operations ADD COLUMN created_by TEXT;
`;

/**
 * The lease an executing operation renews (a lapsed lease means its process died) and the queue
 * job that carries a queued operation.
 */
const OPERATION_LEASE = `
ALTER TABLE dpm_async_operations ADD COLUMN heartbeat_at TIMESTAMPTZ;
ALTER TABLE dpm_async_operations ADD COLUMN job_id TEXT;
CREATE INDEX dpm_operations_queued ON dpm_async_operations (created_at) WHERE status = 'PENDING' AND job_id IS NOT NULL;
CREATE INDEX dpm_operations_running ON dpm_async_operations (heartbeat_at) WHERE status = 'RUNNING';
`;

export const DPM_MIGRATIONS: Migration[] = [
  { namespace: 'dpm', version: '0001', name: 'baseline', sql: BASELINE },
  { namespace: 'dpm', version: '0002', name: 'created_by', sql: CREATED_BY },
  // 0010–0019: hardening (issue 10); other features number their own ranges.
  { namespace: 'dpm', version: '0010', name: 'operation_lease', sql: OPERATION_LEASE },
];
