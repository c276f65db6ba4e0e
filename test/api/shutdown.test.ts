/** Graceful shutdown: SIGTERM lets an in-flight request finish before the process exits. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateRequest } from '../../src/tools/generate-request.js';
import { serveKeel } from '../support/process.js';

describe('graceful shutdown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-shutdown-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers the in-flight simulate, then exits 0', async () => {
    const server = await serveKeel({ KEEL_DATA_DIR: dir, DATABASE_URL: '', LOG_LEVEL: 'info' });
    const body = JSON.stringify(generateRequest({ positions: 2000, seed: 1, constraints: true }));
    const pending = fetch(`http://127.0.0.1:${server.port}/rebalance/simulate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Idempotency-Key': 'in-flight' },
      body,
    });
    // The request is in flight once the server has logged it (its drain counter is taken in the same tick).
    const deadline = Date.now() + 20_000;
    while (
      !/"url":"\/rebalance\/simulate"[^\n]*"msg":"incoming request"/.test(server.output()) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 5));
    const exited = new Promise<number | null>((r) => server.child.once('exit', (code) => r(code)));
    server.child.kill('SIGTERM');
    const res = await pending;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toMatch(/READY|PENDING_REVIEW|BLOCKED/);
    expect(await exited).toBe(0);
  }, 60_000);
});
