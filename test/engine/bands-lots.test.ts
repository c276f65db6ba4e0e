/**
 * Issue 15: tolerance bands (docs/decisions/0051), board lots and quantity increments (0052),
 * locked holdings that never block on their own (0050), and the FX `1.0 + buffer` parity detail
 * (0053). Hand-worked numbers first, then properties over generated portfolios.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { abs, dec, type Dec, gt, isNegative, lte, sub } from '../../src/contracts/decimal.js';
import { isWholeMultiple, simulateRequestSchema } from '../../src/contracts/dpm-request.js';
import { validate } from '../../src/contracts/parse.js';
import { bandWidth } from '../../src/engine/bands.js';
import { simulateRebalance } from '../../src/engine/pipeline.js';
import { loadSolver } from '../../src/engine/targets/solver.js';
import type { RebalanceResult, SecurityTradeIntent } from '../../src/engine/types.js';
import { generateRequest } from '../../src/tools/generate-request.js';
import { approved, body, drifted as driftedPortfolio, runWire } from '../support/request.js';

beforeAll(async () => {
  await loadSolver();
});

/** The drifted portfolio with model A 0.5, B 0.4. */
const drifted = (options: Record<string, unknown>) => driftedPortfolio('0.4', options);

const trades = (r: any) =>
  r.intents
    .filter((i: any) => i.intent_type === 'SECURITY_TRADE')
    .map((i: any) => `${i.side} ${i.instrument_id} ${i.quantity}`);

describe('tolerance bands (0051)', () => {
  it('without bands every result still carries the drift summary; trading is unchanged', () => {
    const r = runWire(drifted({}));
    // A: 0.45 − 0.5 = −0.05, B: +0.05; no band → both outside.
    expect(r.diagnostics.drift_summary).toEqual({
      max_abs_drift: '0.05',
      positions_outside_band: 2,
      within_tolerance: false,
    });
    expect(trades(r)).toEqual(['SELL B 5', 'BUY A 5']);
  });

  it('all positions and cash inside their bands: no intents, READY', () => {
    const r = runWire(drifted({ drift_band_abs: '0.06' }));
    expect(r.intents).toEqual([]);
    expect(r.status).toBe('READY');
    expect(r.diagnostics.drift_summary).toEqual({
      max_abs_drift: '0.05',
      positions_outside_band: 0,
      within_tolerance: true,
    });
    expect(r.reconciliation.status).toBe('OK');
    expect(r.after_simulated).toEqual(r.before);
  });

  it('outside the band: back to TARGET by default, or to the band edge', () => {
    expect(trades(runWire(drifted({ drift_band_abs: '0.04' })))).toEqual(['SELL B 5', 'BUY A 5']);
    // BAND_EDGE 0.02: A to 0.5 − 0.02 = 0.48 → 4800 → buy 3; B to 0.4 + 0.02 = 0.42 → 4200 → sell 3.
    const edge = runWire(drifted({ drift_band_abs: '0.02', drift_band_rebalance_to: 'BAND_EDGE' }));
    expect(trades(edge)).toEqual(['SELL B 3', 'BUY A 3']);
    expect(edge.diagnostics.drift_summary.positions_outside_band).toBe(2);
  });

  it('a relative band is a fraction of the target; with both set the larger applies', () => {
    // rel 0.1: A's band 0.05 (|−0.05| inside), B's 0.04 (0.05 outside) → only B trades, to 0.4.
    const rel = runWire(drifted({ drift_band_rel: '0.1' }));
    expect(trades(rel)).toEqual(['SELL B 5']);
    expect(rel.diagnostics.drift_summary).toEqual({
      max_abs_drift: '0.05',
      positions_outside_band: 1,
      within_tolerance: false,
    });
    // abs 0.045 and rel 0.1: A max(0.045, 0.05) = 0.05 inside, B max(0.045, 0.04) = 0.045 outside.
    expect(trades(runWire(drifted({ drift_band_abs: '0.045', drift_band_rel: '0.1' })))).toEqual([
      'SELL B 5',
    ]);
    expect(
      bandWidth({ drift_band_abs: dec('0.045'), drift_band_rel: dec('0.1') }, dec('0.5')).toString(),
    ).toBe('0.05');
  });

  it('is validated with a clear error naming the field', () => {
    const errors = (options: Record<string, unknown>) => {
      const parsed = validate(simulateRequestSchema, drifted(options));
      return parsed.ok ? [] : parsed.errors.map((e) => `${e.loc.join('.')}: ${e.msg}`);
    };
    expect(errors({ drift_band_abs: '1.5' })).toEqual([
      'options.drift_band_abs: Input should be less than or equal to 1',
    ]);
    expect(errors({ drift_band_rel: '-0.1' })).toEqual([
      'options.drift_band_rel: Input should be greater than or equal to 0',
    ]);
    expect(errors({ drift_band_rebalance_to: 'MIDDLE' })[0]).toMatch(/^options\.drift_band_rebalance_to: /);
    expect(errors({ drift_band_abs: null, drift_band_rebalance_to: 'BAND_EDGE' })).toEqual([]);
  });
});

