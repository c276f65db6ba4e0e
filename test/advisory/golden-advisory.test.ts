/** The advisory goldens (test/fixtures/golden/advisory), field by field through the real engine. */
import { describe, expect, it } from 'vitest';
import { buildProposalArtifact } from '../../src/advisory/artifact.js';
import { simulateProposal } from '../../src/advisory/proposal.js';
import { proposalJsonText } from '../../src/advisory/wire.js';
import { proposalRequestSchema } from '../../src/contracts/advisory-request.js';
import { canonicalHash } from '../../src/contracts/canonical.js';
import { parseJsonText, validate } from '../../src/contracts/parse.js';
import { compareToExpected } from '../support/compare.js';
import { fixtureFiles, readFixtureText } from '../support/fixtures.js';

const files = fixtureFiles('golden/advisory');

function load(file: string) {
  const raw = parseJsonText(readFixtureText('golden/advisory', file));
  if (!raw.ok) throw new Error('fixture is not JSON');
  const fixture = raw.value as { proposal_inputs: unknown };
  const parsed = validate(proposalRequestSchema, fixture.proposal_inputs);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const request = parsed.value;
  const result = simulateProposal(request, {
    requestHash: canonicalHash(request),
    correlationId: 'corr-golden',
    idempotencyKey: 'golden',
  });
  const json = JSON.parse(proposalJsonText(result));
  return { request, result, json, expected: JSON.parse(readFixtureText('golden/advisory', file)) };
}

describe('advisory golden fixtures', () => {
  it('has the 12 fixtures', () => expect(files).toHaveLength(12));

  for (const file of files) {
    it(file, () => {
      const { request, result, json, expected } = load(file);
      if (expected.expected_proposal_output) {
        const { funding_plan, missing_fx_pairs, insufficient_cash, ...rest } =
          expected.expected_proposal_output;
        const diagnostics: Record<string, unknown> = {};
        if (funding_plan) diagnostics.funding_plan = funding_plan;
        if (missing_fx_pairs) diagnostics.missing_fx_pairs = missing_fx_pairs;
        if (insufficient_cash) diagnostics.insufficient_cash = insufficient_cash;
        expect(compareToExpected({ ...rest, diagnostics }, json)).toEqual([]);
      } else {
        const artifact = buildProposalArtifact(request, result, json, '2026-02-20T12:00:00+00:00') as any;
        expect({
          status: artifact.status,
          recommended_next_step: artifact.summary.recommended_next_step,
          objective_tags: artifact.summary.objective_tags,
          trade_instruments: artifact.trades_and_funding.trade_list.map((t: any) => t.instrument_id),
          fx_pairs: artifact.trades_and_funding.fx_list.map((f: any) => f.pair),
          suitability_status: artifact.suitability_summary.status,
        }).toEqual(expected.expected_artifact_output);
        const again = buildProposalArtifact(request, result, json, '2027-01-01T00:00:00+00:00') as any;
        expect(again.evidence_bundle.hashes.artifact_hash).toBe(
          artifact.evidence_bundle.hashes.artifact_hash,
        );
      }
    });
  }
});
