/**
 * The scenario read cache (spec 50 §4): with Redis (when KEEL_TEST_REDIS_URL is set) reads are
 * served from it until any write bumps the tenant's version, so a read after a write is never
 * stale; 50 concurrent identical misses reach the database once, with or without Redis; an
 * unreachable Redis only costs the cache; invalidations are published on the configured channel.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import type { Env } from '../../src/api/config.js';
import { loadSolver } from '../../src/engine/targets/solver.js';
import type { Database } from '../../src/store/database.js';
import { JobQueue } from '../../src/store/queue.js';
import { scenarioBase, poll } from '../support/scenarios.js';
import { BACKENDS, openTestStore, type TestStore } from '../support/store.js';

const REDIS_URL = process.env.KEEL_TEST_REDIS_URL;
const PREFIX = `keel-test:${randomBytes(6).toString('hex')}:`;
const MODES = REDIS_URL ? (['without Redis', 'with Redis'] as const) : (['without Redis'] as const);

/** The database, counting the reads that touch output rows. */
function counting(db: Database) {
  const counter = { outputReads: 0 };
  const wrapped: Database = {
    kind: db.kind,
    query: (sql, params) => {
      if (sql.includes('scenario_outputs')) counter.outputReads++;
      return db.query(sql, params);
    },
    transaction: (work) => db.transaction(work),
    exec: (sql) => db.exec(sql),
    readiness: () => db.readiness(),
    close: () => db.close(),
  };
  return { db: wrapped, counter };
}