/** 10 000 USD of cash, one model target. */
const buyOne = (price: string, shelf: Record<string, unknown>, weight = '0.5') =>
  body({
    cash: [['USD', '10000']],
    prices: [['X', price, 'USD']],
    model: [['X', weight]],
    shelf: [{ instrument_id: 'X', status: 'APPROVED', ...shelf }],
  });

describe('board lots and quantity increments (0052)', () => {
  it('buys round down to a board lot; the residue stays in cash and is reported', () => {
    // 5000 / 30 = 166.67 units → 100 (one lot of 100); residue 66.67 × 30 ≈ 2000 in cash.
    const r = runWire(buyOne('30', { lot_size: '100' }));
    const [intent] = r.intents;
    expect(intent).toMatchObject({ side: 'BUY', quantity: '100', constraints_applied: ['LOT_SIZE'] });
    expect(intent.quantity_rounding.step).toBe('100');
    expect(intent.quantity_rounding.reason).toBe('ROUNDED_DOWN');
    // Goal 0.5 × 10 000 = 5000; traded 100 × 30 = 3000; 2000 stays in cash.
    expect(intent.quantity_rounding.residual_notional).toEqual({ amount: '2000', currency: 'USD' });
    expect(r.after_simulated.cash_balances[0].amount).toBe('7000');
  });

  it('fractional units: a 0.001 increment instead of whole units', () => {
    // 5000 / 3 = 1666.666… → 1666.666 (whole units would be 1666).
    const r = runWire(buyOne('3', { quantity_increment: '0.001' }));
    expect(r.intents[0]).toMatchObject({ quantity: '1666.666', constraints_applied: ['QUANTITY_INCREMENT'] });
    expect(r.intents[0].quantity_rounding.reason).toBe('ROUNDED_DOWN');
    const whole = runWire(buyOne('3', {}));
    expect(whole.intents[0].quantity).toBe('1666');
    expect(whole.intents[0].quantity_rounding).toBeUndefined(); // defaults: today's output exactly
  });

  it('sells round down, except that the whole (odd-lot) holding may always be sold', () => {
    // S 150 × 10 = 1500 of 10 000. Target 0.001 → 10 → sell 149 → one lot of 100.
    const partial = runWire(
      body({
        holdings: [['S', '150', '10']],
        cash: [['USD', '8500']],
        model: [['S', '0.001']],
        shelf: [{ instrument_id: 'S', status: 'APPROVED', lot_size: '100' }],
      }),
    );
    expect(trades(partial)).toEqual(['SELL S 100']);
    // Not in the model: sell to zero → all 150, an odd lot.
    const whole = runWire(
      body({
        holdings: [['S', '150', '10']],
        cash: [['USD', '8500']],
        shelf: [{ instrument_id: 'S', status: 'APPROVED', lot_size: '100' }],
      }),
    );
    expect(trades(whole)).toEqual(['SELL S 150']);
    expect(whole.intents[0].quantity_rounding).toMatchObject({ reason: 'WHOLE_HOLDING', step: '100' });
  });

  it('a tax-limited sell is rounded down to the lot too', () => {
    // Sell all 150 (not in the model); gain 5 a unit, budget 600 → 120 allowed → one lot of 100.
    const b = body({
      holdings: [['S', '150', '10']],
      cash: [['USD', '8500']],
      shelf: [{ instrument_id: 'S', status: 'APPROVED', lot_size: '100' }],
      options: { enable_tax_awareness: true, max_realized_capital_gains: '600' },
    });
    (b.portfolio_snapshot.positions as any[])[0].lots = [
      {
        lot_id: 'L1',
        quantity: '150',
        unit_cost: { amount: '5', currency: 'USD' },
        purchase_date: '2020-01-01',
      },
    ];
    const r = runWire(b);
    expect(trades(r)).toEqual(['SELL S 100']);
    expect(r.intents[0].constraints_applied).toEqual(['TAX_BUDGET', 'LOT_SIZE']);
    expect(r.intents[0].quantity_rounding).toEqual({
      step: '100',
      reason: 'ROUNDED_DOWN',
      residual_notional: { amount: '500.0', currency: 'USD' },
    });
    expect(r.diagnostics.tax_budget_constraint_events).toMatchObject([
      { instrument_id: 'S', requested_quantity: '150', allowed_quantity: '100' },
    ]);
    // Only what is sold is booked against the budget: 100 × 5 = 500, not the 600 allowed.
    expect(r.tax_impact.total_realized_gain.amount).toBe('500.0');
    expect(r.tax_impact.budget_used.amount).toBe('500.0');
  });

  it('a sell rounded down cannot leave the buys short of cash: the buy is cut (CASH_LIMIT)', () => {
    // Cash 0; A 100 × 100 in lots of 30, model A 0.5 → sell 50 → 30 (3000 raised). B (0.5) would
    // buy 5000 units at 1: cut to the 3000 the portfolio has.
    const r = runWire(
      body({
        holdings: [['A', '100', '100']],
        cash: [['USD', '0']],
        prices: [['B', '1', 'USD']],
        model: [
          ['A', '0.5'],
          ['B', '0.5'],
        ],
        shelf: [{ instrument_id: 'A', status: 'APPROVED', lot_size: '30' }, ...approved('B')],
      }),
    );
    expect(trades(r)).toEqual(['SELL A 30', 'BUY B 3000']);
    expect(r.intents[1].quantity_rounding).toMatchObject({
      reason: 'CASH_LIMIT',
      residual_notional: { amount: '2000', currency: 'USD' },
    });
    expect(r.intents[1].constraints_applied).toEqual(['CASH_LIMIT']);
    expect(r.diagnostics.warnings).toContain('LOT_ROUNDING_CASH_LIMIT');
    expect(r.after_simulated.cash_balances[0].amount).toBe('0');
    expect(r.status).not.toBe('BLOCKED');
  });

  it('is validated: positive steps, a lot a whole multiple of the increment', () => {
    const errors = (shelf: Record<string, unknown>) => {
      const parsed = validate(simulateRequestSchema, buyOne('1', shelf));
      return parsed.ok ? [] : parsed.errors.map((e) => `${e.loc.join('.')}: ${e.msg}`);
    };
    expect(errors({ lot_size: '0' })).toEqual(['shelf_entries.0.lot_size: Input should be greater than 0']);
    expect(errors({ quantity_increment: '-1' })).toEqual([
      'shelf_entries.0.quantity_increment: Input should be greater than 0',
    ]);
    expect(errors({ lot_size: '10', quantity_increment: '3' })).toEqual([
      'shelf_entries.0: Value error, lot_size must be a whole multiple of quantity_increment',
    ]);
    expect(errors({ lot_size: '10', quantity_increment: '0.5' })).toEqual([]);
  });
});

