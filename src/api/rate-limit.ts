/**
 * Rate limits per tenant and route class (reads, writes), with X-RateLimit-Limit / -Remaining /
 * -Reset on every limited response and 429 + Retry-After when exceeded. Counted in Redis when
 * REDIS_URL is set, so every process shares one limit; otherwise per process.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { type Env, envInt, envText } from './config.js';
import { DEFAULT_TENANT } from './tenancy.js';
import { HttpError } from './errors.js';

const UNLIMITED = /^\/(health\/|docs(\/|$)|openapi\.json$|metrics(\?|$))/;

const routeClass = (request: FastifyRequest) =>
  request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write';

export async function registerRateLimits(app: FastifyInstance, env: Env): Promise<void> {
  const limits = {
    read: envInt(env, 'KEEL_RATE_LIMIT_READ_PER_MINUTE', 6000, 0),
    write: envInt(env, 'KEEL_RATE_LIMIT_WRITE_PER_MINUTE', 3000, 0),
  };
  if (limits.read === 0 && limits.write === 0) return;
  const url = envText(env, 'REDIS_URL');
  const redis = url
    ? new Redis(url, { connectTimeout: 2000, maxRetriesPerRequest: 1, enableOfflineQueue: false })
    : undefined;
  if (redis) {
    redis.on('error', (err) => app.log.warn({ err }, 'rate-limit store unavailable'));
    app.addHook('onClose', async () => {
      redis.disconnect();
    });
  }
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler', // after authentication, so the tenant is known
    timeWindow: 60_000,
    max: (request) => limits[routeClass(request)] || Number.MAX_SAFE_INTEGER,
    keyGenerator: (request) => `${request.tenant ?? DEFAULT_TENANT}:${routeClass(request)}`,
    allowList: (request) => UNLIMITED.test(request.url) || limits[routeClass(request)] === 0,
    nameSpace: 'keel-rate-limit:',
    skipOnError: true, // a Redis outage must not take the API down
    ...(redis && { redis }),
    errorResponseBuilder: (_request, context) =>
      new HttpError(
        429,
        `RATE_LIMITED: more than ${context.max} requests per minute for this tenant; retry in ${Math.ceil(context.ttl / 1000)} s`,
      ),
  });
}
