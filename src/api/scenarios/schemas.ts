/**
 * Path, query and response contracts of `/v1/scenarios` (spec 50 §3). Request bodies live in
 * src/contracts/scenario.ts. Query strings are strict: an unknown parameter or a bad filter is a
 * 400 naming it, never silently ignored.
 */
import { z } from 'zod';
import { simulateRequestSchema } from '../../contracts/dpm-request.js';
import { integer, oneOf, string } from '../../contracts/primitives.js';
import {
  assumptionSchema,
  engineOptionsOverrideSchema,
  RUN_PRIORITIES,
  RUN_STATES,
  SCENARIO_STATUSES,
  text,
} from '../../contracts/scenario.js';
import { isCalendarDate } from '../../scenarios/dates.js';
import { OUTPUT_METRICS } from '../../scenarios/outputs.js';
import type { ListCursor } from '../../store/scenarios.js';
import { parseTimeBound } from '../time.js';

const UUID = '3f1c2a9b-4d6e-4b8f-9a1c-2e3d4f5a6b7c';
const RUN_UUID = '8a0b6c2d-1e3f-4a5b-8c7d-9e0f1a2b3c4d';
const TS = '2026-02-20T12:00:00.123000+00:00';

// ---- path and query ------------------------------------------------------------------------

const id = (description: string, example: string) =>
  z
    .string()
    .max(64, { error: 'String should have at most 64 characters' })
    .meta({ description, examples: [example] });

export const scenarioParams = z.object({ id: id('Scenario id.', UUID) });
export const runParams = z.object({ run_id: id('Scenario run id.', RUN_UUID) });
export const scenarioRunParams = z.object({
  id: id('Scenario id.', UUID),
  run_id: id('Scenario run id.', RUN_UUID),
});

function issue(input: unknown, type: string, message: string) {
  return { code: 'custom' as const, message, input, params: { type } };
}

/** Exclusive time bound (`created_after`, `created_before`); ISO-8601, UTC without an offset. */
const instant = (description: string) =>
  string()
    .transform((value, ctx) => {
      const date = parseTimeBound(value);
      if (date) return date;
      ctx.issues.push(issue(value, 'datetime_parsing', 'Input should be a valid ISO-8601 datetime'));
      return z.NEVER;
    })
    .meta({ type: 'string', format: 'date-time', description, examples: ['2026-02-20T00:00:00+00:00'] })
    .optional();

/** Inclusive calendar date (`YYYY-MM-DD`). */
const calendarDate = (description: string) =>
  string()
    .check((payload) => {
      if (!isCalendarDate(payload.value))
        payload.issues.push(
          issue(payload.value, 'date_parsing', 'Input should be a valid date (YYYY-MM-DD)'),
        );
    })
    .meta({ type: 'string', format: 'date', description, examples: ['2026-02-20'] })
    .optional();

/** Opaque cursor of a newest-first list: base64url of `{"t": ISO time, "i": id}`. */
export const encodeCursor = (c: ListCursor): string =>
  Buffer.from(JSON.stringify({ t: c.at.toISOString(), i: c.id })).toString('base64url');

const listCursor = () =>
  string()
    .transform((value, ctx): ListCursor => {
      try {
        const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as {
          t?: unknown;
          i?: unknown;
        };
        const at = typeof parsed.t === 'string' ? new Date(parsed.t) : null;
        if (at && !Number.isNaN(at.getTime()) && typeof parsed.i === 'string' && parsed.i.length <= 64)
          return { at, id: parsed.i };
      } catch {
        // reported below
      }
      ctx.issues.push(issue(value, 'cursor_invalid', 'Input should be a next_cursor returned by this list'));
      return z.NEVER;
    })
    .meta({
      type: 'string',
      description: '`meta.next_cursor` of the previous page.',
      examples: ['eyJ0IjoiMjAyNi0wMi0yMFQxMjowMDowMC4xMjNaIiwiaSI6IjNmMWMifQ'],
    })
    .optional();

const limit = (max: number, fallback: number) =>
  integer({ ge: 1, le: max })
    .default(fallback)
    .meta({ description: `Page size, 1–${max} (default ${fallback}).`, examples: [fallback] });

