import { describe, expect, it } from 'vitest';
import { analyzeRequestSchema } from '../../src/contracts/dpm-analyze.js';
import { parseJsonText, validate } from '../../src/contracts/parse.js';
import { analyzeBatch } from '../../src/engine/batch.js';
import { batchToWire } from '../../src/engine/wire.js';
import { readFixture, readFixtureText } from '../support/fixtures.js';

function batchInputs(file: string): Record<string, unknown> {
  const raw = parseJsonText(readFixtureText('golden/dpm', file));
  if (!raw.ok) throw new Error('bad fixture');
  return (raw.value as { batch_inputs: Record<string, unknown> }).batch_inputs;
}

function analyze(body: unknown, context = {}) {
  const parsed = validate(analyzeRequestSchema, body);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return batchToWire(analyzeBatch(parsed.value, context)) as Record<string, any>;
}

describe('batch what-if (spec 11 §13)', () => {
  it('scenario_13_what_if_analysis: one success, one INVALID_OPTIONS failure, PARTIAL_BATCH_FAILURE', () => {
    const expected = readFixture<{ expected_output: { status: string } }>(
      'golden/dpm',
      'scenario_13_what_if_analysis.json',
    );
    const out = analyze(batchInputs('scenario_13_what_if_analysis.json'));
    expect(Object.keys(out.results)).toEqual(['ignore_checks']);
    expect(out.results.ignore_checks.status).toBe(expected.expected_output.status);
    expect(out.failed_scenarios).toEqual({
      invalid_case:
        "INVALID_OPTIONS: Value error, group_constraints keys must use format '<attribute_key>:<attribute_value>'",
    });
    expect(out.warnings).toEqual(['PARTIAL_BATCH_FAILURE']);
    const security = out.results.ignore_checks.intents.filter((i: any) => i.intent_type === 'SECURITY_TRADE');
    const total = security.reduce((s: number, i: any) => s + Number(i.notional_base.amount), 0);
    expect(out.comparison_metrics.ignore_checks).toEqual({
      status: expected.expected_output.status,
      security_intent_count: security.length,
      gross_turnover_notional_base: { amount: expect.any(String), currency: 'USD' },
    });
    expect(Number(out.comparison_metrics.ignore_checks.gross_turnover_notional_base.amount)).toBe(total);
    expect(security.length).toBeGreaterThan(0);
    expect(out.base_snapshot_ids).toEqual({ portfolio_snapshot_id: 'pf_13', market_data_snapshot_id: 'md' });
  });

  it('scenario_13_zero_turnover_batch: no trades gives count 0 and turnover 0', () => {
    const out = analyze(batchInputs('scenario_13_zero_turnover_batch.json'));
    expect(out.comparison_metrics.steady).toEqual({
      status: 'READY',
      security_intent_count: 0,
      gross_turnover_notional_base: { amount: '0', currency: 'USD' },
    });
    expect(out.warnings).toEqual([]);
    expect(out.failed_scenarios).toEqual({});
  });

  const base = () => batchInputs('scenario_13_zero_turnover_batch.json');

  it('runs scenarios in code-point order with per-scenario ids and correlation ids', () => {
    const body = {
      ...base(),
      scenarios: { zeta: { options: {} }, alpha: { options: {} }, 'b-2': { options: {} } },
    };
    const out = analyze(body, { batchRunId: 'batch_x', correlationId: 'corr-1' });
    expect(Object.keys(out.results)).toEqual(['alpha', 'b-2', 'zeta']);
    expect(out.results.alpha.correlation_id).toBe('corr-1:alpha');
    expect(out.results.alpha.lineage.request_hash).toBe('batch_x:alpha');
    expect(out.results.alpha.rebalance_run_id).not.toBe(out.results.zeta.rebalance_run_id);
    const noHeader = analyze(body, { batchRunId: 'batch_x' });
    expect(noHeader.results.zeta.correlation_id).toBe('batch_x:zeta');
  });

  it('reports the first validation message of a bad scenario and keeps going', () => {
    const body = {
      ...base(),
      scenarios: {
        a: { options: { settlement_horizon_days: 11 } },
        b: { options: { max_turnover_pct: '1.5' } },
        c: { options: {} },
      },
    };
    const out = analyze(body);
    expect(out.failed_scenarios).toEqual({
      a: 'INVALID_OPTIONS: Input should be less than or equal to 10',
      b: 'INVALID_OPTIONS: Value error, max_turnover_pct must be between 0 and 1 inclusive',
    });
    expect(Object.keys(out.results)).toEqual(['c']);
  });

  it('turns a runtime failure into SCENARIO_EXECUTION_ERROR with the error type', () => {
    const parsed = validate(analyzeRequestSchema, {
      ...base(),
      scenarios: { boom: { options: {} }, fine: { options: {} } },
    });
    if (!parsed.ok) throw new Error('invalid');
    const out = analyzeBatch(parsed.value, {
      effectiveOptions: (o) => {
        if (o.fx_buffer_pct) throw new RangeError('policy failure');
        return o;
      },
    });
    expect(out.failed_scenarios).toEqual({
      boom: 'SCENARIO_EXECUTION_ERROR: RangeError',
      fine: 'SCENARIO_EXECUTION_ERROR: RangeError',
    });
    expect(out.warnings).toEqual(['PARTIAL_BATCH_FAILURE']);
  });

  it.each([
    ['no scenarios', {}],
    ['21 scenarios', Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`s${i}`, { options: {} }]))],
    ['an upper-case name', { Baseline: { options: {} } }],
    ['a name longer than 64', { ['x'.repeat(65)]: { options: {} } }],
  ])('rejects a request with %s', (_label, scenarios) => {
    const parsed = validate(analyzeRequestSchema, { ...base(), scenarios });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors[0]!.loc[0]).toBe('scenarios');
  });

  it('accepts exactly 20 scenarios', () => {
    const scenarios = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`s${String(i).padStart(2, '0')}`, { options: {} }]),
    );
    expect(Object.keys(analyze({ ...base(), scenarios }).results)).toHaveLength(20);
  });
});
