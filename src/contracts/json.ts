/**
 * JSON text → raw values exactly as lossless-json reads them (every number a `LosslessNumber`
 * holding its token), using the native parser whenever that is provably the same.
 *
 * lossless-json parses in JavaScript, a character at a time; `JSON.parse` is several times
 * faster but turns number tokens into doubles. The native result, with each number wrapped
 * back into a `LosslessNumber` of its own `String()`, is identical to lossless-json's exactly
 * when:
 * - every number token is an integer of at most 15 digits other than `-0` (exact as a double,
 *   and `String()` gives the token back), which holds for requests that send decimals as
 *   strings, the recommended form;
 * - no object repeats a key (lossless-json rejects a repeated key with a different value;
 *   `JSON.parse` keeps the last one): the members found in the parsed value must number the
 *   `:` separators in the text;
 * - nesting is shallow enough for lossless-json's recursion (it would fail on thousands of
 *   levels, where `JSON.parse` does not).
 * A single scan of the text outside strings checks the first and last and counts the
 * separators; anything else — fractions, exponents, long integers, invalid JSON — goes to
 * lossless-json, which also words every syntax error.
 */
import { LosslessNumber, parse as parseLossless } from 'lossless-json';

const MAX_DEPTH = 256;

/**
 * The number of `:` separators outside strings when every number token is a short integer and
 * nesting is at most MAX_DEPTH; −1 otherwise. On invalid JSON the answer does not matter (the
 * native parser fails and lossless-json takes over); the scan only has to terminate.
 */
function scanOutsideStrings(text: string): number {
  const length = text.length;
  let separators = 0;
  let depth = 0;
  let i = 0;
  while (i < length) {
    const ch = text.charCodeAt(i);
    if (ch === 34 /* " */) {
      let end = text.indexOf('"', i + 1);
      // A quote preceded by an odd run of backslashes is escaped: keep looking.
      while (end > 0 && text.charCodeAt(end - 1) === 92 /* \ */) {
        let k = end - 1;
        while (k > i && text.charCodeAt(k) === 92) k--;
        if ((end - 1 - k) % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (end < 0) return -1;
      i = end + 1;
    } else if (ch === 58 /* : */) {
      separators++;
      i++;
    } else if (ch === 123 /* { */ || ch === 91 /* [ */) {
      if (++depth > MAX_DEPTH) return -1;
      i++;
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) {
      depth--;
      i++;
    } else if (ch === 45 /* - */ || (ch >= 48 && ch <= 57)) {
      const start = ch === 45 ? i + 1 : i;
      let j = start;
      while (j < length) {
        const c = text.charCodeAt(j);
        if (c < 48 || c > 57) break;
        j++;
      }
      const digits = j - start;
      if (digits === 0 || digits > 15) return -1;
      if (ch === 45 && digits === 1 && text.charCodeAt(start) === 48) return -1; // -0
      const next = text.charCodeAt(j);
      if (next === 46 /* . */ || next === 101 /* e */ || next === 69 /* E */) return -1;
      i = j;
    } else i++;
  }
  return separators;
}

const wrap = (n: number) => new LosslessNumber(String(n));

/** Wrap every number in place; returns the number of object members seen. */
function wrapNumbers(value: object): number {
  let members = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'number') value[i] = wrap(v);
      else if (v !== null && typeof v === 'object') members += wrapNumbers(v);
    }
    return members;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    members++;
    const v = record[key];
    if (typeof v === 'number') {
      // An own "__proto__" (JSON.parse makes one) must not hit the prototype setter.
      if (key === '__proto__')
        Object.defineProperty(record, key, {
          value: wrap(v),
          writable: true,
          enumerable: true,
          configurable: true,
        });
      else record[key] = wrap(v);
    } else if (v !== null && typeof v === 'object') members += wrapNumbers(v);
  }
  return members;
}

/** Parse JSON text keeping every number's digits; throws lossless-json's SyntaxError if invalid. */
export function parseJson(text: string): unknown {
  const separators = scanOutsideStrings(text);
  if (separators >= 0) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return parseLossless(text); // invalid: lossless-json words the error
    }
    if (typeof value === 'number') return wrap(value);
    if (value === null || typeof value !== 'object') return value;
    if (wrapNumbers(value) === separators) return value;
  }
  return parseLossless(text);
}
