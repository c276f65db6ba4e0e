/**
 * DPM policy packs as a service (spec 40 Part B): configuration read on every request (§19),
 * selection for a request (§16), the catalog — the tenant's stored packs beside the read-only
 * `DPM_POLICY_PACK_CATALOG_JSON` seed, stored packs winning on the same id (§15) — and the
 * resolved pack that simulate, analyze and async submission apply (§17).
 */
import type { FastifyRequest } from 'fastify';
import { parse as parseLossless } from 'lossless-json';
import { canonicalJson } from '../../contracts/canonical.js';
import type { EngineOptions } from '../../contracts/dpm-request.js';
import { compareCodePoints } from '../../contracts/ordering.js';
import { validate } from '../../contracts/parse.js';
import {
  type AppliedPolicyPack,
  type PolicyPackDefinition,
  policyPackDefinitionSchema,
} from '../../contracts/policy-pack.js';
import { applyPolicyPack } from '../../policy/apply.js';
import {
  type EnvCatalog,
  parseEnvCatalog,
  parseTenantMap,
  type TenantMap,
} from '../../policy/env-catalog.js';
import { type CatalogEntry, type ResolvedPolicyPack, resolvedPack } from '../../policy/record.js';
import { cleanId, type PolicySelection, resolveSelection } from '../../policy/resolution.js';
import type { Database, Queryable } from '../../store/database.js';
import { getStoredPack, listStoredPacks, type StoredPolicyPack } from '../../store/policy-packs.js';
import { type Env, envFlag, envText } from '../config.js';
import { HttpError } from '../errors.js';
import { tenantOf } from '../tenancy.js';

export interface PolicyHeaders {
  'X-Policy-Pack-Id'?: string;
  'X-Tenant-Policy-Pack-Id'?: string;
  'X-Tenant-Id'?: string;
}

interface Log {
  warn: (obj: object, msg: string) => void;
}

const silent: Log = { warn: () => undefined };

/** Canonical JSON text of a definition: what the store keeps and compares. */
export const definitionText = (pack: PolicyPackDefinition) => canonicalJson(pack);

export class PolicyPackService {
  private envCatalogCache: { raw: string | undefined; catalog: EnvCatalog } | null = null;
  private tenantMapCache: { raw: string | undefined; map: TenantMap } | null = null;

