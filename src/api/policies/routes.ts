/**
 * The policy endpoints (spec 40 §18): the effective selection, the catalog, one pack, the admin
 * PUT and DELETE, and the version history of a pack. Reads need `runs:read`; writes need
 * `policies:admin` and DPM_POLICY_PACK_ADMIN_APIS_ENABLED (checked after validation, §18.4), are
 * audit-logged with who changed what, and leave an entry in the pack's history (GAP G-B3).
 */
import type { FastifyInstance } from 'fastify';
import { parse as parseLossless } from 'lossless-json';
import {
  policyPackDefinitionSchema,
  policyPackToJson,
  policyPackUpsertSchema,
} from '../../contracts/policy-pack.js';
import { deletePack, getPackHistory, getPackVersion, upsertPack } from '../../store/policy-packs.js';
import { conflict, found, invalid, notFound } from '../errors.js';
import { errorBody, validationErrorBody } from '../dpm/schemas.js';
import { route } from '../route.js';
import { tenantOf } from '../tenancy.js';
import { isoTimestamp } from '../time.js';
import {
  effectivePolicySchema,
  packParams,
  packVersionParams,
  policyCatalogSchema,
  policyPackHistorySchema,
  policyPackVersionSchema,
  policyReadHeaders,
  TAG,
  upsertResponseSchema,
} from './schemas.js';
import { definitionText, type PolicyPackService } from './service.js';

const NOT_FOUND = 'DPM_POLICY_PACK_NOT_FOUND';
const ADMIN_DISABLED = 'DPM_POLICY_PACK_ADMIN_APIS_DISABLED';

