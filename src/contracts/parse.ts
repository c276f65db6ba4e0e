/**
 * Body parsing shared by the CLI and HTTP layers: JSON text → raw tokens (every number keeps
 * its digits, see json.ts) → a validated contract value, or a field-error list.
 */
import { z } from 'zod';
import { parseJson } from './json.js';
import { type FieldError, toFieldErrors } from './primitives.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Parse JSON text keeping number tokens; a syntax error is reported as `json_invalid`. */
export function parseJsonText(
  text: string,
): { ok: true; value: unknown } | { ok: false; errors: FieldError[] } {
  try {
    return { ok: true, value: parseJson(text) };
  } catch (error) {
    return {
      ok: false,
      errors: [
        { type: 'json_invalid', loc: [], msg: `JSON decode error: ${(error as Error).message}`, input: null },
      ],
    };
  }
}

const uses = new WeakMap<z.ZodType, number>();
const compiledSchemas = new WeakMap<z.ZodType, z.ZodType>();

/**
 * The schema with Zod's ahead-of-time compiled fast path (`z.compile`): code generated from
 * this same schema that returns the runtime parser's value for valid input and hands anything
 * it is not sure of to the runtime parser, so issues are always the runtime's own. Compiling
 * costs about as much as validating dozens of typical bodies, so a schema is compiled on its
 * second use: a one-off validation (`keel simulate FILE`) stays on the runtime parser.
 */
export function fastSchema<S extends z.ZodType>(schema: S): S {
  const compiled = compiledSchemas.get(schema);
  if (compiled !== undefined) return compiled as S;
  const count = (uses.get(schema) ?? 0) + 1;
  uses.set(schema, count);
  if (count < 2) return schema;
  const built = z.compile(schema);
  compiledSchemas.set(schema, built);
  return built;
}

export function validate<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  prefix: (string | number)[] = [],
): Parsed<z.output<S>> {
  const result = fastSchema(schema).safeParse(raw, { reportInput: true });
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, errors: toFieldErrors(result.error, prefix) };
}

export function parseAndValidate<S extends z.ZodType>(schema: S, text: string): Parsed<z.output<S>> {
  const json = parseJsonText(text);
  return json.ok ? validate(schema, json.value) : json;
}
