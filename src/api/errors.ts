/**
 * Errors at the HTTP edge. Domain outcomes are 200 results; these are the request-level
 * failures: `{"detail": "<CODE>"}` for flags, look-ups and conflicts, `{"detail": [...]}`
 * field lists for validation (spec 30 §1, §14).
 */
import type { FieldError } from '../contracts/primitives.js';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly detail: string | FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : 'validation error');
  }
}

export const notFound = (code: string) => new HttpError(404, code);

/** The value, or a 404 with `code` when the look-up found nothing. */
export function found<T>(value: T | null, code: string): T {
  if (value === null) throw notFound(code);
  return value;
}
export const conflict = (code: string) => new HttpError(409, code);
export const invalid = (errors: FieldError[]) => new HttpError(422, errors);
