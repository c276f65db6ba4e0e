/**
 * Saved scenarios as a service (spec 50): definitions with versions, run requests stored with
 * their queue jobs in one transaction, cancellation and admin state changes under the state
 * rules, and cached reads of outputs and latest metrics. Every write records an event and bumps
 * the tenant's cache version in its own transaction.
 */
import { createHash, randomUUID } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { stringify as csvStringify } from 'csv-stringify';
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { z } from 'zod';
import { canonicalJson } from '../../contracts/canonical.js';
import { simulateRequestSchema } from '../../contracts/dpm-request.js';
import type { FieldError } from '../../contracts/primitives.js';
import {
  assumptionSchema,
  type EngineOptionsOverride,
  engineOptionsOverrideSchema,
  type RunPriority,
  type RunRequest,
  type ScenarioCreate,
  type ScenarioPatch,
} from '../../contracts/scenario.js';
import { planEngineRequest, type ScenarioContent } from '../../scenarios/engine-request.js';
import { OUTPUT_METRICS } from '../../scenarios/outputs.js';
import type { ResolvedPolicyPack } from '../../policy/record.js';
import type { Database, Queryable } from '../../store/database.js';
import type { JobQueue } from '../../store/queue.js';
import {
  appendEvent,
  bumpCacheVersion,
  deleteScenario,
  findActiveRun,
  getCacheVersion,
  getContent,
  getContents,
  getRun,
  getScenario,
  insertRun,
  insertScenario,
  insertVersion,
  isUniqueViolation,
  latestMetrics,
  type ListCursor,
  listRuns,
  listScenarios,
  type OutputFilters,
  outputPage,
  type Page,
  type RunFilters,
  type ScenarioContentRecord,
  type ScenarioFilters,
  type ScenarioRecord,
  type ScenarioRunRecord,
  transitionRun,
  updateScenario,
} from '../../store/scenarios.js';
import type { Metrics } from '../metrics.js';
import type { ScenarioCache } from './cache.js';
import { ApiError, runNotFound, scenarioNotFound, validationError } from './envelope.js';
import { latestMetricJson, OUTPUT_CSV_COLUMNS, outputCsvRecord, outputJson } from './views.js';

export const SCENARIO_QUEUE = 'scenario-runs';

/** pg-boss priorities: higher is fetched first. */
export const PRIORITY_RANK: Record<RunPriority, number> = { LOW: 0, NORMAL: 5, HIGH: 10 };

export interface ScenarioJob {
  tenant: string;
  scenario_id: string;
  run_id: string;
}

export interface Caller {
  tenant: string;
  actor: string | null;
  log: { info: (obj: object, msg: string) => void };
}

/**
 * What became of a run's policy pack (spec 50 §2 `policy` driver, spec 40 §16–§17): `APPLIED`, or
 * why not; null when nothing was selected (no driver and no tenant or global default).
 */
export type PolicyPackStatus = 'APPLIED' | 'POLICY_PACKS_DISABLED' | 'POLICY_PACK_NOT_FOUND';

export function policyPackStatus(
  resolved: ResolvedPolicyPack,
  requestedId: string | null | undefined,
): PolicyPackStatus | null {
  if (resolved.selection.source === 'DISABLED') return requestedId ? 'POLICY_PACKS_DISABLED' : null;
  if (!resolved.applied) return null;
  return resolved.applied.applied ? 'APPLIED' : 'POLICY_PACK_NOT_FOUND';
}

/** Stored content parsed back into contract values (it was validated when written). */
export function parseContent(record: ScenarioContentRecord): ScenarioContent {
  const base = simulateRequestSchema.safeParse(JSON.parse(record.base_json));
  const assumptions = z.array(assumptionSchema).safeParse(JSON.parse(record.assumptions_json));
  if (!base.success || !assumptions.success) throw new Error('stored scenario content no longer validates');
  return {
    base: base.data,
    assumptions: assumptions.data,
    parameters: parseLossless(record.parameters_json) as Record<string, unknown>,
  };
}

export function parseRunOptions(json: string): EngineOptionsOverride {
  const parsed = engineOptionsOverrideSchema.safeParse(JSON.parse(json));
  if (!parsed.success) throw new Error('stored run options no longer validate');
  return parsed.data as EngineOptionsOverride;
}

/** Content JSON as stored: base and assumptions normalised (decimals as text), parameters as sent. */
function contentJson(content: ScenarioContent) {
  return {
    base_json: JSON.stringify(content.base),
    assumptions_json: JSON.stringify(content.assumptions),
    parameters_json: stringifyLossless(content.parameters) ?? '{}',
  };
}

