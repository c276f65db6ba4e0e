/**
 * A resolved pack and the record kept of it: in the run's lineage (id, version, source, catalog,
 * definition hash — GAP G-B2), with the stored run, in the artifact and the support bundle (the
 * same plus the definition itself), and with an async operation between submission and
 * execution (QUIRK Q-B6: resolved once, at submission). The replay key of a simulate compares the
 * applied pack (QUIRK Q-B8, docs/decisions/0032).
 */
import { validate } from '../contracts/parse.js';
import {
  type AppliedPolicyPack,
  type CatalogSource,
  type PolicyPackDefinition,
  policyPackDefinitionSchema,
  policyPackHash,
  policyPackToJson,
} from '../contracts/policy-pack.js';
import type { PolicySelection } from './resolution.js';

export interface ResolvedPolicyPack {
  selection: PolicySelection;
  /** The definition that applies; null when nothing is selected or the id is not in the catalog. */
  definition: PolicyPackDefinition | null;
  /** What the run's lineage records; null when nothing is selected. */
  applied: AppliedPolicyPack | null;
}

export const NO_POLICY_PACK: ResolvedPolicyPack = {
  selection: { enabled: false, selected_policy_pack_id: null, source: 'DISABLED' },
  definition: null,
  applied: null,
};

export interface CatalogEntry {
  definition: PolicyPackDefinition;
  catalog_source: CatalogSource;
}

/** The outcome of a selection and its catalog look-up (`found` null: not in the catalog, GAP G-B1). */
export function resolvedPack(selection: PolicySelection, found: CatalogEntry | null): ResolvedPolicyPack {
  const id = selection.selected_policy_pack_id;
  if (id === null || selection.source === 'DISABLED' || selection.source === 'NONE')
    return { selection, definition: null, applied: null };
  return {
    selection,
    definition: found?.definition ?? null,
    applied: {
      policy_pack_id: id,
      version: found?.definition.version ?? null,
      source: selection.source,
      catalog_source: found?.catalog_source ?? null,
      definition_hash: found ? policyPackHash(found.definition) : null,
      applied: found !== null,
    },
  };
}

/** The record kept with runs and operations: the lineage fields plus the definition. */
export function policyRecord(resolved: ResolvedPolicyPack): Record<string, unknown> | null {
  if (!resolved.applied) return null;
  return {
    ...resolved.applied,
    definition: resolved.definition ? policyPackToJson(resolved.definition) : null,
  };
}

export function policyRecordJson(resolved: ResolvedPolicyPack): string | null {
  const record = policyRecord(resolved);
  return record ? JSON.stringify(record) : null;
}

/**
 * What replay compares besides the request hash: the pack that changed the options, by id,
 * version and content. A selection that found nothing changed nothing, like no selection.
 */
export function replayKey(
  applied:
    Pick<AppliedPolicyPack, 'applied' | 'policy_pack_id' | 'version' | 'definition_hash'> | null | undefined,
): string | null {
  if (!applied?.applied) return null;
  return JSON.stringify([applied.policy_pack_id, applied.version, applied.definition_hash]);
}

/** The replay key of a stored run's record (`dpm_runs.policy_pack_json`). */
export function storedReplayKey(recordJson: string | null): string | null {
  return recordJson ? replayKey(JSON.parse(recordJson) as AppliedPolicyPack) : null;
}

/** What an async submission stores (spec 30 §5.2 `policy_context`), with the resolved pack. */
export function policyContext(
  tenant: string,
  requestPackId: string | undefined,
  resolved: ResolvedPolicyPack,
): Record<string, unknown> {
  return {
    request_policy_pack_id: requestPackId ?? null,
    tenant_default_policy_pack_id: null,
    tenant_id: tenant,
    selection: resolved.selection,
    policy_pack: policyRecord(resolved),
  };
}

/**
 * The pack an operation resolved when it was submitted. Operations stored before packs were
 * resolved at submission (no `selection`) ran with their own options, and still do.
 */
export function policyFromContext(context: unknown): ResolvedPolicyPack {
  const ctx = (context ?? {}) as {
    selection?: PolicySelection;
    policy_pack?: Record<string, unknown> | null;
  };
  if (!ctx.selection) return NO_POLICY_PACK;
  const record = ctx.policy_pack ?? null;
  if (!record) return { selection: ctx.selection, definition: null, applied: null };
  const { definition: raw, ...applied } = record;
  let definition: PolicyPackDefinition | null = null;
  if (raw !== null && raw !== undefined) {
    const parsed = validate(policyPackDefinitionSchema, raw);
    if (!parsed.ok) throw new Error(`stored policy pack no longer validates: ${parsed.errors[0]?.msg}`);
    definition = parsed.value;
  }
  return { selection: ctx.selection, definition, applied: applied as unknown as AppliedPolicyPack };
}

/**
 * A pack as engine work carries it (plain data, so it can cross to a worker thread): the
 * definition as JSON and what the run's lineage records. Undefined when nothing applies.
 */
export interface PackForRun {
  definition: Record<string, unknown> | null;
  applied: AppliedPolicyPack;
}

export function packForRun(resolved: ResolvedPolicyPack): PackForRun | undefined {
  if (!resolved.applied) return undefined;
  return {
    definition: resolved.definition ? policyPackToJson(resolved.definition) : null,
    applied: resolved.applied,
  };
}

/** The definition of a pack carried by engine work, validated again on the receiving side. */
export function packDefinition(pack: PackForRun | undefined): PolicyPackDefinition | null {
  if (!pack?.definition) return null;
  const parsed = validate(policyPackDefinitionSchema, pack.definition);
  if (!parsed.ok) throw new Error(`policy pack does not validate: ${parsed.errors[0]?.msg}`);
  return parsed.value;
}
