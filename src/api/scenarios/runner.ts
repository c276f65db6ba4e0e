/**
 * Executing scenario runs from the job queue (spec 50 §2, docs/decisions/0042), in `keel serve`
 * and in `keel worker` processes alike. A worker claims the run (QUEUED → RUNNING, fresh claim
 * token), builds the engine request from the scenario version and the run's options, runs the
 * engine, and writes everything in ONE transaction that first moves the run to SUCCEEDED under
 * its claim: a run cancelled (or reclaimed, or set by an admin) meanwhile writes nothing — no
 * outputs, no engine run. A failed attempt is retried by the queue while retries remain, then
 * the run ends FAILED; a worker that died leaves its job to expire and be retried.
 */
import { randomBytes } from 'node:crypto';
import { canonicalHash } from '../../contracts/canonical.js';
import { text } from '../../contracts/decimal.js';
import { simulateRebalance } from '../../engine/pipeline.js';
import { resultJsonText } from '../../engine/wire.js';
import { policyRecordJson } from '../../policy/record.js';
import { dateOf } from '../../scenarios/dates.js';
import { buildEngineRequest } from '../../scenarios/engine-request.js';
import { scenarioOutputs } from '../../scenarios/outputs.js';
import type { Database } from '../../store/database.js';
import type { JobAttempt, JobQueue } from '../../store/queue.js';
import {
  appendEvent,
  bumpCacheVersion,
  claimRun,
  finishRun,
  getContent,
  insertOutputs,
  type ScenarioRunRecord,
} from '../../store/scenarios.js';
import { newRunId, type DpmService } from '../dpm/service.js';
import type { Metrics } from '../metrics.js';
import type { PolicyPackService } from '../policies/service.js';
import type { ScenarioCache } from './cache.js';
import {
  parseContent,
  parseRunOptions,
  SCENARIO_QUEUE,
  policyPackStatus,
  type ScenarioJob,
} from './service.js';

interface Log {
  info: (obj: object, msg: string) => void;
  error: (obj: object, msg: string) => void;
}

/** The run was cancelled, set by an admin, deleted or reclaimed by a newer attempt: nothing was written. */
class LostClaim extends Error {}

