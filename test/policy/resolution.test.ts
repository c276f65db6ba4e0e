/** Policy-pack selection (spec 40 §16) and the seed catalog and tenant map parsing (§15.1). */
import { describe, expect, it } from 'vitest';
import { parseEnvCatalog, parseTenantMap } from '../../src/policy/env-catalog.js';
import { resolveSelection, type SelectionInput } from '../../src/policy/resolution.js';

const base: SelectionInput = {
  enabled: true,
  tenantResolutionEnabled: false,
  tenantMap: new Map(),
};

describe('policy pack selection', () => {
  it('is DISABLED whatever the headers say when the switch is off', () => {
    expect(
      resolveSelection({
        ...base,
        enabled: false,
        requestPackId: 'req',
        tenantPackHeader: 'tenant',
        tenantId: 't1',
        tenantResolutionEnabled: true,
        tenantMap: new Map([['t1', 'mapped']]),
        globalDefault: 'global',
      }),
    ).toEqual({ enabled: false, selected_policy_pack_id: null, source: 'DISABLED' });
  });

  it('takes the request id, then the tenant default, then the global default, then none', () => {
    const all = { ...base, requestPackId: 'req', tenantPackHeader: 'tenant', globalDefault: 'global' };
    expect(resolveSelection(all)).toEqual({
      enabled: true,
      selected_policy_pack_id: 'req',
      source: 'REQUEST',
    });
    expect(resolveSelection({ ...all, requestPackId: undefined })).toEqual({
      enabled: true,
      selected_policy_pack_id: 'tenant',
      source: 'TENANT_DEFAULT',
    });
    expect(resolveSelection({ ...all, requestPackId: undefined, tenantPackHeader: undefined })).toEqual({
      enabled: true,
      selected_policy_pack_id: 'global',
      source: 'GLOBAL_DEFAULT',
    });
    expect(resolveSelection(base)).toEqual({ enabled: true, selected_policy_pack_id: null, source: 'NONE' });
  });

  it('trims every id and treats a blank one as absent', () => {
    expect(
      resolveSelection({ ...base, requestPackId: '  req  ', globalDefault: 'g' }).selected_policy_pack_id,
    ).toBe('req');
    expect(resolveSelection({ ...base, requestPackId: '   ', globalDefault: ' g ' })).toEqual({
      enabled: true,
      selected_policy_pack_id: 'g',
      source: 'GLOBAL_DEFAULT',
    });
    expect(resolveSelection({ ...base, requestPackId: '', globalDefault: '  ' }).source).toBe('NONE');
  });

  it('looks the tenant up in the map only when tenant resolution is enabled', () => {
    const map = new Map([['tenant_001', 'mapped']]);
    const input = { ...base, tenantId: ' tenant_001 ', tenantMap: map, globalDefault: 'g' };
    expect(resolveSelection(input).selected_policy_pack_id).toBe('g');
    expect(resolveSelection({ ...input, tenantResolutionEnabled: true })).toEqual({
      enabled: true,
      selected_policy_pack_id: 'mapped',
      source: 'TENANT_DEFAULT',
    });
    expect(resolveSelection({ ...input, tenantResolutionEnabled: true, tenantId: 'other' }).source).toBe(
      'GLOBAL_DEFAULT',
    );
    expect(resolveSelection({ ...input, tenantResolutionEnabled: true, tenantId: undefined }).source).toBe(
      'GLOBAL_DEFAULT',
    );
  });

  it('lets the tenant-pack header beat the tenant map', () => {
    const input = {
      ...base,
      tenantResolutionEnabled: true,
      tenantId: 'tenant_001',
      tenantMap: new Map([['tenant_001', 'mapped']]),
    };
    expect(resolveSelection({ ...input, tenantPackHeader: 'from_header' }).selected_policy_pack_id).toBe(
      'from_header',
    );
  });

  it('QUIRK Q-B5: a whitespace-only tenant-pack header suppresses the map and counts as absent', () => {
    const input = {
      ...base,
      tenantResolutionEnabled: true,
      tenantId: 'tenant_001',
      tenantMap: new Map([['tenant_001', 'mapped']]),
      globalDefault: 'global',
      tenantPackHeader: '   ',
    };
    expect(resolveSelection(input)).toEqual({
      enabled: true,
      selected_policy_pack_id: 'global',
      source: 'GLOBAL_DEFAULT',
    });
  });
});

