/**
 * The HTTP application: JSON parsing that keeps every number's digits, request ids, the error
 * envelope, health checks, the OpenAPI document and the resource plugins. Built around an open
 * database so tests can run it in-process on an embedded store.
 */
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import helmet from '@fastify/helmet';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { parseJson } from '../contracts/json.js';
import type { Database } from '../store/database.js';
import type { Env } from './config.js';
import { readAuthConfig, registerAuth } from './auth.js';
import { registerRateLimits } from './rate-limit.js';
import { type Drain, registerDrain } from './drain.js';
import { HttpError } from './errors.js';
import { advisoryRoutes } from './advisory/routes.js';
import { runRoutes } from './dpm/run-routes.js';
import { DpmService } from './dpm/service.js';
import { simulateRoutes } from './dpm/simulate-routes.js';
import { workflowRoutes } from './dpm/workflow-routes.js';
import { operationRoutes } from './dpm/operation-routes.js';
import { ANALYZE_QUEUE, OperationService } from './dpm/operations.js';
import type { JobQueue } from '../store/queue.js';

export interface AppOptions {
  db: Database;
  env?: Env;
  logger?: FastifyServerOptions['logger'];
  /** Largest accepted request body; larger ones get 413. */
  bodyLimit?: number;
  clock?: () => Date;
  /** The job queue for async operations; without one, operations wait for a manual execute. */
  queue?: JobQueue;
  /** Queue workers to run in this process (0: leave the work to `keel worker` processes). */
  workers?: number;
}

export const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'fastify' {
  interface FastifyInstance {
    /** Graceful shutdown: stop taking requests and wait for in-flight ones to be fully sent. */
    drain: Drain['drain'];
  }
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
  });

  // Validation is done by the route helper with Zod; Fastify's own compilers only see the
  // JSON Schema copies published in the OpenAPI document.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
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

  const auth = readAuthConfig(env);
  registerAuth(app, auth);
  // Security headers; the API serves JSON only, and the /docs page sets its own CSP.
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
        },
      },
      'audit',
    );
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof HttpError) {
      return reply.status(error.statusCode).headers(error.headers).send({ detail: error.detail });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply
        .status(status)
        .send({ detail: status === 413 ? 'REQUEST_BODY_TOO_LARGE' : (error as Error).message });
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
      },
      info: {
        title: 'Keel',
        version: '0.1.0',
        description:
          'Deterministic portfolio rebalancing for private banking. Decimals are JSON strings holding the exact ' +
          'decimal text (JSON numbers are accepted on input). Domain outcomes (READY / PENDING_REVIEW / BLOCKED) are ' +
          '200; malformed requests are 422 with a field-level list; flags, look-ups and conflicts are ' +
          '{"detail": "<CODE>"}. Every response carries X-Request-Id.',
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get(
    '/health/live',
    { schema: { tags: ['Health'], summary: 'Liveness: the process is up' } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/health/ready',
    { schema: { tags: ['Health'], summary: 'Readiness: the database answers' } },
    async (_req, reply) => {
      try {
        await options.db.query('SELECT 1');
        return { status: 'ok', database: 'ok' };
      } catch {
        return reply.status(503).send({ status: 'unavailable', database: 'unreachable' });
      }
    },
  );

  const dpm = new DpmService(options.db, env, options.clock);
  simulateRoutes(app, dpm);
  runRoutes(app, dpm, env);
  workflowRoutes(app, dpm, env);
  await options.queue?.ensureQueue(ANALYZE_QUEUE);
  const operations = new OperationService(dpm, env, options.queue ?? null, app.log);
  operationRoutes(app, operations, env);
  await operations.startWorkers(options.workers ?? 0);
  advisoryRoutes(app, options.db, options.clock ?? (() => new Date()));
  return app;
}
