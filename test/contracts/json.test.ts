/**
 * The native fast path of JSON parsing gives exactly what lossless-json gives — same values,
 * same key order, every number a LosslessNumber with its token — or the same error, on
 * generated requests, arbitrary JSON and fuzzed text.
 */
import fc from 'fast-check';
import { isLosslessNumber, parse as parseLossless, stringify } from 'lossless-json';
import { describe, expect, it, vi } from 'vitest';
import { parseJson } from '../../src/contracts/json.js';
import { generateRequest } from '../../src/tools/generate-request.js';

type Outcome = { ok: true; text: string } | { ok: false; error: string };

/** Order-preserving text of a parsed value; a bare JS number or an odd prototype is marked. */
function describeValue(value: unknown): string {
  const plainNumbers: number[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'number') plainNumbers.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object' && !isLosslessNumber(v)) {
      if (Object.getPrototypeOf(v) !== Object.prototype) plainNumbers.push(NaN);
      Object.values(v).forEach(walk);
    }
  };
  walk(value);
  return `${stringify(value)}${plainNumbers.length > 0 ? ` plain numbers: ${plainNumbers.join()}` : ''}`;
}

function outcome(parse: (text: string) => unknown, text: string): Outcome {
  try {
    return { ok: true, text: describeValue(parse(text)) };
  } catch (error) {
    return { ok: false, error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

function same(text: string): void {
  expect(outcome(parseJson, text)).toEqual(outcome(parseLossless, text));
}

/** Text-level mutations that hit every reason to leave the fast path, and invalid JSON. */
const MUTATIONS: ((text: string, n: number) => string)[] = [
  (t) => t,
  (t) => JSON.stringify(JSON.parse(t), null, 2),
  (t) => t.replace('"settlement_days":2', '"settlement_days":-0'),
  (t) => t.replace('"settlement_days":2', '"settlement_days":2.0'),
  (t) => t.replace('"settlement_days":2', '"settlement_days":2e0'),
  (t) => t.replace('"settlement_days":2', '"settlement_days":1234567890123456'),
  (t) => t.replace('"settlement_days":2', '"settlement_days":123456789012345'),
  (t) => t.replace('"settlement_days":2', '"settlement_days":-12'),
  (t) => t.replace(/"quantity":"(\d+)"/, '"quantity":$1.50'),
  (t) => t.replace('"base_currency":"USD"', '"base_currency":"USD","base_currency":"EUR"'),
  (t) => t.replace('"base_currency":"USD"', '"base_currency":"USD","base_currency":"USD"'),
  (t) => t.replace('"options":{', '"options":{"__proto__":{"x":1},'),
  (t) => t.replace('"options":{', '"options":{"__proto__":7,'),
  (t) => t.replace('"portfolio_id":"', '"portfolio_id":"a\\"b\\\\\\" : {1.5} \\\\'),
  (t) => t.replace('"portfolio_id":"', '"portfolio_id":"é€😀\\u00e9\\ud800'),
  (t) => t.replace('"options":{', `"options":{"deep":${'['.repeat(300)}${']'.repeat(300)},`),
  (t) => t.replace('"options":{', `"options":{"deep":${'['.repeat(1000)}${']'.repeat(1000)},`),
  (t, n) => t.slice(0, n % t.length),
  (t, n) => `${t.slice(0, n % t.length)}x${t.slice(n % t.length)}`,
  (t, n) => `${t.slice(0, n % t.length)}"${t.slice(n % t.length)}`,
  (t, n) => `${t.slice(0, n % t.length)}\\${t.slice(n % t.length)}`,
  (t, n) => `${t.slice(0, n % t.length)}1${t.slice(n % t.length)}`,
  (t) => `\ufeff${t}`,
  (t) => `${t} `,
  (t) => `${t}x`,
];

describe('native JSON fast path', () => {
  it('equals lossless-json on generated requests, mutated and fuzzed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 1_000 }),
        fc.constantFrom(...MUTATIONS.keys()),
        fc.nat(),
        (positions, seed, mutation, n) => {
          const body = generateRequest({
            positions,
            seed,
            constraints: seed % 2 === 0,
            controls: seed % 3 === 0,
          });
          same(MUTATIONS[mutation]!(JSON.stringify(body), n));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('equals lossless-json on arbitrary JSON text and arbitrary strings', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        same(JSON.stringify(value, null, pretty ? 1 : undefined));
      }),
      { numRuns: 3_000 },
    );
    fc.assert(
      fc.property(fc.string(), (text) => same(text)),
      { numRuns: 3_000 },
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[\s{}[\]:,"\\\-0-9.eEtrufalsn]{0,40}$/), (text) => {
        same(text);
      }),
      { numRuns: 5_000 },
    );
  });

  it('takes the native path for requests with string decimals, and not for a float token', () => {
    const text = JSON.stringify(generateRequest({ positions: 20, seed: 1, constraints: true }));
    const native = vi.spyOn(JSON, 'parse');
    try {
      same(text);
      expect(native).toHaveBeenCalledTimes(1);
      native.mockClear();
      parseJson(text.replace('"settlement_days":2', '"settlement_days":2.5'));
      expect(native).not.toHaveBeenCalled();
    } finally {
      native.mockRestore();
    }
  });

  it('wraps integer tokens as LosslessNumbers holding the token', () => {
    const value = parseJson('{"a":[1,-2,0],"b":{"c":123456789012345}}') as Record<string, any>;
    expect(value.a.map((n: any) => [isLosslessNumber(n), n.value])).toEqual([
      [true, '1'],
      [true, '-2'],
      [true, '0'],
    ]);
    expect(value.b.c.value).toBe('123456789012345');
  });
});
