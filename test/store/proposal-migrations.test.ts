/**
 * The migration runner as the proposal namespace uses it (spec 40 §11.3): history rows with
 * SHA-256 checksums, an idempotent re-run, the checksum-mismatch message, a stable lock key per
 * namespace, and the lifecycle schema's constraints (insert-only, foreign keys), on every backend.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  advisoryLockKey,
  migrate,
  MIGRATIONS,
  MigrationError,
  namespaceStatus,
} from '../../src/store/migrations.js';
import { BACKENDS, openTestStore, type TestStore } from '../support/store.js';

describe.each(BACKENDS)('proposal migrations (%s)', (backend) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(backend);
  });
  afterAll(async () => store.drop());

  it('records every proposals migration with its SHA-256 checksum', async () => {
    const rows = await store.db.query<{ version: string; checksum: string }>(
      "SELECT version, checksum FROM schema_migrations WHERE namespace = 'proposals' ORDER BY version",
    );
    const shipped = MIGRATIONS.filter((m) => m.namespace === 'proposals');
    expect(rows).toEqual(
      shipped.map((m) => ({
        version: `proposals:${m.version}`,
        checksum: createHash('sha256').update(m.sql, 'utf8').digest('hex'),
      })),
    );
    expect(rows.map((r) => r.version)).toEqual(['proposals:0001', 'proposals:0002']);
    expect(await namespaceStatus(store.db, 'proposals')).toBeNull();
  });

  it('re-runs as a no-op and refuses a changed migration', async () => {
    expect(await migrate(store.db)).toEqual([]);
    const changed = MIGRATIONS.map((m) =>
      m.namespace === 'proposals' && m.version === '0002' ? { ...m, sql: `${m.sql}\n-- edited` } : m,
    );
    await expect(migrate(store.db, changed)).rejects.toThrow(MigrationError);
    await expect(migrate(store.db, changed)).rejects.toThrow(
      'POSTGRES_MIGRATION_CHECKSUM_MISMATCH:proposals:0002',
    );
    expect(await namespaceStatus(store.db, 'proposals', changed)).toBe(
      'POSTGRES_MIGRATION_CHECKSUM_MISMATCH:proposals:0002',
    );
    const added = [
      ...MIGRATIONS,
      { namespace: 'proposals', version: '0099', name: 'later', sql: 'SELECT 1' },
    ];
    expect(await namespaceStatus(store.db, 'proposals', added)).toBe(
      'POSTGRES_MIGRATION_NOT_APPLIED:proposals:0099',
    );
  });

  it('locks each namespace with a stable key: the first 8 bytes of SHA-256(namespace), signed', () => {
    expect(advisoryLockKey('proposals')).toBe('-4554281633922528245');
    expect(advisoryLockKey('dpm')).toBe('-7168526539896612686');
  });

  it('keeps versions, events and approvals insert-only and tied to their proposal (QUIRK Q-P14, GAP G-P13)', async () => {
    const now = new Date('2026-02-19T12:00:00Z');
    await store.db.query(
      `INSERT INTO proposal_records (tenant_id, proposal_id, portfolio_id, created_by, created_at, last_event_at, current_state, current_version_no)
       VALUES ('t', 'pp_1', 'pf', 'a', $1, $1, 'DRAFT', 1)`,
      [now],
    );
    const version = `INSERT INTO proposal_versions (tenant_id, proposal_id, version_no, proposal_version_id, created_by, created_at,
       request_hash, artifact_hash, simulation_hash, status_at_creation, proposal_result_json, artifact_json, evidence_bundle_json)
       VALUES ($1, $2, 1, $3, 'a', $4, 'h', 'h', 'h', 'READY', '{}', '{}', '{}')`;
    await store.db.query(version, ['t', 'pp_1', 'ppv_1', now]);
    await expect(store.db.query(version, ['t', 'pp_1', 'ppv_2', now])).rejects.toThrow();
    // Another tenant cannot hang a version on this proposal.
    await expect(store.db.query(version, ['other', 'pp_1', 'ppv_3', now])).rejects.toThrow();
    const event = `INSERT INTO proposal_workflow_events (event_id, tenant_id, proposal_id, event_type, to_state, actor_id, occurred_at, reason_json)
       VALUES ($1, 't', $2, 'CREATED', 'DRAFT', 'a', $3, '{}')`;
    await store.db.query(event, ['pwe_1', 'pp_1', now]);
    await expect(store.db.query(event, ['pwe_1', 'pp_1', now])).rejects.toThrow();
    await expect(store.db.query(event, ['pwe_2', 'pp_missing', now])).rejects.toThrow();
    // A mapping to a missing proposal fails at commit (the key is claimed first, the proposal follows).
    await expect(
      store.db.transaction((tx) =>
        tx.query(
          `INSERT INTO proposal_create_idempotency (tenant_id, idempotency_key, request_hash, proposal_id, proposal_version_no, created_at)
           VALUES ('t', 'k', 'h', 'pp_missing', 1, $1)`,
          [now],
        ),
      ),
    ).rejects.toThrow();
    const [count] = await store.db.query<{ n: number }>(
      "SELECT COUNT(*)::int AS n FROM proposal_create_idempotency WHERE idempotency_key = 'k'",
    );
    expect(count!.n).toBe(0);
  });
});
