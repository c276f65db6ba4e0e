/**
 * The `scenarios` namespace (spec 50 §1, §2): scenario definitions with every version of their
 * content, runs, output rows, an append-only event log, and the per-tenant cache version that
 * every write bumps in its own transaction (docs/decisions/0041).
 *
 * Deleting a scenario deletes its versions, runs and outputs (foreign keys, ON DELETE CASCADE);
 * its events stay as the audit trail. Output values are NUMERIC, so the engine's decimals are
 * stored exactly. A partial unique index makes "one identical run while QUEUED or RUNNING"
 * atomic (docs/decisions/0042).
 */
import type { Migration } from '../migrations.js';

const BASELINE = `
CREATE TABLE scenarios (
  scenario_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  status TEXT NOT NULL,
  tags TEXT[] NOT NULL,
  version INTEGER NOT NULL,
  created_by TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX scenarios_name ON scenarios (tenant_id, name);
CREATE INDEX scenarios_created ON scenarios (tenant_id, created_at DESC, scenario_id DESC);
CREATE INDEX scenarios_tags ON scenarios USING GIN (tags);

CREATE TABLE scenario_versions (
  scenario_id TEXT NOT NULL REFERENCES scenarios (scenario_id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  tenant_id TEXT NOT NULL,
  base_json TEXT NOT NULL,
  assumptions_json TEXT NOT NULL,
  parameters_json TEXT NOT NULL,
  created_by TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (scenario_id, version)
);

CREATE TABLE scenario_runs (
  run_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  scenario_id TEXT NOT NULL REFERENCES scenarios (scenario_id) ON DELETE CASCADE,
  scenario_version INTEGER NOT NULL,
  state TEXT NOT NULL,
  priority TEXT NOT NULL,
  code_version TEXT,
  options_json TEXT NOT NULL,
  request_key TEXT NOT NULL,
  created_by TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ,
  attempts INTEGER NOT NULL DEFAULT 0,
  claim_token TEXT,
  error_json TEXT,
  rebalance_run_id TEXT,
  policy_pack_id TEXT,
  policy_pack_status TEXT,
  metrics_json TEXT
);
CREATE INDEX scenario_runs_created ON scenario_runs (tenant_id, scenario_id, created_at DESC, run_id DESC);
CREATE UNIQUE INDEX scenario_runs_active ON scenario_runs (tenant_id, scenario_id, request_key)
  WHERE state IN ('QUEUED', 'RUNNING');
CREATE INDEX scenario_runs_finished ON scenario_runs (tenant_id, scenario_id, finished_at DESC, run_id DESC)
  WHERE state = 'SUCCEEDED';

CREATE TABLE scenario_outputs (
  output_id BIGSERIAL PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  scenario_id TEXT NOT NULL,
  run_id TEXT NOT NULL REFERENCES scenario_runs (run_id) ON DELETE CASCADE,
  metric_name TEXT NOT NULL,
  asof_date DATE NOT NULL,
  value NUMERIC NOT NULL,
  unit TEXT NOT NULL,
  dimensions JSONB NOT NULL
);
CREATE INDEX scenario_outputs_scenario ON scenario_outputs (tenant_id, scenario_id, output_id);
CREATE INDEX scenario_outputs_metric ON scenario_outputs (tenant_id, scenario_id, metric_name, output_id);
CREATE INDEX scenario_outputs_asof ON scenario_outputs (tenant_id, scenario_id, asof_date);
CREATE INDEX scenario_outputs_run ON scenario_outputs (run_id, metric_name, asof_date);

CREATE TABLE scenario_events (
  event_id BIGSERIAL PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  scenario_id TEXT NOT NULL,
  run_id TEXT,
  event_type TEXT NOT NULL,
  actor TEXT,
  detail_json TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX scenario_events_scenario ON scenario_events (tenant_id, scenario_id, event_id);

CREATE TABLE scenario_cache_versions (
  tenant_id TEXT PRIMARY KEY,
  version BIGINT NOT NULL
);
`;

export const SCENARIO_MIGRATIONS: Migration[] = [
  { namespace: 'scenarios', version: '0001', name: 'baseline', sql: BASELINE },
];
