/**
 * The advisory proposal lifecycle over HTTP (spec 40 §5–§12): 16 endpoints under
 * `/rebalance/proposals`. Order of checks: permission (403), request validation and the acting
 * user (422 / 403), feature gates in the order of §5 (404), then the domain checks (404 / 409 /
 * 422). Static segments route before parameters, so an idempotency key named like a
 * sub-resource reaches its own endpoint (QUIRK Q-P8). Every record is per tenant; the acting user
 * comes from the token (docs/decisions/0021); every mutation's audit line names the proposal.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { APPROVAL_PERMISSION } from '../../advisory/lifecycle.js';
import {
  boundedText,
  includeEvidenceQuerySchema,
  MAX_VERSION_NO,
  proposalApprovalRequestSchema,
  proposalApprovalsResponseSchema,
  proposalAsyncAcceptedSchema,
  proposalCreateRequestSchema,
  proposalCreateResponseSchema,
  proposalDetailResponseSchema,
  proposalIdempotencyResponseSchema,
  proposalLifecycleConfigSchema,
  proposalLineageResponseSchema,
  proposalListQuerySchema,
  proposalListResponseSchema,
  proposalOperationStatusSchema,
  proposalTimelineResponseSchema,
  proposalTransitionRequestSchema,
  proposalTransitionResponseSchema,
  proposalVersionDetailSchema,
  proposalVersionRequestSchema,
} from '../../contracts/proposal-lifecycle.js';
import { integer } from '../../contracts/primitives.js';
import type { Database } from '../../store/database.js';
import {
  findOperation,
  findOperationByCorrelation,
  type ProposalOperationRecord,
} from '../../store/proposals.js';
import type { JobQueue } from '../../store/queue.js';
import { acceptedOperation } from '../accepted.js';
import { addAuditDetail } from '../audit.js';
import type { Env } from '../config.js';
import { HttpError, invalid } from '../errors.js';
import {
  correlationId,
  errorBody,
  idempotencyKey,
  MAX_ID_LENGTH,
  validationErrorBody,
} from '../dpm/schemas.js';
import { validationOrDomainErrorBody } from '../schemas.js';
import { route } from '../route.js';
import { tenantOf } from '../tenancy.js';
import { timeBound } from '../time.js';
import {
  FOUR_EYES_VIOLATION,
  INVALID_APPROVAL_STATE,
  INVALID_TRANSITION,
  PORTFOLIO_CONTEXT_MISMATCH,
  ProposalNotFoundError,
  recordedByApproval,
  SIMULATION_DISABLED,
  TERMINAL_STATE,
  VERSION_BLOCKED,
} from './errors.js';
import { PROPOSAL_QUEUE, ProposalOperations, type Submission } from './operations.js';
import { type Caller, ProposalLifecycleService } from './service.js';
import { proposalGateOpen, requireProposalGates } from './settings.js';
import { jsonText, operationStatus } from './views.js';

const TAGS = ['Proposals'];

const errors = (status: number, codes: string[]) => ({
  description:
    codes.join(', ') + (status === 404 ? ' (another tenant’s proposal is not found either).' : '.'),
  schema: errorBody,
});
const invalidInput = (what: string) => ({
  description: `Invalid ${what}: one {type, loc, msg, input} entry per field.`,
  schema: validationErrorBody,
});
/** 422: the field list, or one of the domain codes. */
const invalidOr = (codes: string[]) => ({
  description: `Invalid input (one {type, loc, msg, input} entry per field), or {"detail": …}: ${codes.join(', ')}.`,
  schema: validationOrDomainErrorBody,
});
const forbidden = (extra: string[] = []) =>
  errors(403, [
    'FORBIDDEN: missing permission …',
    'ACTOR_MISMATCH: … must be the authenticated user',
    ...extra,
  ]);

const text = (description: string, example: string) =>
  boundedText(MAX_ID_LENGTH).meta({ description, examples: [example] });
