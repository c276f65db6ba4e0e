/**
 * What a mutation did, for the audit line app.ts writes when its response is sent: a handler
 * adds the acting user (when it came from the body) and the record it touched.
 */
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    auditDetail?: Record<string, unknown>;
  }
}

export function addAuditDetail(request: FastifyRequest, detail: Record<string, unknown>): void {
  request.auditDetail = { ...request.auditDetail, ...detail };
}
