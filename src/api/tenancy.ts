/**
 * The tenant a request acts for. Every stored record carries it and every query is scoped by it.
 * Until authentication is configured every request belongs to the `default` tenant.
 */
import type { FastifyRequest } from 'fastify';

export const DEFAULT_TENANT = 'default';

declare module 'fastify' {
  interface FastifyRequest {
    tenant?: string;
  }
}

export function tenantOf(request: FastifyRequest): string {
  return request.tenant ?? DEFAULT_TENANT;
}