const proposalParams = z.object({ proposal_id: text('Proposal identifier.', 'pp_0d3b1c9e5a7f') });
const versionParams = proposalParams.extend({
  version_no: integer({ ge: 1, le: MAX_VERSION_NO }).meta({
    description: 'Version number, from 1.',
    examples: [1],
  }),
});
const correlationHeaders = z.object({ 'X-Correlation-Id': correlationId().optional() });
const createHeaders = z.object({
  'Idempotency-Key': idempotencyKey().meta({
    description:
      'Required. The same key with the same body returns the proposal it created; with another body, 409 ' +
      'IDEMPOTENCY_KEY_CONFLICT. Keys are per tenant and independent of /rebalance/proposals/simulate.',
    examples: ['demo-proposal-persist-01'],
  }),
  'X-Correlation-Id': correlationId().optional(),
});
const listQuery = proposalListQuerySchema.extend({ created_from: timeBound(), created_to: timeBound() });

export interface LifecycleOptions {
  db: Database;
  env: Env;
  clock?: () => Date;
  queue?: JobQueue;
  /** Queue workers to run in this process. */
  workers?: number;
}

/** Routes, the operation queue and its in-process workers. */
export async function registerProposalLifecycle(
  app: FastifyInstance,
  options: LifecycleOptions,
): Promise<void> {
  const service = new ProposalLifecycleService(options.db, options.env, options.clock);
  const queue = options.queue ?? null;
  await queue?.ensureQueue(PROPOSAL_QUEUE);
  const operations = new ProposalOperations(service, queue, app.log);
  proposalRoutes(app, service, operations, options.env);
  await operations.startWorkers(options.workers ?? 0);
}

/** The acting user: the token's, or the body's when there is no token (spec 40 G-P5). */
function actingUser(
  request: FastifyRequest,
  given: string | undefined,
  field: 'created_by' | 'actor_id',
): string {
  const user = request.actor ?? null;
  if (user !== null) {
    if (given !== undefined && given !== user)
      throw new HttpError(403, `ACTOR_MISMATCH: ${field} must be the authenticated user`);
    return user;
  }
  if (given === undefined)
    throw invalid([{ type: 'missing', loc: ['body', field], msg: 'Field required', input: null }]);
  return given;
}

const callerOf = (request: FastifyRequest): Caller => ({
  tenant: tenantOf(request),
  user: request.actor ?? null,
  permissions: request.permissions ?? new Set(),
});