function ordered(
  payload: { value: Record<string, unknown>; issues: unknown[] },
  lower: string,
  upper: string,
  compare: (a: never, b: never) => boolean,
) {
  const a = payload.value[lower];
  const b = payload.value[upper];
  if (a !== undefined && b !== undefined && !compare(a as never, b as never))
    payload.issues.push({
      ...issue(b, 'value_error', `Value error, ${upper} must be after ${lower}`),
      path: [upper],
    });
}

export const listScenariosQuery = z
  .object({
    limit: limit(100, 20),
    cursor: listCursor(),
    status: oneOf(SCENARIO_STATUSES)
      .meta({ description: 'Only scenarios in this status.', examples: ['active'] })
      .optional(),
    name: text(200, 'Case-insensitive substring of the name.', 'sensitivity').optional(),
    tag: text(64, 'Only scenarios carrying this tag.', 'demo').optional(),
    created_after: instant('Only scenarios created after this instant.'),
    created_before: instant('Only scenarios created before this instant.'),
  })
  .strict()
  .check((p) => ordered(p, 'created_after', 'created_before', (a: Date, b: Date) => a < b));

export const getScenarioQuery = z
  .object({
    version: integer({ ge: 1 })
      .meta({ description: 'Read this version of the content (default: the latest).', examples: [1] })
      .optional(),
  })
  .strict();

export const listRunsQuery = z
  .object({
    limit: limit(100, 20),
    cursor: listCursor(),
    state: oneOf(RUN_STATES)
      .meta({ description: 'Only runs in this state.', examples: ['SUCCEEDED'] })
      .optional(),
    created_after: instant('Only runs created after this instant.'),
    created_before: instant('Only runs created before this instant.'),
  })
  .strict()
  .check((p) => ordered(p, 'created_after', 'created_before', (a: Date, b: Date) => a < b));

export const MAX_OUTPUT_PAGE = 1000;

export const outputsQuery = z
  .object({
    limit: integer({ ge: 1, le: MAX_OUTPUT_PAGE })
      .meta({
        description: `Rows per page, 1–${MAX_OUTPUT_PAGE}; JSON default 100, CSV default all rows.`,
        examples: [100],
      })
      .optional(),
    cursor: string()
      .check((payload) => {
        if (!/^\d{1,19}$/.test(payload.value))
          payload.issues.push(
            issue(payload.value, 'cursor_invalid', 'Input should be a next_cursor returned by this list'),
          );
      })
      .meta({ type: 'string', description: '`meta.next_cursor` of the previous page.', examples: ['1200'] })
      .optional(),
    format: oneOf(['json', 'csv'] as const)
      .default('json')
      .meta({ description: 'json (paged) or csv (streamed, with a header row).', examples: ['json'] }),
    metric_name: oneOf(OUTPUT_METRICS)
      .meta({ description: 'Only this metric (across runs).', examples: ['total_value_after'] })
      .optional(),
    run_id: id('Only outputs of this run.', RUN_UUID).optional(),
    asof_from: calendarDate('Only rows as-of this date or later.'),
    asof_to: calendarDate('Only rows as-of this date or earlier.'),
  })
  .strict()
  .check((p) => ordered(p, 'asof_from', 'asof_to', (a: string, b: string) => a <= b));

// ---- responses -----------------------------------------------------------------------------

const ts = (description: string) => z.string().meta({ description, examples: [TS] });
const nullableTs = (description: string) =>
  z
    .string()
    .nullable()
    .meta({ description, examples: [TS] });

const requestId = z
  .string()
  .meta({ description: 'Id of this request (X-Request-Id), for support.', examples: ['req-1'] });

export const errorEnvelope = z
  .object({
    error: z
      .object({
        code: z.string().meta({ description: 'Machine-readable code.', examples: ['VALIDATION_ERROR'] }),
        message: z.string().meta({
          description: 'What went wrong.',
          examples: ['assumptions[2].payload.shock_pct: Input should be greater than -100'],
        }),
        details: z
          .array(
            z.object({
              field: z.string().meta({
                description: 'The field, as a path.',
                examples: ['assumptions[2].payload.shock_pct'],
              }),
              loc: z.array(z.union([z.string(), z.number()])).meta({
                description: 'Where: body, query or path, then the field path.',
                examples: [['body', 'assumptions', 2, 'payload', 'shock_pct']],
              }),
              type: z.string().meta({ description: 'Error type.', examples: ['greater_than'] }),
              msg: z.string().meta({
                description: 'What is wrong with the field.',
                examples: ['Input should be greater than -100'],
              }),
              input: z
                .unknown()
                .meta({ description: 'The offending value (null when absent).', examples: ['-150'] }),
            }),
          )
          .nullable()
          .meta({ description: 'One entry per invalid field (validation errors); null otherwise.' }),
      })
      .meta({ description: 'The error.' }),
    meta: z.object({ request_id: requestId }).meta({ description: 'Request metadata.' }),
  })
  .meta({ id: 'ScenarioError', description: 'Error body of /v1/scenarios.' });

