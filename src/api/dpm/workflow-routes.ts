/**
 * The run review workflow (spec 30 §11): runs whose status needs review (by default
 * PENDING_REVIEW) are approved, rejected or sent back by reviewers; every decision is recorded.
 * Off unless DPM_WORKFLOW_ENABLED. A decision is taken under a lock on the run, so two reviewers
 * cannot both act on the same state (closing the race of GAP G-S8).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type DecisionRecord, getDecisions } from '../../store/dpm-operations.js';
import type { RunRecord } from '../../store/dpm-runs.js';
import { appendDecision, latestDecision, listDecisions } from '../../store/dpm-workflow.js';
import { type Env, GATES, gateOpen } from '../config.js';
import { conflict, HttpError, invalid, notFound } from '../errors.js';
import { route } from '../route.js';
import { tenantOf } from '../tenancy.js';
import { timeBound } from '../time.js';
import { oneOf } from '../../contracts/primitives.js';
import {
  correlationId,
  correlationParams,
  errorBody,
  idempotencyParams,
  pageQuery,
  runIdParams,
  validationErrorBody,
} from './schemas.js';
import { runByCorrelation, runById, runByIdempotencyKey, type RunResolver } from './run-resolvers.js';
import { newId, type DpmService } from './service.js';
import { decisionJson } from './views.js';
import { decisionPageSchema, workflowHistorySchema, workflowStateSchema } from './responses.js';

const TAG = ['Workflow'];
export const WORKFLOW_ACTIONS = ['APPROVE', 'REJECT', 'REQUEST_CHANGES'] as const;
type Action = (typeof WORKFLOW_ACTIONS)[number];
type WorkflowStatus = 'NOT_REQUIRED' | 'PENDING_REVIEW' | 'APPROVED' | 'REJECTED';

const TRANSITIONS: Record<
  Exclude<WorkflowStatus, 'NOT_REQUIRED'>,
  Partial<Record<Action, WorkflowStatus>>
> = {
  PENDING_REVIEW: { APPROVE: 'APPROVED', REJECT: 'REJECTED', REQUEST_CHANGES: 'PENDING_REVIEW' },
  APPROVED: { REJECT: 'REJECTED', REQUEST_CHANGES: 'PENDING_REVIEW' },
  REJECTED: { REQUEST_CHANGES: 'PENDING_REVIEW' },
};
const STATUS_AFTER: Record<Action, WorkflowStatus> = {
  APPROVE: 'APPROVED',
  REJECT: 'REJECTED',
  REQUEST_CHANGES: 'PENDING_REVIEW',
};

export const actionBody = z
  .object({
    action: oneOf(WORKFLOW_ACTIONS),
    reason_code: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/, { error: "String should match pattern '^[A-Z][A-Z0-9_]*$'" })
      .max(128)
      .meta({ description: 'Upper-case reason code.', examples: ['REVIEW_APPROVED'] }),
    comment: z
      .string()
      .max(4000)
      .nullable()
      .default(null)
      .meta({ description: 'Free text.', examples: ['Checked the cash drift.'] }),
    actor_id: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .meta({
        description:
          'Who decides. With authentication on it is taken from the token (a different value is 403); without, it is required.',
        examples: ['reviewer_001'],
      }),
  })
  .meta({ id: 'WorkflowActionRequest', description: 'A review decision.' });

export function workflowRoutes(app: FastifyInstance, service: DpmService, env: Env): void {
  const db = service.db;
  const reviewStatuses = () => {
    const raw = env.DPM_WORKFLOW_REQUIRES_REVIEW_FOR_STATUSES ?? '';
    const set = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    return new Set(set.length > 0 ? set : ['PENDING_REVIEW']);
  };
  const requireWorkflow = async () => {
    if (!gateOpen(env, 'support')) throw notFound(GATES.support.code);
    if (!gateOpen(env, 'workflow')) throw notFound(GATES.workflow.code);
    await service.purgeExpired();
  };
  const stateOf = (run: RunRecord, latest: DecisionRecord | null) => {
    const requires = reviewStatuses().has(run.status);
    const status: WorkflowStatus = !requires
      ? 'NOT_REQUIRED'
      : latest
        ? STATUS_AFTER[latest.action as Action]
        : 'PENDING_REVIEW';
    return {
      run_id: run.rebalance_run_id,
      run_status: run.status,
      workflow_status: status,
      requires_review: requires,
      latest_decision: latest ? decisionJson(latest) : null,
    };
  };

  const resolvers: [string, z.ZodObject, RunResolver, string][] = [
    ['/rebalance/runs/:rebalance_run_id', runIdParams, runById, 'run id'],
    ['/rebalance/runs/by-correlation/:correlation_id', correlationParams, runByCorrelation, 'correlation id'],
    [
      '/rebalance/runs/idempotency/:idempotency_key',
      idempotencyParams,
      runByIdempotencyKey,
      'idempotency key',
    ],
  ];
  const historyOf = async (request: FastifyRequest, run: RunRecord) => ({
    run_id: run.rebalance_run_id,
    decisions: (await getDecisions(db, tenantOf(request), run.rebalance_run_id)).map(decisionJson),
  });
  const notFoundDocs = {
    description: 'DPM_WORKFLOW_DISABLED, DPM_RUN_NOT_FOUND or DPM_IDEMPOTENCY_KEY_NOT_FOUND.',
    schema: errorBody,
  };

  for (const [base, params, resolve, label] of resolvers) {
    route(app, {
      method: 'GET',
      permission: 'runs:read',
      url: `${base}/workflow`,
      tags: TAG,
      summary: `Workflow state of a run, by ${label}`,
      params,
      responses: {
        200: { description: 'The workflow state.', schema: workflowStateSchema },
        404: notFoundDocs,
        422: { description: 'Invalid path.', schema: validationErrorBody },
      },
      handler: async ({ request, params: p }) => {
        await requireWorkflow();
        const run = await resolve(db, request, p as Record<string, string>);
        return stateOf(run, await latestDecision(db, tenantOf(request), run.rebalance_run_id));
      },
    });

    route(app, {
      method: 'POST',
      permission: 'workflow:decide',
      url: `${base}/workflow/actions`,
      recordsActor: true,
      tags: TAG,
      summary: `Approve, reject or request changes on a run, by ${label}`,
      description:
        'Allowed from PENDING_REVIEW: APPROVE, REJECT, REQUEST_CHANGES; from APPROVED: REJECT, REQUEST_CHANGES; from REJECTED: ' +
        'REQUEST_CHANGES. A run that does not need review answers 409 DPM_WORKFLOW_NOT_REQUIRED_FOR_RUN_STATUS; a disallowed ' +
        'action 409 DPM_WORKFLOW_INVALID_TRANSITION.',
      params,
      headers: z.object({ 'X-Correlation-Id': correlationId().optional() }),
      body: actionBody,
      responses: {
        200: { description: 'The new workflow state.', schema: workflowStateSchema },
        404: notFoundDocs,
        409: {
          description: 'DPM_WORKFLOW_NOT_REQUIRED_FOR_RUN_STATUS or DPM_WORKFLOW_INVALID_TRANSITION.',
          schema: errorBody,
        },
        422: { description: 'Invalid action, reason code or actor.', schema: validationErrorBody },
      },
      handler: async ({ request, params: p, headers, body }) => {
        await requireWorkflow();
        const tenant = tenantOf(request);
        const tokenActor = request.actor ?? null;
        if (tokenActor && body.actor_id !== undefined && body.actor_id !== tokenActor)
          throw new HttpError(403, 'ACTOR_MISMATCH: actor_id must be the authenticated user');
        const actor = tokenActor ?? body.actor_id;
        if (!actor)
          throw invalid([{ type: 'missing', loc: ['body', 'actor_id'], msg: 'Field required', input: null }]);
        return db.transaction(async (tx) => {
          const run = await resolve(tx, request, p as Record<string, string>);
          await tx.query('SELECT 1 FROM dpm_runs WHERE rebalance_run_id = $1 FOR UPDATE', [
            run.rebalance_run_id,
          ]);
          const current = stateOf(run, await latestDecision(tx, tenant, run.rebalance_run_id));
          if (current.workflow_status === 'NOT_REQUIRED')
            throw conflict('DPM_WORKFLOW_NOT_REQUIRED_FOR_RUN_STATUS');
          if (!TRANSITIONS[current.workflow_status][body.action])
            throw conflict('DPM_WORKFLOW_INVALID_TRANSITION');
          // Four eyes: whoever created the run cannot approve it.
          if (body.action === 'APPROVE' && run.created_by !== null && run.created_by === actor)
            throw new HttpError(403, 'FOUR_EYES_VIOLATION: the creator of a run cannot approve it');
          const decision: DecisionRecord = {
            decision_id: newId('dwd_', 12),
            run_id: run.rebalance_run_id,
            action: body.action,
            reason_code: body.reason_code,
            comment: body.comment,
            actor_id: actor,
            decided_at: service.now(),
            correlation_id: headers['X-Correlation-Id'] || 'c_none',
          };
          await appendDecision(tx, tenant, decision);
          return stateOf(run, decision);
        });
      },
    });

    route(app, {
      method: 'GET',
      permission: 'runs:read',
      url: `${base}/workflow/history`,
      tags: TAG,
      summary: `Workflow decisions of a run, oldest first, by ${label}`,
      params,
      responses: {
        200: { description: 'The decisions.', schema: workflowHistorySchema },
        404: notFoundDocs,
        422: { description: 'Invalid path.', schema: validationErrorBody },
      },
      handler: async ({ request, params: p }) => {
        await requireWorkflow();
        const run = await resolve(db, request, p as Record<string, string>);
        return historyOf(request, run);
      },
    });
  }

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/workflow/decisions',
    tags: TAG,
    summary: 'List workflow decisions',
    description:
      'Newest first (decided_at, then decision id, descending); keyset pagination with next_cursor.',
    query: z.object({
      ...pageQuery,
      from: timeBound(),
      to: timeBound(),
      rebalance_run_id: z
        .string()
        .max(256)
        .optional()
        .meta({ description: 'Only this run.', examples: ['rr_1e8f3c1c2a9b4d6e'] }),
      action: oneOf(WORKFLOW_ACTIONS).optional(),
      actor_id: z
        .string()
        .max(256)
        .optional()
        .meta({ description: 'Only this reviewer.', examples: ['reviewer_001'] }),
      reason_code: z
        .string()
        .max(128)
        .optional()
        .meta({ description: 'Only this reason.', examples: ['REVIEW_APPROVED'] }),
    }),
    responses: {
      200: {
        description: 'A page of decisions.',
        schema: decisionPageSchema,
      },
      404: { description: 'DPM_WORKFLOW_DISABLED.', schema: errorBody },
      422: { description: 'Invalid query.', schema: validationErrorBody },
    },
    handler: async ({ request, query }) => {
      await requireWorkflow();
      const page = await listDecisions(db, tenantOf(request), query, query.limit, query.cursor);
      return { items: page.items.map(decisionJson), next_cursor: page.next_cursor };
    },
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/workflow/decisions/by-correlation/:correlation_id',
    tags: TAG,
    summary: 'Workflow decisions of the run with this correlation id',
    description:
      'Resolves the run by its own correlation id (QUIRK Q-S25), then lists its decisions oldest first.',
    params: correlationParams,
    responses: {
      200: { description: 'The decisions.', schema: workflowHistorySchema },
      404: notFoundDocs,
      422: { description: 'Invalid path.', schema: validationErrorBody },
    },
    handler: async ({ request, params }) => {
      await requireWorkflow();
      const run = await runByCorrelation(db, request, params);
      return historyOf(request, run);
    },
  });
}
