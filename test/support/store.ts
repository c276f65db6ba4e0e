/**
 * Test stores: every storage suite runs on an in-memory embedded PostgreSQL (PGlite) and,
 * when KEEL_TEST_DATABASE_URL is set, again on that PostgreSQL server, each test file in a
 * schema of its own that is dropped afterwards. No mocks of the database.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrations.js';

export type Backend = 'embedded' | 'postgres';

export const BACKENDS: Backend[] = process.env.KEEL_TEST_DATABASE_URL
  ? ['embedded', 'postgres']
  : ['embedded'];

export interface TestStore {
  db: Database;
  /** A connection URL for child processes (postgres backend only). */
  url?: string;
  /** Schema for the job queue's tables, private to this store. */
  queueSchema: string;
  drop(): Promise<void>;
}

export async function openTestStore(backend: Backend): Promise<TestStore> {
  if (backend === 'embedded') {
    const db = await openDatabase({ template: embeddedTemplate() });
    await migrate(db);
    return { db, queueSchema: 'pgboss', drop: () => db.close() };
  }
  const base = process.env.KEEL_TEST_DATABASE_URL!;
  const schema = `keel_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = withSearchPath(base, schema);
  const db = await openDatabase({ url, poolSize: 20 });
  await migrate(db);
  return {
    db,
    url,
    queueSchema: `${schema}_boss`,
    drop: async () => {
      await db.close();
      const cleanup = new pg.Client({ connectionString: base });
      await cleanup.connect();
      await cleanup.query(`DROP SCHEMA ${schema} CASCADE`);
      await cleanup.query(`DROP SCHEMA IF EXISTS ${schema}_boss CASCADE`);
      await cleanup.end();
    },
  };
}

let template: Blob | undefined;

/** The freshly migrated data directory that test/support/global-setup.ts left, if any. */
function embeddedTemplate(): Blob | undefined {
  if (template) return template;
  const file = inject('embeddedTemplate');
  if (!file) return undefined;
  template = new Blob([readFileSync(file)]);
  return template;
}

export function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}
