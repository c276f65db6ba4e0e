/**
 * Declaring an HTTP route once: the Zod schemas for path, query, headers and body validate the
 * request (one 422 list, path → query → header → body, spec 30 §1), type the handler, and are
 * published in the OpenAPI document — named schemas (`.meta({ id })`) as `$ref`s to
 * `#/components/schemas`, every request and response header described.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { fastSchema } from '../contracts/parse.js';
import { type FieldError, toFieldErrors } from '../contracts/primitives.js';
import { type Permission, requireActor, requirePermission } from './auth.js';
import { invalid } from './errors.js';
import { jsonTextMayHoldNul, nulCharacterErrors } from './input.js';
import { SchemaComponents } from './openapi.js';
import { errorBody, tenantHeader, validationErrorBody } from './schemas.js';

type AnyObject = z.ZodType<Record<string, unknown>>;

export interface HeaderDoc {
  description: string;
  schema?: z.ZodType;
}

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Response headers beyond X-Request-Id (which every response carries). */
  headers?: Record<string, HeaderDoc>;
  /** A non-JSON body (e.g. `text/csv`): documented as text of this media type with `example`. */
  media?: { contentType: string; example: string };
}

export interface RouteSpec<
  P extends AnyObject,
  Q extends AnyObject,
  H extends AnyObject,
  B extends z.ZodType,
> {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  url: string;
  tags: string[];
  summary: string;
  /**
   * What the caller must be allowed to do (checked before validation); with several, any one of
   * them lets the request through and the handler checks the one its input needs; null: any
   * identified caller (with authentication on, a valid token), no permission needed.
   */
  permission: Permission | readonly [Permission, ...Permission[]] | null;
  /**
   * The route records who acted (a run's creator, a reviewer's decision): a token without the
   * actor claim is refused with 403 ACTOR_REQUIRED.
   */
  recordsActor?: boolean;
  description?: string;
  params?: P;
  query?: Q;
  headers?: H;
  body?: B;
  /**
   * A body the handler reads itself (a stream, e.g. JSON Lines): published in the document
   * under these media types, never validated by the helper.
   */
  streamedBody?: { contentTypes: string[]; schema: z.ZodType };
  responses: Record<number, ResponseDoc>;
  handler: (input: {
    request: FastifyRequest;
    reply: FastifyReply;
    params: z.output<P>;
    query: z.output<Q>;
    headers: z.output<H>;
    body: z.output<B>;
  }) => Promise<unknown>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Named schemas of every route, published as the document's `components.schemas`. */
    schemaComponents: SchemaComponents;
  }
}

/** Headers every route accepts, documented once here. */
const COMMON_HEADERS = {
  'X-Request-Id': z
    .string()
    .optional()
    .meta({
      description:
        'Your id for this request (1–128 of A-Z a-z 0-9 . _ : -), echoed in the X-Request-Id response header and the logs; another value is replaced by a generated one.',
      examples: ['req-7f3a9c'],
    }),
  'X-Tenant-Id': tenantHeader().optional(),
};

const REQUEST_ID_HEADER: HeaderDoc = {
  description: 'The request id (yours when it was sane, else generated); every log line carries it.',
  schema: z.string().meta({ examples: ['0d1e5b1c-3b9a-4c1e-9f3e-5a1b2c3d4e5f'] }),
};

const RETRY_AFTER: HeaderDoc = {
  description: 'Seconds to wait before retrying.',
  schema: z.string().meta({ examples: ['5'] }),
};

/** Error responses every route can give, added unless the route documents its own. */
function commonResponses(hasBody: boolean): Record<number, ResponseDoc> {
  const bodyErrors: Record<number, ResponseDoc> = hasBody
    ? {
        413: {
          description: 'REQUEST_BODY_TOO_LARGE: the body exceeds KEEL_MAX_BODY_BYTES.',
          schema: errorBody,
        },
        415: { description: 'UNSUPPORTED_MEDIA_TYPE: send application/json.', schema: errorBody },
      }
    : {};
  return {
    ...bodyErrors,
    401: {
      description: 'UNAUTHENTICATED: no, invalid or expired bearer token (when authentication is on).',
      schema: errorBody,
      headers: { 'WWW-Authenticate': { description: 'Bearer challenge with the reason.' } },
    },
    403: {
      description: 'FORBIDDEN: the token lacks the permission; ACTOR_REQUIRED; ACTOR_MISMATCH.',
      schema: errorBody,
    },
    422: {
      description: 'Invalid path, query, headers or body: one entry per field.',
      schema: validationErrorBody,
    },
    429: {
      description: 'RATE_LIMITED: too many requests for this tenant.',
      schema: errorBody,
      headers: { 'Retry-After': RETRY_AFTER },
    },
    503: {
      description:
        'DATABASE_UNAVAILABLE, DATABASE_TIMEOUT, DATABASE_STORAGE_FULL, DATABASE_STORAGE_FAULT or SERVER_SHUTTING_DOWN: retry later.',
      schema: errorBody,
      headers: { 'Retry-After': RETRY_AFTER },
    },
  };
}

/** Fastify lower-cases header names; the schema (and error `loc`) uses their canonical case. */
function headerValues(request: FastifyRequest, schema: z.ZodObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = request.headers[name.toLowerCase()];
    if (value !== undefined) out[name] = Array.isArray(value) ? value[0] : value;
  }
  return out;
}

