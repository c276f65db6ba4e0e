/** `POST /rebalance/simulate` and `POST /rebalance/analyze` (spec 30 §3, §4). */
import type { FastifyInstance } from 'fastify';
import { analyzeRequestSchema } from '../../contracts/dpm-analyze.js';
import { simulateRequestSchema } from '../../contracts/dpm-request.js';
import { batchResultSchema, rebalanceResultSchema } from '../../contracts/dpm-result.js';
import { route } from '../route.js';
import { tenantOf } from '../tenancy.js';
import { analyzeHeaders, errorBody, simulateHeaders, validationErrorBody } from './schemas.js';
import type { PolicyPackService } from '../policies/service.js';
import type { DpmService } from './service.js';

export function simulateRoutes(app: FastifyInstance, service: DpmService, policies: PolicyPackService): void {
  route(app, {
    method: 'POST',
    permission: 'rebalance:simulate',
    url: '/rebalance/simulate',
    recordsActor: true,
    tags: ['DPM'],
    summary: 'Simulate a rebalance',
    description:
      'Runs the 5-stage DPM pipeline (valuation, universe, targets, intents, execution) and returns trade intents, ' +
      'FX funding, the simulated after-state, rule results and a READY / PENDING_REVIEW / BLOCKED status. ' +
      'Domain outcomes are 200. The run is recorded with its lineage. Replays of the same Idempotency-Key and body ' +
      'return the stored result; a different body under the key is 409. With DPM_POLICY_PACKS_ENABLED, the pack ' +
      'selected by X-Policy-Pack-Id, the tenant default or DPM_DEFAULT_POLICY_PACK_ID overrides the options and its ' +
      'replay switch; the run’s lineage.policy_pack names it, and a replay must be under the same pack.',
    headers: simulateHeaders,
    body: simulateRequestSchema,
    responses: {
      200: { description: 'The rebalance result (any status).', schema: rebalanceResultSchema },
      403: { description: 'FORBIDDEN: missing permission …, or TENANT_MISMATCH.', schema: errorBody },
      409: {
        description:
          'IDEMPOTENCY_KEY_CONFLICT: request hash mismatch, or IDEMPOTENCY_KEY_CONFLICT: policy pack mismatch (the key ' +
          'was used under another policy pack or pack version).',
        schema: errorBody,
      },
      422: { description: 'Invalid headers or body.', schema: validationErrorBody },
    },
    handler: async ({ request, headers, body }) =>
      service.simulate({
        tenant: tenantOf(request),
        actor: request.actor ?? null,
        idempotencyKey: headers['Idempotency-Key'],
        correlationId: headers['X-Correlation-Id'],
        request: body,
        text: () => request.rawBody!,
        policy: await policies.forRequest(request, headers),
      }),
  });

  route(app, {
    method: 'POST',
    permission: 'rebalance:simulate',
    url: '/rebalance/analyze',
    recordsActor: true,
    tags: ['DPM'],
    summary: 'Batch what-if analysis',
    description:
      'Runs up to 20 named scenarios, each with its own options, over shared snapshots, in code-point order of ' +
      'their names. A scenario whose options are invalid or whose run fails is listed in failed_scenarios and the ' +
      'batch carries PARTIAL_BATCH_FAILURE. Every successful scenario run is recorded. A selected policy pack is ' +
      'resolved once and applied to each scenario’s options after they validated on their own.',
    headers: analyzeHeaders,
    body: analyzeRequestSchema,
    responses: {
      200: { description: 'The batch result.', schema: batchResultSchema },
      403: { description: 'FORBIDDEN: missing permission …, or TENANT_MISMATCH.', schema: errorBody },
      422: { description: 'Invalid shared payload or scenario map.', schema: validationErrorBody },
    },
    handler: async ({ request, headers, body }) =>
      service.analyze(
        tenantOf(request),
        body,
        headers['X-Correlation-Id'],
        request.actor ?? null,
        () => request.rawBody!,
        await policies.forRequest(request, headers),
      ),
  });
}
