/**
 * The `service` namespace: tables of the service itself rather than of a feature. The readiness
 * probe updates its one row, so `/health/ready` proves that a write commits.
 */
import type { Migration } from '../migrations.js';

const READINESS = `
CREATE TABLE keel_readiness (
  id INTEGER PRIMARY KEY,
  checked_at TIMESTAMPTZ NOT NULL
);
`;

export const SERVICE_MIGRATIONS: Migration[] = [
  { namespace: 'service', version: '0001', name: 'readiness', sql: READINESS },
];