const scenarioFields = {
  id: z.string().meta({ description: 'Scenario id (UUID).', examples: [UUID] }),
  tenant_id: z.string().meta({ description: 'Owning tenant.', examples: ['demo-tenant'] }),
  name: z.string().meta({ description: 'Unique per tenant.', examples: ['RPS sensitivity'] }),
  description: z
    .string()
    .nullable()
    .meta({ description: 'Free text.', examples: ['Equity -10 %'] }),
  status: z.enum(SCENARIO_STATUSES).meta({ description: 'active or archived.', examples: ['active'] }),
  tags: z
    .array(z.string().meta({ description: 'A tag.', examples: ['demo'] }))
    .meta({ description: 'Tags.' }),
  version: z
    .number()
    .int()
    .meta({ description: 'Version of the content shown.', examples: [2] }),
  latest_version: z
    .number()
    .int()
    .meta({ description: 'Latest version of the content.', examples: [2] }),
  assumptions: z.array(assumptionSchema).meta({ description: 'Assumptions, in the order they apply.' }),
  parameters: z
    .record(z.string(), z.unknown())
    .meta({ description: 'Free parameters.', examples: [{ shock_bp: 25 }] }),
  created_by: z
    .string()
    .nullable()
    .meta({ description: 'Who created it (token subject).', examples: ['pm-1'] }),
  created_at: ts('When it was created.'),
  updated_at: ts('When it was last changed.'),
};

export const scenarioSummarySchema = z
  .object(scenarioFields)
  .meta({ id: 'ScenarioSummary', description: 'A scenario without its base (list item).' });

export const scenarioSchema = z
  .object({
    ...scenarioFields,
    base: simulateRequestSchema.meta({
      description: 'The simulate request the scenario starts from, as stored.',
    }),
  })
  .meta({ id: 'Scenario', description: 'A saved, versioned what-if on a portfolio.' });

const listMeta = z
  .object({
    request_id: requestId,
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the next page; null on the last page.', examples: [null] }),
  })
  .meta({ description: 'Request metadata and paging.' });

export const scenarioPageSchema = z
  .object({ data: z.array(scenarioSummarySchema).meta({ description: 'Newest first.' }), meta: listMeta })
  .meta({ id: 'ScenarioPage', description: 'A page of scenarios.' });

const metricValue = z
  .object({
    value: z.string().meta({ description: 'Exact decimal.', examples: ['10500.0000'] }),
    unit: z.string().meta({ description: 'Currency, ratio, count or code.', examples: ['USD'] }),
  })
  .meta({ description: 'One metric value.' });

