/**
 * The error envelope of `/v1/scenarios` (seed 004, spec 50 §3): `{"error": {code, message,
 * details}, "meta": {request_id}}`, 400 for every validation failure (body, path, query, JSON
 * syntax), and the same envelope for 401/403/404/409/413/415/429/503. It is owned by the
 * scenario plugin's own error and not-found handlers, so the rest of the API keeps
 * `{"detail": …}` (docs/decisions/0040).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FieldError } from '../../contracts/primitives.js';
import { HttpError } from '../errors.js';

/** An error of this surface with its code, message and details. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const scenarioNotFound = () => new ApiError(404, 'SCENARIO_NOT_FOUND', 'No scenario with this id.');
export const runNotFound = () => new ApiError(404, 'SCENARIO_RUN_NOT_FOUND', 'No scenario run with this id.');

/** A validation failure in the envelope: 400 with one detail per field. */
export function validationError(errors: FieldError[]): ApiError {
  const details = errors.map((e) => ({ ...e, field: fieldName(e.loc) }));
  const json = errors.some((e) => e.type === 'json_invalid');
  const first = details[0];
  const message = first
    ? `${first.field}: ${first.msg}${details.length > 1 ? ` (and ${details.length - 1} more)` : ''}`
    : 'Invalid request.';
  return new ApiError(400, json ? 'INVALID_JSON' : 'VALIDATION_ERROR', message, details);
}

/** `['body', 'assumptions', 2, 'payload', 'shock_pct']` → `assumptions[2].payload.shock_pct`. */
export function fieldName(loc: readonly (string | number)[]): string {
  const [where, ...path] = loc;
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out === '' ? String(where ?? 'body') : out;
}

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  503: 'SERVICE_UNAVAILABLE',
};

/** Map anything thrown on this surface to (status, envelope error, headers). */
export function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error instanceof HttpError) {
    if (Array.isArray(error.detail)) return withHeaders(validationError(error.detail), error.headers);
    // `CODE: message` (auth, rate limits) or a bare `CODE`.
    const match = /^([A-Z][A-Z0-9_]*)(?::\s*(.*))?$/s.exec(error.detail);
    const code = match?.[1] ?? STATUS_CODES[error.statusCode] ?? 'ERROR';
    const message = match?.[2] ?? (match ? code.toLowerCase().replace(/_/g, ' ') : error.detail);
    return new ApiError(error.statusCode, code, message, null, error.headers);
  }
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const raw = String((error as { message?: unknown }).message ?? '');
    const match = /^([A-Z][A-Z0-9_]*):\s*(.*)$/s.exec(raw);
    if (match) return new ApiError(status, match[1]!, match[2]!);
    return new ApiError(status, STATUS_CODES[status] ?? `HTTP_${status}`, raw || 'Request rejected.');
  }
  return null;
}

function withHeaders(error: ApiError, headers: Record<string, string>): ApiError {
  return new ApiError(error.statusCode, error.code, error.message, error.details, headers);
}

export function envelope(
  request: FastifyRequest,
  error: { code: string; message: string; details: unknown },
) {
  return {
    error: { code: error.code, message: error.message, details: error.details },
    meta: { request_id: request.id },
  };
}

/** Install the envelope on an encapsulated plugin: its routes, hooks and unknown URLs under its prefix. */
export function registerEnvelope(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply: FastifyReply) => {
    const known = toApiError(error);
    if (known) return reply.status(known.statusCode).headers(known.headers).send(envelope(request, known));
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(
      envelope(request, {
        code: 'INTERNAL_ERROR',
        message: 'An unexpected error occurred; quote the request id to support.',
        details: null,
      }),
    );
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(
      envelope(request, {
        code: 'NOT_FOUND',
        message: `No route ${request.method} ${request.url.split('?')[0]}.`,
        details: null,
      }),
    ),
  );
}
