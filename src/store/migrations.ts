/**
 * Forward-only schema migrations, per namespace, applied in version order (spec 40 §11.3):
 * a `schema_migrations` history with SHA-256 checksums, one transaction per run, under an
 * advisory lock keyed by the namespace so concurrent starters do not race.
 */
import { createHash } from 'node:crypto';
import type { Database, Queryable } from './database.js';
import { DPM_MIGRATIONS } from './schema/dpm.js';
import { POLICY_MIGRATIONS } from './schema/policy.js';
import { PROPOSAL_MIGRATIONS } from './schema/proposals.js';
import { SERVICE_MIGRATIONS } from './schema/service.js';
import { SCENARIO_MIGRATIONS } from './schema/scenarios.js';
import { BOOK_MIGRATIONS } from './schema/books.js';

export interface Migration {
  namespace: string;
  /** Four digits, e.g. `0001`; applied in this order. */
  version: string;
  name: string;
  sql: string;
}

/** Namespaces run in this order: `policy` extends `dpm` tables. */
export const MIGRATIONS: readonly Migration[] = [
  ...DPM_MIGRATIONS,
  ...PROPOSAL_MIGRATIONS,
  ...POLICY_MIGRATIONS,
  ...SERVICE_MIGRATIONS,
  ...SCENARIO_MIGRATIONS,
  ...BOOK_MIGRATIONS,
];

export class MigrationError extends Error {}

const checksum = (sql: string) => createHash('sha256').update(sql, 'utf8').digest('hex');

/** First 8 bytes of SHA-256(namespace) as a signed big-endian 64-bit integer. */
export function advisoryLockKey(namespace: string): string {
  return createHash('sha256').update(namespace, 'utf8').digest().readBigInt64BE(0).toString();
}

function statements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

async function applyNamespace(
  tx: Queryable,
  namespace: string,
  migrations: readonly Migration[],
): Promise<string[]> {
  await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryLockKey(namespace)]);
  const rows = await tx.query<{ version: string; checksum: string }>(
    'SELECT version, checksum FROM schema_migrations WHERE namespace = $1',
    [namespace],
  );
  const applied = new Map(rows.map((r) => [r.version, r.checksum]));
  const done: string[] = [];
  for (const m of [...migrations].sort((a, b) => a.version.localeCompare(b.version))) {
    const version = `${namespace}:${m.version}`;
    const sum = checksum(m.sql);
    const existing = applied.get(version);
    if (existing !== undefined) {
      if (existing !== sum) throw new MigrationError(`POSTGRES_MIGRATION_CHECKSUM_MISMATCH:${version}`);
      continue;
    }
    for (const statement of statements(m.sql)) await tx.query(statement);
    await tx.query(
      'INSERT INTO schema_migrations (version, namespace, checksum, applied_at) VALUES ($1, $2, $3, $4)',
      [version, namespace, sum, new Date().toISOString()],
    );
    done.push(version);
  }
  return done;
}

/** Apply every pending migration; returns the versions applied now. Safe to run repeatedly. */
export async function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<string[]> {
  await db.query(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, namespace TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const byNamespace = new Map<string, Migration[]>();
  for (const m of migrations) byNamespace.set(m.namespace, [...(byNamespace.get(m.namespace) ?? []), m]);
  const applied: string[] = [];
  for (const [namespace, list] of byNamespace)
    applied.push(...(await db.transaction((tx) => applyNamespace(tx, namespace, list))));
  return applied;
}

/**
 * Whether every shipped migration of `namespace` is applied with the shipped checksum: null when
 * it is, else the reason (`POSTGRES_MIGRATION_CHECKSUM_MISMATCH:<ns>:<v>` or
 * `POSTGRES_MIGRATION_NOT_APPLIED:<ns>:<v>`). Throws when the database does not answer.
 */
export async function namespaceStatus(
  q: Queryable,
  namespace: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<string | null> {
  const rows = await q.query<{ version: string; checksum: string }>(
    'SELECT version, checksum FROM schema_migrations WHERE namespace = $1',
    [namespace],
  );
  const applied = new Map(rows.map((r) => [r.version, r.checksum]));
  for (const m of migrations.filter((x) => x.namespace === namespace)) {
    const version = `${namespace}:${m.version}`;
    const sum = applied.get(version);
    if (sum === undefined) return `POSTGRES_MIGRATION_NOT_APPLIED:${version}`;
    if (sum !== checksum(m.sql)) return `POSTGRES_MIGRATION_CHECKSUM_MISMATCH:${version}`;
  }
  return null;
}
