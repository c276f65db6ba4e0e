import { describe, expect, it } from 'vitest';
import { canonicalHash, canonicalJson } from '../../src/contracts/canonical.js';
import { simulateRequestSchema } from '../../src/contracts/dpm-request.js';
import { parseAndValidate } from '../../src/contracts/parse.js';
import { readFixtureText } from '../support/fixtures.js';

function validated(text: string) {
  const parsed = parseAndValidate(simulateRequestSchema, text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

describe('canonical request hash (spec 30 §3.3)', () => {
  it('matches the reference test vector for demo 27', () => {
    const request = validated(readFixtureText('demo', '27_dpm_supportability_artifact_flow.json'));
    const text = canonicalJson(request);
    expect(text).toHaveLength(2506);
    expect(
      text.startsWith(
        '{"market_data_snapshot":{"fx_rates":[],"prices":[{"currency":"USD","instrument_id":"EQ_1","price":"100"}',
      ),
    ).toBe(true);
    expect(canonicalHash(request)).toBe(
      'sha256:829d64b707572692658c17262262d0fd6a5a1ae5b83870332a9eadf942a7f43e',
    );
  });

  const body = (price: string, extra = '') =>
    `{${extra}"portfolio_snapshot":{"portfolio_id":"p","base_currency":"USD"},"market_data_snapshot":{"prices":[{"instrument_id":"A","price":${price},"currency":"USD"}]},"model_portfolio":{"targets":[]},"shelf_entries":[],"options":{}}`;

  it('ignores key order, whitespace and unknown fields', () => {
    const a = canonicalHash(validated(body('"100"')));
    const b = canonicalHash(validated(body('"100"', '"unknown_field": 1,   ')));
    expect(b).toBe(a);
  });

  it('keeps the decimal text: "2000" and "2000.0" differ, JSON 2000.0 is 2000.0, 1e-7 is 1E-7', () => {
    expect(canonicalHash(validated(body('"2000"')))).not.toBe(canonicalHash(validated(body('"2000.0"'))));
    expect(canonicalJson(validated(body('2000.0')))).toContain('"price":"2000.0"');
    expect(canonicalJson(validated(body('2000.000')))).toContain('"price":"2000.0"');
    expect(canonicalJson(validated(body('1e-7')))).toContain('"price":"1E-7"');
    expect(canonicalJson(validated(body('1e16')))).toContain('"price":"1E+16"');
    expect(canonicalJson(validated(body('" 1_000 "')))).toContain('"price":"1000"');
  });

  it('escapes non-ASCII as lower-case \\u sequences, astral characters as surrogate pairs', () => {
    expect(canonicalJson({ k: 'é€\u007f😀' })).toBe('{"k":"\\u00e9\\u20ac\\u007f\\ud83d\\ude00"}');
  });
});
