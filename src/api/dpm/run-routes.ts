/**
 * Run supportability (spec 30 §6–§10): look-ups by run id, correlation, request hash and
 * idempotency key; idempotency history; the deterministic artifact; support bundles; lineage;
 * the summary. Check order: validation → feature gates (left to right) → look-ups.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Queryable } from '../../store/database.js';
import {
  getArtifact,
  getEdges,
  getHistory,
  getMapping,
  getRun,
  getRunByCorrelation,
  getRunByRequestHash,
  listRuns,
  saveArtifact,
  summarise,
  type RunRecord,
} from '../../store/dpm-runs.js';
import { findOperation, findOperationByCorrelation, getDecisions } from '../../store/dpm-operations.js';
import { runByCorrelation, runById, runByIdempotencyKey } from './run-resolvers.js';
import { decisionJson, edgeJson, operationStatusBody, runLookup, runSummary } from './views.js';
import { type Env, type Gate, GATES, gateOpen } from '../config.js';
import { found, notFound } from '../errors.js';
import {
  idempotencyHistorySchema,
  idempotencyMappingSchema,
  lineagePageSchema,
  runArtifactSchema,
  runLookupSchema,
  runPageSchema,
  summarySchema,
  supportBundleSchema,
} from './responses.js';
import { route } from '../route.js';
import { tenantOf } from '../tenancy.js';
import { isoTimestamp } from '../time.js';
import { buildArtifact } from './artifact.js';
import {
  bundleQuery,
  correlationParams,
  entityParams,
  errorBody,
  idempotencyParams,
  lineageQuery,
  listRunsQuery,
  operationParams,
  requestHashParams,
  runIdParams,
  validationErrorBody,
} from './schemas.js';
import type { DpmService } from './service.js';

const TAG = ['Runs'];

export function runRoutes(app: FastifyInstance, service: DpmService, env: Env): void {
  const db = service.db;
  const requireGates = async (...gates: Gate[]) => {
    for (const gate of gates) if (!gateOpen(env, gate)) throw notFound(GATES[gate].code);
    await service.purgeExpired();
  };
  const notFoundDocs = (code: string) => ({
    description: `${code} or a disabled feature gate.`,
    schema: errorBody,
  });
  const invalidDocs = { description: 'Invalid path or query.', schema: validationErrorBody };

  async function artifactFor(q: Queryable, run: RunRecord): Promise<string> {
    if (!service.artifactsPersisted) return JSON.stringify(buildArtifact(run));
    const stored = await getArtifact(q, run.rebalance_run_id);
    if (stored) return stored;
    const built = JSON.stringify(buildArtifact(run)); // backfill
    await saveArtifact(q, run.rebalance_run_id, built);
    return built;
  }

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/runs',
    tags: TAG,
    summary: 'List runs',
    description:
      'Newest first (created_at, then run id, descending). Keyset pagination: pass next_cursor as cursor.',
    query: listRunsQuery,
    responses: {
      200: {
        description: 'A page of runs.',
        schema: runPageSchema,
      },
      404: notFoundDocs('DPM_SUPPORT_APIS_DISABLED'),
      422: invalidDocs,
    },
    handler: async ({ request, query }) => {
      await requireGates('support');
      const page = await listRuns(
        db,
        tenantOf(request),
        {
          from: query.from,
          to: query.to,
          status: query.status,
          request_hash: query.request_hash,
          portfolio_id: query.portfolio_id,
        },
        query.limit,
        query.cursor,
      );
      return { items: page.items.map(runSummary), next_cursor: page.next_cursor };
    },
  });

  const lookup = (
    url: string,
    summary: string,
    params: z.ZodObject,
    find: (request: FastifyRequest, p: Record<string, string>) => Promise<RunRecord | null>,
  ) =>
    route(app, {
      method: 'GET',
      permission: 'runs:read',
      url,
      tags: TAG,
      summary,
      params,
      responses: {
        200: { description: 'The run.', schema: runLookupSchema },
        404: notFoundDocs('DPM_RUN_NOT_FOUND'),
        422: invalidDocs,
      },
      handler: async ({ request, params: p }) => {
        await requireGates('support');
        return runLookup(found(await find(request, p as Record<string, string>), 'DPM_RUN_NOT_FOUND'));
      },
    });

  lookup(
    '/rebalance/runs/by-correlation/:correlation_id',
    'Newest run with a correlation id',
    correlationParams,
    (r, p) => getRunByCorrelation(db, tenantOf(r), p.correlation_id!),
  );
  lookup(
    '/rebalance/runs/by-request-hash/:request_hash',
    'Newest run with a request hash',
    requestHashParams,
    (r, p) => getRunByRequestHash(db, tenantOf(r), p.request_hash!),
  );
  lookup('/rebalance/runs/:rebalance_run_id', 'Run by id', runIdParams, (r, p) =>
    getRun(db, tenantOf(r), p.rebalance_run_id!),
  );

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/runs/idempotency/:idempotency_key',
    tags: TAG,
    summary: 'Idempotency mapping',
    description: 'The run the key maps to: the last recorded simulate with that key.',
    params: idempotencyParams,
    responses: {
      200: {
        description: 'The mapping.',
        schema: idempotencyMappingSchema,
      },
      404: notFoundDocs('DPM_IDEMPOTENCY_KEY_NOT_FOUND'),
      422: invalidDocs,
    },
    handler: async ({ request, params }) => {
      await requireGates('support');
      const m = found(
        await getMapping(db, tenantOf(request), params.idempotency_key),
        'DPM_IDEMPOTENCY_KEY_NOT_FOUND',
      );
      return { ...m, created_at: isoTimestamp(m.created_at) };
    },
  });

  const historyBody = async (tenant: string, key: string) => ({
    idempotency_key: key,
    history: (await getHistory(db, tenant, key)).map((h) => ({
      ...h,
      created_at: isoTimestamp(h.created_at),
    })),
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/idempotency/:idempotency_key/history',
    tags: TAG,
    summary: 'Idempotency history',
    description:
      'Every run recorded under the key, oldest first. Grows beyond one entry only with replay disabled.',
    params: idempotencyParams,
    responses: {
      200: {
        description: 'The history.',
        schema: idempotencyHistorySchema,
      },
      404: notFoundDocs('DPM_IDEMPOTENCY_KEY_NOT_FOUND'),
      422: invalidDocs,
    },
    handler: async ({ request, params }) => {
      await requireGates('support', 'idempotencyHistory');
      const body = await historyBody(tenantOf(request), params.idempotency_key);
      if (body.history.length === 0) throw notFound('DPM_IDEMPOTENCY_KEY_NOT_FOUND');
      return body;
    },
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/runs/:rebalance_run_id/artifact',
    tags: TAG,
    summary: 'Deterministic run artifact',
    description:
      'Built from the stored run only; evidence.hashes.artifact_hash is the SHA-256 of the canonical JSON of the artifact ' +
      'with every artifact_hash key removed, so repeated reads give the same hash and clients can verify it.',
    params: runIdParams,
    responses: {
      200: { description: 'The artifact.', schema: runArtifactSchema },
      404: notFoundDocs('DPM_RUN_NOT_FOUND'),
      422: invalidDocs,
    },
    handler: async ({ request, params }) => {
      await requireGates('support', 'artifacts');
      return artifactFor(
        db,
        found(await getRun(db, tenantOf(request), params.rebalance_run_id), 'DPM_RUN_NOT_FOUND'),
      );
    },
  });

  const bundle = async (request: FastifyRequest, run: RunRecord, q: z.output<typeof bundleQuery>) => {
    const tenant = tenantOf(request);
    const operation = q.include_async_operation
      ? await findOperationForRun(db, tenant, run.correlation_id)
      : null;
    const decisions = await getDecisions(db, tenant, run.rebalance_run_id);
    const edges = await getEdges(db, tenant, run.rebalance_run_id);
    const artifact = q.include_artifact ? await artifactFor(db, run) : 'null';
    const history =
      q.include_idempotency_history && run.idempotency_key !== null
        ? JSON.stringify(await historyBody(tenant, run.idempotency_key))
        : 'null';
    const rest = JSON.stringify({
      async_operation: operation ? operationStatusBody(operation) : null,
      workflow_history: { run_id: run.rebalance_run_id, decisions: decisions.map(decisionJson) },
      lineage: { entity_id: run.rebalance_run_id, edges: edges.map(edgeJson), next_cursor: null },
    });
    const policyPack = run.policy_pack_json ?? 'null';
    return `{"run":${runLookup(run)},"artifact":${artifact},${rest.slice(1, -1)},"idempotency_history":${history},"policy_pack":${policyPack}}`;
  };

  const bundleRoute = (
    url: string,
    summary: string,
    params: z.ZodObject,
    find: (request: FastifyRequest, p: Record<string, string>) => Promise<RunRecord>,
  ) =>
    route(app, {
      method: 'GET',
      permission: 'runs:read',
      url,
      tags: TAG,
      summary,
      description:
        'Everything support needs about one run: the run, artifact, async operation, workflow history, lineage, ' +
        'idempotency history, and the policy pack the run was computed under (id, version, source, definition; null ' +
        'when none was selected).',
      params,
      query: bundleQuery,
      responses: {
        200: { description: 'The bundle.', schema: supportBundleSchema },
        404: notFoundDocs(
          'DPM_RUN_NOT_FOUND, DPM_IDEMPOTENCY_KEY_NOT_FOUND or DPM_ASYNC_OPERATION_NOT_FOUND',
        ),
        422: invalidDocs,
      },
      handler: async ({ request, params: p, query }) => {
        await requireGates('support', 'supportBundle');
        return bundle(request, await find(request, p as Record<string, string>), query);
      },
    });

  bundleRoute(
    '/rebalance/runs/:rebalance_run_id/support-bundle',
    'Support bundle by run id',
    runIdParams,
    (r, p) => runById(db, r, p),
  );
  bundleRoute(
    '/rebalance/runs/by-correlation/:correlation_id/support-bundle',
    'Support bundle by correlation id',
    correlationParams,
    (r, p) => runByCorrelation(db, r, p),
  );
  bundleRoute(
    '/rebalance/runs/idempotency/:idempotency_key/support-bundle',
    'Support bundle by idempotency key',
    idempotencyParams,
    (r, p) => runByIdempotencyKey(db, r, p),
  );
  bundleRoute(
    '/rebalance/runs/by-operation/:operation_id/support-bundle',
    'Support bundle by async operation',
    operationParams,
    async (r, p) => {
      const tenant = tenantOf(r);
      const op = found(await findOperation(db, tenant, p.operation_id!), 'DPM_ASYNC_OPERATION_NOT_FOUND');
      // The operation's scenario runs carry "{operation correlation}:{scenario}" (closing QUIRK Q-S10).
      const rows = await db.query<{ correlation_id: string }>(
        `SELECT correlation_id FROM dpm_runs WHERE tenant_id = $1 AND (correlation_id = $2 OR starts_with(correlation_id, $3))
         ORDER BY created_at DESC, rebalance_run_id DESC LIMIT 1`,
        [tenant, op.correlation_id, `${op.correlation_id}:`],
      );
      return found(
        rows[0] ? await getRunByCorrelation(db, tenant, rows[0].correlation_id) : null,
        'DPM_RUN_NOT_FOUND',
      );
    },
  );

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/lineage/:entity_id',
    tags: TAG,
    summary: 'Lineage edges of an entity',
    description:
      'Edges whose source or target is the entity, ascending by (created_at, source, edge_type, target). ' +
      'The cursor contains "+" and "|": percent-encode it.',
    params: entityParams,
    query: lineageQuery,
    responses: {
      200: {
        description: 'The edges.',
        schema: lineagePageSchema,
      },
      404: notFoundDocs('DPM_LINEAGE_APIS_DISABLED'),
      422: invalidDocs,
    },
    handler: async ({ request, params, query }) => {
      await requireGates('support', 'lineage');
      let edges = (await getEdges(db, tenantOf(request), params.entity_id)).map(edgeJson);
      const cursorOf = (e: ReturnType<typeof edgeJson>) =>
        `${e.created_at}|${e.source_entity_id}|${e.edge_type}|${e.target_entity_id}`;
      edges = edges.filter(
        (e) =>
          (query.edge_type === undefined || e.edge_type === query.edge_type) &&
          (!query.from || new Date(e.created_at) >= query.from) &&
          (!query.to || new Date(e.created_at) <= query.to),
      );
      if (query.cursor !== undefined) {
        const at = edges.findIndex((e) => cursorOf(e) === query.cursor);
        edges = at < 0 ? [] : edges.slice(at + 1);
      }
      const page = edges.slice(0, query.limit);
      return {
        entity_id: params.entity_id,
        edges: page,
        next_cursor: edges.length > query.limit ? cursorOf(page[page.length - 1]!) : null,
      };
    },
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/supportability/summary',
    tags: TAG,
    summary: 'Supportability summary',
    description: 'Counts and time spans of what the store holds for the tenant.',
    responses: {
      200: { description: 'The summary.', schema: summarySchema },
      404: notFoundDocs('DPM_SUPPORTABILITY_SUMMARY_APIS_DISABLED'),
    },
    handler: async ({ request }) => {
      await requireGates('support', 'summary');
      const s = await summarise(db, tenantOf(request));
      const ts = (d: Date | null) => (d ? isoTimestamp(d) : null);
      return {
        store_backend: db.kind === 'postgres' ? 'POSTGRES' : 'EMBEDDED_POSTGRES',
        retention_days: service.retentionDays,
        ...s,
        oldest_run_created_at: ts(s.oldest_run_created_at),
        newest_run_created_at: ts(s.newest_run_created_at),
        oldest_operation_created_at: ts(s.oldest_operation_created_at),
        newest_operation_created_at: ts(s.newest_operation_created_at),
      };
    },
  });
}

/** The operation behind a run: same correlation id, or the prefix of "{operation}:{scenario}". */
async function findOperationForRun(db: Queryable, tenant: string, correlationId: string) {
  const direct = await findOperationByCorrelation(db, tenant, correlationId);
  if (direct) return direct;
  const cut = correlationId.lastIndexOf(':');
  return cut > 0 ? findOperationByCorrelation(db, tenant, correlationId.slice(0, cut)) : null;
}
