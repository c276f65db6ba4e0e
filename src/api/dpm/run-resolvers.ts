/**
 * Finding the run a request names — by run id, by correlation id (newest run) or through an
 * idempotency mapping — with the spec's 404 codes (spec 30 §8, §11.3). Shared by the support
 * bundles and the workflow endpoints.
 */
import type { FastifyRequest } from 'fastify';
import type { Queryable } from '../../store/database.js';
import { getMapping, getRun, getRunByCorrelation, type RunRecord } from '../../store/dpm-runs.js';
import { found } from '../errors.js';
import { tenantOf } from '../tenancy.js';

export type RunResolver = (
  q: Queryable,
  request: FastifyRequest,
  params: Record<string, string>,
) => Promise<RunRecord>;

export const runById: RunResolver = async (q, r, p) =>
  found(await getRun(q, tenantOf(r), p.rebalance_run_id!), 'DPM_RUN_NOT_FOUND');

export const runByCorrelation: RunResolver = async (q, r, p) =>
  found(await getRunByCorrelation(q, tenantOf(r), p.correlation_id!), 'DPM_RUN_NOT_FOUND');

export const runByIdempotencyKey: RunResolver = async (q, r, p) => {
  const mapping = found(
    await getMapping(q, tenantOf(r), p.idempotency_key!),
    'DPM_IDEMPOTENCY_KEY_NOT_FOUND',
  );
  return found(await getRun(q, tenantOf(r), mapping.rebalance_run_id), 'DPM_RUN_NOT_FOUND');
};
