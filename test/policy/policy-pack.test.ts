/**
 * The pack contract (spec 40 §14): validated with the engine options' own rules (QUIRK Q-B1
 * closed), unknown keys refused, the wire form, and how a pack changes EngineOptions (§17.1).
 */
import { describe, expect, it } from 'vitest';
import {
  engineOptionsFields,
  engineOptionsSchema,
  type EngineOptions,
} from '../../src/contracts/dpm-request.js';
import { validate } from '../../src/contracts/parse.js';
import {
  POLICY_DIMENSIONS,
  type PolicyPackDefinition,
  policyPackDefinitionSchema,
  policyPackToJson,
  policyPackUpsertSchema,
} from '../../src/contracts/policy-pack.js';
import { applyPolicyPack, packOverrides, replayEnabled } from '../../src/policy/apply.js';

const pack = (raw: Record<string, unknown>): PolicyPackDefinition => {
  const parsed = validate(policyPackDefinitionSchema, { policy_pack_id: 'p', version: '1', ...raw });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
};
const options = (raw: Record<string, unknown> = {}): EngineOptions => {
  const parsed = validate(engineOptionsSchema, raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
};
const errorsOf = (raw: Record<string, unknown>) => {
  const parsed = validate(policyPackUpsertSchema, { version: '1', ...raw }, ['body']);
  return parsed.ok ? [] : parsed.errors.map((e) => ({ type: e.type, loc: e.loc }));
};

describe('policy pack contract', () => {
  it('emits every dimension with all its fields, nulls included, decimals as given', () => {
    expect(
      policyPackToJson(
        pack({
          turnover_policy: { max_turnover_pct: '0.150' },
          constraint_policy: { group_constraints: { 'sector:TECH': { max_weight: '0.20' } } },
        }),
      ),
    ).toEqual({
      policy_pack_id: 'p',
      version: '1',
      turnover_policy: { max_turnover_pct: '0.150' },
      tax_policy: { enable_tax_awareness: null, max_realized_capital_gains: null },
      settlement_policy: { enable_settlement_awareness: null, settlement_horizon_days: null },
      constraint_policy: {
        single_position_max_weight: null,
        group_constraints: { 'sector:TECH': { max_weight: '0.20' } },
      },
      workflow_policy: {
        enable_workflow_gates: null,
        workflow_requires_client_consent: null,
        client_consent_already_obtained: null,
      },
      idempotency_policy: { replay_enabled: null },
    });
  });

  it('applies the engine options’ rules to every field, naming it (QUIRK Q-B1 closed)', () => {
    expect(errorsOf({ turnover_policy: { max_turnover_pct: '1.5' } })).toEqual([
      { type: 'value_error', loc: ['body', 'turnover_policy', 'max_turnover_pct'] },
    ]);
    expect(errorsOf({ tax_policy: { max_realized_capital_gains: '-1' } })).toEqual([
      { type: 'greater_than_equal', loc: ['body', 'tax_policy', 'max_realized_capital_gains'] },
    ]);
    expect(errorsOf({ tax_policy: { enable_tax_awareness: 'maybe' } })).toEqual([
      { type: 'bool_parsing', loc: ['body', 'tax_policy', 'enable_tax_awareness'] },
    ]);
    expect(errorsOf({ settlement_policy: { settlement_horizon_days: 11 } })).toEqual([
      { type: 'less_than_equal', loc: ['body', 'settlement_policy', 'settlement_horizon_days'] },
    ]);
    expect(errorsOf({ constraint_policy: { single_position_max_weight: '1.01' } })).toEqual([
      { type: 'less_than_equal', loc: ['body', 'constraint_policy', 'single_position_max_weight'] },
    ]);
    expect(errorsOf({ constraint_policy: { group_constraints: { TECH: { max_weight: '0.2' } } } })).toEqual([
      { type: 'value_error', loc: ['body', 'constraint_policy', 'group_constraints'] },
    ]);
    expect(
      errorsOf({ constraint_policy: { group_constraints: { 'sector:TECH': { max_weight: '2' } } } }),
    ).toEqual([
      {
        type: 'value_error',
        loc: ['body', 'constraint_policy', 'group_constraints', 'sector:TECH', 'max_weight'],
      },
    ]);
    expect(errorsOf({ idempotency_policy: { replay_enabled: 'sometimes' } })).toEqual([
      { type: 'bool_parsing', loc: ['body', 'idempotency_policy', 'replay_enabled'] },
    ]);
  });

  it('refuses unknown keys instead of ignoring them, and a missing or blank version', () => {
    expect(errorsOf({ turnover_policy: { max_turnover: '0.1' }, risk_policy: {} })).toEqual([
      { type: 'extra_forbidden', loc: ['body', 'turnover_policy', 'max_turnover'] },
      { type: 'extra_forbidden', loc: ['body', 'risk_policy'] },
    ]);
    const parsed = validate(policyPackUpsertSchema, {}, ['body']);
    expect(parsed.ok ? [] : parsed.errors).toEqual([
      { type: 'missing', loc: ['body', 'version'], msg: 'Field required', input: null },
    ]);
    expect(errorsOf({ version: '  ' })).toEqual([{ type: 'value_error', loc: ['body', 'version'] }]);
    expect(errorsOf({ version: 3 })).toEqual([{ type: 'string_type', loc: ['body', 'version'] }]);
  });

  it('accepts null dimensions as "no override"', () => {
    expect(errorsOf({ tax_policy: null, constraint_policy: { group_constraints: null } })).toEqual([]);
  });
});

describe('applying a pack to EngineOptions', () => {
  it('changes nothing for an empty pack or no pack', () => {
    const o = options({ max_turnover_pct: '0.5', group_constraints: { 'sector:A': { max_weight: '0.3' } } });
    expect(applyPolicyPack(o, pack({}))).toEqual(o);
    expect(applyPolicyPack(o, null)).toBe(o);
    expect(packOverrides(pack({}))).toEqual({});
  });

  it('writes every non-null field over the option of the same name and replaces the group map wholesale', () => {
    const o = options({
      max_turnover_pct: '0.5',
      group_constraints: { 'sector:A': { max_weight: '0.3' } },
      valuation_mode: 'TRUST_SNAPSHOT',
    });
    const p = pack({
      turnover_policy: { max_turnover_pct: '0.01' },
      tax_policy: { enable_tax_awareness: true, max_realized_capital_gains: '100' },
      settlement_policy: { enable_settlement_awareness: true, settlement_horizon_days: 3 },
      constraint_policy: {
        single_position_max_weight: '0.25',
        group_constraints: { 'sector:TECH': { max_weight: '0.20' } },
      },
      workflow_policy: {
        enable_workflow_gates: false,
        workflow_requires_client_consent: true,
        client_consent_already_obtained: true,
      },
    });
    const out = applyPolicyPack(o, p);
    const wire = JSON.parse(JSON.stringify(out));
    expect(wire).toEqual({
      ...JSON.parse(JSON.stringify(o)),
      max_turnover_pct: '0.01',
      enable_tax_awareness: true,
      max_realized_capital_gains: '100',
      enable_settlement_awareness: true,
      settlement_horizon_days: 3,
      single_position_max_weight: '0.25',
      group_constraints: { 'sector:TECH': { max_weight: '0.20' } },
      enable_workflow_gates: false,
      workflow_requires_client_consent: true,
      client_consent_already_obtained: true,
    });
    expect(out.valuation_mode).toBe('TRUST_SNAPSHOT');
  });

  it('overrides exactly the options POLICY_DIMENSIONS lists, false and zero included', () => {
    const fields = Object.values(POLICY_DIMENSIONS).flat();
    expect(new Set(fields).size).toBe(fields.length);
    for (const field of fields) expect(Object.keys(engineOptionsFields)).toContain(field);
    const p = pack({
      tax_policy: { enable_tax_awareness: false, max_realized_capital_gains: '0' },
      settlement_policy: { settlement_horizon_days: 0 },
    });
    expect(Object.keys(packOverrides(p)).sort()).toEqual([
      'enable_tax_awareness',
      'max_realized_capital_gains',
      'settlement_horizon_days',
    ]);
    expect(applyPolicyPack(options({ enable_tax_awareness: true }), p).enable_tax_awareness).toBe(false);
  });

  it('takes the replay switch from the pack when it sets one', () => {
    expect(replayEnabled(null, true)).toBe(true);
    expect(replayEnabled(pack({}), false)).toBe(false);
    expect(replayEnabled(pack({ idempotency_policy: { replay_enabled: false } }), true)).toBe(false);
    expect(replayEnabled(pack({ idempotency_policy: { replay_enabled: true } }), false)).toBe(true);
  });
});

describe('drift_band_policy (issue 15, docs/decisions/0051)', () => {
  it('is optional: a pack without it is stored and hashed exactly as before', () => {
    const p = pack({ turnover_policy: { max_turnover_pct: '0.1' } });
    expect('drift_band_policy' in p).toBe(false);
    expect(Object.keys(policyPackToJson(p))).not.toContain('drift_band_policy');
  });

  it('overrides the band options, validated with their own rules', () => {
    const p = pack({ drift_band_policy: { drift_band_abs: '0.02', drift_band_rebalance_to: 'BAND_EDGE' } });
    expect(policyPackToJson(p).drift_band_policy).toEqual({
      drift_band_abs: '0.02',
      drift_band_rel: null,
      drift_band_rebalance_to: 'BAND_EDGE',
    });
    const applied = applyPolicyPack(options({ drift_band_rel: '0.1' }), p);
    expect(String(applied.drift_band_abs)).toBe('0.02');
    expect(String(applied.drift_band_rel)).toBe('0.1');
    expect(applied.drift_band_rebalance_to).toBe('BAND_EDGE');
    expect(errorsOf({ drift_band_policy: { drift_band_abs: '2' } })).toEqual([
      { type: 'less_than_equal', loc: ['body', 'drift_band_policy', 'drift_band_abs'] },
    ]);
    expect(errorsOf({ drift_band_policy: { drift_band_rebalance_to: 'MIDDLE' } })[0]!.loc).toEqual([
      'body',
      'drift_band_policy',
      'drift_band_rebalance_to',
    ]);
    expect(errorsOf({ drift_band_policy: { unknown: 1 } }).length).toBe(1);
  });
});