function contentIssues(content: ScenarioContent): FieldError[] {
  return planEngineRequest(content).issues;
}

/** The policy pack a scenario's assumptions select, read without validating the base. */
function selectedPolicyPack(assumptionsJson: string): string | null {
  const list = JSON.parse(assumptionsJson) as { driver_type: string; payload: { policy_pack_id?: string } }[];
  return list.find((a) => a.driver_type === 'policy')?.payload.policy_pack_id ?? null;
}

export class ScenarioService {
  constructor(
    readonly db: Database,
    private readonly queue: JobQueue | null,
    private readonly cache: ScenarioCache,
    private readonly metrics: Metrics,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  now(): Date {
    return this.clock();
  }

  // ---- scenarios -------------------------------------------------------------------------------

  async create(
    caller: Caller,
    body: ScenarioCreate,
  ): Promise<{ scenario: ScenarioRecord; content: ScenarioContentRecord }> {
    if (body.tenant_id !== undefined && body.tenant_id !== caller.tenant)
      throw new ApiError(403, 'TENANT_MISMATCH', 'tenant_id must be the tenant of the caller.');
    const content: ScenarioContent = {
      base: body.base,
      assumptions: body.assumptions ?? [],
      parameters: body.parameters ?? {},
    };
    const issues = contentIssues(content);
    if (issues.length > 0) throw validationError(issues);
    const now = this.now();
    const scenario: ScenarioRecord = {
      scenario_id: randomUUID(),
      tenant_id: caller.tenant,
      name: body.name,
      description: body.description ?? null,
      status: body.status ?? 'active',
      tags: body.tags ?? [],
      version: 1,
      created_by: caller.actor,
      created_at: now,
      updated_at: now,
    };
    const stored: ScenarioContentRecord = {
      version: 1,
      ...contentJson(content),
      created_by: caller.actor,
      created_at: now,
    };
    const version = await this.db.transaction(async (tx) => {
      if (!(await insertScenario(tx, scenario, stored))) throw nameTaken(body.name);
      await this.event(tx, caller, scenario.scenario_id, null, 'SCENARIO_CREATED', { version: 1 });
      return bumpCacheVersion(tx, caller.tenant);
    });
    await this.invalidated(caller.tenant, version, 'SCENARIO_CREATED', scenario.scenario_id);
    return { scenario, content: stored };
  }

  async get(
    caller: Caller,
    scenarioId: string,
    version?: number,
  ): Promise<{ scenario: ScenarioRecord; content: ScenarioContentRecord }> {
    const scenario = await getScenario(this.db, caller.tenant, scenarioId);
    if (!scenario) throw scenarioNotFound();
    const content = await getContent(this.db, caller.tenant, scenarioId, version ?? scenario.version);
    if (!content)
      throw new ApiError(
        404,
        'SCENARIO_VERSION_NOT_FOUND',
        `Version ${version} does not exist; the latest is ${scenario.version}.`,
      );
    return { scenario, content };
  }

  /** List items carry assumptions and parameters, not the (possibly large) base. */
  async list(
    caller: Caller,
    filters: ScenarioFilters,
    limit: number,
    cursor?: ListCursor,
  ): Promise<Page<{ scenario: ScenarioRecord; content: ScenarioContentRecord }>> {
    const page = await listScenarios(this.db, caller.tenant, filters, limit, cursor);
    const contents = await getContents(this.db, caller.tenant, page.items);
    const items = page.items.flatMap((scenario) => {
      const content = contents.get(scenario.scenario_id);
      return content ? [{ scenario, content }] : [];
    });
    return { items, next: page.next };
  }

  /**
   * Change metadata and/or content under a row lock. A change to base, assumptions or parameters
   * (compared canonically) adds a version; the same content again does not.
   */
  async patch(
    caller: Caller,
    scenarioId: string,
    body: ScenarioPatch,
  ): Promise<{ scenario: ScenarioRecord; content: ScenarioContentRecord }> {
    const outcome = await this.db
      .transaction(async (tx) => {
        const current = await getScenario(tx, caller.tenant, scenarioId, true);
        if (!current) throw scenarioNotFound();
        const stored = (await getContent(tx, caller.tenant, scenarioId, current.version))!;
        let content = stored;
        const changed: string[] = [];
        if (body.base !== undefined || body.assumptions !== undefined || body.parameters !== undefined) {
          const old = parseContent(stored);
          const next: ScenarioContent = {
            base: body.base ?? old.base,
            assumptions: body.assumptions ?? old.assumptions,
            parameters: body.parameters ?? old.parameters,
          };
          for (const field of ['base', 'assumptions', 'parameters'] as const)
            if (body[field] !== undefined && canonicalJson(next[field]) !== canonicalJson(old[field]))
              changed.push(field);
          if (changed.length > 0) {
            const issues = contentIssues(next);
            if (issues.length > 0) throw validationError(issues);
            content = {
              version: current.version + 1,
              ...contentJson(next),
              created_by: caller.actor,
              created_at: this.now(),
            };
            await insertVersion(tx, caller.tenant, scenarioId, content);
          }
        }
        const updated: ScenarioRecord = {
          ...current,
          name: body.name ?? current.name,
          description: body.description !== undefined ? body.description : current.description,
          status: body.status ?? current.status,
          tags: body.tags ?? current.tags,
          version: content.version,
          updated_at: this.now(),
        };
        for (const field of ['name', 'description', 'status', 'tags'] as const)
          if (body[field] !== undefined && canonicalJson(updated[field]) !== canonicalJson(current[field]))
            changed.push(field);
        await updateScenario(tx, updated);
        await this.event(tx, caller, scenarioId, null, 'SCENARIO_UPDATED', {
          changed,
          version: updated.version,
        });
        return { scenario: updated, content, version: await bumpCacheVersion(tx, caller.tenant) };
      })
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) throw nameTaken(body.name ?? '');
        throw error;
      });
    await this.invalidated(caller.tenant, outcome.version, 'SCENARIO_UPDATED', scenarioId);
    return { scenario: outcome.scenario, content: outcome.content };
  }

  /** Delete a scenario with its versions, runs and outputs (events are kept). */
  async delete(caller: Caller, scenarioId: string): Promise<void> {
    const version = await this.db.transaction(async (tx) => {
      if (!(await deleteScenario(tx, caller.tenant, scenarioId))) throw scenarioNotFound();
      await this.event(tx, caller, scenarioId, null, 'SCENARIO_DELETED', {});
      return bumpCacheVersion(tx, caller.tenant);
    });
    await this.invalidated(caller.tenant, version, 'SCENARIO_DELETED', scenarioId);
  }

  // ---- runs ----------------------------------------------------------------------------------

  /**
   * Store runs of the scenario's current version with their queue jobs, all in one transaction.
   * A request identical to a QUEUED or RUNNING run (same version, code version and options)
   * returns that run instead (`created: false`).
   */
  async requestRuns(
    caller: Caller,
    scenarioId: string,
    requests: readonly RunRequest[],
  ): Promise<{ run: ScenarioRunRecord; created: boolean }[]> {
    if (!this.queue)
      throw new ApiError(
        503,
        'QUEUE_UNAVAILABLE',
        'This process has no job queue; scenario runs cannot be accepted.',
      );
    const queue = this.queue;
    const outcome = await this.db.transaction(async (tx) => {
      const scenario = await getScenario(tx, caller.tenant, scenarioId, true);
      if (!scenario) throw scenarioNotFound();
      if (scenario.status !== 'active')
        throw new ApiError(
          409,
          'SCENARIO_ARCHIVED',
          'An archived scenario cannot run; set its status to active first.',
        );
      const content = (await getContent(tx, caller.tenant, scenarioId, scenario.version))!;
      const policyPackId = selectedPolicyPack(content.assumptions_json);
      const runs: { run: ScenarioRunRecord; created: boolean }[] = [];
      for (const request of requests) {
        const options = (request.options ?? {}) as EngineOptionsOverride;
        const run: ScenarioRunRecord = {
          run_id: randomUUID(),
          tenant_id: caller.tenant,
          scenario_id: scenarioId,
          scenario_version: scenario.version,
          state: 'QUEUED',
          priority: request.priority ?? 'NORMAL',
          code_version: request.code_version ?? null,
          options_json: JSON.stringify(options),
          request_key: requestKey(scenario.version, request.code_version ?? null, options),
          created_by: caller.actor,
          created_at: this.now(),
          started_at: null,
          finished_at: null,
          attempts: 0,
          error_json: null,
          rebalance_run_id: null,
          policy_pack_id: policyPackId,
          policy_pack_status: null,
          metrics_json: null,
        };
        runs.push(await this.insertOrFindRun(tx, queue, caller, run));
      }
      return { runs, version: await bumpCacheVersion(tx, caller.tenant) };
    });
    queue.wake(SCENARIO_QUEUE);
    for (const { run, created } of outcome.runs)
      if (created)
        caller.log.info(
          { scenario_id: scenarioId, run_id: run.run_id, state: 'QUEUED', priority: run.priority },
          'scenario run queued',
        );
    await this.invalidated(caller.tenant, outcome.version, 'RUN_QUEUED', scenarioId);
    return outcome.runs;
  }

  private async insertOrFindRun(
    tx: Queryable,
    queue: JobQueue,
    caller: Caller,
    run: ScenarioRunRecord,
  ): Promise<{ run: ScenarioRunRecord; created: boolean }> {
    // The identical run may finish between our insert attempt and the look-up: then try again.
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await insertRun(tx, run)) {
        await queue.enqueue(
          tx,
          SCENARIO_QUEUE,
          { tenant: run.tenant_id, scenario_id: run.scenario_id, run_id: run.run_id } satisfies ScenarioJob,
          { priority: PRIORITY_RANK[run.priority as RunPriority] },
        );
        await this.event(tx, caller, run.scenario_id, run.run_id, 'RUN_QUEUED', {
          priority: run.priority,
          scenario_version: run.scenario_version,
        });
        return { run, created: true };
      }
      const existing = await findActiveRun(tx, run.tenant_id, run.scenario_id, run.request_key);
      if (existing) return { run: existing, created: false };
    }
    throw new Error('run de-duplication did not settle');
  }

  async getRun(caller: Caller, scenarioId: string, runId: string): Promise<ScenarioRunRecord> {
    const run = await getRun(this.db, caller.tenant, runId);
    if (!run || run.scenario_id !== scenarioId) {
      if (!(await getScenario(this.db, caller.tenant, scenarioId))) throw scenarioNotFound();
      throw runNotFound();
    }
    return run;
  }

  async listRuns(
    caller: Caller,
    scenarioId: string,
    filters: RunFilters,
    limit: number,
    cursor?: ListCursor,
  ): Promise<Page<ScenarioRunRecord>> {
    if (!(await getScenario(this.db, caller.tenant, scenarioId))) throw scenarioNotFound();
    return listRuns(this.db, caller.tenant, scenarioId, filters, limit, cursor);
  }

  /** QUEUED or RUNNING → CANCELLED; a CANCELLED run is returned as it is; anything else is 409. */
  async cancel(caller: Caller, runId: string): Promise<ScenarioRunRecord> {
    return this.transition(caller, runId, ['QUEUED', 'RUNNING'], 'CANCELLED', null, 'RUN_CANCELLED', true);
  }

  /** The admin state route: QUEUED → RUNNING | CANCELLED; RUNNING → SUCCEEDED | FAILED | CANCELLED. */
  async setState(
    caller: Caller,
    runId: string,
    state: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED',
    error: { code: string; message: string } | null,
  ): Promise<ScenarioRunRecord> {
    const from =
      state === 'RUNNING' ? ['QUEUED'] : state === 'CANCELLED' ? ['QUEUED', 'RUNNING'] : ['RUNNING'];
    const errorJson =
      state === 'FAILED'
        ? JSON.stringify(
            error ?? {
              code: 'MARKED_FAILED',
              message: `Marked FAILED through the state route by ${caller.actor ?? 'an administrator'}.`,
            },
          )
        : null;
    return this.transition(caller, runId, from, state, errorJson, 'RUN_STATE_SET', false);
  }

  private async transition(
    caller: Caller,
    runId: string,
    from: string[],
    to: string,
    errorJson: string | null,
    eventType: string,
    idempotent: boolean,
  ): Promise<ScenarioRunRecord> {
    const outcome = await this.db.transaction(async (tx) => {
      const run = await transitionRun(tx, caller.tenant, runId, from, to, {
        now: this.now(),
        error_json: errorJson,
      });
      if (!run) return { run: null, version: 0 };
      await this.event(tx, caller, run.scenario_id, run.run_id, eventType, { state: to });
      return { run, version: await bumpCacheVersion(tx, caller.tenant) };
    });
    if (!outcome.run) {
      const current = await getRun(this.db, caller.tenant, runId);
      if (!current) throw runNotFound();
      if (idempotent && current.state === to) return current;
      throw new ApiError(
        409,
        'ILLEGAL_STATE_TRANSITION',
        `The run is ${current.state}; ${current.state} → ${to} is not allowed.`,
        { state: current.state, requested_state: to },
      );
    }
    const run = outcome.run;
    if (run.finished_at && run.started_at)
      this.metrics.runDuration.observe(
        { state: to },
        (run.finished_at.getTime() - run.started_at.getTime()) / 1000,
      );
    caller.log.info(
      { scenario_id: run.scenario_id, run_id: run.run_id, state: to },
      'scenario run state changed',
    );
    await this.invalidated(caller.tenant, outcome.version, eventType, run.scenario_id, run.run_id);
    return run;
  }

  // ---- outputs and metrics -------------------------------------------------------------------

  /**
   * One JSON page of outputs: `{"data": […]}` content and the next cursor, from the cache when it
   * has this page at the tenant's current version.
   */
  async outputPage(
    caller: Caller,
    scenarioId: string,
    filters: OutputFilters,
    limit: number,
    cursor?: string,
  ): Promise<{ data: string; next: string | null }> {
    const version = await getCacheVersion(this.db, caller.tenant);
    const key = `${scenarioId}:${hashOf({ filters, limit, cursor: cursor ?? null })}`;
    const text = await this.cache.read('outputs', caller.tenant, version, key, async () => {
      const page = await outputPage(this.db, caller.tenant, scenarioId, filters, limit + 1, cursor);
      if (!page.exists) throw scenarioNotFound();
      const rows = page.rows.slice(0, limit);
      const next = page.rows.length > limit ? rows[rows.length - 1]!.output_id : '';
      return `${next}\n${JSON.stringify(rows.map(outputJson))}`;
    });
    const newline = text.indexOf('\n');
    return { next: text.slice(0, newline) || null, data: text.slice(newline + 1) };
  }

  /** CSV of every matching row (or `limit` of them), read in batches and streamed. */
  async outputCsv(
    caller: Caller,
    scenarioId: string,
    filters: OutputFilters,
    limit: number | undefined,
    cursor?: string,
  ): Promise<Readable> {
    if (!(await getScenario(this.db, caller.tenant, scenarioId))) throw scenarioNotFound();
    const db = this.db;
    const tenant = caller.tenant;
    async function* records() {
      let after = cursor;
      let left = limit ?? Number.POSITIVE_INFINITY;
      while (left > 0) {
        const batch = Math.min(1000, left);
        const page = await outputPage(db, tenant, scenarioId, filters, batch, after);
        for (const row of page.rows) yield outputCsvRecord(row);
        if (page.rows.length < batch) return;
        left -= page.rows.length;
        after = page.rows[page.rows.length - 1]!.output_id;
      }
    }
    // pipeline, not pipe: a failed read destroys the response stream instead of leaving it hanging.
    const csv = csvStringify({ header: true, columns: [...OUTPUT_CSV_COLUMNS] });
    pipeline(Readable.from(records()), csv, (err) => {
      if (err) caller.log.info({ err, scenario_id: scenarioId }, 'scenario output CSV stream aborted');
    });
    return csv;
  }

  /** The latest-metrics rows (JSON array text), cached like output pages. */
  async latestMetrics(caller: Caller, scenarioId: string): Promise<string> {
    const version = await getCacheVersion(this.db, caller.tenant);
    return this.cache.read('metrics_latest', caller.tenant, version, scenarioId, async () => {
      const rows = await latestMetrics(this.db, caller.tenant, scenarioId, OUTPUT_METRICS);
      if (!rows) throw scenarioNotFound();
      return JSON.stringify(rows.map(latestMetricJson));
    });
  }

  // ---- helpers -------------------------------------------------------------------------------

  private event(
    tx: Queryable,
    caller: Caller,
    scenarioId: string,
    runId: string | null,
    eventType: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    return appendEvent(tx, {
      tenant_id: caller.tenant,
      scenario_id: scenarioId,
      run_id: runId,
      event_type: eventType,
      actor: caller.actor,
      detail,
      created_at: this.now(),
    });
  }

  private invalidated(tenant: string, version: number, reason: string, scenarioId: string, runId?: string) {
    return this.cache.invalidated({
      tenant_id: tenant,
      version,
      reason,
      scenario_id: scenarioId,
      run_id: runId ?? null,
    });
  }
}

function nameTaken(name: string): ApiError {
  return new ApiError(409, 'SCENARIO_NAME_CONFLICT', `This tenant already has a scenario named '${name}'.`);
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32);
}

/** Identity of a run request for de-duplication: scenario version, code version and options (canonical). */
export function requestKey(
  version: number,
  codeVersion: string | null,
  options: EngineOptionsOverride,
): string {
  return hashOf({ version, code_version: codeVersion, options });
}
