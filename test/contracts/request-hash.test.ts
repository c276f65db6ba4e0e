import { it, expect } from 'vitest';
import { simulateRequestSchema } from '../src/contracts/dpm-request.js';
import { parseAndValidate } from '../src/contracts/parse.js';
import { canonicalHash, canonicalJson } from '../src/contracts/canonical.js';
import { readFixtureText } from './support/fixtures.js';
it('hash', () => {
  const p = parseAndValidate(simulateRequestSchema, readFixtureText('demo', '27_dpm_supportability_artifact_flow.json'));
  if (!p.ok) throw new Error('x');
  const c = canonicalJson(p.value);
  console.log(c.length, c);
  expect(canonicalHash(p.value)).toBe('sha256:829d64b707572692658c17262262d0fd6a5a1ae5b83870332a9eadf942a7f43e');
});
