/**
 * The `proposals` namespace: idempotency records of the advisory simulate and artifact
 * endpoints (spec 20 §15), one per tenant and key, shared by both endpoints. Durable, unlike the
 * reference's in-process LRU (docs/decisions/0007).
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

export const PROPOSAL_MIGRATIONS: Migration[] = [
  { namespace: 'proposals', version: '0001', name: 'idempotency', sql: BASELINE },
];
