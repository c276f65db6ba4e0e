/** In-process HTTP: the real application on a test store, driven with Fastify's inject. */
import type { FastifyInstance, FastifyServerOptions, InjectOptions } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import type { Env } from '../../src/api/config.js';
import { loadSolver } from '../../src/engine/targets/solver.js';
import { JobQueue } from '../../src/store/queue.js';
import { type Backend, openTestStore, type TestStore } from './store.js';
import { readFixtureText } from './fixtures.js';

export interface TestApp {
  app: FastifyInstance;
  store: TestStore;
  env: Env;
  queue?: JobQueue;
  /** Rebuild the app on the same store (a restart). */
  restart(env?: Env): Promise<void>;
  close(): Promise<void>;
  post(url: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  put(url: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  get(url: string, headers?: Record<string, string>): Promise<Response>;
  delete(url: string, headers?: Record<string, string>): Promise<Response>;
  /** Any method; a body is sent as JSON. */
  request(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
}

export interface Response {
  status: number;
  headers: Record<string, unknown>;
  text: string;
  json: any;
}

export interface TestAppOptions {
  /** Start the job queue and this many in-process workers (async operations). */
  workers?: number;
  /** The application's logger (default: none). */
  logger?: FastifyServerOptions['logger'];
}

export async function startTestApp(
  backend: Backend,
  env: Env = {},
  clock?: () => Date,
  options: TestAppOptions = {},
): Promise<TestApp> {
  await loadSolver();
  const store = await openTestStore(backend);
  const queue =
    options.workers !== undefined
      ? await JobQueue.start(store.db, {
          schema: store.queueSchema,
          pollingSeconds: 0.5,
          retryDelaySeconds: 1,
          maintenanceSeconds: 2,
          expireInSeconds: 30,
        })
      : undefined;
  const build = (e: Env) =>
    buildApp({ db: store.db, env: e, clock, queue, workers: options.workers ?? 0, logger: options.logger });
  const harness: TestApp = {
    app: await build(env),
    store,
    env,
    queue,
    async restart(next = env) {
      await harness.app.close();
      harness.env = next;
      harness.app = await build(next);
    },
    async close() {
      await harness.app.close();
      // Graceful: a job still running finishes before its store closes (a handler left running
      // would query a closed pool, an unhandled rejection in whichever file runs next).
      await queue?.stop();
      await store.drop();
    },
    post: (url, body, headers = {}) => harness.request('POST', url, body, headers),
    put: (url, body, headers = {}) => harness.request('PUT', url, body, headers),
    get: (url, headers = {}) => send(harness.app, { method: 'GET', url, headers }),
    delete: (url, headers = {}) => send(harness.app, { method: 'DELETE', url, headers }),
    request: (method, url, body, headers = {}) =>
      send(harness.app, {
        method: method as InjectOptions['method'],
        url,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      }),
  };
  return harness;
}

async function send(app: FastifyInstance, options: InjectOptions): Promise<Response> {
  const res = await app.inject(options);
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text: res.body, json };
}

export const demo = (file: string) => readFixtureText('demo', file);