describe('FX funding keeps the reference scale with a whole-number buffer (0053)', () => {
  const foreignBuy = (fx_buffer_pct: unknown) =>
    runWire(
      body({
        cash: [
          ['USD', '10000'],
          ['EUR', '0'],
        ],
        prices: [['E', '100', 'EUR']],
        fx: [['EUR/USD', '1.1']],
        model: [['E', '0.3']],
        shelf: approved('E'),
        options: { fx_buffer_pct },
      }),
    );

  it('buy = |shortfall| × (1.0 + buffer): "2700.0", not "2700"', () => {
    // 3000 USD / 1.1 = 2727.27 EUR → 27 units → 2700 EUR short.
    for (const buffer of ['0', 0]) {
      const fx = foreignBuy(buffer).intents.find((i: any) => i.intent_type === 'FX_SPOT');
      expect(fx).toMatchObject({ buy_amount: '2700.0', sell_amount_estimated: '2970.00' });
    }
    const buffered = foreignBuy('0.01').intents.find((i: any) => i.intent_type === 'FX_SPOT');
    expect(buffered.buy_amount).toBe('2727.00');
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

function simulate(raw: unknown): RebalanceResult {
  const parsed = validate(simulateRequestSchema, raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return simulateRebalance(parsed.value, { requestHash: 'h' });
}

const securityIntents = (r: RebalanceResult) =>
  r.intents.filter((i): i is SecurityTradeIntent => i.intent_type === 'SECURITY_TRADE');

/** The generateRequest arguments both properties draw (positions, seed, shelf mix). */
const GENERATED = {
  positions: fc.integer({ min: 1, max: 30 }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  mixedShelf: fc.boolean(),
};

describe('properties', () => {
  it('bands never trade a position inside its band', () => {
    fc.assert(
      fc.property(
        fc.record({
          ...GENERATED,
          constraints: fc.boolean(),
          abs: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
          rel: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
          edge: fc.boolean(),
        }),
        (spec) => {
          const raw = generateRequest(spec) as any;
          const options: Record<string, unknown> = {
            drift_band_abs: spec.abs === null ? null : String(spec.abs / 1000),
            drift_band_rel: spec.rel === null ? null : String(spec.rel / 100),
            drift_band_rebalance_to: spec.edge ? 'BAND_EDGE' : 'TARGET',
          };
          Object.assign(raw.options, options);
          const r = simulate(raw);
          const current = new Map<string, Dec>();
          for (const p of r.before.positions)
            if (!current.has(p.instrument_id)) current.set(p.instrument_id, p.weight);
          const target = new Map(r.target.targets.map((t) => [t.instrument_id, t.final_weight]));
          const opts = {
            drift_band_abs: spec.abs === null ? null : dec(String(spec.abs / 1000)),
            drift_band_rel: spec.rel === null ? null : dec(String(spec.rel / 100)),
          };
          for (const intent of securityIntents(r)) {
            const goal = target.get(intent.instrument_id)!;
            const drift = abs(sub(current.get(intent.instrument_id) ?? dec('0'), goal));
            expect(gt(drift, bandWidth(opts, goal)), intent.instrument_id).toBe(true);
          }
          if (r.diagnostics.drift_summary!.within_tolerance && (spec.abs !== null || spec.rel !== null))
            expect(r.intents).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('lot rounding never gives a quantity off the step (but the whole holding) and never overdraws cash', () => {
    const STEPS = [null, '1', '10', '100', '0.001', '0.5'];
    fc.assert(
      fc.property(
        fc.record({
          ...GENERATED,
          steps: fc.array(fc.integer({ min: 0, max: STEPS.length - 1 }), { minLength: 40, maxLength: 40 }),
          lotNotIncrement: fc.boolean(),
        }),
        (spec) => {
          const raw = generateRequest(spec) as any;
          raw.shelf_entries.forEach((e: any, i: number) => {
            const step = STEPS[spec.steps[i % 40]!];
            if (step !== null)
              e[spec.lotNotIncrement && !step.includes('.') ? 'lot_size' : 'quantity_increment'] = step;
          });
          const r = simulate(raw);
          const steps = new Map<string, string>();
          for (const e of raw.shelf_entries)
            if (!steps.has(e.instrument_id))
              steps.set(e.instrument_id, e.lot_size ?? e.quantity_increment ?? '1');
          const held = new Map<string, string>(
            raw.portfolio_snapshot.positions.map((p: any) => [p.instrument_id, p.quantity]),
          );
          for (const intent of securityIntents(r)) {
            const q = intent.quantity!;
            const whole =
              intent.side === 'SELL' &&
              held.has(intent.instrument_id) &&
              q.compareTo(dec(held.get(intent.instrument_id)!)) === 0;
            if (!whole)
              expect(
                isWholeMultiple(q, dec(steps.get(intent.instrument_id)!)),
                `${intent.instrument_id} ${q}`,
              ).toBe(true);
          }
          for (const cash of r.after_simulated.cash_balances)
            expect(isNegative(cash.amount), `${cash.currency} ${cash.amount}`).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('locked holdings are never traded and never cause BLOCKED on their own', () => {
    const STATUSES = ['SUSPENDED', 'BANNED', 'RESTRICTED'];
    fc.assert(
      fc.property(
        fc.record({
          tradeable: fc.array(
            fc.record({ weight: fc.integer({ min: 1, max: 30 }), price: fc.integer({ min: 1, max: 100 }) }),
            {
              minLength: 2,
              maxLength: 6,
            },
          ),
          locked: fc.array(
            fc.record({
              units: fc.integer({ min: 1, max: 400 }),
              status: fc.constantFrom(...STATUSES),
              tech: fc.boolean(),
            }),
            { minLength: 1, maxLength: 3 },
          ),
          cash: fc.integer({ min: 1000, max: 100000 }),
          cap: fc.option(fc.integer({ min: 5, max: 50 }), { nil: null }),
          groupCap: fc.option(fc.integer({ min: 0, max: 50 }), { nil: null }),
          solver: fc.boolean(),
        }),
        (spec) => {
          const total = spec.tradeable.reduce((s, t) => s + t.weight, 0);
          const raw = body({
            holdings: spec.locked.map((l, i) => [`L${i}`, String(l.units), '10'] as [string, string, string]),
            cash: [['USD', String(spec.cash)]],
            prices: spec.tradeable.map(
              (t, i) => [`T${i}`, String(t.price), 'USD'] as [string, string, string],
            ),
            model: spec.tradeable.map(
              (t, i) => [`T${i}`, ((t.weight / total) * 0.9).toFixed(4)] as [string, string],
            ),
            shelf: [
              ...spec.locked.map((l, i) => ({
                instrument_id: `L${i}`,
                status: l.status,
                attributes: { sector: l.tech ? 'TECH' : 'FI' },
              })),
              ...spec.tradeable.map((_, i) => ({
                instrument_id: `T${i}`,
                status: 'APPROVED',
                attributes: { sector: i % 2 === 0 ? 'TECH' : 'FI' },
              })),
            ],
            options: {
              target_method: spec.solver ? 'SOLVER' : 'HEURISTIC',
              single_position_max_weight: spec.cap === null ? null : String(spec.cap / 100),
              group_constraints:
                spec.groupCap === null ? {} : { 'sector:TECH': { max_weight: String(spec.groupCap / 100) } },
            },
          });
          const r = simulate(raw);
          expect(r.status).not.toBe('BLOCKED');
          expect(securityIntents(r).some((i) => i.instrument_id.startsWith('L'))).toBe(false);
          // Every locked line above the cap is named in the SOFT rule.
          if (spec.cap !== null) {
            const ceiling = dec(String(spec.cap / 100 + 0.001));
            const over = r.after_simulated.allocation_by_instrument.filter(
              (m) => m.key.startsWith('L') && gt(m.weight, ceiling),
            );
            const rule = r.rule_results.find((x) => x.rule_id === 'LOCKED_POSITION_ABOVE_CAP');
            if (over.length === 0) expect(rule).toBeUndefined();
            else for (const m of over) expect(rule!.remediation_hint).toContain(`${m.key} (LOCKED_DUE_TO_`);
          }
          const hardFails = r.rule_results.filter((x) => x.severity === 'HARD' && x.status === 'FAIL');
          expect(hardFails).toEqual([]);
          // Tradeable positions respect the cap (within the rule's tolerance).
          if (spec.cap !== null)
            for (const m of r.after_simulated.allocation_by_instrument)
              if (m.key.startsWith('T'))
                expect(lte(m.weight, dec(String(spec.cap / 100 + 0.001)))).toBe(true);
        },
      ),
      { numRuns: 120 },
    );
  });
});

describe('the new options in batch analysis and scenarios', () => {
  it('a batch scenario may use bands; a bad band fails that scenario only, naming the rule', async () => {
    const { analyzeRequestSchema } = await import('../../src/contracts/dpm-analyze.js');
    const { analyzeBatch } = await import('../../src/engine/batch.js');
    const base = drifted({});
    const parsed = validate(analyzeRequestSchema, {
      portfolio_snapshot: base.portfolio_snapshot,
      market_data_snapshot: base.market_data_snapshot,
      model_portfolio: base.model_portfolio,
      shelf_entries: base.shelf_entries,
      scenarios: {
        banded: { options: { drift_band_abs: '0.06' } },
        plain: { options: {} },
        bad: { options: { drift_band_abs: '2' } },
      },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const batch = analyzeBatch(parsed.value);
    expect(batch.comparison_metrics.banded).toMatchObject({ status: 'READY', security_intent_count: 0 });
    expect(batch.comparison_metrics.plain!.security_intent_count).toBe(2);
    expect(batch.failed_scenarios).toEqual({
      bad: 'INVALID_OPTIONS: Input should be less than or equal to 1',
    });
  });

  it('a scenario options override accepts the band options and refuses bad ones', async () => {
    const { engineOptionsOverrideSchema } = await import('../../src/contracts/scenario.js');
    expect(
      engineOptionsOverrideSchema.safeParse({ drift_band_rel: '0.2', drift_band_rebalance_to: 'BAND_EDGE' })
        .success,
    ).toBe(true);
    expect(engineOptionsOverrideSchema.safeParse({ drift_band_rebalance_to: 'NOWHERE' }).success).toBe(false);
  });
});
