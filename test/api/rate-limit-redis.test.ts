/**
 * Rate limits shared through Redis: two server processes, one tenant, one budget. Runs when
 * KEEL_TEST_REDIS_URL is set (.ci/run sets it to this machine's Redis).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFixtureText } from '../support/fixtures.js';
import { serveKeel, stopKeel } from '../support/process.js';

const REDIS_URL = process.env.KEEL_TEST_REDIS_URL;
describe.runIf(REDIS_URL)('rate limits shared through Redis', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) await stopKeel(c);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('two processes enforce one per-tenant limit', async () => {
    const servers = [];
    for (let i = 0; i < 2; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'keel-rl-'));
      dirs.push(dir);
      const s = await serveKeel({
        KEEL_DATA_DIR: dir,
        DATABASE_URL: '',
        KEEL_AUTH_DISABLED: '1',
        REDIS_URL: REDIS_URL!,
        KEEL_RATE_LIMIT_WRITE_PER_MINUTE: '5',
        LOG_LEVEL: 'warn',
      });
      children.push(s.child);
      servers.push(s);
    }
    const tenant = `rl-${randomBytes(6).toString('hex')}`;
    const body = readFixtureText('demo', '01_standard_drift.json');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { port } = servers[i % 2]!;
      const res = await fetch(`http://127.0.0.1:${port}/rebalance/simulate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Idempotency-Key': `k${i}`, 'X-Tenant-Id': tenant },
        body,
      });
      statuses.push(res.status);
      if (i === 5) {
        expect(res.headers.get('retry-after')).not.toBeNull();
        expect(res.headers.get('x-ratelimit-limit')).toBe('5');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  }, 60_000);
});
