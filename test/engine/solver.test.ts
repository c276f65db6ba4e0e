/**
 * SOLVER target method (spec 10 §8) and the dual-method comparison (§9), through the whole
 * pipeline: worked goldens and probes from the spec, every infeasibility hint, the unknown
 * attribute warning, the empty-T shortcut and the "no solver loaded" path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateRequestSchema } from '../../src/contracts/dpm-request.js';
import { validate } from '../../src/contracts/parse.js';
import { simulateRebalance } from '../../src/engine/pipeline.js';
import { solveProjection } from '../../src/engine/targets/highs-qp.js';
import { isSolverLoaded, loadSolver, unloadSolver } from '../../src/engine/targets/solver.js';
import type { RebalanceResult, TargetMethodComparison } from '../../src/engine/types.js';
import { readFixtureText } from '../support/fixtures.js';

beforeAll(async () => {
  await loadSolver();
});

interface Instrument {
  id: string;
  status?: string;
  attributes?: Record<string, string>;
  /** Units held (price 100 each); omitted = not held. */
  held?: string;
}

/** A USD portfolio worth 1000 (cash plus holdings), every instrument priced at 100. */
function request(
  model: Record<string, string> | [string, string][],
  instruments: Instrument[],
  options: Record<string, unknown>,
  total = 1000,
): unknown {
  const cash = String(total - instruments.reduce((s, i) => s + Number(i.held ?? 0) * 100, 0));
  const targets = (Array.isArray(model) ? model : Object.entries(model)).map(([instrument_id, weight]) => ({
    instrument_id,
    weight,
  }));
  return {
    portfolio_snapshot: {
      portfolio_id: 'pf_solver',
      base_currency: 'USD',
      positions: instruments.filter((i) => i.held).map((i) => ({ instrument_id: i.id, quantity: i.held })),
      cash_balances: [{ currency: 'USD', amount: cash }],
    },
    market_data_snapshot: {
      prices: instruments.map((i) => ({ instrument_id: i.id, price: '100', currency: 'USD' })),
      fx_rates: [],
    },
    model_portfolio: { targets },
    shelf_entries: instruments.map((i) => ({
      instrument_id: i.id,
      status: i.status ?? 'APPROVED',
      asset_class: 'EQUITY',
      attributes: i.attributes ?? {},
    })),
    options,
  };
}

