/**
 * `/v1/scenarios` (seed 004, spec 50 §3) as one encapsulated Fastify plugin: its own error
 * envelope and not-found handler, every route declared once with its permission, schemas and
 * documented errors.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  bulkRunRequestSchema,
  runRequestSchema,
  runStateChangeSchema,
  scenarioCreateSchema,
  scenarioPatchSchema,
} from '../../contracts/scenario.js';
import type { Permission } from '../auth.js';
import { type ResponseDoc, route } from '../route.js';
import { tenantOf } from '../tenancy.js';
import { registerEnvelope } from './envelope.js';
import {
  encodeCursor,
  errorEnvelope,
  getScenarioQuery,
  listRunsQuery,
  listScenariosQuery,
  outputsQuery,
  runParams,
  scenarioLatestMetricsSchema,
  scenarioOutputPageSchema,
  scenarioPageSchema,
  scenarioParams,
  scenarioRunListSchema,
  scenarioRunPageSchema,
  scenarioRunParams,
  scenarioRunSchema,
  scenarioSchema,
} from './schemas.js';
import type { Caller, ScenarioService } from './service.js';
import { runJson, scenarioJson } from './views.js';

export const SCENARIO_PREFIX = '/v1/scenarios';
const TAGS = ['Scenarios'];

const caller = (request: FastifyRequest): Caller => ({
  tenant: tenantOf(request),
  actor: request.actor ?? null,
  log: request.log,
});

const meta = (request: FastifyRequest, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ request_id: request.id, ...extra });

const error = (description: string): ResponseDoc => ({ description, schema: errorEnvelope });

/** The errors every route can answer, plus its own. */
function errors(own: Record<number, string>): Record<number, ResponseDoc> {
  return {
    400: error('Validation error: `details` names each invalid field.'),
    401: error('UNAUTHENTICATED: missing, invalid or expired bearer token.'),
    403: error('FORBIDDEN: the token lacks the permission.'),
    429: error('RATE_LIMITED: too many requests for this tenant; see Retry-After.'),
    ...Object.fromEntries(Object.entries(own).map(([code, text]) => [code, error(text)])),
  };
}

export async function scenarioRoutes(app: FastifyInstance, service: ScenarioService): Promise<void> {
  await app.register(
    async (scoped) => {
      registerEnvelope(scoped);
      declare(scoped, service);
    },
    { prefix: SCENARIO_PREFIX },
  );
}

