import { describe, expect, it } from 'vitest';
import { proposalRequestSchema } from '../../src/contracts/advisory-request.js';
import { canonicalHash } from '../../src/contracts/canonical.js';
import { parseAndValidate } from '../../src/contracts/parse.js';
import { readFixtureText } from '../support/fixtures.js';

describe('advisory request hash (spec 20 §14 vectors)', () => {
  it.each([
    [
      '10_advisory_proposal_simulate.json',
      'sha256:cb32f6cf617a630dab1e5905b314a1e599f2537d953b23811d3d722330298169',
    ],
    [
      '11_advisory_auto_funding_single_ccy.json',
      'sha256:d6e3a2b3045536e8e101759ebcce37122f3d9da81dc4913fdbca661f93cb6bd7',
    ],
    [
      '19_advisory_proposal_artifact.json',
      'sha256:610d9527d1ae1dabea28a4537eba045c07c1a0233e2ea956c12713ac31bcf708',
    ],
  ])('%s hashes to the reference value', (file, hash) => {
    const parsed = parseAndValidate(proposalRequestSchema, readFixtureText('demo', file));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(canonicalHash(parsed.value)).toBe(hash);
  });
});