export function route<
  P extends AnyObject = z.ZodObject<Record<string, never>>,
  Q extends AnyObject = z.ZodObject<Record<string, never>>,
  H extends AnyObject = z.ZodObject<Record<string, never>>,
  B extends z.ZodType = z.ZodUnknown,
>(app: FastifyInstance, spec: RouteSpec<P, Q, H, B>): void {
  // buildApp decorates the root; a bare Fastify instance (a unit test) still gets valid schemas.
  const components = app.hasDecorator('schemaComponents') ? app.schemaComponents : new SchemaComponents();
  const headers = z.object({
    ...COMMON_HEADERS,
    ...(spec.headers ? (spec.headers as unknown as z.ZodObject).shape : {}),
  });
  const validated: [string, z.ZodType | undefined, (r: FastifyRequest) => unknown][] = [
    ['path', spec.params, (r) => r.params],
    ['query', spec.query, (r) => r.query],
    ['header', headers, (r) => headerValues(r, headers)],
    ['body', spec.body, (r) => r.body],
  ];
  const permissions: readonly Permission[] =
    spec.permission === null ? [] : typeof spec.permission === 'string' ? [spec.permission] : spec.permission;
  const needs =
    permissions.length === 0
      ? 'Requires a valid token (when authentication is on), no permission'
      : `Requires permission ${permissions.map((p) => `\`${p}\``).join(' or ')}`;
  const responses: Record<string, unknown> = {};
  const documented = {
    ...commonResponses(spec.body !== undefined || spec.streamedBody !== undefined),
    ...spec.responses,
  };
  for (const [code, doc] of Object.entries(documented)) {
    const headerDocs: Record<string, unknown> = {};
    for (const [name, h] of Object.entries({ 'X-Request-Id': REQUEST_ID_HEADER, ...doc.headers }))
      headerDocs[name] = {
        description: h.description,
        ...(h.schema ? components.convert(h.schema, 'output') : { type: 'string' }),
      };
    responses[code] = doc.media
      ? {
          description: doc.description,
          headers: headerDocs,
          content: { [doc.media.contentType]: { schema: { type: 'string', examples: [doc.media.example] } } },
        }
      : {
          description: doc.description,
          headers: headerDocs,
          ...(doc.schema ? components.convert(doc.schema, 'output') : { type: 'null' }),
        };
  }

  app.route({
    method: spec.method,
    url: spec.url,
    schema: {
      tags: spec.tags,
      summary: spec.summary,
      description: `${spec.description ? `${spec.description} ` : ''}${needs}${spec.recordsActor ? ' and a token naming its actor' : ''}.`,
      security: [{ bearerAuth: [] }],
      ...(spec.params && { params: components.convert(spec.params, 'input') }),
      ...(spec.query && { querystring: components.convert(spec.query, 'input') }),
      headers: components.convert(headers, 'input'),
      ...(spec.body && { body: components.convert(spec.body, 'input') }),
      ...(spec.streamedBody && {
        body: components.convert(spec.streamedBody.schema, 'input'),
        consumes: spec.streamedBody.contentTypes,
      }),
      response: responses,
    },
    config: { permission: permissions[0] ?? null },
    handler: async (request, reply) => {
      if (permissions.length > 0 && !permissions.some((p) => request.permissions?.has(p)))
        requirePermission(request, permissions[0]!);
      if (spec.recordsActor) requireActor(request);
      const errors: FieldError[] = [];
      const values: Record<string, unknown> = {};
      for (const [loc, schema, read] of validated) {
        if (!schema) continue;
        const raw = read(request);
        // NUL characters first: no store can hold them, and they must be named, not stored.
        // (A body parsed from text without a NUL escape has none: the walk is skipped.)
        const clean = loc === 'body' && request.rawBody !== undefined && !jsonTextMayHoldNul(request.rawBody);
        const nul = clean ? [] : nulCharacterErrors(raw, [loc]);
        if (nul.length > 0) {
          errors.push(...nul);
          continue;
        }
        const result = fastSchema(schema).safeParse(raw, { reportInput: true });
        if (result.success) values[loc] = result.data;
        else errors.push(...toFieldErrors(result.error, [loc]).map((e) => bodyRootError(e, raw)));
      }
      if (errors.length > 0) throw invalid(errors);
      const result = await spec.handler({
        request,
        reply,
        params: values.path as z.output<P>,
        query: values.query as z.output<Q>,
        headers: values.header as z.output<H>,
        body: values.body as z.output<B>,
      });
      if (result === reply) return reply; // the handler sent the response itself (a stream)
      if (typeof result === 'string') return reply.type('application/json; charset=utf-8').send(result);
      return reply.send(result);
    },
  });
}

/** A non-object JSON body is reported the way clients of the reference expect. */
function bodyRootError(error: FieldError, raw: unknown): FieldError {
  if (error.loc.length === 1 && error.loc[0] === 'body' && raw !== undefined && error.type === 'dict_type')
    return {
      ...error,
      type: 'model_attributes_type',
      msg: 'Input should be a valid dictionary or object to extract fields from',
    };
  return error;
}
