/**
 * `POST /rebalance/proposals/simulate` and `POST /rebalance/proposals/artifact` (spec 20 §15).
 * Both require an Idempotency-Key and share one durable idempotency record per tenant and key:
 * the same body replays (a key first used on one endpoint replays on the other), another body
 * is 409. An artifact replay re-runs the deterministic simulation with the stored correlation
 * id, so the artifact and its hash are identical to the first call's (closing QUIRK Q-A13).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { EnginePool } from '../../compute/engine-pool.js';
import { proposalArtifactSchema, proposalResultSchema } from '../../contracts/advisory-result.js';
import { proposalRequestSchema, type ProposalRequest } from '../../contracts/advisory-request.js';
import { canonicalHash } from '../../contracts/canonical.js';
import type { Database } from '../../store/database.js';
import { HttpError, conflict } from '../errors.js';
import { route } from '../route.js';
import { tenantOf } from '../tenancy.js';
import { isoTimestamp } from '../time.js';
import { correlationId, errorBody, idempotencyKey, validationErrorBody } from '../dpm/schemas.js';
import { newId } from '../dpm/service.js';

const headers = z.object({
  'Idempotency-Key': idempotencyKey(),
  'X-Correlation-Id': correlationId().optional(),
});

interface Stored {
  request_hash: string;
  correlation_id: string;
  result_json: string;
}

export function advisoryRoutes(
  app: FastifyInstance,
  db: Database,
  engine: EnginePool,
  clock: () => Date,
): void {
  /**
   * Run (or replay) a proposal. Returns the result text; with `artifact`, also the artifact built
   * from the same (deterministic) simulation — recomputed on a replay, with the stored correlation id.
   */
  async function run(
    tenant: string,
    key: string,
    correlationHeader: string | undefined,
    request: ProposalRequest,
    text: () => string,
    artifact: boolean,
  ): Promise<{ text: string; artifact?: unknown }> {
    if (!request.options.enable_proposal_simulation)
      throw new HttpError(422, 'PROPOSAL_SIMULATION_DISABLED: set options.enable_proposal_simulation=true');
    const requestHash = canonicalHash(request);
    const lookup = async () => {
      const rows = await db.query<Stored>(
        'SELECT request_hash, correlation_id, result_json FROM proposal_idempotency WHERE tenant_id = $1 AND idempotency_key = $2',
        [tenant, key],
      );
      const hit = rows[0];
      if (hit && hit.request_hash !== requestHash)
        throw conflict('IDEMPOTENCY_KEY_CONFLICT: request hash mismatch');
      return hit ?? null;
    };
    const compute = async (correlationId: string) => {
      const task = { requestHash, correlationId, idempotencyKey: key };
      if (!artifact) return { text: await engine.propose(task, request, text) };
      const both = JSON.parse(
        await engine.propose({ ...task, artifactCreatedAt: isoTimestamp(clock()) }, request, text),
      ) as { result: unknown; artifact: unknown };
      return { text: JSON.stringify(both.result), artifact: both.artifact };
    };
    // The engine is deterministic: a replay recomputes the identical result only when it is needed.
    const replay = async (hit: Stored) =>
      artifact
        ? { ...(await compute(hit.correlation_id)), text: hit.result_json }
        : { text: hit.result_json };
    const existing = await lookup();
    if (existing) return replay(existing);

    const correlationId = correlationHeader || newId('corr_', 12);
    const computed = await compute(correlationId);
    const inserted = await db.query(
      `INSERT INTO proposal_idempotency (tenant_id, idempotency_key, request_hash, correlation_id, result_json, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING 1`,
      [tenant, key, requestHash, correlationId, computed.text, clock()],
    );
    if (inserted.length === 1) return computed;
    const winner = await lookup(); // a concurrent first request claimed the key
    if (!winner) throw new Error('proposal idempotency key claimed but not readable');
    return replay(winner);
  }

  /** `run` for a route's request: its tenant, headers, validated body and raw body text. */
  const runRequest = (
    request: FastifyRequest,
    h: z.infer<typeof headers>,
    body: ProposalRequest,
    artifact: boolean,
  ) =>
    run(
      tenantOf(request),
      h['Idempotency-Key'],
      h['X-Correlation-Id'],
      body,
      () => request.rawBody!,
      artifact,
    );

  const common = {
    tags: ['Advisory'],
    headers,
    body: proposalRequestSchema,
  };
  const errors = {
    409: { description: 'IDEMPOTENCY_KEY_CONFLICT: request hash mismatch', schema: errorBody },
    422: {
      description:
        'Invalid headers or body, or PROPOSAL_SIMULATION_DISABLED when options.enable_proposal_simulation is not true.',
      schema: validationErrorBody,
    },
  };

  route(app, {
    ...common,
    method: 'POST',
    permission: 'proposals:write',
    url: '/rebalance/proposals/simulate',
    summary: 'Simulate an advisory proposal',
    description:
      'Applies advisor cash flows (first) and trades to the portfolio, funds foreign buys with generated FX, and returns the ' +
      'after-state, rule results, reconciliation, drift against an inline reference model, the suitability scan and the ' +
      'workflow gate. options.enable_proposal_simulation must be true.',
    responses: {
      200: { description: 'The proposal result (any status).', schema: proposalResultSchema },
      ...errors,
    },
    handler: async ({ request, headers: h, body }) => (await runRequest(request, h, body, false)).text,
  });

  route(app, {
    ...common,
    method: 'POST',
    permission: 'proposals:write',
    url: '/rebalance/proposals/artifact',
    summary: 'Build a proposal artifact',
    description:
      'Runs (or replays) the proposal simulation and packages it: summary, portfolio impact, trades and funding, suitability, ' +
      'assumptions, disclosures and an evidence bundle. evidence_bundle.hashes.artifact_hash is the SHA-256 of the canonical ' +
      'JSON without created_at and artifact_hash, so it is stable across calls.',
    responses: {
      200: { description: 'The proposal artifact.', schema: proposalArtifactSchema },
      ...errors,
    },
    handler: async ({ request, headers: h, body }) => (await runRequest(request, h, body, true)).artifact,
  });
}
