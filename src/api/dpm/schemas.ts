/**
 * Header, path and query contracts of the DPM endpoints (spec 30). Body contracts live in
 * src/contracts/; these are the HTTP-only parts.
 */
import { z } from 'zod';
import { boolean, integer, MAX_ID_LENGTH } from '../../contracts/primitives.js';
import { timeBound } from '../time.js';
import { correlationId, idempotencyKey, idText, optionalText } from '../schemas.js';

const text = idText;

export { correlationId, errorBody, idempotencyKey, MAX_ID_LENGTH, validationErrorBody } from '../schemas.js';
export { text };

/** `X-Policy-Pack-Id` (spec 40 §16). */
export const policyPackIdHeader = () =>
  optionalText(
    'Request-level policy pack id (trimmed; blank = absent). Applies only when DPM_POLICY_PACKS_ENABLED is true; ' +
      'an id that is not in the catalog changes nothing and is recorded with `applied: false`.',
    'dpm_standard_v1',
  ).optional();

/** `X-Tenant-Id` (spec 40 §16, docs/decisions/0033). */
export const tenantIdHeader = () =>
  optionalText(
    'Tenant id. Without token auth it selects the tenant (whose data and stored packs are used) and its entry in ' +
      'DPM_TENANT_POLICY_PACK_MAP_JSON. With token auth the tenant is the token’s; a different value here is ' +
      '403 TENANT_MISMATCH.',
    'tenant_001',
  ).optional();

export const simulateHeaders = z.object({
  'Idempotency-Key': idempotencyKey(),
  'X-Correlation-Id': correlationId().optional(),
  'X-Policy-Pack-Id': policyPackIdHeader(),
  'X-Tenant-Id': tenantIdHeader(),
});

export const analyzeHeaders = z.object({
  'X-Correlation-Id': correlationId().optional(),
  'X-Policy-Pack-Id': policyPackIdHeader(),
  'X-Tenant-Id': tenantIdHeader(),
});

export const runIdParams = z.object({
  rebalance_run_id: text('Rebalance run id.', 'rr_1e8f3c1c2a9b4d6e'),
});
export const correlationParams = z.object({
  correlation_id: text(
    'Correlation id (X-Correlation-Id of the call that made it).',
    'demo-corr-27-supportability',
  ),
});
export const requestHashParams = z.object({
  request_hash: text('Canonical request hash (percent-encode the colon).', 'sha256:829d64b7…'),
});
export const idempotencyParams = z.object({ idempotency_key: idempotencyKey() });
export const operationParams = z.object({ operation_id: text('Async operation id.', 'dop_ba89b3cb7d0b') });
export const entityParams = z.object({
  entity_id: text(
    'Any id that appears in lineage: run, correlation, idempotency key, operation.',
    'rr_1e8f3c1c2a9b4d6e',
  ),
});

export const pageQuery = {
  limit: integer({ ge: 1, le: 200 })
    .default(50)
    .meta({ description: 'Page size, 1–200.', examples: [50] }),
  cursor: text(
    'Id of the last item of the previous page (its `next_cursor`).',
    'rr_1e8f3c1c2a9b4d6e',
  ).optional(),
  from: timeBound(),
  to: timeBound(),
};

export const listRunsQuery = z.object({
  ...pageQuery,
  status: optionalText('Exact run status.', 'READY').optional(),
  request_hash: optionalText('Exact request hash.', 'sha256:829d64b7…').optional(),
  portfolio_id: optionalText('Exact portfolio id.', 'pf_demo_support_27').optional(),
});

export const lineageQuery = z.object({
  ...pageQuery,
  cursor: z
    .string()
    .max(4 * MAX_ID_LENGTH, { error: `String should have at most ${4 * MAX_ID_LENGTH} characters` })
    .meta({
      description: '`next_cursor` of the previous page (`created_at|source|edge_type|target`).',
      examples: ['2026-02-20T12:00:00+00:00|c|CORRELATION_TO_RUN|rr_1'],
    })
    .optional(),
  edge_type: optionalText('Exact edge type.', 'CORRELATION_TO_RUN').optional(),
});

const include = (description: string) =>
  boolean()
    .default(true)
    .meta({ description, examples: [true] });

export const bundleQuery = z.object({
  include_artifact: include('Include the run artifact.'),
  include_async_operation: include('Include the async operation that produced the run, if any.'),
  include_idempotency_history: include('Include the idempotency history of the run’s key.'),
});