export function policyRoutes(app: FastifyInstance, policies: PolicyPackService): void {
  const invalidDocs = { description: 'Invalid headers, path or body.', schema: validationErrorBody };
  const forbiddenDocs = {
    description:
      'FORBIDDEN: missing permission …, or TENANT_MISMATCH (X-Tenant-Id is not the token’s tenant).',
    schema: errorBody,
  };
  const requireAdmin = () => {
    if (!policies.adminEnabled) throw notFound(ADMIN_DISABLED);
  };

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/policies/effective',
    tags: TAG,
    summary: 'Effective policy pack selection',
    description:
      'The pack a simulate or analyze request with these headers would select: X-Policy-Pack-Id, then the tenant default ' +
      '(X-Tenant-Policy-Pack-Id, else the tenant map when DPM_TENANT_POLICY_PACK_RESOLUTION_ENABLED), then ' +
      'DPM_DEFAULT_POLICY_PACK_ID. Never reads the catalog.',
    headers: policyReadHeaders,
    responses: {
      200: { description: 'The selection.', schema: effectivePolicySchema },
      403: forbiddenDocs,
      422: invalidDocs,
    },
    handler: async ({ request, headers }) =>
      policies.selectionFor(request, headers, { acceptTenantPackHeader: true }),
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/policies/catalog',
    tags: TAG,
    summary: 'Policy pack catalog',
    description:
      'Every pack of the tenant’s catalog and whether the selected id is among them. Listed even when packs are disabled.',
    headers: policyReadHeaders,
    responses: {
      200: { description: 'The catalog.', schema: policyCatalogSchema },
      403: forbiddenDocs,
      422: invalidDocs,
    },
    handler: async ({ request, headers }) => {
      const selection = policies.selectionFor(request, headers, { acceptTenantPackHeader: true });
      const items = (await policies.catalog(tenantOf(request))).map((e) => policyPackToJson(e.definition));
      const selected = selection.selected_policy_pack_id;
      return {
        enabled: selection.enabled,
        total: items.length,
        selected_policy_pack_id: selected,
        selected_policy_pack_present: selected !== null && items.some((p) => p.policy_pack_id === selected),
        selected_policy_pack_source: selection.source,
        items,
      };
    },
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/policies/catalog/:policy_pack_id',
    tags: TAG,
    summary: 'One policy pack',
    params: packParams,
    responses: {
      200: { description: 'The definition.', schema: policyPackDefinitionSchema },
      403: forbiddenDocs,
      404: { description: NOT_FOUND, schema: errorBody },
      422: invalidDocs,
    },
    handler: async ({ request, params }) => {
      const entry = await policies.lookup(policies.db, tenantOf(request), params.policy_pack_id);
      return policyPackToJson(found(entry, NOT_FOUND).definition);
    },
  });

  route(app, {
    method: 'PUT',
    permission: 'policies:admin',
    url: '/rebalance/policies/catalog/:policy_pack_id',
    tags: TAG,
    summary: 'Create or replace a policy pack',
    description:
      'Stores the whole definition in the tenant’s catalog (no merge), with the same rules as the engine options. ' +
      'A version label names one definition of the pack for good: sending another definition under a label the pack ' +
      'has used is 409 DPM_POLICY_PACK_VERSION_CONFLICT; sending the current definition again changes nothing. ' +
      'Needs DPM_POLICY_PACK_ADMIN_APIS_ENABLED (else 404 after validation).',
    params: packParams,
    body: policyPackUpsertSchema,
    responses: {
      200: { description: 'Created or replaced.', schema: upsertResponseSchema },
      403: forbiddenDocs,
      404: { description: ADMIN_DISABLED, schema: errorBody },
      409: { description: 'DPM_POLICY_PACK_VERSION_CONFLICT', schema: errorBody },
      422: invalidDocs,
    },
    handler: async ({ request, params, body }) => {
      const id = params.policy_pack_id;
      if (body.policy_pack_id !== undefined && body.policy_pack_id !== id)
        throw invalid([
          {
            type: 'value_error',
            loc: ['body', 'policy_pack_id'],
            msg: 'Value error, policy_pack_id must equal the policy_pack_id of the path',
            input: body.policy_pack_id,
          },
        ]);
      requireAdmin();
      const { policy_pack_id: _fromBody, ...rest } = body;
      const definition = { policy_pack_id: id, ...rest };
      const tenant = tenantOf(request);
      const actor = request.actor ?? null;
      const outcome = await upsertPack(
        policies.db,
        tenant,
        { policy_pack_id: id, version: definition.version, definition_json: definitionText(definition) },
        actor,
        policies.now(),
      );
      if (outcome.kind === 'VERSION_CONFLICT') throw conflict('DPM_POLICY_PACK_VERSION_CONFLICT');
      request.log.info(
        {
          audit: {
            tenant,
            actor,
            action: 'POLICY_PACK_PUT',
            policy_pack_id: id,
            change: outcome.kind,
            version: definition.version,
            previous_version: outcome.previous_version,
          },
        },
        'policy pack changed',
      );
      return { item: policyPackToJson(definition) };
    },
  });

  route(app, {
    method: 'DELETE',
    permission: 'policies:admin',
    url: '/rebalance/policies/catalog/:policy_pack_id',
    tags: TAG,
    summary: 'Delete a policy pack',
    description:
      'Removes the pack from the tenant’s stored catalog (its history stays). A pack that only the read-only ' +
      'DPM_POLICY_PACK_CATALOG_JSON defines cannot be deleted (409 DPM_POLICY_PACK_READ_ONLY). ' +
      'Needs DPM_POLICY_PACK_ADMIN_APIS_ENABLED (else 404).',
    params: packParams,
    responses: {
      204: { description: 'Deleted (empty body).' },
      403: forbiddenDocs,
      404: { description: `${ADMIN_DISABLED} or ${NOT_FOUND}`, schema: errorBody },
      409: { description: 'DPM_POLICY_PACK_READ_ONLY', schema: errorBody },
      422: invalidDocs,
    },
    handler: async ({ request, reply, params }) => {
      requireAdmin();
      const id = params.policy_pack_id;
      const tenant = tenantOf(request);
      const actor = request.actor ?? null;
      const deleted = await deletePack(policies.db, tenant, id, actor, policies.now());
      if (!deleted) {
        if (policies.envCatalog().packs.has(id)) throw conflict('DPM_POLICY_PACK_READ_ONLY');
        throw notFound(NOT_FOUND);
      }
      // GAP G-B3: deleting a pack that is still a default is allowed, but never silently.
      const stillNamed = policies.globalDefault === id || [...policies.tenantMap().values()].includes(id);
      request.log.info(
        {
          audit: {
            tenant,
            actor,
            action: 'POLICY_PACK_DELETE',
            policy_pack_id: id,
            change: 'DELETED',
            version: deleted.version,
            still_named_as_default: stillNamed,
          },
        },
        'policy pack changed',
      );
      if (stillNamed)
        request.log.warn(
          { policy_pack_id: id, tenant },
          'deleted policy pack is still named by DPM_DEFAULT_POLICY_PACK_ID or DPM_TENANT_POLICY_PACK_MAP_JSON',
        );
      reply.status(204);
      return undefined;
    },
  });

  const versionBody = (row: Awaited<ReturnType<typeof getPackHistory>>[number]) => {
    const definition = policies.readStored(row);
    return {
      policy_pack_id: row.policy_pack_id,
      version: row.version,
      change: row.change,
      changed_at: isoTimestamp(row.changed_at),
      changed_by: row.changed_by,
      definition: definition
        ? policyPackToJson(definition)
        : (parseLossless(row.definition_json) as Record<string, unknown>),
    };
  };

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/policies/catalog/:policy_pack_id/versions',
    tags: TAG,
    summary: 'Version history of a policy pack',
    description:
      'Every change of the tenant’s stored pack, oldest first, with who made it. A pack defined only by ' +
      'DPM_POLICY_PACK_CATALOG_JSON has no stored history (empty list).',
    params: packParams,
    responses: {
      200: { description: 'The history.', schema: policyPackHistorySchema },
      403: forbiddenDocs,
      404: { description: NOT_FOUND, schema: errorBody },
      422: invalidDocs,
    },
    handler: async ({ request, params }) => {
      const id = params.policy_pack_id;
      const rows = await getPackHistory(policies.db, tenantOf(request), id);
      if (rows.length === 0 && !policies.envCatalog().packs.has(id)) throw notFound(NOT_FOUND);
      return { policy_pack_id: id, items: rows.map(versionBody) };
    },
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/policies/catalog/:policy_pack_id/versions/:version',
    tags: TAG,
    summary: 'One version of a policy pack',
    description:
      'The definition a version label names in the tenant’s history (also after the pack was deleted).',
    params: packVersionParams,
    responses: {
      200: { description: 'The version.', schema: policyPackVersionSchema },
      403: forbiddenDocs,
      404: { description: 'DPM_POLICY_PACK_VERSION_NOT_FOUND', schema: errorBody },
      422: invalidDocs,
    },
    handler: async ({ request, params }) => {
      const row = await getPackVersion(policies.db, tenantOf(request), params.policy_pack_id, params.version);
      return versionBody(found(row, 'DPM_POLICY_PACK_VERSION_NOT_FOUND'));
    },
  });
}
