/**
 * The read-only seed catalog `DPM_POLICY_PACK_CATALOG_JSON` and the tenant map
 * `DPM_TENANT_POLICY_PACK_MAP_JSON` (spec 40 §15.1, §16). Parsing is forgiving — it never fails —
 * but unlike the reference nothing is skipped silently: every skipped entry comes back with the
 * reason, for the caller to log (docs/decisions/0030). Entries are validated with the same schema
 * as admin writes (QUIRK Q-B1 closed).
 */
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { validate } from '../contracts/parse.js';
import {
  DIMENSION_NAMES,
  type PolicyPackDefinition,
  policyPackDefinitionSchema,
} from '../contracts/policy-pack.js';

export interface SkippedEntry {
  /** The entry's key, or null when the whole variable was unusable. */
  policy_pack_id: string | null;
  reason: string;
}

export interface EnvCatalog {
  packs: ReadonlyMap<string, PolicyPackDefinition>;
  skipped: SkippedEntry[];
}

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

function parseRoot(raw: string | undefined, name: string): { root: JsonObject | null; problem?: string } {
  if (raw === undefined || raw.trim() === '') return { root: null };
  let root: unknown;
  try {
    root = parseLossless(raw);
  } catch (error) {
    return { root: null, problem: `${name} is not valid JSON: ${(error as Error).message}` };
  }
  return isObject(root) ? { root } : { root: null, problem: `${name} must be a JSON object` };
}

/** The version as text: strings as given, JSON numbers as written, absent or null ⇒ "1". */
function versionText(value: unknown): unknown {
  if (value === undefined || value === null) return '1';
  if (isLosslessNumber(value)) return value.value;
  return value;
}

export function parseEnvCatalog(raw: string | undefined): EnvCatalog {
  const packs = new Map<string, PolicyPackDefinition>();
  const skipped: SkippedEntry[] = [];
  const { root, problem } = parseRoot(raw, 'DPM_POLICY_PACK_CATALOG_JSON');
  if (problem) skipped.push({ policy_pack_id: null, reason: problem });
  for (const [rawKey, value] of Object.entries(root ?? {})) {
    const id = rawKey.trim();
    if (id === '') {
      skipped.push({ policy_pack_id: rawKey, reason: 'blank policy pack id' });
      continue;
    }
    if (!isObject(value)) {
      skipped.push({ policy_pack_id: id, reason: 'the definition must be a JSON object' });
      continue;
    }
    // The key is the id (an id inside the value is ignored, as the row id wins in the reference).
    const { policy_pack_id: _ignored, ...definition } = value;
    const candidate: JsonObject = { ...definition, policy_pack_id: id, version: versionText(value.version) };
    for (const dimension of [...DIMENSION_NAMES, 'idempotency_policy'])
      if (candidate[dimension] === null) delete candidate[dimension];
    const parsed = validate(policyPackDefinitionSchema, candidate);
    if (!parsed.ok) {
      const first = parsed.errors[0]!;
      skipped.push({ policy_pack_id: id, reason: `${first.loc.join('.')}: ${first.msg}` });
      continue;
    }
    packs.set(id, parsed.value);
  }
  return { packs, skipped };
}

export interface TenantMap {
  map: ReadonlyMap<string, string>;
  skipped: SkippedEntry[];
}

/** `tenant_id → policy_pack_id`; keys and values trimmed, blank or non-string entries skipped. */
export function parseTenantMap(raw: string | undefined): TenantMap {
  const map = new Map<string, string>();
  const skipped: SkippedEntry[] = [];
  const { root, problem } = parseRoot(raw, 'DPM_TENANT_POLICY_PACK_MAP_JSON');
  if (problem) skipped.push({ policy_pack_id: null, reason: problem });
  for (const [rawTenant, value] of Object.entries(root ?? {})) {
    const tenant = rawTenant.trim();
    const id = typeof value === 'string' ? value.trim() : '';
    if (tenant === '' || id === '')
      skipped.push({
        policy_pack_id: typeof value === 'string' ? value : null,
        reason: `tenant '${rawTenant}'`,
      });
    else map.set(tenant, id);
  }
  return { map, skipped };
}
