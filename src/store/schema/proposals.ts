/**
 * The `proposals` namespace. 0001: idempotency records of the stateless advisory simulate and
 * artifact endpoints (spec 20 §15), one per tenant and key, shared by both endpoints — durable,
 * unlike the reference's in-process LRU (docs/decisions/0007). 0002: the proposal lifecycle
 * (spec 40 §3, §11.2) with native types, a tenant on every row, foreign keys and the indexes of
 * GAP G-P13 (docs/decisions/0020). Documents that are hashed or served verbatim (results,
 * artifacts, evidence, reasons, details) are stored as their exact JSON text.
 */
import type { Migration } from '../migrations.js';

const BASELINE = `
CREATE TABLE proposal_idempotency (
  tenant_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  correlation_id TEXT NOT NULL,
  result_json TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (tenant_id, idempotency_key)
);
`;

const LIFECYCLE = `
CREATE TABLE proposal_records (
  tenant_id TEXT NOT NULL,
  proposal_id TEXT NOT NULL,
  portfolio_id TEXT NOT NULL,
  mandate_id TEXT,
  jurisdiction TEXT,
  created_by TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  last_event_at TIMESTAMPTZ NOT NULL,
  current_state TEXT NOT NULL,
  current_version_no INTEGER NOT NULL CHECK (current_version_no >= 1),
  title TEXT,
  advisor_notes TEXT,
  PRIMARY KEY (tenant_id, proposal_id)
);
CREATE INDEX proposal_records_created ON proposal_records (tenant_id, created_at DESC, proposal_id DESC);
CREATE INDEX proposal_records_portfolio ON proposal_records (tenant_id, portfolio_id, created_at DESC);
CREATE INDEX proposal_records_creator ON proposal_records (tenant_id, created_by, created_at DESC);
CREATE INDEX proposal_records_state ON proposal_records (tenant_id, current_state, last_event_at DESC);

CREATE TABLE proposal_versions (
  tenant_id TEXT NOT NULL,
  proposal_id TEXT NOT NULL,
  version_no INTEGER NOT NULL CHECK (version_no >= 1),
  proposal_version_id TEXT NOT NULL UNIQUE,
  created_by TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  request_hash TEXT NOT NULL,
  artifact_hash TEXT NOT NULL,
  simulation_hash TEXT NOT NULL,
  status_at_creation TEXT NOT NULL,
  proposal_result_json TEXT NOT NULL,
  artifact_json TEXT NOT NULL,
  evidence_bundle_json TEXT NOT NULL,
  gate_decision_json TEXT,
  PRIMARY KEY (tenant_id, proposal_id, version_no),
  FOREIGN KEY (tenant_id, proposal_id) REFERENCES proposal_records (tenant_id, proposal_id)
);

CREATE TABLE proposal_workflow_events (
  seq BIGSERIAL NOT NULL,
  event_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  proposal_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  occurred_at TIMESTAMPTZ NOT NULL,
  reason_json TEXT NOT NULL,
  related_version_no INTEGER,
  FOREIGN KEY (tenant_id, proposal_id) REFERENCES proposal_records (tenant_id, proposal_id)
);
CREATE INDEX proposal_events_timeline ON proposal_workflow_events (tenant_id, proposal_id, seq);

CREATE TABLE proposal_approvals (
  seq BIGSERIAL NOT NULL,
  approval_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  proposal_id TEXT NOT NULL,
  approval_type TEXT NOT NULL,
  approved BOOLEAN NOT NULL,
  actor_id TEXT NOT NULL,
  occurred_at TIMESTAMPTZ NOT NULL,
  details_json TEXT NOT NULL,
  related_version_no INTEGER,
  FOREIGN KEY (tenant_id, proposal_id) REFERENCES proposal_records (tenant_id, proposal_id)
);
CREATE INDEX proposal_approvals_proposal ON proposal_approvals (tenant_id, proposal_id, seq);

CREATE TABLE proposal_create_idempotency (
  tenant_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  proposal_id TEXT NOT NULL,
  proposal_version_no INTEGER NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (tenant_id, idempotency_key),
  FOREIGN KEY (tenant_id, proposal_id) REFERENCES proposal_records (tenant_id, proposal_id)
    DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE proposal_async_operations (
  seq BIGSERIAL NOT NULL,
  operation_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  operation_type TEXT NOT NULL,
  status TEXT NOT NULL,
  correlation_id TEXT NOT NULL,
  idempotency_key TEXT,
  proposal_id TEXT,
  created_by TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ,
  request_json TEXT NOT NULL,
  result_json TEXT,
  error_json TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  claim_token TEXT
);
CREATE INDEX proposal_operations_correlation ON proposal_async_operations (tenant_id, correlation_id, created_at DESC, seq DESC);
`;

export const PROPOSAL_MIGRATIONS: Migration[] = [
  { namespace: 'proposals', version: '0001', name: 'idempotency', sql: BASELINE },
  { namespace: 'proposals', version: '0002', name: 'lifecycle', sql: LIFECYCLE },
];
