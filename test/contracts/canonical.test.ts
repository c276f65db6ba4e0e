/**
 * Canonical JSON written in one pass and hashed in pieces gives exactly the text (and so the
 * hash) of the straightforward recursive definition (spec 20 §14, spec 30 §3.3).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalHash, canonicalJson } from '../../src/contracts/canonical.js';
import { dec, isDec, text } from '../../src/contracts/decimal.js';
import { compareCodePoints } from '../../src/contracts/ordering.js';

/** The definition: keys by code point, non-ASCII and U+007F as lower-case \uXXXX. */
function reference(value: unknown): string {
  const escape = (s: string) =>
    JSON.stringify(s).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return escape(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (isDec(value)) return `"${text(value)}"`;
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort(compareCodePoints);
  return `{${keys.map((k) => `${escape(k)}:${reference(record[k])}`).join(',')}}`;
}

const stringArb = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }), // lone surrogates and astral characters
  fc.constantFrom('é€\u007f😀', '\ud800', 'a"b\\c\n', '\u2028', 'oi_10', 'oi_2', 'Z', 'a'),
);
const leafArb = fc.oneof(
  stringArb,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map((c) => dec(`${c}E${Number(c % 7n)}`)),
);
const valueArb = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leafArb, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 6 }),
  object: fc.dictionary(stringArb, tie('value'), { maxKeys: 6 }),
})).value;

describe('canonical JSON', () => {
  it('equals the recursive definition, text and hash, for any JSON-like value', () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        const expected = reference(value);
        expect(canonicalJson(value)).toBe(expected);
        expect(canonicalHash(value)).toBe(
          `sha256:${createHash('sha256').update(expected, 'utf8').digest('hex')}`,
        );
      }),
      { numRuns: 3_000 },
    );
  });

  it('sorts every object on its own whatever key sequences were seen before', () => {
    const objects = [
      { b: 1, a: 2, c: 3 },
      { a: 2, b: 1, c: 3 },
      { b: 1, a: 2 },
      { b: 1, a: 2, c: 3, d: 4 },
      ...Array.from({ length: 3_000 }, (_, i) => ({ [`k${i}`]: i, a: i, [`z${i % 7}`]: null })),
    ];
    for (let round = 0; round < 2; round++)
      for (const o of objects) expect(canonicalJson(o)).toBe(reference(o));
  });

  it('hashes large values in pieces to the same digest', () => {
    const big = Array.from({ length: 3_000 }, (_, i) => ({ id: `INS_${i}`, é: dec(`${i}.50`), n: i }));
    const expected = reference({ positions: big });
    expect(canonicalJson({ positions: big })).toBe(expected);
    expect(canonicalHash({ positions: big })).toBe(
      `sha256:${createHash('sha256').update(expected, 'utf8').digest('hex')}`,
    );
  });
});