export const scenarioRunSchema = z
  .object({
    id: z.string().meta({ description: 'Run id (UUID).', examples: [RUN_UUID] }),
    tenant_id: z.string().meta({ description: 'Owning tenant.', examples: ['demo-tenant'] }),
    scenario_id: z.string().meta({ description: 'Scenario id.', examples: [UUID] }),
    scenario_version: z
      .number()
      .int()
      .meta({ description: 'Scenario version the run uses.', examples: [2] }),
    state: z.enum(RUN_STATES).meta({ description: 'Life-cycle state.', examples: ['SUCCEEDED'] }),
    priority: z.enum(RUN_PRIORITIES).meta({ description: 'Queue priority.', examples: ['NORMAL'] }),
    code_version: z
      .string()
      .nullable()
      .meta({ description: 'Caller-supplied code version.', examples: ['v1'] }),
    options: engineOptionsOverrideSchema.meta({ description: 'Run-level engine option overrides.' }),
    created_by: z
      .string()
      .nullable()
      .meta({ description: 'Who requested it.', examples: ['pm-1'] }),
    created_at: ts('When it was requested.'),
    started_at: nullableTs('When a worker first started it.'),
    finished_at: nullableTs('When it reached SUCCEEDED, FAILED or CANCELLED.'),
    attempts: z
      .number()
      .int()
      .meta({ description: 'Execution attempts so far.', examples: [1] }),
    error: z
      .object({
        code: z.string().meta({ description: 'Error code.', examples: ['Error'] }),
        message: z
          .string()
          .meta({ description: 'Error text.', examples: ['The scenario run failed (Error).'] }),
      })
      .nullable()
      .meta({ description: 'Why it FAILED, else null.' }),
    rebalance_run_id: z
      .string()
      .nullable()
      .meta({
        description: 'The engine run it recorded (GET /rebalance/runs/{id}).',
        examples: ['rr_1e8f3c1c2a9b4d6e'],
      }),
    policy: z
      .object({
        policy_pack_id: z
          .string()
          .meta({ description: 'Pack selected by the policy driver.', examples: ['pack_conservative'] }),
        applied: z
          .boolean()
          .nullable()
          .meta({ description: 'Whether it was applied (null before execution).', examples: [true] }),
        reason: z
          .string()
          .nullable()
          .meta({
            description:
              'Why not: POLICY_PACKS_DISABLED (DPM_POLICY_PACKS_ENABLED is off) or POLICY_PACK_NOT_FOUND (not in the tenant’s catalog); null when applied or not yet run.',
            examples: ['POLICY_PACK_NOT_FOUND'],
          }),
      })
      .nullable()
      .meta({ description: 'The policy pack selected by a policy driver, or null.' }),
    metrics: z
      .record(z.string(), metricValue)
      .nullable()
      .meta({ description: 'Run-level metrics when SUCCEEDED (by name), else null.' }),
    status_url: z
      .string()
      .meta({ description: 'Where to poll the run.', examples: [`/v1/scenarios/${UUID}/runs/${RUN_UUID}`] }),
  })
  .meta({ id: 'ScenarioRun', description: 'One execution of a scenario version.' });

export const scenarioRunPageSchema = z
  .object({ data: z.array(scenarioRunSchema).meta({ description: 'Newest first.' }), meta: listMeta })
  .meta({ id: 'ScenarioRunPage', description: 'A page of runs.' });

export const scenarioRunListSchema = z
  .object({
    data: z.array(scenarioRunSchema).meta({ description: 'One run per request, in request order.' }),
    meta: z.object({ request_id: requestId }).meta({ description: 'Request metadata.' }),
  })
  .meta({ id: 'ScenarioBulkRunResponse', description: 'The runs of a bulk request.' });

const outputFields = {
  tenant_id: z.string().meta({ description: 'Owning tenant.', examples: ['demo-tenant'] }),
  scenario_id: z.string().meta({ description: 'Scenario id.', examples: [UUID] }),
  run_id: z.string().meta({ description: 'Run that wrote it.', examples: [RUN_UUID] }),
  metric_name: z.enum(OUTPUT_METRICS).meta({ description: 'Metric.', examples: ['total_value_before'] }),
  asof_date: z.string().meta({ description: 'As-of date.', examples: ['2026-02-20'] }),
  value: z.string().meta({ description: 'Exact decimal.', examples: ['10500.0000'] }),
  unit: z.string().meta({ description: 'Currency, ratio, count or code.', examples: ['USD'] }),
  dimensions: z.record(z.string(), z.string()).meta({
    description: 'Series dimensions, e.g. the currency of a cash ladder point.',
    examples: [{ currency: 'USD' }],
  }),
};

export const scenarioOutputPageSchema = z
  .object({
    data: z
      .array(
        z
          .object({
            id: z.string().meta({ description: 'Output row id (its order).', examples: ['1200'] }),
            ...outputFields,
          })
          .meta({ description: 'One output value.' }),
      )
      .meta({ description: 'In the order they were written.' }),
    meta: listMeta,
  })
  .meta({ id: 'ScenarioOutputPage', description: 'A page of output rows (JSON); CSV has the same columns.' });

export const scenarioLatestMetricsSchema = z
  .object({
    data: z
      .array(
        z
          .object({
            ...outputFields,
            run_finished_at: ts('When that run finished.'),
          })
          .meta({ description: 'The latest value of one metric (for a series: its last point).' }),
      )
      .meta({ description: 'One entry per metric (per series for time series).' }),
    meta: z.object({ request_id: requestId }).meta({ description: 'Request metadata.' }),
  })
  .meta({
    id: 'ScenarioLatestMetrics',
    description: 'For each metric, the value from the latest SUCCEEDED run.',
  });
