/**
 * Cheap checks on raw request input that run before parsing or validation does any real work:
 * the nesting depth of a JSON body (a linear scan, so `[[[[…` 100,000 deep never reaches the
 * recursive parser, the validator or an error echo) and NUL characters, which no PostgreSQL text
 * column can hold (a NUL in an id used to pass validation and fail, or crash, at the store).
 */
import type { FieldError } from '../contracts/primitives.js';

/** Deepest nesting of arrays and objects a request body may have; real bodies stay below 12. */
export const MAX_JSON_DEPTH = 64;

/** True when the JSON text nests arrays/objects deeper than `max` (strings are skipped). */
export function exceedsJsonDepth(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

const NUL = '\u0000';

/**
 * Whether a value parsed from this JSON text can hold a NUL character: JSON writes one only as the
 * escape `\u0000` (a raw NUL is invalid JSON), so a text without that escape (or a raw NUL) parses
 * to strings and keys without NUL, and the walk of `nulCharacterErrors` can be skipped.
 */
export const jsonTextMayHoldNul = (text: string): boolean => text.includes('\\u0000') || text.includes(NUL);

/** Parsed JSON objects, and the router's and query parser's parameter objects (odd prototypes). */
const isRecord = (node: unknown): node is Record<string, unknown> =>
  node !== null && typeof node === 'object' && !Array.isArray(node);

/** One `string_nul_character` error per string value or object key containing NUL. */
export function nulCharacterErrors(value: unknown, loc: (string | number)[]): FieldError[] {
  const errors: FieldError[] = [];
  const visit = (node: unknown, at: (string | number)[]) => {
    if (errors.length >= 20) return; // enough to name the problem
    if (typeof node === 'string') {
      if (node.includes(NUL))
        errors.push({
          type: 'string_nul_character',
          loc: at,
          msg: 'String should not contain NUL characters (\\u0000)',
          input: node.replaceAll(NUL, '\\u0000').slice(0, 200),
        });
    } else if (Array.isArray(node)) node.forEach((item, i) => visit(item, [...at, i]));
    else if (isRecord(node))
      for (const [key, item] of Object.entries(node)) {
        if (key.includes(NUL))
          errors.push({
            type: 'string_nul_character',
            loc: [...at, key],
            msg: 'Key should not contain NUL characters (\\u0000)',
            input: key.replaceAll(NUL, '\\u0000').slice(0, 200),
          });
        visit(item, [...at, key]);
      }
  };
  visit(value, loc);
  return errors;
}
