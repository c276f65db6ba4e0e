/**
 * DPM runs as a service: simulate with durable idempotency, batch analysis, and recording every
 * run with its lineage in one transaction (spec 30 §3, §4, §3.6).
 */
import { randomBytes } from 'node:crypto';
import { canonicalHash } from '../../contracts/canonical.js';
import type { AnalyzeRequest } from '../../contracts/dpm-analyze.js';
import type { SimulateRequest } from '../../contracts/dpm-request.js';
import type { EnginePool } from '../../compute/engine-pool.js';
import { replayEnabled } from '../../policy/apply.js';
import {
  NO_POLICY_PACK,
  packForRun,
  policyRecordJson,
  replayKey,
  type ResolvedPolicyPack,
  storedReplayKey,
} from '../../policy/record.js';
import type { Database, Queryable } from '../../store/database.js';
import {
  getIdempotentResult,
  type KeyMode,
  purgeExpiredRuns,
  recordRun,
  type RunRecord,
} from '../../store/dpm-runs.js';
import { type Env, envInt, envFlag, envText } from '../config.js';
import { conflict } from '../errors.js';
import { isoTimestamp } from '../time.js';
import { resultStatus } from '../../engine/wire.js';
import { buildArtifact } from './artifact.js';

export const newId = (prefix: string, hexDigits: number) =>
  `${prefix}${randomBytes(Math.ceil(hexDigits / 2))
    .toString('hex')
    .slice(0, hexDigits)}`;
export const newRunId = () => newId('rr_', 16);

export interface SimulateCall {
  tenant: string;
  /** The authenticated caller, recorded as the run's creator. */
  actor: string | null;
  idempotencyKey: string;
  correlationId: string | undefined;
  request: SimulateRequest;
  /** The request as the client sent it (JSON text), for a worker thread to parse again. */
  text: () => string;
  /** The policy pack resolved for the request (spec 40 §17); none when omitted. */
  policy?: ResolvedPolicyPack;
}

/** A batch result as JSON text and parsed, with each scenario run's own result text. */
export interface BatchOutcome {
  text: string;
  runs: {
    rebalance_run_id: string;
    correlation_id: string;
    request_hash: string;
    status: string;
    result_json: string;
  }[];
}

/** Scenario runs of a batch result text, each with its exact result JSON text. */
export function batchOutcome(text: string): BatchOutcome {
  const batch = JSON.parse(text) as {
    results: Record<
      string,
      { rebalance_run_id: string; correlation_id: string; status: string; lineage: { request_hash: string } }
    >;
  };
  return {
    text,
    runs: Object.values(batch.results).map((r) => ({
      rebalance_run_id: r.rebalance_run_id,
      correlation_id: r.correlation_id,
      request_hash: r.lineage.request_hash,
      status: r.status,
      result_json: JSON.stringify(r),
    })),
  };
}

