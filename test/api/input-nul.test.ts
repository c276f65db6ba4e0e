import { describe, expect, it } from 'vitest';
import { parseJson } from '../../src/contracts/json.js';
import { jsonTextMayHoldNul, nulCharacterErrors } from '../../src/api/input.js';
import { prng } from '../../src/tools/generate-request.js';

/** Random JSON texts with strings and keys drawn from pieces that do and do not carry NUL. */
function randomText(random: () => number): string {
  const pieces = ['a', 'é', '\\u0000', '\\\\u0000', '\\\\', '\\"', 'u0000', '\\u0041', '0', ' ', '\\n'];
  const str = () => {
    let s = '"';
    for (let n = Math.floor(random() * 4); n > 0; n--) s += pieces[Math.floor(random() * pieces.length)];
    return `${s}"`;
  };
  const value = (depth: number): string => {
    const r = random();
    if (depth > 3 || r < 0.4) return r < 0.2 ? str() : String(Math.floor(r * 1000));
    if (r < 0.7)
      return `[${Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1)).join(',')}]`;
    const keys = new Set(Array.from({ length: Math.floor(random() * 3) }, str));
    return `{${[...keys].map((k) => `${k}:${value(depth + 1)}`).join(',')}}`;
  };
  return value(0);
}

describe('jsonTextMayHoldNul: skipping the NUL walk is exact', () => {
  it('a text it clears parses to a value without NUL, on random texts', () => {
    const random = prng(14);
    let cleared = 0;
    let found = 0;
    for (let i = 0; i < 3000; i++) {
      const text = randomText(random);
      const errors = nulCharacterErrors(parseJson(text), ['body']);
      if (errors.length > 0) found++;
      if (!jsonTextMayHoldNul(text)) {
        cleared++;
        expect(errors).toEqual([]);
      }
    }
    expect(cleared).toBeGreaterThan(100);
    expect(found).toBeGreaterThan(100);
  });

  it('flags the escape and a raw NUL', () => {
    expect(jsonTextMayHoldNul('{"a":"x\\u0000"}')).toBe(true);
    expect(jsonTextMayHoldNul('{"a\u0000":1}')).toBe(true);
    expect(jsonTextMayHoldNul('{"a":"\\u0041"}')).toBe(false);
  });
});
