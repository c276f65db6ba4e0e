/**
 * Which policy pack a request selects (spec 40 §16). Pure: the caller reads headers and the
 * environment; resolution never consults the catalog ("selection ≠ existence").
 */
import type { SelectionSource } from '../contracts/policy-pack.js';

export interface PolicySelection {
  enabled: boolean;
  selected_policy_pack_id: string | null;
  source: SelectionSource;
}

export interface SelectionInput {
  /** `DPM_POLICY_PACKS_ENABLED`. */
  enabled: boolean;
  /** `X-Policy-Pack-Id`, as sent. */
  requestPackId?: string;
  /** `X-Tenant-Policy-Pack-Id`, as sent (only the read endpoints accept it, QUIRK Q-B7). */
  tenantPackHeader?: string;
  /** The tenant whose default is looked up in the tenant map; undefined: no look-up. */
  tenantId?: string;
  /** `DPM_TENANT_POLICY_PACK_RESOLUTION_ENABLED`. */
  tenantResolutionEnabled: boolean;
  /** `DPM_TENANT_POLICY_PACK_MAP_JSON`, parsed. */
  tenantMap: ReadonlyMap<string, string>;
  /** `DPM_DEFAULT_POLICY_PACK_ID`. */
  globalDefault?: string;
}

/** Trimmed id; blank counts as absent. */
export const cleanId = (id: string | undefined): string | undefined => {
  const trimmed = id?.trim();
  return trimmed ? trimmed : undefined;
};

/**
 * The tenant default: the caller's `X-Tenant-Policy-Pack-Id` when one was supplied — tested
 * before trimming, so a whitespace-only header suppresses the tenant map and then counts as
 * absent (QUIRK Q-B5, kept) — otherwise the tenant map entry of the tenant, when enabled.
 */
export function tenantDefault(input: SelectionInput): string | undefined {
  if (input.tenantPackHeader !== undefined) return cleanId(input.tenantPackHeader);
  if (!input.tenantResolutionEnabled) return undefined;
  const tenant = cleanId(input.tenantId);
  return tenant === undefined ? undefined : input.tenantMap.get(tenant);
}

/** Request id → tenant default → global default → none; everything off when disabled. */
export function resolveSelection(input: SelectionInput): PolicySelection {
  if (!input.enabled) return { enabled: false, selected_policy_pack_id: null, source: 'DISABLED' };
  const candidates: [string | undefined, SelectionSource][] = [
    [cleanId(input.requestPackId), 'REQUEST'],
    [tenantDefault(input), 'TENANT_DEFAULT'],
    [cleanId(input.globalDefault), 'GLOBAL_DEFAULT'],
  ];
  for (const [id, source] of candidates)
    if (id !== undefined) return { enabled: true, selected_policy_pack_id: id, source };
  return { enabled: true, selected_policy_pack_id: null, source: 'NONE' };
}
