/**
 * DPM runs as a service: simulate with durable idempotency, batch analysis, and recording every
 * run with its lineage in one transaction (spec 30 §3, §4, §3.6).
 */
import { randomBytes } from 'node:crypto';
import { canonicalHash } from '../../contracts/canonical.js';
import type { AnalyzeRequest } from '../../contracts/dpm-analyze.js';
import type { SimulateRequest } from '../../contracts/dpm-request.js';
import { analyzeBatch, type BatchResult } from '../../engine/batch.js';
import { simulateRebalance } from '../../engine/pipeline.js';
import type { RebalanceResult } from '../../engine/types.js';
import { batchJsonText, resultJsonText } from '../../engine/wire.js';
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
}

export class DpmService {
  constructor(
    readonly db: Database,
    private readonly env: Env,
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
    const requestHash = canonicalHash(call.request);
    const replay = envFlag(this.env, 'DPM_IDEMPOTENCY_REPLAY_ENABLED', true);
    await this.purgeExpired();
    if (replay) {
      const stored = await this.replayed(call.tenant, call.idempotencyKey, requestHash);
      if (stored !== null) return stored;
    }
    const result = simulateRebalance(call.request, {
      requestHash,
      rebalanceRunId: newRunId(),
      correlationId: call.correlationId || 'c_none',
    });
    const text = resultJsonText(result);
    const recorded = await this.record(this.db, {
      run: {
        rebalance_run_id: result.rebalance_run_id,
        tenant_id: call.tenant,
        correlation_id: result.correlation_id,
        request_hash: requestHash,
        idempotency_key: call.idempotencyKey,
        portfolio_id: call.request.portfolio_snapshot.portfolio_id,
        status: result.status,
        created_at: this.now(),
        result_json: text,
        created_by: call.actor,
      },
      keyMode: replay ? 'claim' : 'overwrite',
    });
    if (recorded) return text;
    // Another request claimed the key between our look-up and our write: answer as it did.
    const winner = await this.replayed(call.tenant, call.idempotencyKey, requestHash);
    if (winner === null) throw new Error('idempotency key claimed but not readable');
    return winner;
  }

  /** The stored response for a key, null when the key is free; 409 for another body. */
  private async replayed(tenant: string, key: string, requestHash: string): Promise<string | null> {
    const hit = await getIdempotentResult(this.db, tenant, key);
    if (!hit) return null;
    if (hit.request_hash !== requestHash) throw conflict('IDEMPOTENCY_KEY_CONFLICT: request hash mismatch');
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
  ): Promise<BatchResult> {
    const batch = analyzeBatch(request, {
      batchRunId: newId('batch_', 16),
      runAtUtc: isoTimestamp(this.now()),
      correlationId: correlationId || null,
      runIdFor: () => newRunId(),
    });
    await this.recordBatch(tenant, request.portfolio_snapshot.portfolio_id, batch, actor);
    return batch;
  }

  async recordBatch(
    tenant: string,
    portfolioId: string,
    batch: BatchResult,
    actor: string | null,
    tx?: Queryable,
  ): Promise<void> {
    await this.purgeExpired();
    const write = async (q: Queryable) => {
      const createdAt = this.now();
      for (const result of Object.values(batch.results))
        await this.recordResult(q, tenant, portfolioId, result, actor, createdAt);
    };
    if (tx) await write(tx);
    else await this.db.transaction(write);
  }

  /** Record one engine result without an idempotency key (batch scenarios, scenario runs), in the caller's transaction. */
  async recordResult(
    q: Queryable,
    tenant: string,
    portfolioId: string,
    result: RebalanceResult,
    actor: string | null,
    createdAt: Date = this.now(),
  ): Promise<void> {
    await this.record(q, {
      keyMode: 'none',
      run: {
        rebalance_run_id: result.rebalance_run_id,
        tenant_id: tenant,
        correlation_id: result.correlation_id,
        request_hash: result.lineage.request_hash,
        idempotency_key: null,
        portfolio_id: portfolioId,
        status: result.status,
        created_at: createdAt,
        result_json: resultJsonText(result),
        created_by: actor,
      },
    });
  }

  private record(q: Queryable, { run, keyMode }: { run: RunRecord; keyMode: KeyMode }): Promise<boolean> {
    return recordRun(q, run, {
      keyMode,
      artifactJson: this.artifactsPersisted ? JSON.stringify(buildArtifact(run)) : undefined,
    });
  }

  batchJson(batch: BatchResult): string {
    return batchJsonText(batch);
  }
}
