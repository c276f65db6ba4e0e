/**
 * Body parsing shared by the CLI and HTTP layers: JSON text → raw tokens (every number keeps
 * its digits, see json.ts) → a validated contract value, or a field-error list.
 */
import type { z } from 'zod';
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

export function validate<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  prefix: (string | number)[] = [],
): Parsed<z.output<S>> {
  const result = schema.safeParse(raw, { reportInput: true });
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, errors: toFieldErrors(result.error, prefix) };
}

export function parseAndValidate<S extends z.ZodType>(schema: S, text: string): Parsed<z.output<S>> {
  const json = parseJsonText(text);
  return json.ok ? validate(schema, json.value) : json;
}
