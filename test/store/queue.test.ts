/**
 * A failing job is recorded by pg-boss without taking the process down, even when the error
 * echoes input no PostgreSQL text can hold (a NUL made pg-boss's own failure write throw and
 * crash the service at every restart: issue 10's crash loop).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobFailure, JobQueue } from '../../src/store/queue.js';
import { openTestStore, type TestStore } from '../support/store.js';

describe('job failures', () => {
  let store: TestStore;
  let queue: JobQueue;
  beforeAll(async () => {
    store = await openTestStore('embedded');
    queue = await JobQueue.start(store.db, { retryLimit: 0, pollingSeconds: 0.5 });
  });
  afterAll(async () => {
    await queue.stop(false);
    await store.drop();
  });

  it('keeps the class and first line, without control characters', () => {
    const clean = jobFailure(new TypeError('bad \u0000 value\nsecond line'));
    expect(clean.message).toBe('TypeError: bad   value');
    expect(clean.stack).toBe(clean.message);
  });

  it('records a failure whose message carries a NUL, and keeps working', async () => {
    await queue.ensureQueue('nul-test');
    await queue.work('nul-test', 1, async () => {
      throw new Error('portfolio pf\u0000x is not storable');
    });
    await store.db.transaction((tx) => queue.enqueue(tx, 'nul-test', { n: 1 }));
    const deadline = Date.now() + 20_000;
    let rows: { state: string; output: unknown }[] = [];
    while (Date.now() < deadline) {
      rows = await store.db.query("SELECT state, output FROM pgboss.job WHERE name = 'nul-test'");
      if (rows[0]?.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows[0]?.state).toBe('failed');
    expect(JSON.stringify(rows[0]?.output)).toContain('Error: portfolio pf x is not storable');
    expect((await store.db.query<{ one: number }>('SELECT 1 AS one'))[0]!.one).toBe(1);
  });
});
