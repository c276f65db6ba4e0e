/**
 * The `policy` namespace: DPM policy packs per tenant (spec 40 §21) with their change history,
 * and the pack each run was computed under. Compared with the reference's `dpm/0002` (one global
 * TEXT table): a tenant column, timestamptz, who changed what, and an append-only history of every
 * version (GAP G-B3, docs/decisions/0031). A namespace of its own so that its versions never
 * collide with the `dpm` run-store migrations; it runs after `dpm`, whose `dpm_runs` it extends.
 */
import type { Migration } from '../migrations.js';

const POLICY_PACKS = `
CREATE TABLE dpm_policy_packs (
  tenant_id TEXT NOT NULL,
  policy_pack_id TEXT NOT NULL,
  version TEXT NOT NULL,
  definition_json TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  updated_by TEXT,
  PRIMARY KEY (tenant_id, policy_pack_id)
);

CREATE TABLE dpm_policy_pack_history (
  seq BIGSERIAL PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  policy_pack_id TEXT NOT NULL,
  version TEXT NOT NULL,
  change TEXT NOT NULL,
  definition_json TEXT NOT NULL,
  changed_at TIMESTAMPTZ NOT NULL,
  changed_by TEXT
);
CREATE INDEX dpm_policy_pack_history_pack ON dpm_policy_pack_history (tenant_id, policy_pack_id, seq);
CREATE INDEX dpm_policy_pack_history_version ON dpm_policy_pack_history (tenant_id, policy_pack_id, version);

ALTER TABLE dpm_runs ADD COLUMN policy_pack_json TEXT;
`;

export const POLICY_MIGRATIONS: Migration[] = [
  { namespace: 'policy', version: '0001', name: 'policy_packs', sql: POLICY_PACKS },
];
