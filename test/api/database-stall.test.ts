/**
 * A stalled PostgreSQL server (a proxy that stops forwarding): requests and readiness answer 503
 * within the configured timeouts instead of hanging, and everything recovers when the network
 * does. Needs a PostgreSQL server (KEEL_TEST_DATABASE_URL); short timeouts keep it cheap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { loadSolver } from '../../src/engine/targets/solver.js';
import { demo } from '../support/http.js';
import { openTestStore, type TestStore } from '../support/store.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const TIMEOUTS = { connectMs: 800, statementMs: 800 };
/** The longest a stalled call may take: connect or statement timeout plus the client's grace. */
const BOUND_MS = TIMEOUTS.statementMs + 1_000 + 3_000; // generous for a busy machine; a stall used to hang for its whole length

describe.runIf(process.env.KEEL_TEST_DATABASE_URL)('a stalled database (postgres)', () => {
  let store: TestStore;
  let proxy: TcpProxy;
  let db: Database;
  let app: FastifyInstance;
  let n = 0;
  const simulate = () =>
    app.inject({
      method: 'POST',
      url: '/rebalance/simulate',
      headers: { 'content-type': 'application/json', 'Idempotency-Key': `stall-${n++}` },
      payload: demo('01_standard_drift.json'),
    });
  const timed = async <T>(call: () => Promise<T>) => {
    const start = Date.now();
    const value = await call();
    return { value, ms: Date.now() - start };
  };

  beforeAll(async () => {
    await loadSolver();
    store = await openTestStore('postgres');
    const target = new URL(store.url!);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    target.hostname = '127.0.0.1';
    target.port = String(proxy.port);
    db = await openDatabase({ url: target.toString(), poolSize: 4, timeouts: TIMEOUTS });
    app = await buildApp({ db, env: {} });
  });
  afterAll(async () => {
    proxy.resume();
    await app?.close();
    await db?.close();
    await proxy?.close();
    await store?.drop();
  });

  it('answers 503 DATABASE_TIMEOUT with Retry-After within the timeout, fails readiness, then recovers', async () => {
    expect((await simulate()).statusCode).toBe(200);
    proxy.stall();
    const stalled = await timed(simulate);
    expect(stalled.value.statusCode).toBe(503);
    expect(stalled.value.json()).toEqual({ detail: 'DATABASE_TIMEOUT' });
    expect(stalled.value.headers['retry-after']).toBe('5');
    expect(stalled.ms).toBeLessThan(BOUND_MS);
    const ready = await timed(() => app.inject({ url: '/health/ready' }));
    expect(ready.value.statusCode).toBe(503);
    expect(ready.value.json().status).toBe('unavailable');
    expect(ready.ms).toBeLessThan(BOUND_MS);
    // Liveness does not depend on the database.
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);

    proxy.resume();
    const deadline = Date.now() + 20_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await app.inject({ url: '/health/ready' })).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect((await simulate()).statusCode).toBe(200);
  }, 60_000);

  it('answers 503 DATABASE_UNAVAILABLE when nothing listens', async () => {
    const down = await openDatabase({
      url: 'postgres://postgres@127.0.0.1:1/none',
      timeouts: TIMEOUTS,
    });
    const downApp = await buildApp({ db: down, env: {} });
    try {
      const res = await downApp.inject({
        method: 'POST',
        url: '/rebalance/simulate',
        headers: { 'content-type': 'application/json', 'Idempotency-Key': 'down' },
        payload: demo('01_standard_drift.json'),
      });
      expect([res.statusCode, res.json()]).toEqual([503, { detail: 'DATABASE_UNAVAILABLE' }]);
      expect(res.headers['retry-after']).toBe('5');
      const ready = await downApp.inject({ url: '/health/ready' });
      expect([ready.statusCode, ready.json().database]).toEqual([503, 'unavailable']);
    } finally {
      await downApp.close();
      await down.close();
    }
  });
});