function run(raw: unknown): RebalanceResult {
  const parsed = validate(simulateRequestSchema, raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return simulateRebalance(parsed.value);
}

/** final_weight text per trace row (last row wins). */
function finalWeights(result: RebalanceResult): Record<string, string> {
  return Object.fromEntries(result.target.targets.map((t) => [t.instrument_id, t.final_weight.toString()]));
}

function comparison(result: RebalanceResult): TargetMethodComparison {
  if (!('target_method_comparison' in result.explanation) || !result.explanation.target_method_comparison)
    throw new Error('no target_method_comparison in explanation');
  return result.explanation.target_method_comparison;
}

const SOLVER = { target_method: 'SOLVER' };

describe('SOLVER targets (spec 10 §8)', () => {
  it('loads HiGHS once', async () => {
    expect(isSolverLoaded()).toBe(true);
    await loadSolver(); // idempotent
    expect(isSolverLoaded()).toBe(true);
  });

  it('§8.6 probe: locked weight and cash_band_min bound the invested sum; the buffer is ignored', () => {
    const instruments: Instrument[] = [{ id: 'A' }, { id: 'B' }, { id: 'X', status: 'SUSPENDED', held: '1' }];
    const model = { A: '0.6', B: '0.5' };
    const options = { cash_band_min_weight: '0.05', min_cash_buffer_pct: '0.2' };
    const solver = run(request(model, instruments, { ...options, ...SOLVER }));
    expect(solver.status).toBe('READY');
    expect(finalWeights(solver)).toEqual({ A: '0.4750', B: '0.3750', X: '0.1' });
    expect(solver.target.targets.map((t) => t.tags)).toEqual([
      ['CAPPED_BY_MAX_WEIGHT'],
      ['CAPPED_BY_MAX_WEIGHT'],
      ['LOCKED_POSITION'],
    ]);
    expect(Number(solver.target.targets[0]!.final_value.amount.toString())).toBe(475);
    expect(solver.diagnostics.warnings).toEqual([]);

    // The heuristic on the same input scales to the buffer instead and asks for review.
    const heuristic = run(request(model, instruments, options));
    expect(heuristic.status).toBe('PENDING_REVIEW');
    const h = finalWeights(heuristic);
    expect(h.A!.startsWith('0.3818')).toBe(true);
    expect(h.B!.startsWith('0.3181')).toBe(true);
  });

  it('scenario_12_solver_conflict: TECH cap and the fixed invested sum bind → 0.3000 / 0.2000', () => {
    const fixture = JSON.parse(readFixtureText('golden/dpm', 'scenario_12_solver_conflict.json')) as {
      inputs: unknown;
    };
    const result = run(fixture.inputs);
    expect(result.status).toBe('READY');
    expect(finalWeights(result)).toEqual({ Tech_A: '0.3000', Bond_B: '0.2000' });
    expect(result.target.targets.map((t) => t.tags)).toEqual([
      ['CAPPED_BY_MAX_WEIGHT'],
      ['REDISTRIBUTED_RECIPIENT'],
    ]);
    expect(result.diagnostics.warnings).toEqual([]);
  });

  it('projects onto two overlapping group caps (both binding)', () => {
    const instruments: Instrument[] = [
      { id: 'A', attributes: { sector: 'TECH', region: 'US' } },
      { id: 'B', attributes: { sector: 'FI', region: 'US' } },
      { id: 'C', attributes: { sector: 'FI', region: 'EU' } },
    ];
    const result = run(
      request({ A: '0.5', B: '0.3', C: '0.2' }, instruments, {
        ...SOLVER,
        group_constraints: { 'region:US': { max_weight: '0.5' }, 'sector:TECH': { max_weight: '0.3' } },
      }),
    );
    // Exact projection: A = 0.3 (TECH), B = 0.2 (US total 0.5), C untouched; no redistribution.
    expect(result.status).toBe('READY');
    expect(finalWeights(result)).toEqual({ A: '0.3000', B: '0.2000', C: '0.2000' });
    expect(result.diagnostics.group_constraint_events).toEqual([]);
  });

  it('over-allocation is cut evenly and quantised half-even to 4 places (1/3 → 0.3333)', () => {
    const instruments: Instrument[] = [{ id: 'A' }, { id: 'B' }, { id: 'C' }];
    const result = run(request({ A: '0.5', B: '0.5', C: '0.5' }, instruments, SOLVER));
    expect(result.status).toBe('READY'); // Q-M17: cutting weights never asks for review
    expect(finalWeights(result)).toEqual({ A: '0.3333', B: '0.3333', C: '0.3333' });
  });

  it('solves a degenerate projection (equal targets, binding caps) to the exact answer', () => {
    const instruments: Instrument[] = [{ id: 'A' }, { id: 'B' }, { id: 'C' }, { id: 'D' }];
    const result = run(
      request({ A: '0.05', B: '0.05', C: '0.5', D: '0.5' }, instruments, {
        ...SOLVER,
        single_position_max_weight: '0.45',
        cash_band_min_weight: '0.05',
        cash_band_max_weight: '0.7',
      }),
    );
    expect(result.diagnostics.warnings).toEqual([]);
    expect(finalWeights(result)).toEqual({ A: '0.0250', B: '0.0250', C: '0.4500', D: '0.4500' });
  });

  it('solves a 120-instrument model with a binding group cap', () => {
    const instruments: Instrument[] = Array.from({ length: 120 }, (_, i) => ({
      id: `I${String(i).padStart(3, '0')}`,
      attributes: { sector: i < 60 ? 'TECH' : 'FI' },
    }));
    const model = Object.fromEntries(instruments.map((i) => [i.id, '0.01']));
    const result = run(
      request(
        model,
        instruments,
        { ...SOLVER, group_constraints: { 'sector:TECH': { max_weight: '0.4' } } },
        100000,
      ),
    );
    // TECH shares 0.4 evenly (0.00666…), FI keeps its model weight: Σ = 1.0 exactly.
    const weights = finalWeights(result);
    expect(instruments.slice(0, 60).every((i) => weights[i.id] === '0.0067')).toBe(true);
    expect(instruments.slice(60).every((i) => weights[i.id] === '0.0100')).toBe(true);
    expect(result.diagnostics.warnings).toEqual([]);
  });

  it('keeps a feasible model unchanged, printed with 4 places', () => {
    const fixture = JSON.parse(readFixtureText('golden/dpm', 'scenario_12_solver_ready_feasible.json')) as {
      inputs: unknown;
    };
    const result = run(fixture.inputs);
    expect(result.status).toBe('READY');
    expect(Object.values(finalWeights(result))).toEqual(['0.6000', '0.4000']);
  });

  it('uses the raw model weight: Step A only sets PENDING_REVIEW when sell-only weight has no recipient (Q-M16)', () => {
    const instruments: Instrument[] = [{ id: 'A' }, { id: 'S', status: 'SELL_ONLY' }];
    // Step A would move S's 0.3 to A; the solver's objective still targets A = 0.5.
    const withRecipient = run(request({ A: '0.5', S: '0.3' }, instruments, SOLVER));
    expect(finalWeights(withRecipient)).toEqual({ A: '0.5000', S: '0.0' });
    expect(withRecipient.status).toBe('READY');
  });

  describe('infeasible problems → INFEASIBLE_INFEASIBLE, the §8.5 hints, BLOCKED', () => {
    it('cash band contradiction', () => {
      const result = run(
        request({ A: '0.5', B: '0.5' }, [{ id: 'A' }, { id: 'B' }], {
          ...SOLVER,
          cash_band_min_weight: '0.6',
          cash_band_max_weight: '0.5',
        }),
      );
      expect(result.status).toBe('BLOCKED');
      expect(result.target.targets).toEqual([]);
      expect(result.intents).toEqual([]);
      expect(result.diagnostics.warnings).toEqual([
        'INFEASIBLE_INFEASIBLE',
        'INFEASIBILITY_HINT_CASH_BAND_CONTRADICTION',
      ]);
    });

    it('single-position capacity below the invested minimum', () => {
      const result = run(
        request({ A: '0.5', B: '0.5' }, [{ id: 'A' }, { id: 'B' }], {
          ...SOLVER,
          single_position_max_weight: '0.2',
          cash_band_max_weight: '0.5', // Σw ≥ 0.5 > 0.2 × 2
        }),
      );
      expect(result.status).toBe('BLOCKED');
      expect(result.target.targets).toEqual([]);
      expect(result.diagnostics.warnings).toEqual([
        'INFEASIBLE_INFEASIBLE',
        'INFEASIBILITY_HINT_SINGLE_POSITION_CAPACITY',
      ]);
    });

    it('scenario_12_solver_infeasible', () => {
      const fixture = JSON.parse(readFixtureText('golden/dpm', 'scenario_12_solver_infeasible.json')) as {
        inputs: unknown;
      };
      const result = run(fixture.inputs);
      expect(result.status).toBe('BLOCKED');
      expect(result.diagnostics.warnings).toEqual([
        'INFEASIBLE_INFEASIBLE',
        'INFEASIBILITY_HINT_SINGLE_POSITION_CAPACITY',
      ]);
    });

    it('locked group weight above the cap, with a buyable member', () => {
      const instruments: Instrument[] = [
        { id: 'A', attributes: { sector: 'TECH' } },
        { id: 'B', attributes: { sector: 'FI' } },
        { id: 'X', status: 'SUSPENDED', held: '3', attributes: { sector: 'TECH' } }, // locked 0.3
      ];
      const result = run(
        request({ A: '0.3', B: '0.4' }, instruments, {
          ...SOLVER,
          group_constraints: { 'sector:TECH': { max_weight: '0.2' } },
        }),
      );
      // Locked weight is a constant (0050): A's room is max(0, 0.2 − 0.3) = 0, B keeps 0.4.
      expect(result.status).toBe('PENDING_REVIEW');
      expect(result.diagnostics.warnings).toEqual(['LOCKED_GROUP_ABOVE_CAP_sector:TECH']);
      expect(finalWeights(result)).toEqual({ A: '0.0000', B: '0.4000', X: '0.3' });
      expect(result.rule_results.find((r) => r.rule_id === 'LOCKED_GROUP_ABOVE_CAP')).toMatchObject({
        severity: 'SOFT',
        status: 'FAIL',
      });
    });

    it('locked group weight above the cap, no buyable member: a violated constant condition (Q-M28)', () => {
      const instruments: Instrument[] = [
        { id: 'A', attributes: { sector: 'TECH' } },
        { id: 'X', status: 'SUSPENDED', held: '3', attributes: { sector: 'ENERGY' } }, // locked 0.3
      ];
      const blocked = run(
        request({ A: '0.5' }, instruments, {
          ...SOLVER,
          group_constraints: { 'sector:ENERGY': { max_weight: '0.2' } },
        }),
      );
      // No longer BLOCKED (0050): the constant breach is reported, A is solved as usual.
      expect(blocked.status).toBe('PENDING_REVIEW');
      expect(blocked.diagnostics.warnings).toEqual(['LOCKED_GROUP_ABOVE_CAP_sector:ENERGY']);
      expect(finalWeights(blocked)).toEqual({ A: '0.5000', X: '0.3' });
      expect(blocked.rule_results.find((r) => r.rule_id === 'LOCKED_GROUP_ABOVE_CAP')).toMatchObject({
        severity: 'SOFT',
        status: 'FAIL',
        reason_code: 'LOCKED_GROUP_ABOVE_CAP',
      });

      // Satisfied constant condition: no row, no effect.
      const ready = run(
        request({ A: '0.5' }, instruments, {
          ...SOLVER,
          group_constraints: { 'sector:ENERGY': { max_weight: '0.3' } },
        }),
      );
      expect(ready.status).toBe('READY');
      expect(finalWeights(ready)).toEqual({ A: '0.5000', X: '0.3' });
    });

    it('all hints together, groups in code-point key order, after the unknown-attribute warning', () => {
      const instruments: Instrument[] = [
        { id: 'A', attributes: { sector: 'TECH', region: 'US' } },
        { id: 'B', attributes: { sector: 'FI', region: 'US' } },
        { id: 'X', status: 'SUSPENDED', held: '3', attributes: { sector: 'TECH', region: 'EU' } },
      ];
      const result = run(
        request({ A: '0.3', B: '0.4' }, instruments, {
          ...SOLVER,
          cash_band_min_weight: '0.3',
          cash_band_max_weight: '0.2', // invested ∈ [0.5, 0.4]: contradiction
          single_position_max_weight: '0.1', // 0.1 × 2 < 0.5
          group_constraints: {
            'sector:TECH': { max_weight: '0.1' },
            'esg:HIGH': { max_weight: '0.5' },
            'region:EU': { max_weight: '0.25' },
          },
        }),
      );
      expect(result.status).toBe('BLOCKED');
      expect(result.diagnostics.warnings).toEqual([
        'UNKNOWN_CONSTRAINT_ATTRIBUTE_esg',
        'INFEASIBLE_INFEASIBLE',
        'INFEASIBILITY_HINT_CASH_BAND_CONTRADICTION',
        'INFEASIBILITY_HINT_SINGLE_POSITION_CAPACITY',
        'INFEASIBILITY_HINT_LOCKED_GROUP_WEIGHT_region:EU',
        'INFEASIBILITY_HINT_LOCKED_GROUP_WEIGHT_sector:TECH',
      ]);
    });
  });

  it('warns about an unknown constraint attribute and still solves', () => {
    const instruments: Instrument[] = [
      { id: 'A', attributes: { sector: 'TECH' } },
      { id: 'B', attributes: { sector: 'FI' } },
    ];
    const result = run(
      request({ A: '0.7', B: '0.3' }, instruments, {
        ...SOLVER,
        group_constraints: { 'sector:TECH': { max_weight: '0.5' }, 'esg:HIGH': { max_weight: '0.1' } },
      }),
    );
    expect(result.status).toBe('READY');
    expect(result.diagnostics.warnings).toEqual(['UNKNOWN_CONSTRAINT_ATTRIBUTE_esg']);
    expect(finalWeights(result)).toEqual({ A: '0.5000', B: '0.3000' });
  });

  describe('no buyable instrument (empty T): no constraint is evaluated, nothing is solved', () => {
    it('keeps E as it is, even with contradictory cash bands', () => {
      const instruments: Instrument[] = [
        { id: 'A', status: 'SUSPENDED' }, // unheld model target: excluded
        { id: 'X', status: 'SUSPENDED', held: '2', attributes: { sector: 'TECH' } }, // locked 0.2
      ];
      const result = run(
        request({ A: '0.5' }, instruments, {
          ...SOLVER,
          cash_band_min_weight: '0.3',
          cash_band_max_weight: '0.1',
          group_constraints: { 'sector:TECH': { max_weight: '0.1' }, 'esg:HIGH': { max_weight: '0.1' } },
        }),
      );
      const warnings = result.diagnostics.warnings;
      expect(warnings.filter((w) => /^(INFEASIB|SOLVER_ERROR|UNKNOWN_CONSTRAINT)/.test(w))).toEqual([]);
      expect(finalWeights(result)).toEqual({ A: '0.0', X: '0.2' });
      expect(result.target.targets.map((t) => t.tags)).toEqual([
        ['CAPPED_BY_MAX_WEIGHT'],
        ['LOCKED_POSITION'],
      ]);
    });

    it('returns Step A’s PENDING_REVIEW when sell-only weight has no recipient', () => {
      const result = run(request({ S: '1.0' }, [{ id: 'S', status: 'SELL_ONLY' }], SOLVER));
      expect(result.status).toBe('PENDING_REVIEW');
      expect(finalWeights(result)).toEqual({ S: '0.0' });
      expect(result.diagnostics.warnings).toEqual([]);
    });
  });

  describe('without a loaded solver', () => {
    afterAll(async () => {
      await loadSolver();
    });

    it('blocks with SOLVER_ERROR (§8.1 step 1)', () => {
      unloadSolver();
      expect(isSolverLoaded()).toBe(false);
      const result = run(request({ A: '1.0' }, [{ id: 'A' }], SOLVER));
      expect(result.status).toBe('BLOCKED');
      expect(result.target.targets).toEqual([]);
      expect(result.diagnostics.warnings).toEqual(['SOLVER_ERROR']);
    });
  });
});

describe('HiGHS projection back-end', () => {
  const close = (actual: number[], expected: number[]) =>
    actual.forEach((x, i) => expect(Math.abs(x - expected[i]!)).toBeLessThan(1e-9));

  it('certifies the answer and falls back to another presentation on a degenerate problem', () => {
    // Equal targets with the caps binding: HiGHS's active-set solver fails on the first
    // presentation (SLACK) of this problem; the RESIDUAL formulation solves it.
    const outcome = solveProjection({
      target: [0.05, 0.05, 0.5, 0.5],
      investedMin: 0.3,
      investedMax: 0.95,
      upper: 0.45,
      groups: [],
    });
    if (outcome.kind !== 'OPTIMAL') throw new Error(JSON.stringify(outcome));
    close(outcome.weights, [0.025, 0.025, 0.45, 0.45]);
    expect(outcome.via).not.toBe('SLACK');
  });

  it('is exact to ~1e-10 where the answer needs many active-set steps', () => {
    // Σ ≤ 1.1 and one cap binding: w = clip(m − 0.19, 0, 0.45).
    const outcome = solveProjection({
      target: [0.3, 0.65, 0.3, 0.55, 0.2, 0.25],
      investedMin: 0.5,
      investedMax: 1.1,
      upper: 0.45,
      groups: [],
    });
    if (outcome.kind !== 'OPTIMAL') throw new Error(JSON.stringify(outcome));
    close(outcome.weights, [0.11, 0.45, 0.11, 0.36, 0.01, 0.06]);
  });

  it('solves group rows with the same multipliers as the cash band', () => {
    // §7.2 two-key probe, solver style: TECH (x0) ≤ 0.3 and US (x0, x1) ≤ 0.5 both bind.
    const outcome = solveProjection({
      target: [0.5, 0.3, 0.2],
      investedMin: 0,
      investedMax: 1,
      upper: null,
      groups: [
        { members: [0, 1], max: 0.5 },
        { members: [0], max: 0.3 },
      ],
    });
    if (outcome.kind !== 'OPTIMAL') throw new Error(JSON.stringify(outcome));
    close(outcome.weights, [0.3, 0.2, 0.2]);
  });

  it('reports an empty feasible set as INFEASIBLE', () => {
    expect(
      solveProjection({ target: [0.5, 0.5], investedMin: 0.6, investedMax: 1, upper: 0.25, groups: [] }),
    ).toEqual({ kind: 'INFEASIBLE' });
    expect(
      solveProjection({
        target: [0.5],
        investedMin: 0,
        investedMax: 1,
        upper: null,
        groups: [{ members: [0], max: -0.1 }],
      }),
    ).toEqual({ kind: 'INFEASIBLE' });
  });
});

describe('dual-method comparison (spec 10 §9)', () => {
  it('HEURISTIC primary, SOLVER alternate: 0.6/0.3/0.1 with single max 0.4', () => {
    const instruments: Instrument[] = [{ id: 'A' }, { id: 'B' }, { id: 'C' }];
    const result = run(
      request({ A: '0.6', B: '0.3', C: '0.1' }, instruments, {
        single_position_max_weight: '0.4',
        compare_target_methods: true,
      }),
    );
    expect(result.status).toBe('PENDING_REVIEW');
    const primary = finalWeights(result);
    expect([primary.A, primary.B, primary.C].map(Number)).toEqual([0.4, 0.4, 0.125]);
    expect(comparison(result)).toEqual({
      primary_method: 'HEURISTIC',
      primary_status: 'PENDING_REVIEW',
      alternate_method: 'SOLVER',
      alternate_status: 'READY',
      tolerance: '0.0001',
      differing_instruments: ['B', 'C'],
      alternate_warnings: [],
    });
    expect(result.diagnostics.warnings).toEqual(
      expect.arrayContaining(['TARGET_METHOD_STATUS_DIVERGENCE', 'TARGET_METHOD_WEIGHT_DIVERGENCE']),
    );
  });

  it('SOLVER primary on scenario_12_solver_conflict: the heuristic alternate blocks, the run stays READY', () => {
    const { inputs } = JSON.parse(readFixtureText('golden/dpm', 'scenario_12_solver_conflict.json')) as {
      inputs: { options: Record<string, unknown> };
    };
    inputs.options.compare_target_methods = true;
    const result = run(inputs);
    expect(result.status).toBe('READY');
    expect(finalWeights(result)).toEqual({ Tech_A: '0.3000', Bond_B: '0.2000' });
    expect(comparison(result)).toEqual({
      primary_method: 'SOLVER',
      primary_status: 'READY',
      alternate_method: 'HEURISTIC',
      alternate_status: 'BLOCKED',
      tolerance: '0.0001',
      differing_instruments: ['Bond_B', 'Tech_A'],
      alternate_warnings: ['CAPPED_BY_GROUP_LIMIT_sector:TECH', 'NO_ELIGIBLE_REDISTRIBUTION_DESTINATION'],
    });
    expect(result.diagnostics.warnings).toEqual([
      'TARGET_METHOD_STATUS_DIVERGENCE',
      'TARGET_METHOD_WEIGHT_DIVERGENCE',
    ]);
    // The alternate's events never reach the run's diagnostics.
    expect(result.diagnostics.group_constraint_events).toEqual([]);
  });
});
