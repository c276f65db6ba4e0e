/**
 * Body parsing shared by the CLI and HTTP layers: JSON text → raw tokens (lossless-json keeps
 * every number's digits) → a validated contract value, or a field-error list.
 */
import { parse as parseLossless } from 'lossless-json';
import type { z } from 'zod';
import { type FieldError, toFieldErrors } from './primitives.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Parse JSON text keeping number tokens; a syntax error is reported as `json_invalid`. */
export function parseJsonText(
  text: string,
): { ok: true; value: unknown } | { ok: false; errors: FieldError[] } {
  try {
    return { ok: true, value: parseLossless(text) };
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