export class DpmService {
  constructor(
    readonly db: Database,
    private readonly env: Env,
    readonly engine: EnginePool,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  now(): Date {
    return this.clock();
  }

  /** `PERSISTED` saves the artifact at record time; anything else derives it on read. */
  get artifactsPersisted(): boolean {
    return envText(this.env, 'DPM_ARTIFACT_STORE_MODE')?.toUpperCase() === 'PERSISTED';
  }

  get retentionDays(): number {
    return Math.max(0, envInt(this.env, 'DPM_SUPPORTABILITY_RETENTION_DAYS', 0));
  }

  /** Retention purge (spec 30 §12.5); a no-op unless retention is configured. */
  async purgeExpired(): Promise<void> {
    const days = this.retentionDays;
    if (days >= 1) await purgeExpiredRuns(this.db, new Date(this.now().getTime() - days * 86_400_000));
  }

  /**
   * Simulate with replay backed by the persistent idempotency mapping (closing GAP G-S2 and
   * QUIRK Q-S24): the same key and body return the stored result byte for byte, after restarts
   * and across instances; another body under the key is 409. Concurrent first requests race on
   * the mapping's primary key inside the single recording statement: one records, the others
   * find the key taken and answer from it. With replay off every call is a new, recorded run
   * and the key is re-pointed to it. Returns the response JSON text.
   */
  async simulate(call: SimulateCall): Promise<string> {
    // The hash is of the request as sent; the pack is compared beside it (spec 40 Q-B8).
    const requestHash = canonicalHash(call.request);
    const policy = call.policy ?? NO_POLICY_PACK;
    const replay = replayEnabled(
      policy.definition,
      envFlag(this.env, 'DPM_IDEMPOTENCY_REPLAY_ENABLED', true),
    );
    const packKey = replayKey(policy.applied);
    await this.purgeExpired();
    // A heavy request (a thread's work: SOLVER, or large) looks its key up first, so a replay
    // never computes it again. A light one costs about what the look-up does, and nearly every
    // key is new: it skips the look-up, and the recording statement below claims the key or finds
    // it taken (then the stored answer is read). The answers are the same either way.
    const lookedUp = replay && this.engine.heavySimulate(call.request);
    if (lookedUp) {
      const stored = await this.replayed(call.tenant, call.idempotencyKey, requestHash, packKey);
      if (stored !== null) return stored;
    }
    const runId = newRunId();
    const correlationId = call.correlationId || 'c_none';
    let text: string;
    try {
      text = await this.engine.simulate(
        { requestHash, rebalanceRunId: runId, correlationId, policy: packForRun(policy) },
        call.request,
        call.text,
      );
    } catch (error) {
      // Whatever stopped the engine, a taken key answers as it would have before the engine ran.
      if (replay && !lookedUp) {
        const stored = await this.replayed(call.tenant, call.idempotencyKey, requestHash, packKey);
        if (stored !== null) return stored;
      }
      throw error;
    }
    const recorded = await this.record(this.db, {
      run: {
        rebalance_run_id: runId,
        tenant_id: call.tenant,
        correlation_id: correlationId,
        request_hash: requestHash,
        idempotency_key: call.idempotencyKey,
        portfolio_id: call.request.portfolio_snapshot.portfolio_id,
        status: resultStatus(text),
        created_at: this.now(),
        result_json: text,
        created_by: call.actor,
        policy_pack_json: policyRecordJson(policy),
      },
      keyMode: replay ? 'claim' : 'overwrite',
    });
    if (recorded) return text;
    // The key was taken (before this request, or by a concurrent one since the look-up): answer
    // as the stored run does.
    const winner = await this.replayed(call.tenant, call.idempotencyKey, requestHash, packKey);
    if (winner === null) throw new Error('idempotency key claimed but not readable');
    return winner;
  }

  /** The stored response for a key, null when the key is free; 409 for another body or another pack. */
  private async replayed(
    tenant: string,
    key: string,
    requestHash: string,
    packKey: string | null,
  ): Promise<string | null> {
    const hit = await getIdempotentResult(this.db, tenant, key);
    if (!hit) return null;
    if (hit.request_hash !== requestHash) throw conflict('IDEMPOTENCY_KEY_CONFLICT: request hash mismatch');
    if (storedReplayKey(hit.policy_pack_json) !== packKey)
      throw conflict('IDEMPOTENCY_KEY_CONFLICT: policy pack mismatch');
    return hit.result_json;
  }

  /**
   * Batch analysis (spec 30 §4). Every successful scenario run is recorded, all in one
   * transaction: a store failure fails the request (503) instead of turning computed scenarios
   * into errors (QUIRK Q-S8).
   */
  async analyze(
    tenant: string,
    request: AnalyzeRequest,
    correlationId: string | undefined,
    actor: string | null,
    text: () => string,
    policy: ResolvedPolicyPack = NO_POLICY_PACK,
  ): Promise<string> {
    const batch = await this.runBatch(request, correlationId || null, text, policy);
    await this.recordBatch(tenant, request.portfolio_snapshot.portfolio_id, batch, actor, undefined, policy);
    return batch.text;
  }

  /**
   * Run a batch (on a worker thread when it is large) with fresh batch and run ids; a policy pack
   * applies to each scenario's options after they validated on their own (spec 40 §17.1).
   */
  async runBatch(
    request: AnalyzeRequest,
    correlationId: string | null,
    text: () => string,
    policy: ResolvedPolicyPack = NO_POLICY_PACK,
  ): Promise<BatchOutcome> {
    const runIds = Object.fromEntries(Object.keys(request.scenarios).map((name) => [name, newRunId()]));
    return batchOutcome(
      await this.engine.analyze(
        {
          batchRunId: newId('batch_', 16),
          runAtUtc: isoTimestamp(this.now()),
          correlationId,
          runIds,
          policy: packForRun(policy),
        },
        request,
        text,
      ),
    );
  }

  async recordBatch(
    tenant: string,
    portfolioId: string,
    batch: BatchOutcome,
    actor: string | null,
    tx?: Queryable,
    policy: ResolvedPolicyPack = NO_POLICY_PACK,
  ): Promise<void> {
    const policyJson = policyRecordJson(policy);
    await this.purgeExpired();
    const write = async (q: Queryable) => {
      const createdAt = this.now();
      for (const run of batch.runs)
        await this.recordResult(q, tenant, portfolioId, run, actor, createdAt, policyJson);
    };
    if (tx) await write(tx);
    else await this.db.transaction(write);
  }

  /**
   * Record one engine result without an idempotency key (batch scenarios, scenario runs), in the
   * caller's transaction.
   */
  async recordResult(
    q: Queryable,
    tenant: string,
    portfolioId: string,
    run: BatchOutcome['runs'][number],
    actor: string | null,
    createdAt: Date = this.now(),
    policyJson: string | null = null,
  ): Promise<void> {
    await this.record(q, {
      keyMode: 'none',
      run: {
        rebalance_run_id: run.rebalance_run_id,
        tenant_id: tenant,
        correlation_id: run.correlation_id,
        request_hash: run.request_hash,
        idempotency_key: null,
        portfolio_id: portfolioId,
        status: run.status,
        created_at: createdAt,
        result_json: run.result_json,
        created_by: actor,
        policy_pack_json: policyJson,
      },
    });
  }

  private record(q: Queryable, { run, keyMode }: { run: RunRecord; keyMode: KeyMode }): Promise<boolean> {
    return recordRun(q, run, {
      keyMode,
      artifactJson: this.artifactsPersisted ? JSON.stringify(buildArtifact(run)) : undefined,
    });
  }
}