  constructor(
    readonly db: Database,
    private readonly env: Env,
    private readonly log: Log = silent,
    /** With token auth the tenant is the token's; `X-Tenant-Id` may only repeat it. */
    private readonly tokenTenancy = false,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  now(): Date {
    return this.clock();
  }

  /** `DPM_POLICY_PACKS_ENABLED`: the master switch of resolution. */
  get enabled(): boolean {
    return envFlag(this.env, 'DPM_POLICY_PACKS_ENABLED', false);
  }

  /** `DPM_POLICY_PACK_ADMIN_APIS_ENABLED`: PUT and DELETE. */
  get adminEnabled(): boolean {
    return envFlag(this.env, 'DPM_POLICY_PACK_ADMIN_APIS_ENABLED', false);
  }

  get globalDefault(): string | undefined {
    return cleanId(this.env.DPM_DEFAULT_POLICY_PACK_ID);
  }

  /** The seed catalog, parsed again only when the variable's text changes; bad entries are logged once. */
  envCatalog(): EnvCatalog {
    const raw = this.env.DPM_POLICY_PACK_CATALOG_JSON;
    if (!this.envCatalogCache || this.envCatalogCache.raw !== raw) {
      const catalog = parseEnvCatalog(raw);
      for (const s of catalog.skipped)
        this.log.warn(
          { policy_pack_id: s.policy_pack_id, reason: s.reason },
          'DPM_POLICY_PACK_CATALOG_JSON: entry skipped',
        );
      this.envCatalogCache = { raw, catalog };
    }
    return this.envCatalogCache.catalog;
  }

  tenantMap(): ReadonlyMap<string, string> {
    const raw = this.env.DPM_TENANT_POLICY_PACK_MAP_JSON;
    if (!this.tenantMapCache || this.tenantMapCache.raw !== raw) {
      const map = parseTenantMap(raw);
      for (const s of map.skipped)
        this.log.warn(
          { entry: s.reason, value: s.policy_pack_id },
          'DPM_TENANT_POLICY_PACK_MAP_JSON: entry skipped',
        );
      this.tenantMapCache = { raw, map };
    }
    return this.tenantMapCache.map.map;
  }

  /**
   * The tenant whose map entry is the tenant default. Without token auth that is `X-Tenant-Id`
   * (no header, no look-up — spec 40 §16). With token auth it is the token's tenant, and an
   * `X-Tenant-Id` naming another tenant is refused rather than ignored (docs/decisions/0033).
   */
  private mapTenant(request: FastifyRequest, header: string | undefined): string | undefined {
    if (!this.tokenTenancy) return header;
    const claimed = cleanId(header);
    if (claimed !== undefined && claimed !== tenantOf(request))
      throw new HttpError(403, "TENANT_MISMATCH: X-Tenant-Id does not match the token's tenant");
    return tenantOf(request);
  }

  /** Selection for a request (spec 40 §16); the tenant-pack header only where it is accepted (QUIRK Q-B7). */
  selectionFor(
    request: FastifyRequest,
    headers: PolicyHeaders,
    options: { acceptTenantPackHeader?: boolean } = {},
  ): PolicySelection {
    return this.selection(this.mapTenant(request, headers['X-Tenant-Id']), headers['X-Policy-Pack-Id'], {
      tenantPackHeader: options.acceptTenantPackHeader ? headers['X-Tenant-Policy-Pack-Id'] : undefined,
    });
  }

  /** Selection from plain values: the tenant whose map entry counts (none: no look-up) and the requested id. */
  selection(
    mapTenant: string | undefined,
    requestPackId: string | undefined,
    extra: { tenantPackHeader?: string } = {},
  ): PolicySelection {
    const enabled = this.enabled;
    const tenantResolutionEnabled = envFlag(this.env, 'DPM_TENANT_POLICY_PACK_RESOLUTION_ENABLED', false);
    return resolveSelection({
      enabled,
      requestPackId,
      tenantPackHeader: extra.tenantPackHeader,
      tenantId: mapTenant,
      tenantResolutionEnabled,
      tenantMap: enabled && tenantResolutionEnabled ? this.tenantMap() : new Map(),
      globalDefault: envText(this.env, 'DPM_DEFAULT_POLICY_PACK_ID'),
    });
  }

  /** The selected pack and its definition; the catalog is read only when something is selected (QUIRK Q-B9). */
  async resolve(tenant: string, selection: PolicySelection): Promise<ResolvedPolicyPack> {
    const id = selection.selected_policy_pack_id;
    return resolvedPack(selection, id === null ? null : await this.lookup(this.db, tenant, id));
  }

  /** Resolution for a simulate / analyze / async submission request. */
  async forRequest(request: FastifyRequest, headers: PolicyHeaders): Promise<ResolvedPolicyPack> {
    return this.resolve(tenantOf(request), this.selectionFor(request, headers));
  }

  /**
   * For callers outside HTTP (saved scenarios): resolve with `packId` as the explicitly requested
   * pack — falling back to the tenant's map entry and the global default, all under the master
   * switch — and apply it to `options`. `applied` goes into the run's lineage.
   */
  async resolveAndApply(
    tenant: string,
    packId: string | null | undefined,
    options: EngineOptions,
  ): Promise<{ options: EngineOptions; applied: AppliedPolicyPack | null; resolved: ResolvedPolicyPack }> {
    const resolved = await this.resolve(tenant, this.selection(tenant, packId ?? undefined));
    return { options: applyPolicyPack(options, resolved.definition), applied: resolved.applied, resolved };
  }

  /** One pack of the tenant's catalog: stored first, then the seed. */
  async lookup(q: Queryable, tenant: string, id: string): Promise<CatalogEntry | null> {
    const stored = await getStoredPack(q, tenant, id);
    const definition = stored ? this.readStored(stored) : null;
    if (definition) return { definition, catalog_source: 'STORED' };
    const seeded = this.envCatalog().packs.get(id);
    return seeded ? { definition: seeded, catalog_source: 'ENV_JSON' } : null;
  }

  /** The tenant's whole catalog in code-point order of id. */
  async catalog(tenant: string): Promise<CatalogEntry[]> {
    const entries = new Map<string, CatalogEntry>();
    for (const [id, definition] of this.envCatalog().packs)
      entries.set(id, { definition, catalog_source: 'ENV_JSON' });
    for (const row of await listStoredPacks(this.db, tenant)) {
      const definition = this.readStored(row);
      if (definition) entries.set(row.policy_pack_id, { definition, catalog_source: 'STORED' });
    }
    return [...entries.entries()].sort(([a], [b]) => compareCodePoints(a, b)).map(([, entry]) => entry);
  }

  /** A stored row back to a definition; one that no longer validates (rules tightened since) is skipped, loudly. */
  readStored(
    row: Pick<StoredPolicyPack, 'policy_pack_id' | 'version' | 'definition_json'>,
  ): PolicyPackDefinition | null {
    const parsed = validate(policyPackDefinitionSchema, {
      ...(parseLossless(row.definition_json) as Record<string, unknown>),
      policy_pack_id: row.policy_pack_id,
      version: row.version,
    });
    if (parsed.ok) return parsed.value;
    this.log.warn(
      { policy_pack_id: row.policy_pack_id, version: row.version, errors: parsed.errors },
      'stored policy pack no longer validates; ignored',
    );
    return null;
  }
}