export function proposalRoutes(
  app: FastifyInstance,
  service: ProposalLifecycleService,
  operations: ProposalOperations,
  env: Env,
): void {
  const gates = (...names: Parameters<typeof requireProposalGates>[1][]) =>
    requireProposalGates(env, ...names);
  /** A database that stopped answering is 503, not 500 (spec 40 §11.1). */
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof HttpError) throw error;
      const status = await service.storeStatus();
      if (!status.ready) throw new HttpError(503, status.error ?? 'PROPOSAL_POSTGRES_CONNECTION_FAILED');
      throw error;
    }
  };
  const unavailable = errors(503, ['PROPOSAL_POSTGRES_CONNECTION_FAILED']);
  const lifecycleOff = 'PROPOSAL_WORKFLOW_LIFECYCLE_DISABLED';

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/proposals/supportability/config',
    tags: TAGS,
    summary: 'Proposal store readiness and lifecycle settings',
    description:
      'Always available, whatever the feature flags. Reports whether the store (Keel’s PostgreSQL) answers and carries ' +
      'the proposal migrations, the three feature gates as they are now, and the four behaviour settings read at start-up.',
    responses: { 200: { description: 'The configuration.', schema: proposalLifecycleConfigSchema } },
    handler: async () => {
      const status = await service.storeStatus();
      const s = service.settings;
      return {
        store_backend: service.db.kind === 'postgres' ? 'POSTGRES' : 'EMBEDDED_POSTGRES',
        backend_ready: status.ready,
        backend_init_error: status.error,
        lifecycle_enabled: proposalGateOpen(env, 'lifecycle'),
        support_apis_enabled: proposalGateOpen(env, 'support'),
        async_operations_enabled: proposalGateOpen(env, 'async'),
        store_evidence_bundle: s.storeEvidenceBundle,
        require_expected_state: s.requireExpectedState,
        allow_portfolio_id_change_on_new_version: s.allowPortfolioChange,
        require_proposal_simulation_flag: s.requireSimulationFlag,
      };
    },
  });

  route(app, {
    method: 'POST',
    permission: 'proposals:write',
    url: '/rebalance/proposals',
    tags: TAGS,
    summary: 'Create a proposal (idempotent)',
    description:
      'Simulates simulate_request, builds its artifact and stores the proposal (DRAFT, version 1) with its CREATED event ' +
      'and the idempotency mapping in one transaction. The same Idempotency-Key with the same body returns the stored ' +
      'proposal (its current summary, version 1 and its latest event); with another body, 409. A BLOCKED or ' +
      'PENDING_REVIEW simulation still creates the proposal (status_at_creation).',
    headers: createHeaders,
    body: proposalCreateRequestSchema,
    responses: {
      200: {
        description: 'The proposal, version 1 and the latest event.',
        schema: proposalCreateResponseSchema,
      },
      403: forbidden(),
      404: errors(404, [
        lifecycleOff,
        'PROPOSAL_IDEMPOTENCY_REFERENT_NOT_FOUND (a replay whose proposal is gone)',
      ]),
      409: errors(409, ['IDEMPOTENCY_KEY_CONFLICT: request hash mismatch']),
      422: invalidOr([SIMULATION_DISABLED]),
      503: unavailable,
    },
    handler: async ({ request, headers, body }) => {
      const createdBy = actingUser(request, body.created_by, 'created_by');
      addAuditDetail(request, { actor_id: createdBy, action: 'CREATE_PROPOSAL' });
      gates('lifecycle');
      const response = await guarded(() =>
        service.create(tenantOf(request), { ...body, created_by: createdBy }, headers['Idempotency-Key'], {
          header: headers['X-Correlation-Id'],
        }),
      );
      addAuditDetail(request, { proposal_id: (response.proposal as { proposal_id: string }).proposal_id });
      return jsonText(response);
    },
  });

  /** What an async create or version operation stores: the raw body, with the acting creator. */
  const submission = (
    request: FastifyRequest,
    createdBy: string,
    correlationHeader: string | undefined,
  ): Submission => ({
    tenant: tenantOf(request),
    createdBy,
    body: { ...(request.body as Record<string, unknown>), created_by: createdBy },
    correlationHeader,
  });
  /** Store an async operation through `submit`, audit its id and answer 202 with where to poll. */
  const submitAsync = async (
    request: FastifyRequest,
    reply: FastifyReply,
    submit: () => Promise<ProposalOperationRecord>,
  ) => {
    const op = await guarded(submit);
    addAuditDetail(request, { operation_id: op.operation_id });
    return acceptedOperation(reply, op, `/rebalance/proposals/operations/${op.operation_id}`);
  };

  route(app, {
    method: 'POST',
    permission: 'proposals:write',
    url: '/rebalance/proposals/async',
    tags: TAGS,
    summary: 'Create a proposal in the background',
    description:
      'Stores a CREATE_PROPOSAL operation and its queue job, then answers 202 with where to poll. A queue worker (in this ' +
      'process or any `keel worker`) runs the same create as POST /rebalance/proposals, with the resolved correlation id; ' +
      'domain errors end the operation FAILED with {code: <error class>, message: <detail>}.',
    headers: createHeaders,
    body: proposalCreateRequestSchema,
    responses: {
      202: { description: 'Accepted.', schema: proposalAsyncAcceptedSchema },
      403: forbidden(),
      404: errors(404, [lifecycleOff, 'PROPOSAL_ASYNC_OPERATIONS_DISABLED']),
      422: invalidInput('headers or body'),
      503: unavailable,
    },
    handler: async ({ request, reply, headers, body }) => {
      const createdBy = actingUser(request, body.created_by, 'created_by');
      addAuditDetail(request, { actor_id: createdBy, action: 'CREATE_PROPOSAL_ASYNC' });
      gates('lifecycle', 'async');
      return submitAsync(request, reply, () =>
        operations.submitCreate(
          submission(request, createdBy, headers['X-Correlation-Id']),
          headers['Idempotency-Key'],
        ),
      );
    },
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/proposals',
    tags: TAGS,
    summary: 'List proposals',
    description:
      'Newest first (created_at, then proposal_id, descending), filters combined with AND, keyset pagination: pass ' +
      'next_cursor as cursor. An unknown cursor gives an empty page. Time bounds are inclusive instants (no offset = UTC).',
    query: listQuery,
    responses: {
      200: { description: 'A page of proposals.', schema: proposalListResponseSchema },
      404: errors(404, [lifecycleOff]),
      422: invalidInput('query'),
      503: unavailable,
    },
    handler: async ({ request, query }) => {
      gates('lifecycle');
      return guarded(() => service.list(tenantOf(request), query, query.limit, query.cursor));
    },
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/proposals/:proposal_id',
    tags: TAGS,
    summary: 'A proposal with its current version',
    description:
      'The summary, the current version (evidence_bundle {} with include_evidence=false), its gate decision, the advisor ' +
      'notes, and the actions the caller may take next.',
    params: proposalParams,
    query: includeEvidenceQuerySchema,
    responses: {
      200: { description: 'The proposal.', schema: proposalDetailResponseSchema },
      404: errors(404, ['PROPOSAL_NOT_FOUND', 'PROPOSAL_VERSION_NOT_FOUND', lifecycleOff]),
      422: invalidInput('path or query'),
      503: unavailable,
    },
    handler: async ({ request, params, query }) => {
      gates('lifecycle');
      return jsonText(
        await guarded(() => service.get(callerOf(request), params.proposal_id, query.include_evidence)),
      );
    },
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/proposals/:proposal_id/versions/:version_no',
    tags: TAGS,
    summary: 'One version of a proposal',
    params: versionParams,
    query: includeEvidenceQuerySchema,
    responses: {
      200: { description: 'The version.', schema: proposalVersionDetailSchema },
      404: errors(404, ['PROPOSAL_VERSION_NOT_FOUND (also for a missing proposal)', lifecycleOff]),
      422: invalidInput('path or query'),
      503: unavailable,
    },
    handler: async ({ request, params, query }) => {
      gates('lifecycle');
      return jsonText(
        await guarded(() =>
          service.version(tenantOf(request), params.proposal_id, params.version_no, query.include_evidence),
        ),
      );
    },
  });

  const versionBody = proposalVersionRequestSchema;
  route(app, {
    method: 'POST',
    permission: 'proposals:write',
    url: '/rebalance/proposals/:proposal_id/versions',
    tags: TAGS,
    summary: 'Create the next version of a proposal',
    description:
      'Re-simulates and stores version N+1 with a NEW_VERSION_CREATED event in one transaction. Allowed in every ' +
      'non-terminal state; the state is kept, except that a proposal past its review (AWAITING_CLIENT_CONSENT, ' +
      'EXECUTION_READY) goes back to the review that approved it, since the new content is unreviewed (GAP G-P4).',
    params: proposalParams,
    headers: correlationHeaders,
    body: versionBody,
    responses: {
      200: {
        description: 'The proposal, the new version and its event.',
        schema: proposalCreateResponseSchema,
      },
      403: forbidden(),
      404: errors(404, ['PROPOSAL_NOT_FOUND', lifecycleOff]),
      422: invalidOr([TERMINAL_STATE, SIMULATION_DISABLED, PORTFOLIO_CONTEXT_MISMATCH]),
      503: unavailable,
    },
    handler: async ({ request, params, headers, body }) => {
      const createdBy = actingUser(request, body.created_by, 'created_by');
      addAuditDetail(request, {
        actor_id: createdBy,
        proposal_id: params.proposal_id,
        action: 'CREATE_VERSION',
      });
      gates('lifecycle');
      const response = await guarded(() =>
        service.createVersion(
          tenantOf(request),
          params.proposal_id,
          { ...body, created_by: createdBy },
          { header: headers['X-Correlation-Id'] },
        ),
      );
      addAuditDetail(request, { version_no: (response.version as { version_no: number }).version_no });
      return jsonText(response);
    },
  });

  route(app, {
    method: 'POST',
    permission: 'proposals:write',
    url: '/rebalance/proposals/:proposal_id/versions/async',
    tags: TAGS,
    summary: 'Create the next version in the background',
    description:
      'Stores a CREATE_PROPOSAL_VERSION operation and its queue job, then answers 202. The proposal is not looked up ' +
      'before the 202: a missing one ends the operation FAILED (ProposalNotFoundError / PROPOSAL_NOT_FOUND).',
    params: proposalParams,
    headers: correlationHeaders,
    body: versionBody,
    responses: {
      202: { description: 'Accepted.', schema: proposalAsyncAcceptedSchema },
      403: forbidden(),
      404: errors(404, [lifecycleOff, 'PROPOSAL_ASYNC_OPERATIONS_DISABLED']),
      422: invalidInput('path, headers or body'),
      503: unavailable,
    },
    handler: async ({ request, reply, params, headers, body }) => {
      const createdBy = actingUser(request, body.created_by, 'created_by');
      addAuditDetail(request, {
        actor_id: createdBy,
        proposal_id: params.proposal_id,
        action: 'CREATE_VERSION_ASYNC',
      });
      gates('lifecycle', 'async');
      return submitAsync(request, reply, () =>
        operations.submitVersion(
          submission(request, createdBy, headers['X-Correlation-Id']),
          params.proposal_id,
        ),
      );
    },
  });

  route(app, {
    method: 'POST',
    permission: 'proposals:write',
    url: '/rebalance/proposals/:proposal_id/transitions',
    tags: TAGS,
    summary: 'Move a proposal through its workflow',
    description:
      'Submits for risk or compliance review (from DRAFT), records execution or expiry (from EXECUTION_READY) or cancels ' +
      '(any non-terminal state), under a lock on the proposal. expected_state must name the current state (409 ' +
      'otherwise). Approvals, consent and rejections are recorded through …/approvals (GAP G-P1); a proposal whose ' +
      'current version is BLOCKED cannot be executed (GAP G-P3).',
    params: proposalParams,
    body: proposalTransitionRequestSchema,
    responses: {
      200: { description: 'The new state and its event.', schema: proposalTransitionResponseSchema },
      403: forbidden(),
      404: errors(404, ['PROPOSAL_NOT_FOUND', lifecycleOff]),
      409: errors(409, [
        'STATE_CONFLICT: expected_state mismatch',
        'STATE_CONFLICT: expected_state is required',
      ]),
      422: invalidOr([INVALID_TRANSITION, recordedByApproval('<event>'), VERSION_BLOCKED]),
      503: unavailable,
    },
    handler: async ({ request, params, body }) => {
      const actor = actingUser(request, body.actor_id, 'actor_id');
      addAuditDetail(request, { actor_id: actor, proposal_id: params.proposal_id, action: body.event_type });
      gates('lifecycle');
      return jsonText(
        await guarded(() =>
          service.transition(tenantOf(request), params.proposal_id, { ...body, actor_id: actor }),
        ),
      );
    },
  });

  route(app, {
    method: 'POST',
    permission: ['proposals:approve', 'proposals:write'],
    url: '/rebalance/proposals/:proposal_id/approvals',
    tags: TAGS,
    summary: 'Record an approval, rejection or client consent',
    description:
      'Writes the approval, its workflow event (reason = details) and the new state in one transaction, under a lock on ' +
      'the proposal. RISK (in RISK_REVIEW) and COMPLIANCE (in COMPLIANCE_REVIEW) need `proposals:approve` and an approver ' +
      'who created neither the proposal nor its current version (403 FOUR_EYES_VIOLATION); CLIENT_CONSENT (in ' +
      'AWAITING_CLIENT_CONSENT) needs `proposals:write`. approved=false ends the proposal REJECTED. A proposal whose ' +
      'current version is BLOCKED cannot be approved (GAP G-P3).',
    params: proposalParams,
    body: proposalApprovalRequestSchema,
    responses: {
      200: {
        description: 'The new state, its event and the approval.',
        schema: proposalTransitionResponseSchema,
      },
      403: forbidden([FOUR_EYES_VIOLATION]),
      404: errors(404, ['PROPOSAL_NOT_FOUND', lifecycleOff]),
      409: errors(409, [
        'STATE_CONFLICT: expected_state mismatch',
        'STATE_CONFLICT: expected_state is required',
      ]),
      422: invalidOr([INVALID_APPROVAL_STATE, VERSION_BLOCKED]),
      503: unavailable,
    },
    handler: async ({ request, params, body }) => {
      const needed = APPROVAL_PERMISSION[body.approval_type];
      if (!request.permissions?.has(needed))
        throw new HttpError(403, `FORBIDDEN: missing permission ${needed}`);
      const actor = actingUser(request, body.actor_id, 'actor_id');
      addAuditDetail(request, {
        actor_id: actor,
        proposal_id: params.proposal_id,
        action: `${body.approval_type}_${body.approved ? 'APPROVED' : 'REJECTED'}`,
      });
      gates('lifecycle');
      return jsonText(
        await guarded(() =>
          service.approve(tenantOf(request), params.proposal_id, { ...body, actor_id: actor }),
        ),
      );
    },
  });

  const supportRead = (
    url: string,
    summary: string,
    schema: z.ZodType,
    read: (tenant: string, proposalId: string) => Promise<unknown>,
  ) =>
    route(app, {
      method: 'GET',
      permission: 'runs:read',
      url,
      tags: TAGS,
      summary,
      params: proposalParams,
      responses: {
        200: { description: summary, schema },
        404: errors(404, ['PROPOSAL_NOT_FOUND', lifecycleOff, 'PROPOSAL_SUPPORT_APIS_DISABLED']),
        422: invalidInput('path'),
        503: unavailable,
      },
      handler: async ({ request, params }) => {
        gates('lifecycle', 'support');
        return jsonText(await guarded(() => read(tenantOf(request), params.proposal_id)));
      },
    });
  supportRead(
    '/rebalance/proposals/:proposal_id/workflow-events',
    'The workflow events of a proposal, oldest first',
    proposalTimelineResponseSchema,
    (tenant, id) => service.timeline(tenant, id),
  );
  supportRead(
    '/rebalance/proposals/:proposal_id/approvals',
    'The approvals of a proposal, oldest first',
    proposalApprovalsResponseSchema,
    (tenant, id) => service.approvals(tenant, id),
  );
  supportRead(
    '/rebalance/proposals/:proposal_id/lineage',
    'The hashes of every version of a proposal',
    proposalLineageResponseSchema,
    (tenant, id) => service.lineage(tenant, id),
  );

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/proposals/idempotency/:idempotency_key',
    tags: TAGS,
    summary: 'The proposal a create idempotency key made',
    params: z.object({
      idempotency_key: text('The Idempotency-Key sent with the create.', 'demo-proposal-persist-01'),
    }),
    responses: {
      200: { description: 'The mapping.', schema: proposalIdempotencyResponseSchema },
      404: errors(404, [
        'PROPOSAL_IDEMPOTENCY_KEY_NOT_FOUND',
        lifecycleOff,
        'PROPOSAL_SUPPORT_APIS_DISABLED',
      ]),
      422: invalidInput('path'),
      503: unavailable,
    },
    handler: async ({ request, params }) => {
      gates('lifecycle', 'support');
      return guarded(() => service.idempotency(tenantOf(request), params.idempotency_key));
    },
  });

  const operationRead = (
    url: string,
    summary: string,
    params: z.ZodObject,
    find: (tenant: string, p: Record<string, string>) => Promise<ProposalOperationRecord | null>,
  ) =>
    route(app, {
      method: 'GET',
      permission: 'runs:read',
      url,
      tags: TAGS,
      summary,
      params,
      responses: {
        200: { description: 'The operation.', schema: proposalOperationStatusSchema },
        404: errors(404, [
          'PROPOSAL_ASYNC_OPERATION_NOT_FOUND',
          lifecycleOff,
          'PROPOSAL_ASYNC_OPERATIONS_DISABLED',
        ]),
        422: invalidInput('path'),
        503: unavailable,
      },
      handler: async ({ request, params: p }) => {
        gates('lifecycle', 'async');
        const op = await guarded(() => find(tenantOf(request), p as Record<string, string>));
        if (!op) throw new ProposalNotFoundError('PROPOSAL_ASYNC_OPERATION_NOT_FOUND');
        return jsonText(operationStatus(op));
      },
    });
  operationRead(
    '/rebalance/proposals/operations/:operation_id',
    'An asynchronous proposal operation',
    z.object({ operation_id: text('Operation identifier.', 'pop_5e6f7a8b9c0d') }),
    (tenant, p) => findOperation(service.db, tenant, p.operation_id!),
  );
  operationRead(
    '/rebalance/proposals/operations/by-correlation/:correlation_id',
    'The newest asynchronous proposal operation with a correlation id',
    z.object({ correlation_id: text('The X-Correlation-Id of the submission.', 'corr-2026-02-19-001') }),
    (tenant, p) => findOperationByCorrelation(service.db, tenant, p.correlation_id!),
  );
}
