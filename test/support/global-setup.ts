/**
 * Vitest global setup: builds one freshly migrated embedded store per run and leaves a snapshot
 * of its data directory in a temporary file. `openTestStore('embedded')` starts every test
 * store from that snapshot (about 0.2 s) instead of running initdb and the migrations again
 * (about 1 s of CPU per store), then still runs `migrate`, which finds nothing to do.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase, snapshotEmbedded } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrations.js';

declare module 'vitest' {
  export interface ProvidedContext {
    embeddedTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'keel-test-template-'));
  const db = await openDatabase({});
  await migrate(db);
  const file = join(dir, 'pgdata.tar');
  writeFileSync(file, new Uint8Array(await (await snapshotEmbedded(db)).arrayBuffer()));
  await db.close();
  project.provide('embeddedTemplate', file);
  return () => rmSync(dir, { recursive: true, force: true });
}