function declare(app: FastifyInstance, service: ScenarioService): void {
  const common = (permission: Permission) => ({ tags: TAGS, permission });

  route(app, {
    ...common('scenarios:read'),
    method: 'GET',
    url: '',
    summary: 'List scenarios',
    description:
      'Newest first. Filters: status, name (case-insensitive substring), tag, created_after, created_before (exclusive). Items omit `base`.',
    query: listScenariosQuery,
    responses: { 200: { description: 'A page of scenarios.', schema: scenarioPageSchema }, ...errors({}) },
    handler: async ({ request, query }) => {
      const page = await service.list(
        caller(request),
        {
          status: query.status,
          name: query.name,
          tag: query.tag,
          createdAfter: query.created_after,
          createdBefore: query.created_before,
        },
        query.limit,
        query.cursor,
      );
      const data = page.items.map(({ scenario, content }) => scenarioJson(scenario, content, false));
      return `{"data":[${data.join(',')}],"meta":${meta(request, { next_cursor: page.next ? encodeCursor(page.next) : null })}}`;
    },
  });

  route(app, {
    ...common('scenarios:write'),
    method: 'POST',
    url: '',
    summary: 'Create a scenario',
    description:
      'Stores version 1. Assumptions are checked against the base now: a driver that cannot apply is a 400 naming `assumptions[i]`.',
    body: scenarioCreateSchema,
    responses: {
      201: { description: 'The scenario.', schema: scenarioSchema },
      ...errors({
        403: 'FORBIDDEN, or TENANT_MISMATCH when tenant_id is not the caller’s.',
        409: 'SCENARIO_NAME_CONFLICT.',
      }),
    },
    handler: async ({ request, reply, body }) => {
      const { scenario, content } = await service.create(caller(request), body);
      reply.status(201).header('Location', `${SCENARIO_PREFIX}/${scenario.scenario_id}`);
      return scenarioJson(scenario, content);
    },
  });

  route(app, {
    ...common('scenarios:read'),
    method: 'GET',
    url: '/:id',
    summary: 'Get a scenario',
    description:
      'With `version`, that version of base, assumptions and parameters (metadata is not versioned).',
    params: scenarioParams,
    query: getScenarioQuery,
    responses: {
      200: { description: 'The scenario.', schema: scenarioSchema },
      ...errors({ 404: 'SCENARIO_NOT_FOUND or SCENARIO_VERSION_NOT_FOUND.' }),
    },
    handler: async ({ request, params, query }) => {
      const { scenario, content } = await service.get(caller(request), params.id, query.version);
      return scenarioJson(scenario, content);
    },
  });

  route(app, {
    ...common('scenarios:write'),
    method: 'PATCH',
    url: '/:id',
    summary: 'Update a scenario',
    description:
      'Changes name, description, status, tags, base, assumptions or parameters. A change to base, assumptions or parameters adds a version; the old one stays readable with `?version=`.',
    params: scenarioParams,
    body: scenarioPatchSchema,
    responses: {
      200: { description: 'The scenario.', schema: scenarioSchema },
      ...errors({ 404: 'SCENARIO_NOT_FOUND.', 409: 'SCENARIO_NAME_CONFLICT.' }),
    },
    handler: async ({ request, params, body }) => {
      const { scenario, content } = await service.patch(caller(request), params.id, body);
      return scenarioJson(scenario, content);
    },
  });

  route(app, {
    ...common('scenarios:write'),
    method: 'DELETE',
    url: '/:id',
    summary: 'Delete a scenario',
    description: 'Deletes its versions, runs and outputs too (a running run writes nothing).',
    params: scenarioParams,
    responses: { 204: { description: 'Deleted.' }, ...errors({ 404: 'SCENARIO_NOT_FOUND.' }) },
    handler: async ({ request, reply, params }) => {
      await service.delete(caller(request), params.id);
      reply.status(204);
      return undefined;
    },
  });

  const runResponses = (own: Record<number, string>) =>
    errors({
      404: 'SCENARIO_NOT_FOUND.',
      409: 'SCENARIO_ARCHIVED: archived scenarios cannot run.',
      503: 'QUEUE_UNAVAILABLE: this process has no job queue.',
      ...own,
    });

  route(app, {
    ...common('scenarios:run'),
    method: 'POST',
    url: '/:id/run',
    summary: 'Run a scenario',
    description:
      'Stores a QUEUED run of the current version with its queue job, then answers 202. A request identical to a QUEUED or RUNNING run (same version, code_version and options) returns that run with 200.',
    params: scenarioParams,
    body: runRequestSchema.optional(),
    responses: {
      202: { description: 'Accepted: the new run; poll `status_url`.', schema: scenarioRunSchema },
      200: {
        description: 'An identical run is already QUEUED or RUNNING: that run.',
        schema: scenarioRunSchema,
      },
      ...runResponses({}),
    },
    handler: async ({ request, reply, params, body }) => {
      const [outcome] = await service.requestRuns(caller(request), params.id, [body ?? {}]);
      reply.status(outcome!.created ? 202 : 200).header('Location', runJson(outcome!.run).status_url);
      return runJson(outcome!.run);
    },
  });

  route(app, {
    ...common('scenarios:run'),
    method: 'POST',
    url: '/:id/runs::bulk',
    summary: 'Run a scenario several times',
    description:
      'Up to 100 run requests stored with their jobs in one transaction (all or none); each identical to a QUEUED or RUNNING run returns that run.',
    params: scenarioParams,
    body: bulkRunRequestSchema,
    responses: {
      202: { description: 'The runs, in request order.', schema: scenarioRunListSchema },
      ...runResponses({}),
    },
    handler: async ({ request, reply, params, body }) => {
      const runs = await service.requestRuns(caller(request), params.id, body.runs);
      reply.status(202);
      return `{"data":${JSON.stringify(runs.map((r) => runJson(r.run)))},"meta":${meta(request)}}`;
    },
  });

  route(app, {
    ...common('scenarios:read'),
    method: 'GET',
    url: '/:id/runs',
    summary: 'List runs of a scenario',
    description:
      'Newest first, each with its run-level metrics once SUCCEEDED. Filters: state, created_after, created_before.',
    params: scenarioParams,
    query: listRunsQuery,
    responses: {
      200: { description: 'A page of runs.', schema: scenarioRunPageSchema },
      ...errors({ 404: 'SCENARIO_NOT_FOUND.' }),
    },
    handler: async ({ request, params, query }) => {
      const page = await service.listRuns(
        caller(request),
        params.id,
        { state: query.state, createdAfter: query.created_after, createdBefore: query.created_before },
        query.limit,
        query.cursor,
      );
      return `{"data":${JSON.stringify(page.items.map(runJson))},"meta":${meta(request, {
        next_cursor: page.next ? encodeCursor(page.next) : null,
      })}}`;
    },
  });

  route(app, {
    ...common('scenarios:read'),
    method: 'GET',
    url: '/:id/runs/:run_id',
    summary: 'Get a run',
    params: scenarioRunParams,
    responses: {
      200: { description: 'The run.', schema: scenarioRunSchema },
      ...errors({ 404: 'SCENARIO_NOT_FOUND or SCENARIO_RUN_NOT_FOUND.' }),
    },
    handler: async ({ request, params }) =>
      runJson(await service.getRun(caller(request), params.id, params.run_id)),
  });

  route(app, {
    ...common('scenarios:run'),
    method: 'POST',
    url: '/runs/:run_id/cancel',
    summary: 'Cancel a run',
    description:
      'QUEUED or RUNNING → CANCELLED (a RUNNING run stops before writing outputs). Idempotent: a CANCELLED run is returned as it is.',
    params: runParams,
    responses: {
      200: { description: 'The cancelled run.', schema: scenarioRunSchema },
      ...errors({
        404: 'SCENARIO_RUN_NOT_FOUND.',
        409: 'ILLEGAL_STATE_TRANSITION: the run already SUCCEEDED or FAILED.',
      }),
    },
    handler: async ({ request, params }) => runJson(await service.cancel(caller(request), params.run_id)),
  });

  route(app, {
    ...common('scenarios:admin'),
    method: 'POST',
    url: '/runs/:run_id/state',
    summary: 'Set the state of a run (admin)',
    description:
      'Internal/admin: QUEUED → RUNNING | CANCELLED; RUNNING → SUCCEEDED | FAILED | CANCELLED. Setting a state writes no outputs and releases any worker’s claim.',
    params: runParams,
    body: runStateChangeSchema,
    responses: {
      200: { description: 'The run.', schema: scenarioRunSchema },
      ...errors({ 404: 'SCENARIO_RUN_NOT_FOUND.', 409: 'ILLEGAL_STATE_TRANSITION.' }),
    },
    handler: async ({ request, params, body }) =>
      runJson(await service.setState(caller(request), params.run_id, body.state, body.error ?? null)),
  });

  route(app, {
    ...common('scenarios:read'),
    method: 'GET',
    url: '/:id/outputs',
    summary: 'Scenario outputs',
    description:
      'One row per value, in the order written (runs as they finished). Filters: metric_name, run_id, asof_from, asof_to. `format=json` pages with `cursor` (default 100 rows, at most 1000); `format=csv` streams every matching row (or `limit`) as text/csv with a header row. JSON pages are cached when Redis is configured.',
    params: scenarioParams,
    query: outputsQuery,
    responses: {
      200: { description: 'A page of outputs (JSON), or text/csv.', schema: scenarioOutputPageSchema },
      ...errors({ 404: 'SCENARIO_NOT_FOUND.' }),
    },
    handler: async ({ request, reply, params, query }) => {
      const filters = {
        metricName: query.metric_name,
        runId: query.run_id,
        asofFrom: query.asof_from,
        asofTo: query.asof_to,
      };
      if (query.format === 'csv') {
        const stream = await service.outputCsv(
          caller(request),
          params.id,
          filters,
          query.limit,
          query.cursor,
        );
        reply
          .type('text/csv; charset=utf-8')
          .header('Content-Disposition', `attachment; filename="scenario-${params.id}-outputs.csv"`);
        return stream;
      }
      const limit = query.limit ?? 100;
      const page = await service.outputPage(caller(request), params.id, filters, limit, query.cursor);
      return `{"data":${page.data},"meta":${meta(request, { next_cursor: page.next, limit })}}`;
    },
  });

  route(app, {
    ...common('scenarios:read'),
    method: 'GET',
    url: '/:id/metrics/latest',
    summary: 'Latest metrics',
    description:
      'For each metric, the value from the latest SUCCEEDED run that wrote it (for a time series, the last point of each of its series in that run). Cached when Redis is configured.',
    params: scenarioParams,
    responses: {
      200: { description: 'The latest value of each metric.', schema: scenarioLatestMetricsSchema },
      ...errors({ 404: 'SCENARIO_NOT_FOUND.' }),
    },
    handler: async ({ request, params }) => {
      const data = await service.latestMetrics(caller(request), params.id);
      return `{"data":${data},"meta":${meta(request)}}`;
    },
  });
}
