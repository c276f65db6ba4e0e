/**
 * Artifact hash properties (spec 20 §13–§14): identical across runs and processes for the same
 * input whatever the creation time, different when any business field changes.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildProposalArtifact } from '../../src/advisory/artifact.js';
import { simulateProposal } from '../../src/advisory/proposal.js';
import { proposalJsonText } from '../../src/advisory/wire.js';
import { proposalRequestSchema } from '../../src/contracts/advisory-request.js';
import { canonicalHash } from '../../src/contracts/canonical.js';
import { validate } from '../../src/contracts/parse.js';
import { readFixture } from '../support/fixtures.js';

const BIN = fileURLToPath(new URL('../../bin/keel.js', import.meta.url));
const DEMO = '19_advisory_proposal_artifact.json';

function artifactHash(body: unknown, createdAt = '2026-02-20T12:00:00+00:00'): string {
  const parsed = validate(proposalRequestSchema, body);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const requestHash = canonicalHash(parsed.value);
  const result = simulateProposal(parsed.value, {
    requestHash,
    correlationId: 'corr-1',
    idempotencyKey: 'idem-1',
  });
  const artifact = buildProposalArtifact(
    parsed.value,
    result,
    JSON.parse(proposalJsonText(result)),
    createdAt,
  ) as any;
  return artifact.evidence_bundle.hashes.artifact_hash;
}

type Body = any;
const MUTATIONS: [string, (b: Body) => void][] = [
  ['cash amount', (b) => (b.portfolio_snapshot.cash_balances[0].amount = '5001')],
  ['price', (b) => (b.market_data_snapshot.prices[0].price = '121')],
  ['fx rate', (b) => (b.market_data_snapshot.fx_rates[0].rate = '1.36')],
  ['trade quantity', (b) => (b.proposed_trades[0].quantity = '19')],
  ['trade side', (b) => (b.proposed_trades[0].side = 'SELL')],
  ['cash flow amount', (b) => (b.proposed_cash_flows[0].amount = '1001')],
  ['portfolio id', (b) => (b.portfolio_snapshot.portfolio_id = 'pf_other')],
  ['shelf asset class', (b) => (b.shelf_entries[0].asset_class = 'FIXED_INCOME')],
  ['an option', (b) => (b.options.suitability_thresholds = { single_position_max_weight: '0.5' })],
  ['decimal text (5000 vs 5000.0)', (b) => (b.portfolio_snapshot.cash_balances[0].amount += '.0')],
];

describe('proposal artifact hash', () => {
  const body = readFixture('demo', DEMO);

  it('is the reference vector and ignores created_at', () => {
    expect(artifactHash(body)).toBe(
      'sha256:af51a8a125be956b12bd0f28b273ad78425e8b1cf54d078c43348d85c227c6a5',
    );
    expect(artifactHash(body, '2030-01-01T00:00:00.123456+00:00')).toBe(artifactHash(body));
  });

  it('is identical across processes', () => {
    const fromProcess = (runAt: string) =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [
            BIN,
            'propose',
            join('test', 'fixtures', 'demo', DEMO),
            '--artifact',
            '--correlation-id',
            'corr-1',
            '--idempotency-key',
            'idem-1',
            '--run-at',
            runAt,
          ],
          {
            encoding: 'utf8',
          },
        ),
      ).evidence_bundle.hashes.artifact_hash;
    const a = fromProcess('2026-01-01T00:00:00+00:00');
    const b = fromProcess('2026-06-30T08:15:00.5+00:00');
    expect(a).toBe(b);
    expect(a).toBe(artifactHash(body));
  });

  it('changes when any business field changes', () => {
    const original = artifactHash(body);
    fc.assert(
      fc.property(fc.constantFrom(...MUTATIONS), ([, mutate]) => {
        const changed = structuredClone(body);
        mutate(changed);
        expect(artifactHash(changed)).not.toBe(original);
      }),
      { numRuns: MUTATIONS.length * 3 },
    );
  });
});
