/**
 * Declaring an HTTP route once: the Zod schemas for path, query, headers and body validate the
 * request (one 422 list, path → query → header → body, spec 30 §1), type the handler, and are
 * published as JSON Schema in the OpenAPI document.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { documentSchema } from '../contracts/field-docs.js';
import { fastSchema } from '../contracts/parse.js';
import { type FieldError, toFieldErrors } from '../contracts/primitives.js';
import { type Permission, requirePermission } from './auth.js';
import { invalid } from './errors.js';

type AnyObject = z.ZodType<Record<string, unknown>>;

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
}

export interface RouteSpec<
  P extends AnyObject,
  Q extends AnyObject,
  H extends AnyObject,
  B extends z.ZodType,
> {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  url: string;
  tags: string[];
  summary: string;
  /** What the caller must be allowed to do (checked before validation). */
  permission: Permission;
  description?: string;
  params?: P;
  query?: Q;
  headers?: H;
  body?: B;
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

const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return documentSchema(rest) as Record<string, unknown>;
};

/** Fastify lower-cases header names; the schema (and error `loc`) uses their canonical case. */
function headerValues(request: FastifyRequest, schema: AnyObject): Record<string, unknown> {
  const shape = (schema as unknown as z.ZodObject).shape as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(shape)) {
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
  const parts: [keyof Pick<RouteSpec<P, Q, H, B>, 'params' | 'query' | 'headers' | 'body'>, string][] = [
    ['params', 'path'],
    ['query', 'query'],
    ['headers', 'header'],
    ['body', 'body'],
  ];
  const responses: Record<string, unknown> = {};
  for (const [code, doc] of Object.entries(spec.responses))
    responses[code] = doc.schema
      ? { description: doc.description, ...jsonSchema(doc.schema) }
      : { description: doc.description };

  app.route({
    method: spec.method,
    url: spec.url,
    schema: {
      tags: spec.tags,
      summary: spec.summary,
      description: `${spec.description ? `${spec.description} ` : ''}Requires permission \`${spec.permission}\`.`,
      security: [{ bearerAuth: [] }],
      ...(spec.params && { params: jsonSchema(spec.params) }),
      ...(spec.query && { querystring: jsonSchema(spec.query) }),
      ...(spec.headers && { headers: jsonSchema(spec.headers) }),
      ...(spec.body && { body: jsonSchema(spec.body) }),
      response: responses,
    },
    config: { permission: spec.permission },
    handler: async (request, reply) => {
      requirePermission(request, spec.permission);
      const errors: FieldError[] = [];
      const values: Record<string, unknown> = {};
      for (const [part, loc] of parts) {
        const schema = spec[part] as z.ZodType | undefined;
        if (!schema) continue;
        const raw =
          part === 'headers'
            ? headerValues(request, schema as AnyObject)
            : part === 'params'
              ? request.params
              : part === 'query'
                ? request.query
                : request.body;
        const result = fastSchema(schema).safeParse(raw, { reportInput: true });
        if (result.success) values[part] = result.data;
        else errors.push(...toFieldErrors(result.error, [loc]).map((e) => bodyRootError(e, raw)));
      }
      if (errors.length > 0) throw invalid(errors);
      const result = await spec.handler({
        request,
        reply,
        params: values.params as z.output<P>,
        query: values.query as z.output<Q>,
        headers: values.headers as z.output<H>,
        body: values.body as z.output<B>,
      });
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
