/**
 * Header, path and response contracts of the policy endpoints (spec 40 §18). The pack itself and
 * the upsert body are in src/contracts/policy-pack.ts.
 */
import { z } from 'zod';
import { policyPackDefinitionSchema, SELECTION_SOURCES } from '../../contracts/policy-pack.js';
import { policyPackIdHeader, tenantIdHeader, text } from '../dpm/schemas.js';
import { optionalText } from '../schemas.js';

export const TAG = ['Policies'];

export const policyReadHeaders = z.object({
  'X-Policy-Pack-Id': policyPackIdHeader(),
  'X-Tenant-Policy-Pack-Id': optionalText(
    'Tenant-default pack id, used instead of the DPM_TENANT_POLICY_PACK_MAP_JSON look-up (read endpoints only; ' +
      'simulate and analyze ignore it, QUIRK Q-B7). Sent but blank: no map look-up either (QUIRK Q-B5).',
    'dpm_tenant_default_v1',
  ).optional(),
  'X-Tenant-Id': tenantIdHeader(),
});

export const packParams = z.object({
  policy_pack_id: text('Policy pack id (taken as written, not trimmed).', 'dpm_standard_v1'),
});

export const packVersionParams = packParams.extend({
  version: text('Version label of the pack (percent-encode it).', '2026.02'),
});

const enabled = z
  .boolean()
  .meta({ description: 'DPM_POLICY_PACKS_ENABLED: whether packs are resolved at all.', examples: [true] });
const selectedId = z
  .string()
  .nullable()
  .meta({ description: 'The selected pack id, or null.', examples: ['dpm_standard_v1'] });
const source = z.enum(SELECTION_SOURCES).meta({
  description:
    'DISABLED (switch off), REQUEST (X-Policy-Pack-Id), TENANT_DEFAULT (X-Tenant-Policy-Pack-Id or the tenant map), ' +
    'GLOBAL_DEFAULT (DPM_DEFAULT_POLICY_PACK_ID) or NONE.',
  examples: ['REQUEST'],
});

export const effectivePolicySchema = z
  .object({ enabled, selected_policy_pack_id: selectedId, source })
  .meta({ id: 'DpmEffectivePolicyPack', description: 'Which pack a request with these headers selects.' });

export const policyCatalogSchema = z
  .object({
    enabled,
    total: z
      .number()
      .int()
      .meta({ description: 'Number of items.', examples: [2] }),
    selected_policy_pack_id: selectedId,
    selected_policy_pack_present: z.boolean().meta({
      description: 'Whether the selected id is in the catalog (false when nothing is selected).',
      examples: [true],
    }),
    selected_policy_pack_source: source,
    items: z.array(policyPackDefinitionSchema).meta({
      description:
        'The tenant’s stored packs and the DPM_POLICY_PACK_CATALOG_JSON packs (a stored pack wins on the same id), ' +
        'by id in code-point order.',
    }),
  })
  .meta({ id: 'DpmPolicyPackCatalog', description: 'The catalog and the selection for these headers.' });

export const upsertResponseSchema = z
  .object({ item: policyPackDefinitionSchema })
  .meta({ id: 'DpmPolicyPackUpsertResponse', description: 'The stored definition.' });

export const policyPackVersionSchema = z
  .object({
    policy_pack_id: text('Policy pack id.', 'dpm_standard_v1'),
    version: text('Version label.', '2026.02'),
    change: z.enum(['CREATED', 'UPDATED', 'DELETED']).meta({
      description:
        'What the change did: CREATED, UPDATED (replaced) or DELETED (the definition that was removed).',
      examples: ['UPDATED'],
    }),
    changed_at: text('When (UTC, ISO-8601).', '2026-02-20T12:00:00.123000+00:00'),
    changed_by: text('Who: the token’s subject; null without authentication.', 'risk-admin-1').nullable(),
    definition: policyPackDefinitionSchema,
  })
  .meta({ id: 'DpmPolicyPackVersion', description: 'One change of a stored pack.' });

export const policyPackHistorySchema = z
  .object({
    policy_pack_id: text('Policy pack id.', 'dpm_standard_v1'),
    items: z
      .array(policyPackVersionSchema)
      .meta({ description: 'Every change of the stored pack, oldest first.' }),
  })
  .meta({ id: 'DpmPolicyPackHistory', description: 'Version history of a pack in the tenant’s catalog.' });