const metric = (text: string, name: string, endpoint: string) =>
  Number(new RegExp(`^${name}\\{endpoint="${endpoint}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);

describe.each(BACKENDS)('scenario cache (%s)', (backend) => {
  describe.each(MODES)('%s', (mode) => {
    let store: TestStore;
    let queue: JobQueue;
    let app: FastifyInstance;
    let counter: { outputReads: number };
    let subscriber: Redis | null = null;
    const messages: any[] = [];
    const channel = `${PREFIX}invalidations:${backend}`;
    const env: Env =
      mode === 'with Redis'
        ? {
            REDIS_URL,
            KEEL_SCENARIO_CACHE_PREFIX: `${PREFIX}${backend}:`,
            KEEL_SCENARIO_CACHE_INVALIDATION_CHANNEL: channel,
          }
        : {};

    const request = async (method: string, url: string, body?: unknown) => {
      const res = await app.inject({
        method: method as 'GET',
        url,
        ...(body !== undefined && {
          payload: JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        }),
      });
      const json = res.headers['content-type']?.toString().startsWith('application/json')
        ? JSON.parse(res.body)
        : null;
      return { status: res.statusCode, json, text: res.body };
    };
    const runToEnd = async (scenarioId: string, body: unknown = {}) => {
      const accepted = await request('POST', `/v1/scenarios/${scenarioId}/run`, body);
      expect(accepted.status).toBe(202);
      return poll(
        () => request('GET', accepted.json.status_url),
        (r) => r.json.state === 'SUCCEEDED',
      );
    };
    const scrape = async () => (await request('GET', '/metrics')).text;

    beforeAll(async () => {
      await loadSolver();
      store = await openTestStore(backend);
      const c = counting(store.db);
      counter = c.counter;
      queue = await JobQueue.start(store.db, { schema: store.queueSchema, pollingSeconds: 0.5 });
      app = await buildApp({ db: c.db, env, queue, workers: 1 });
      if (mode === 'with Redis') {
        subscriber = new Redis(REDIS_URL!);
        subscriber.on('message', (_channel, message) => messages.push(JSON.parse(message)));
        await subscriber.subscribe(channel);
      }
    });
    afterAll(async () => {
      subscriber?.disconnect();
      await app.close();
      await queue.stop(false);
      await store.drop();
    });

    it('serves a read after a write fresh: outputs, latest metrics, deletion', async () => {
      const scenario = (await request('POST', '/v1/scenarios', { name: 'cached', base: scenarioBase() }))
        .json;
      const first = await runToEnd(scenario.id, { code_version: 'one' });
      const url = `/v1/scenarios/${scenario.id}/outputs?metric_name=total_value_before`;
      const before = await scrape();
      const read1 = await request('GET', url);
      const readsAfterMiss = counter.outputReads;
      const read2 = await request('GET', url);
      expect(read2.json.data).toEqual(read1.json.data);
      expect(read1.json.data.map((o: any) => o.run_id)).toEqual([first.json.id]);
      const after = await scrape();
      if (mode === 'with Redis') {
        expect(counter.outputReads).toBe(readsAfterMiss); // the second read came from Redis
        expect(metric(after, 'keel_scenario_cache_hits_total', 'outputs')).toBe(
          metric(before, 'keel_scenario_cache_hits_total', 'outputs') + 1,
        );
      } else expect(counter.outputReads).toBe(readsAfterMiss + 1);
      expect(metric(after, 'keel_scenario_cache_misses_total', 'outputs')).toBeGreaterThan(
        metric(before, 'keel_scenario_cache_misses_total', 'outputs'),
      );

      // A worker writes new outputs: the next read shows them.
      const second = await runToEnd(scenario.id, { code_version: 'two' });
      expect((await request('GET', url)).json.data.map((o: any) => o.run_id)).toEqual([
        first.json.id,
        second.json.id,
      ]);
      const latest = await request('GET', `/v1/scenarios/${scenario.id}/metrics/latest`);
      expect(latest.json.data[0].run_id).toBe(second.json.id);
      const third = await runToEnd(scenario.id, { code_version: 'three' });
      expect((await request('GET', `/v1/scenarios/${scenario.id}/metrics/latest`)).json.data[0].run_id).toBe(
        third.json.id,
      );
      // Deleting the scenario: the cached 200 is gone with it.
      expect((await request('DELETE', `/v1/scenarios/${scenario.id}`)).status).toBe(204);
      expect((await request('GET', url)).status).toBe(404);
      expect((await request('GET', `/v1/scenarios/${scenario.id}/metrics/latest`)).status).toBe(404);
    });

    it('collapses 50 concurrent identical misses into one database read', async () => {
      const scenario = (await request('POST', '/v1/scenarios', { name: 'herd', base: scenarioBase() })).json;
      await runToEnd(scenario.id);
      const url = `/v1/scenarios/${scenario.id}/outputs?limit=5`;
      const readsBefore = counter.outputReads;
      const answers = await Promise.all(Array.from({ length: 50 }, () => request('GET', url)));
      // With Redis, a request arriving after the first load finished is a hit; without it, only
      // misses that overlap share a load — all of them on the embedded store, which answers
      // queries in order (every version look-up before the first output read), most of them on a
      // server, where look-ups return at different times.
      if (mode === 'with Redis' || backend === 'embedded') expect(counter.outputReads - readsBefore).toBe(1);
      else expect(counter.outputReads - readsBefore).toBeLessThan(50);
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(new Set(answers.map((a) => JSON.stringify(a.json.data))).size).toBe(1);
      expect(new Set(answers.map((a) => a.json.meta.request_id)).size).toBe(50); // each its own request id
      const settledReads = counter.outputReads;
      await request('GET', url);
      expect(counter.outputReads - settledReads).toBe(mode === 'with Redis' ? 0 : 1);
    });

    it.runIf(mode === 'with Redis')('publishes an invalidation for every write', async () => {
      const created = (await request('POST', '/v1/scenarios', { name: 'published', base: scenarioBase() }))
        .json;
      const message = await poll(
        async () => messages.find((m) => m.scenario_id === created.id),
        (m) => m !== undefined,
        5000,
      );
      expect(message).toMatchObject({
        type: 'scenario_cache_invalidation',
        tenant_id: 'default',
        reason: 'SCENARIO_CREATED',
        scenario_id: created.id,
      });
      expect(message.version).toBeGreaterThan(0);
    });
  });
});

describe('scenario cache with Redis unreachable', () => {
  it('answers from the database', async () => {
    await loadSolver();
    const store = await openTestStore('embedded');
    const app = await buildApp({ db: store.db, env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const created = await app.inject({
        method: 'POST',
        url: '/v1/scenarios',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'no redis', base: scenarioBase() }),
      });
      const id = JSON.parse(created.body).id;
      for (let i = 0; i < 2; i++) {
        const res = await app.inject({ method: 'GET', url: `/v1/scenarios/${id}/outputs` });
        expect(res.statusCode).toBe(200);
        expect(JSON.parse(res.body).data).toEqual([]);
      }
    } finally {
      await app.close();
      await store.drop();
    }
  });
});
