/**
 * The HTTP application: JSON parsing that keeps every number's digits, request ids, the error
 * envelope, health checks, the OpenAPI document and the resource plugins. Built around an open
 * database so tests can run it in-process on an embedded store.
 */
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import helmet from '@fastify/helmet';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { parseJson } from '../contracts/json.js';
import type { Database } from '../store/database.js';
import { type Env, envInt } from './config.js';
import { DEFAULT_OFFLOAD_MIN_SIZE, EngineBusyError, EnginePool } from '../compute/engine-pool.js';
import { readAuthConfig, registerAuth } from './auth.js';
import { registerRateLimits } from './rate-limit.js';
import { type Drain, registerDrain } from './drain.js';
import { HttpError, invalid } from './errors.js';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from './input.js';
import { API_INFO, healthStatusSchema, SchemaComponents, TAGS } from './openapi.js';
import { MAX_ID_LENGTH } from './schemas.js';
import { faultCode, rejectedValue, storeFault } from '../store/errors.js';
import { advisoryRoutes } from './advisory/routes.js';
import { runRoutes } from './dpm/run-routes.js';
import { DpmService } from './dpm/service.js';
import { simulateRoutes } from './dpm/simulate-routes.js';
import { workflowRoutes } from './dpm/workflow-routes.js';
import { operationRoutes } from './dpm/operation-routes.js';
import { ANALYZE_QUEUE, OperationService } from './dpm/operations.js';
import { policyRoutes } from './policies/routes.js';
import { PolicyPackService } from './policies/service.js';
import { PROPOSAL_QUEUE } from './proposals/operations.js';
import { registerProposalLifecycle } from './proposals/routes.js';
import type { JobQueue } from '../store/queue.js';
import { envFlag } from './config.js';
import { Metrics, registerHttpMetrics } from './metrics.js';
import { readCacheConfig, ScenarioCache } from './scenarios/cache.js';
import { scenarioRoutes } from './scenarios/routes.js';
import { ScenarioRunner } from './scenarios/runner.js';
import { SCENARIO_QUEUE, ScenarioService } from './scenarios/service.js';
import { consoleDirectory, consoleRoutes } from './console/routes.js';
import { identityRoutes } from './identity/routes.js';
import { bookRoutes } from './books/routes.js';
import { BOOK_QUEUE, BookService } from './books/service.js';

export interface AppOptions {
  db: Database;
  env?: Env;
  logger?: FastifyServerOptions['logger'];
  /** Largest accepted request body; larger ones get 413. */
  bodyLimit?: number;
  clock?: () => Date;
  /** The job queue for async operations; without one, operations wait for a manual execute. */
  queue?: JobQueue;
  /** Queue workers to run in this process, per queue (0: leave the work to `keel worker` processes). */
  workers?: number;
  /** Where engine work runs; default: a pool of KEEL_ENGINE_THREADS threads, closed with the app. */
  engine?: EnginePool;
  /** Metrics registry (default: a new one for this app). */
  metrics?: Metrics;
}

export const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Seconds a client should wait after a 503 from the database. */
export const RETRY_AFTER_SECONDS = 5;

/** `{"detail": "<CODE>"}` for a status Fastify or Node answers before a route runs. */
const FRAMEWORK_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'REQUEST_TIMEOUT',
  413: 'REQUEST_BODY_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
};

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body as received, for a worker thread to parse again. */
    rawBody?: string;
  }
  interface FastifyInstance {
    /** Graceful shutdown: stop taking requests and wait for in-flight ones to be fully sent. */
    drain: Drain['drain'];
  }
}

/**
 * Fastify's own 4xx (bad URL, body too large, media type) get their code — 400 with the reason;
 * anything else keeps the message it was raised with (e.g. `RATE_LIMITED: …`).
 */
