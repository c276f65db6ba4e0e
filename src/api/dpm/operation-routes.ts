/** Async analysis submission, manual execute and operation look-ups (spec 30 §5). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { analyzeRequestSchema } from '../../contracts/dpm-analyze.js';
import { findOperation, findOperationByCorrelation, listOperations } from '../../store/dpm-operations.js';
import { acceptedOperation } from '../accepted.js';
import { type Env, type Gate, GATES, gateOpen } from '../config.js';
import { conflict, notFound } from '../errors.js';
import { route } from '../route.js';
import { tenantOf } from '../tenancy.js';
import type { PolicyPackService } from '../policies/service.js';
import type { OperationService } from './operations.js';
import {
  analyzeHeaders,
  correlationParams,
  errorBody,
  operationParams,
  pageQuery,
  validationErrorBody,
} from './schemas.js';
import { operationStatusBody } from './views.js';
import { operationAcceptedSchema, operationPageSchema, operationStatusSchema } from './responses.js';

const TAG = ['Operations'];

const statusSchema = operationStatusSchema;

export function operationRoutes(
  app: FastifyInstance,
  operations: OperationService,
  env: Env,
  policies: PolicyPackService,
): void {
  const gates = async (...names: Gate[]) => {
    for (const gate of names) if (!gateOpen(env, gate)) throw notFound(GATES[gate].code);
    await operations.purgeExpired();
  };
  const db = () => operations.db;

  route(app, {
    method: 'POST',
    permission: 'rebalance:simulate',
    url: '/rebalance/analyze/async',
    recordsActor: true,
    tags: TAG,
    summary: 'Submit a batch what-if analysis',
    description:
      'Validates and stores the operation, then runs it as DPM_ASYNC_EXECUTION_MODE says: INLINE (default) inside this ' +
      'request, so it is SUCCEEDED or FAILED when the 202 arrives (the body is still the PENDING acceptance snapshot); ' +
      'QUEUED by a queue worker (this process or any `keel worker` on the same database), answering at once; ACCEPT_ONLY ' +
      'waits for POST /rebalance/operations/{operation_id}/execute. The resolved correlation id is echoed in X-Correlation-Id. ' +
      'A selected policy pack is resolved at submission and stored with the operation: the execution applies that ' +
      'definition even if the catalog or configuration changed in between.',
    headers: analyzeHeaders,
    body: analyzeRequestSchema,
    responses: {
      202: {
        description:
          'Accepted (INLINE: already executed; the body is the acceptance snapshot, poll status_url for the outcome).',
        schema: operationAcceptedSchema,
        headers: {
          'X-Correlation-Id': {
            description: 'The resolved correlation id: yours, or the generated corr_… one.',
            schema: z.string().meta({ examples: ['demo-corr-26-async'] }),
          },
        },
      },
      403: { description: 'FORBIDDEN: missing permission …, or TENANT_MISMATCH.', schema: errorBody },
      404: { description: 'DPM_ASYNC_OPERATIONS_DISABLED.', schema: errorBody },
      422: { description: 'Invalid payload.', schema: validationErrorBody },
    },
    handler: async ({ request, reply, headers, body }) => {
      if (!gateOpen(env, 'async')) throw notFound(GATES.async.code);
      const op = await operations.submit(tenantOf(request), body, headers['X-Correlation-Id'], {
        policyPackId: headers['X-Policy-Pack-Id'],
        actor: request.actor ?? null,
        policy: await policies.forRequest(request, headers),
      });
      // INLINE (the default): run it now, inside this request; the 202 still carries the acceptance
      // snapshot (QUIRK Q-S9), and the operation is already SUCCEEDED or FAILED when it arrives.
      if (operations.mode === 'INLINE') await operations.execute(op.tenant_id, op.operation_id, 'inline');
      return {
        ...acceptedOperation(reply, op, `/rebalance/operations/${op.operation_id}`),
        execute_url: `/rebalance/operations/${op.operation_id}/execute`,
      };
    },
  });

  route(app, {
    method: 'POST',
    permission: 'rebalance:simulate',
    url: '/rebalance/operations/:operation_id/execute',
    tags: TAG,
    summary: 'Execute a pending operation now',
    description:
      'Runs a PENDING operation inside this request. Any other state answers 409 DPM_ASYNC_OPERATION_NOT_EXECUTABLE.',
    params: operationParams,
    responses: {
      200: { description: 'The finished operation.', schema: statusSchema },
      404: {
        description:
          'DPM_ASYNC_OPERATIONS_DISABLED, DPM_ASYNC_MANUAL_EXECUTION_DISABLED or DPM_ASYNC_OPERATION_NOT_FOUND.',
        schema: errorBody,
      },
      409: { description: 'DPM_ASYNC_OPERATION_NOT_EXECUTABLE.', schema: errorBody },
    },
    handler: async ({ request, params }) => {
      await gates('async', 'manualExecution');
      const tenant = tenantOf(request);
      if (!(await findOperation(db(), tenant, params.operation_id)))
        throw notFound('DPM_ASYNC_OPERATION_NOT_FOUND');
      const done = await operations.execute(tenant, params.operation_id, 'manual');
      if (!done) throw conflict('DPM_ASYNC_OPERATION_NOT_EXECUTABLE');
      return operationStatusBody(done);
    },
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/operations',
    tags: TAG,
    summary: 'List operations',
    description:
      'Newest first (created_at, then operation id, descending); keyset pagination with next_cursor.',
    query: z.object({
      ...pageQuery,
      operation_type: z
        .string()
        .max(64)
        .optional()
        .meta({ description: 'Exact type.', examples: ['ANALYZE_SCENARIOS'] }),
      status: z
        .string()
        .max(32)
        .optional()
        .meta({ description: 'Exact status.', examples: ['SUCCEEDED'] }),
      correlation_id: z
        .string()
        .max(256)
        .optional()
        .meta({ description: 'Exact correlation id.', examples: ['demo-corr-26-async'] }),
    }),
    responses: {
      200: {
        description: 'A page of operations.',
        schema: operationPageSchema,
      },
      404: { description: 'A disabled feature gate.', schema: errorBody },
      422: { description: 'Invalid query.', schema: validationErrorBody },
    },
    handler: async ({ request, query }) => {
      await gates('support', 'async');
      const page = await listOperations(db(), tenantOf(request), query, query.limit, query.cursor);
      return {
        items: page.items.map((op) => {
          const { result: _r, error: _e, ...summary } = operationStatusBody(op);
          return summary;
        }),
        next_cursor: page.next_cursor,
      };
    },
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/operations/by-correlation/:correlation_id',
    tags: TAG,
    summary: 'Newest operation with a correlation id',
    params: correlationParams,
    responses: {
      200: { description: 'The operation.', schema: statusSchema },
      404: { description: 'DPM_ASYNC_OPERATION_NOT_FOUND or a disabled gate.', schema: errorBody },
    },
    handler: async ({ request, params }) => {
      await gates('support', 'async');
      const op = await findOperationByCorrelation(db(), tenantOf(request), params.correlation_id);
      if (!op) throw notFound('DPM_ASYNC_OPERATION_NOT_FOUND');
      return operationStatusBody(op);
    },
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/operations/:operation_id',
    tags: TAG,
    summary: 'Operation by id',
    params: operationParams,
    responses: {
      200: { description: 'The operation.', schema: statusSchema },
      404: { description: 'DPM_ASYNC_OPERATION_NOT_FOUND or a disabled gate.', schema: errorBody },
    },
    handler: async ({ request, params }) => {
      await gates('support', 'async');
      const op = await findOperation(db(), tenantOf(request), params.operation_id);
      if (!op) throw notFound('DPM_ASYNC_OPERATION_NOT_FOUND');
      return operationStatusBody(op);
    },
  });
}