export class ScenarioRunner {
  constructor(
    private readonly db: Database,
    private readonly dpm: DpmService,
    private readonly policies: PolicyPackService,
    private readonly queue: JobQueue | null,
    private readonly cache: ScenarioCache,
    private readonly metrics: Metrics,
    private readonly log: Log,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Attach `concurrency` queue workers in this process. */
  async startWorkers(concurrency: number): Promise<void> {
    if (!this.queue || concurrency < 1) return;
    await this.queue.work<ScenarioJob>(SCENARIO_QUEUE, concurrency, (job, attempt) =>
      this.execute(job, attempt),
    );
  }

  /** Run one job. Throws only to have the queue retry the attempt. */
  async execute(job: ScenarioJob, attempt?: JobAttempt): Promise<void> {
    const token = randomBytes(12).toString('hex');
    const ids = { tenant_id: job.tenant, scenario_id: job.scenario_id, run_id: job.run_id };
    const run = await claimRun(this.db, job.tenant, job.run_id, token, this.clock());
    if (!run) return; // cancelled, finished or deleted before it started
    this.log.info({ ...ids, state: 'RUNNING', attempts: run.attempts }, 'scenario run started');
    try {
      const finished = await this.succeed(run, token);
      this.observe(finished);
      this.log.info({ ...ids, state: 'SUCCEEDED', attempts: run.attempts }, 'scenario run succeeded');
    } catch (error) {
      if (error instanceof LostClaim) {
        this.log.info({ ...ids, attempts: run.attempts }, 'scenario run no longer ours; nothing written');
        return;
      }
      const retriesLeft = attempt !== undefined && attempt.retryCount < attempt.retryLimit;
      this.log.error(
        { ...ids, err: error, retriesLeft, attempts: run.attempts },
        'scenario run attempt failed',
      );
      if (retriesLeft) throw error; // stays RUNNING; the queue retries it with backoff
      await this.fail(run, token, error);
    }
  }

  private async succeed(run: ScenarioRunRecord, token: string): Promise<ScenarioRunRecord> {
    const stored = await getContent(this.db, run.tenant_id, run.scenario_id, run.scenario_version);
    if (!stored) throw new LostClaim(); // the scenario was deleted
    const plan = buildEngineRequest(parseContent(stored), parseRunOptions(run.options_json));
    // A `policy` driver selects the pack like X-Policy-Pack-Id does; without one the tenant's and
    // the global default apply, as for /rebalance/simulate. The hash is of the request before the pack.
    const policy = await this.policies.resolveAndApply(
      run.tenant_id,
      plan.policyPackId,
      plan.request.options,
    );
    const request =
      policy.options === plan.request.options ? plan.request : { ...plan.request, options: policy.options };
    const result = simulateRebalance(request, {
      requestHash: canonicalHash(plan.request),
      rebalanceRunId: newRunId(),
      correlationId: run.run_id,
      policyPack: policy.applied,
    });
    const outputs = scenarioOutputs(result, request, plan.projection, dateOf(run.started_at ?? this.clock()));
    const metrics = Object.fromEntries(
      Object.entries(outputs.metrics).map(([name, m]) => [name, { value: text(m.value), unit: m.unit }]),
    );
    const { finished, version } = await this.db.transaction(async (tx) => {
      const done = await finishRun(tx, run.run_id, token, {
        state: 'SUCCEEDED',
        now: this.clock(),
        rebalance_run_id: result.rebalance_run_id,
        policy_pack_status: policyPackStatus(policy.resolved, plan.policyPackId),
        metrics_json: JSON.stringify(metrics),
      });
      if (!done) throw new LostClaim();
      await this.dpm.recordResult(
        tx,
        run.tenant_id,
        request.portfolio_snapshot.portfolio_id,
        {
          rebalance_run_id: result.rebalance_run_id,
          correlation_id: result.correlation_id,
          request_hash: result.lineage.request_hash,
          status: result.status,
          result_json: resultJsonText(result),
        },
        run.created_by,
        undefined,
        policyRecordJson(policy.resolved),
      );
      await insertOutputs(
        tx,
        run.tenant_id,
        run.scenario_id,
        run.run_id,
        outputs.rows.map((row) => ({ ...row, value: text(row.value) })),
      );
      await appendEvent(tx, {
        tenant_id: run.tenant_id,
        scenario_id: run.scenario_id,
        run_id: run.run_id,
        event_type: 'RUN_SUCCEEDED',
        actor: null,
        detail: { rebalance_run_id: result.rebalance_run_id, status: result.status, attempts: run.attempts },
        created_at: this.clock(),
      });
      return { finished: done, version: await bumpCacheVersion(tx, run.tenant_id) };
    });
    await this.cache.invalidated({
      tenant_id: run.tenant_id,
      version,
      reason: 'RUN_SUCCEEDED',
      scenario_id: run.scenario_id,
      run_id: run.run_id,
    });
    return finished;
  }

  /** The last attempt failed: FAILED with the error class, not its raw text (that stays in the log). */
  private async fail(run: ScenarioRunRecord, token: string, error: unknown): Promise<void> {
    const code = error instanceof Error ? error.constructor.name : 'Error';
    const outcome = await this.db.transaction(async (tx) => {
      const done = await finishRun(tx, run.run_id, token, {
        state: 'FAILED',
        now: this.clock(),
        error_json: JSON.stringify({
          code,
          message: `The scenario run failed (${code}); the server log has details for run ${run.run_id}.`,
        }),
      });
      if (!done) return null;
      await appendEvent(tx, {
        tenant_id: run.tenant_id,
        scenario_id: run.scenario_id,
        run_id: run.run_id,
        event_type: 'RUN_FAILED',
        actor: null,
        detail: { code, attempts: run.attempts },
        created_at: this.clock(),
      });
      return { done, version: await bumpCacheVersion(tx, run.tenant_id) };
    });
    if (!outcome) return;
    this.observe(outcome.done);
    this.log.info(
      { tenant_id: run.tenant_id, scenario_id: run.scenario_id, run_id: run.run_id, state: 'FAILED' },
      'scenario run failed',
    );
    await this.cache.invalidated({
      tenant_id: run.tenant_id,
      version: outcome.version,
      reason: 'RUN_FAILED',
      scenario_id: run.scenario_id,
      run_id: run.run_id,
    });
  }

  private observe(run: ScenarioRunRecord): void {
    if (run.started_at && run.finished_at)
      this.metrics.runDuration.observe(
        { state: run.state },
        (run.finished_at.getTime() - run.started_at.getTime()) / 1000,
      );
  }
}