function frameworkDetail(status: number, message: string): string {
  const code = FRAMEWORK_CODES[status];
  if (!code) return message;
  return status === 400 || status === 414 ? `${code}: ${message}` : code;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const env = options.env ?? process.env;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Shutdown: refuse new requests with 503, close idle keep-alive sockets, finish the rest.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // A caller-supplied X-Request-Id is kept when it is sane; otherwise one is made.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { strict: false } },
    routerOptions: {
      // Ids of up to MAX_ID_LENGTH characters, percent-encoded, always reach validation (a longer
      // one is a 422 naming the parameter, never a 414 from the router).
      maxParamLength: MAX_ID_LENGTH * 12 + 64,
    },
    // Errors of the router (malformed percent-encoding, over-long parameters) in the documented body.
    frameworkErrors: (error, request, reply) => {
      const status = error.statusCode ?? 400;
      void (reply as unknown as FastifyReply)
        .status(status)
        .header('X-Request-Id', request.id)
        .send({ detail: frameworkDetail(status, error.message) });
    },
    // Errors Node's HTTP parser finds before there is a request (bad syntax, oversized headers).
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const status =
        error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const body = JSON.stringify({ detail: FRAMEWORK_CODES[status] });
      if (socket.writable)
        socket.write(
          `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\n` +
            `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
            `X-Request-Id: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`,
        );
      socket.destroy(error);
    },
  });
  app.decorate('schemaComponents', new SchemaComponents());

  // Validation is done by the route helper with Zod; Fastify's own compilers only see the
  // JSON Schema copies published in the OpenAPI document.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    req.rawBody = text;
    if (text.trim() === '') return done(null, undefined);
    if (exceedsJsonDepth(text))
      return done(
        invalid([
          {
            type: 'json_too_deep',
            loc: ['body'],
            msg: `JSON nesting should be at most ${MAX_JSON_DEPTH} levels deep`,
            input: null,
          },
        ]),
        undefined,
      );
    try {
      done(null, parseJson(text));
    } catch (error) {
      done(
        new HttpError(422, [
          {
            type: 'json_invalid',
            loc: ['body'],
            msg: `JSON decode error: ${(error as Error).message}`,
            input: null,
          },
        ]),
        undefined,
      );
    }
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });

  app.decorate('drain', registerDrain(app).drain);

  const metrics = options.metrics ?? new Metrics();
  registerHttpMetrics(app, metrics);

  const auth = readAuthConfig(env);
  registerAuth(app, auth);
  // Every later log line of the request carries who it is for and by whom.
  app.addHook('onRequest', async (request, reply) => {
    if (request.tenant === undefined) return;
    const log = request.log.child({ tenant_id: request.tenant, actor: request.actor ?? null });
    request.log = log;
    reply.log = log;
  });
  // Security headers; the API serves JSON only, the /docs page and the /console pages set their own CSP.
  await app.register(helmet, { contentSecurityPolicy: false, global: true });
  await registerRateLimits(app, env);

  // Audit: every mutation, with request id, tenant, actor and outcome.
  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
    request.log.info(
      {
        audit: {
          tenant: request.tenant ?? null,
          actor: request.actor ?? null,
          method: request.method,
          route: request.routeOptions.url ?? request.url,
          status: reply.statusCode,
          ...request.auditDetail,
        },
      },
      'audit',
    );
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof HttpError) {
      return reply.status(error.statusCode).headers(error.headers).send({ detail: error.detail });
    }
    if (error instanceof EngineBusyError)
      return reply
        .status(503)
        .header('Retry-After', String(RETRY_AFTER_SECONDS))
        .send({ detail: 'ENGINE_BUSY' });
    // The database is down, stalled or full: tell the client to come back (never a bare 500).
    const fault = storeFault(error);
    if (fault) {
      request.log.warn({ err: error, fault }, 'database unavailable');
      return reply
        .status(503)
        .header('Retry-After', String(RETRY_AFTER_SECONDS))
        .send({ detail: faultCode(fault) });
    }
    // A value the database refused slipped past validation: still the client's input.
    const rejected = rejectedValue(error);
    if (rejected) {
      request.log.warn({ err: error }, 'value rejected by the database');
      return reply.status(422).send({
        detail: [{ type: 'value_error', loc: ['body'], msg: `Value error, ${rejected}`, input: null }],
      });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const code = FRAMEWORK_CODES[status];
      return reply.status(status).send({
        detail: code && status !== 400 ? code : `${code ?? 'BAD_REQUEST'}: ${(error as Error).message}`,
      });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply
      .status(500)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: 'Internal Server Error',
        status: 500,
        detail: 'An unexpected error occurred.',
        instance: request.url.split('?')[0],
      });
  });

  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ detail: 'Not Found' }));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        // Filled as routes are declared; read when the document is first built.
        schemas: app.schemaComponents.schemas,
      },
      info: { ...API_INFO, version: '0.1.0' },
      tags: TAGS,
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // Prometheus scrape: public like the health checks; no label carries tenant data (docs/decisions/0043).
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    if (!envFlag(env, 'KEEL_METRICS_ENABLED', true)) return reply.status(404).send({ detail: 'Not Found' });
    const text = await metrics.render();
    return reply.type(metrics.contentType).send(text);
  });

  const healthResponse = (description: string) => ({
    description,
    headers: { 'X-Request-Id': { type: 'string', description: 'The request id.' } },
    ...app.schemaComponents.convert(healthStatusSchema, 'output'),
  });
  app.get(
    '/health/live',
    {
      schema: {
        tags: ['Health'],
        summary: 'Liveness: the process is up',
        description: 'Needs no token. Answers while the event loop is free, whatever the database does.',
        security: [],
        response: { 200: healthResponse('The process is up.') },
      },
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['Health'],
        summary: 'Readiness: the database answers and writes commit',
        description:
          'Needs no token. 200 when a write commits within the configured timeouts (and, embedded, the disk has room); ' +
          '503 with the reason otherwise (database unreachable or stalled, disk full, corrupted store).',
        security: [],
        response: { 200: healthResponse('Ready.'), 503: healthResponse('Not ready, with the reason.') },
      },
    },
    async (_req, reply) => {
      const state = await options.db.readiness();
      if (state.ready) return { status: 'ok', database: 'ok' };
      return reply
        .status(503)
        .header('Retry-After', String(RETRY_AFTER_SECONDS))
        .send({ status: 'unavailable', database: state.reason ?? 'unreachable' });
    },
  );

  identityRoutes(app);
  await consoleRoutes(app, consoleDirectory(env));

  const engine = options.engine ?? engineFromEnv(env);
  if (!options.engine) app.addHook('onClose', async () => engine.close());
  const dpm = new DpmService(options.db, env, engine, options.clock);
  const policies = new PolicyPackService(options.db, env, app.log, auth.mode === 'jwt', options.clock);
  policyRoutes(app, policies);
  simulateRoutes(app, dpm, policies);
  runRoutes(app, dpm, env);
  workflowRoutes(app, dpm, env);
  await options.queue?.ensureQueue(ANALYZE_QUEUE);
  const operations = new OperationService(dpm, env, options.queue ?? null, app.log);
  operationRoutes(app, operations, env, policies);
  await operations.startWorkers(options.workers ?? 0);
  operations.startRecovery();
  app.addHook('onClose', async () => operations.stopRecovery());
  advisoryRoutes(app, options.db, engine, options.clock ?? (() => new Date()));
  await registerProposalLifecycle(app, { ...options, env });

  const cache = new ScenarioCache(readCacheConfig(env), metrics, app.log);
  app.addHook('onClose', async () => cache.close());
  await cache.ready();
  await options.queue?.ensureQueue(SCENARIO_QUEUE);
  const books = new BookService(options.db, options.queue ?? null, engine, env, options.clock, app.log);
  await books.ensureQueue();
  if (options.queue)
    metrics.watchQueue(options.queue, [ANALYZE_QUEUE, SCENARIO_QUEUE, PROPOSAL_QUEUE, BOOK_QUEUE]);
  const scenarios = new ScenarioService(options.db, options.queue ?? null, cache, metrics, options.clock);
  await scenarioRoutes(app, scenarios);
  await new ScenarioRunner(
    options.db,
    dpm,
    policies,
    options.queue ?? null,
    cache,
    metrics,
    app.log,
    options.clock,
  ).startWorkers(options.workers ?? 0);
  bookRoutes(app, books, policies, env);
  await books.startWorkers(options.workers ?? 0);
  return app;
}

/** The engine pool KEEL_ENGINE_THREADS (default: one per core) and KEEL_ENGINE_OFFLOAD_MIN_SIZE ask for. */
export function engineFromEnv(env: Env): EnginePool {
  return new EnginePool({
    threads: envInt(env, 'KEEL_ENGINE_THREADS', EnginePool.defaultThreads(), 0),
    offloadMinSize: envInt(env, 'KEEL_ENGINE_OFFLOAD_MIN_SIZE', DEFAULT_OFFLOAD_MIN_SIZE, 0),
  });
}
