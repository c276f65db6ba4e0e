/**
 * The deterministic run artifact (spec 30 §7): assembled from the stored run only, hashed over
 * its canonical JSON with every `artifact_hash` key removed, so every read of a run gives the
 * same document and the same hash, and a client can verify it from the body alone.
 */
import { canonicalHash } from '../../contracts/canonical.js';
import type { RunRecord } from '../../store/dpm-runs.js';
import { isoTimestamp } from '../time.js';

type Json = Record<string, unknown>;

function withoutArtifactHash(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutArtifactHash);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'artifact_hash')
        .map(([k, v]) => [k, withoutArtifactHash(v)]),
    );
  return value;
}

export function artifactHash(artifact: unknown): string {
  return canonicalHash(withoutArtifactHash(artifact));
}

export function buildArtifact(run: RunRecord): Json {
  const result = JSON.parse(run.result_json) as Json & { lineage?: { engine_version?: string | null } };
  const artifact = {
    artifact_id: run.rebalance_run_id.replace('rr_', 'dra_'),
    artifact_version: '1.0',
    rebalance_run_id: run.rebalance_run_id,
    correlation_id: run.correlation_id,
    idempotency_key: run.idempotency_key,
    portfolio_id: run.portfolio_id,
    status: result.status,
    request_snapshot: { portfolio_id: run.portfolio_id, request_hash: run.request_hash },
    before_summary: result.before,
    after_summary: result.after_simulated,
    order_intents: result.intents,
    rule_outcomes: result.rule_results,
    diagnostics: result.diagnostics,
    result,
    evidence: {
      engine_version: result.lineage?.engine_version ?? 'unknown',
      run_created_at: isoTimestamp(run.created_at),
      hashes: { request_hash: run.request_hash, artifact_hash: '' },
      // The policy pack the run was computed under, with its definition (spec 40 G-B2); only for runs
      // that selected one, so every other artifact is exactly what it was before packs existed.
      ...(run.policy_pack_json ? { policy_pack: JSON.parse(run.policy_pack_json) as Json } : {}),
    },
  };
  artifact.evidence.hashes.artifact_hash = artifactHash(artifact);
  return artifact;
}