describe('DPM_POLICY_PACK_CATALOG_JSON', () => {
  it('is empty, with the reason, when unset, blank, invalid or not an object', () => {
    expect(parseEnvCatalog(undefined)).toEqual({ packs: new Map(), skipped: [] });
    expect(parseEnvCatalog('  ')).toEqual({ packs: new Map(), skipped: [] });
    const invalid = parseEnvCatalog('{nope');
    expect(invalid.packs.size).toBe(0);
    expect(invalid.skipped[0]!.reason).toMatch(/^DPM_POLICY_PACK_CATALOG_JSON is not valid JSON/);
    expect(parseEnvCatalog('[1]').skipped).toEqual([
      { policy_pack_id: null, reason: 'DPM_POLICY_PACK_CATALOG_JSON must be a JSON object' },
    ]);
  });

  it('trims keys, defaults the version to "1", keeps number versions as written and nulls dimensions', () => {
    const { packs, skipped } = parseEnvCatalog(
      JSON.stringify({
        ' a ': { turnover_policy: { max_turnover_pct: '0.15' }, tax_policy: null },
        b: { version: 7 },
        c: { version: 'v3', policy_pack_id: 'ignored' },
      }).replace('"version":7', '"version":2.0'),
    );
    expect(skipped).toEqual([]);
    expect([...packs.keys()]).toEqual(['a', 'b', 'c']);
    expect(packs.get('a')!.version).toBe('1');
    expect(packs.get('a')!.turnover_policy.max_turnover_pct!.toString()).toBe('0.15');
    expect(packs.get('a')!.tax_policy).toEqual({
      enable_tax_awareness: null,
      max_realized_capital_gains: null,
    });
    expect(packs.get('b')!.version).toBe('2.0');
    expect(packs.get('c')!.policy_pack_id).toBe('c');
  });

  it('skips bad entries with a reason naming the field (QUIRK Q-B1: the engine-option rules apply)', () => {
    const { packs, skipped } = parseEnvCatalog(
      JSON.stringify({
        good: { version: '1' },
        '  ': { version: '1' },
        scalar: 'nope',
        bad_decimal: { turnover_policy: { max_turnover_pct: 'bad' } },
        over_one: { turnover_policy: { max_turnover_pct: '1.5' } },
        horizon: { settlement_policy: { settlement_horizon_days: 11 } },
        group_key: { constraint_policy: { group_constraints: { TECH: { max_weight: '0.2' } } } },
        typo: { tax_policy: { enable_tax_awarenes: true } },
      }),
    );
    expect([...packs.keys()]).toEqual(['good']);
    expect(skipped).toEqual([
      { policy_pack_id: '  ', reason: 'blank policy pack id' },
      { policy_pack_id: 'scalar', reason: 'the definition must be a JSON object' },
      {
        policy_pack_id: 'bad_decimal',
        reason: 'turnover_policy.max_turnover_pct: Input should be a valid decimal',
      },
      {
        policy_pack_id: 'over_one',
        reason:
          'turnover_policy.max_turnover_pct: Value error, max_turnover_pct must be between 0 and 1 inclusive',
      },
      {
        policy_pack_id: 'horizon',
        reason: 'settlement_policy.settlement_horizon_days: Input should be less than or equal to 10',
      },
      {
        policy_pack_id: 'group_key',
        reason:
          "constraint_policy.group_constraints: Value error, group_constraints keys must use format '<attribute_key>:<attribute_value>'",
      },
      { policy_pack_id: 'typo', reason: 'tax_policy.enable_tax_awarenes: Extra inputs are not permitted' },
    ]);
  });
});

describe('DPM_TENANT_POLICY_PACK_MAP_JSON', () => {
  it('trims keys and values and skips blank or non-string entries', () => {
    const { map, skipped } = parseTenantMap(
      JSON.stringify({ ' t1 ': ' p1 ', t2: '  ', '': 'p3', t4: 4, t5: 'p5' }),
    );
    expect([...map.entries()]).toEqual([
      ['t1', 'p1'],
      ['t5', 'p5'],
    ]);
    expect(skipped).toHaveLength(3);
    expect(parseTenantMap('not json').map.size).toBe(0);
    expect(parseTenantMap('"x"').map.size).toBe(0);
  });
});
