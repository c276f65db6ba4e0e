/**
 * Assumption drivers (spec 50 §2): each applied to a base request in list order with exact
 * decimal arithmetic, and every contextual problem reported at its assumption index.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { assumptionSchema, type Assumption } from '../../src/contracts/scenario.js';
import { simulateRebalance } from '../../src/engine/pipeline.js';
import { planEngineRequest, buildEngineRequest } from '../../src/scenarios/engine-request.js';
import { approved, body, request } from '../support/request.js';
import { scenarioBase } from '../support/scenarios.js';

const assumptions = (raw: unknown[]): Assumption[] => z.array(assumptionSchema).parse(raw);

/** The scenario tests' USD base (test/support/scenarios.ts) as a parsed engine request. */
const base = () => request(scenarioBase());

const plan = (raw: unknown[], parameters: Record<string, unknown> = {}, runOptions = {}) =>
  planEngineRequest({ base: base(), assumptions: assumptions(raw), parameters }, runOptions);

const priceOf = (r: ReturnType<typeof base>, id: string) =>
  r.market_data_snapshot.prices.find((p) => p.instrument_id === id)!.price.toString();

describe('scenario drivers', () => {
  it('a -10 % equity shock, a +5 % EUR shock and a 500 USD cash flow give the expected before-value', () => {
    const { plan: p, issues } = plan([
      { driver_type: 'market_shock', payload: { scope: 'asset_class', match: 'EQUITY', shock_pct: '-10' } },
      { driver_type: 'fx_shock', payload: { currency: 'EUR', shock_pct: '5' } },
      { driver_type: 'cash_flow', payload: { currency: 'USD', amount: '500' } },
    ]);
    expect(issues).toEqual([]);
    expect(priceOf(p.request, 'EQ_US')).toBe('90.000');
    expect(priceOf(p.request, 'BD_EU')).toBe('200.00');
    expect(p.request.market_data_snapshot.fx_rates[0]!.rate.toString()).toBe('1.1550');
    expect(p.request.portfolio_snapshot.cash_balances[0]!.amount.toString()).toBe('1500.00');
    // 100 × 90.000 + 50 × 200.00 × 1.1550 + 1500.00
    const result = simulateRebalance(p.request);
    expect(result.before.total_value.amount.toString()).toBe('22050.000000');
  });

  it('a -10 % shock on everything and a cash flow: 100 × 100.00 → 90.000 each, plus 1500.00 cash', () => {
    const raw = body({
      cash: [['USD', '1000.00']],
      holdings: [['EQ_1', '100', '100.00']],
      shelf: approved('EQ_1'),
    });
    const { plan: p } = planEngineRequest({
      base: request(raw),
      assumptions: assumptions([
        { driver_type: 'market_shock', payload: { scope: 'all', shock_pct: -10 } },
        { driver_type: 'cash_flow', payload: { currency: 'USD', amount: '500' } },
      ]),
      parameters: {},
    });
    expect(simulateRebalance(p.request).before.total_value.amount.toString()).toBe('10500.0000');
  });

  it('matches by instrument, by attribute and by UNKNOWN asset class; scales snapshot market values too', () => {
    const byId = plan([
      { driver_type: 'market_shock', payload: { scope: 'instrument', match: 'BD_EU', shock_bp: '-250' } },
    ]);
    expect(priceOf(byId.plan.request, 'BD_EU')).toBe('195.00000'); // 200.00 × 0.975
    expect(priceOf(byId.plan.request, 'EQ_US')).toBe('100.00');
    const byAttribute = plan([
      { driver_type: 'market_shock', payload: { scope: 'attribute', match: 'sector:TECH', shock_pct: '20' } },
    ]);
    expect(priceOf(byAttribute.plan.request, 'EQ_US')).toBe('120.000'); // 100.00 × 1.2
    expect(priceOf(byAttribute.plan.request, 'BD_EU')).toBe('200.00');

    const raw = body({ holdings: [['NO_SHELF', '10', '50']], shelf: [] });
    (raw.portfolio_snapshot.positions as Record<string, unknown>[])[0]!.market_value = {
      amount: '500',
      currency: 'USD',
    };
    const unknown = planEngineRequest({
      base: request(raw),
      assumptions: assumptions([
        {
          driver_type: 'market_shock',
          payload: { scope: 'asset_class', match: 'UNKNOWN', shock_pct: '-50' },
        },
      ]),
      parameters: {},
    });
    expect(unknown.issues).toEqual([]);
    expect(unknown.plan.request.market_data_snapshot.prices[0]!.price.toString()).toBe('25.0');
    expect(unknown.plan.request.portfolio_snapshot.positions[0]!.market_value!.amount.toString()).toBe(
      '250.0',
    );
  });

  it('takes parameters.shock_bp as the default shock, and reports a shock with no size', () => {
    const withDefault = plan([{ driver_type: 'market_shock', payload: { scope: 'all' } }], { shock_bp: 25 });
    expect(withDefault.issues).toEqual([]);
    expect(priceOf(withDefault.plan.request, 'EQ_US')).toBe('100.250000'); // 100.00 × 1.0025
    const explicitWins = plan(
      [{ driver_type: 'market_shock', payload: { scope: 'all', shock_bp: '-100' } }],
      {
        shock_bp: 25,
      },
    );
    expect(priceOf(explicitWins.plan.request, 'EQ_US')).toBe('99.0000');
    const none = plan([
      { driver_type: 'cash_flow', payload: { currency: 'USD', amount: '1' } },
      { driver_type: 'market_shock', payload: { scope: 'all' } },
    ]);
    expect(none.issues).toEqual([
      {
        type: 'missing',
        loc: ['body', 'assumptions', 1, 'payload', 'shock_pct'],
        msg: 'Field required: shock_pct or shock_bp (or a default parameters.shock_bp)',
        input: null,
      },
    ]);
  });

  it('reports shocks that match nothing and an FX shock of the base currency', () => {
    const { issues } = plan([
      { driver_type: 'market_shock', payload: { scope: 'asset_class', match: 'COMMODITY', shock_pct: '1' } },
      { driver_type: 'fx_shock', payload: { currency: 'USD', shock_pct: '1' } },
      { driver_type: 'fx_shock', payload: { currency: 'JPY', shock_pct: '1' } },
    ]);
    expect(issues.map((i) => [i.loc.join('.'), i.msg])).toEqual([
      [
        'body.assumptions.0.payload.match',
        'Value error, the shock matches no price in base.market_data_snapshot.prices',
      ],
      ['body.assumptions.1.payload.currency', 'Value error, the base currency cannot move against itself'],
      [
        'body.assumptions.2.payload.currency',
        'Value error, no rate in base.market_data_snapshot.fx_rates involves this currency',
      ],
    ]);
  });

  it('moves the quote side of a pair by dividing, rounded to 28 digits', () => {
    const raw = body({ base: 'USD', holdings: [['BD_EU', '1', '1', 'EUR']], fx: [['USD/EUR', '0.92']] });
    const { plan: p } = planEngineRequest({
      base: request(raw),
      assumptions: assumptions([{ driver_type: 'fx_shock', payload: { currency: 'EUR', shock_pct: '10' } }]),
      parameters: {},
    });
    expect(p.request.market_data_snapshot.fx_rates[0]!.rate.toString()).toBe(
      '0.8363636363636363636363636364',
    );
  });

  it('adds a cash flow to the first balance (and its settled part) or appends a new balance', () => {
    const raw = body({
      cash: [
        ['USD', '100'],
        ['USD', '5'],
      ],
    });
    (raw.portfolio_snapshot.cash_balances as Record<string, unknown>[])[0]!.settled = '80';
    const { plan: p } = planEngineRequest({
      base: request(raw),
      assumptions: assumptions([
        { driver_type: 'cash_flow', payload: { currency: 'USD', amount: '-30.5' } },
        { driver_type: 'cash_flow', payload: { currency: 'CHF', amount: '7' } },
      ]),
      parameters: {},
    });
    const cash = p.request.portfolio_snapshot.cash_balances.map((c) => [
      c.currency,
      c.amount.toString(),
      c.settled?.toString() ?? null,
    ]);
    expect(cash).toEqual([
      ['USD', '69.5', '49.5'],
      ['USD', '5', null],
      ['CHF', '7', null],
    ]);
  });

  it('replaces the model, merges options in order and merges run options last', () => {
    const { plan: p } = plan(
      [
        { driver_type: 'model_override', payload: { targets: [{ instrument_id: 'BD_EU', weight: '0.9' }] } },
        { driver_type: 'options', payload: { max_turnover_pct: '0.2', target_method: 'SOLVER' } },
        { driver_type: 'options', payload: { max_turnover_pct: '0.1' } },
      ],
      {},
      { target_method: 'HEURISTIC' },
    );
    expect(p.request.model_portfolio.targets.map((t) => [t.instrument_id, t.weight.toString()])).toEqual([
      ['BD_EU', '0.9'],
    ]);
    expect(p.request.options.max_turnover_pct!.toString()).toBe('0.1');
    expect(p.request.options.target_method).toBe('HEURISTIC');
    expect(p.request.options.fx_buffer_pct.toString()).toBe('0.01'); // untouched default
  });

  it('records the policy pack and the projection; a second of either is an error', () => {
    const once = plan([
      { driver_type: 'policy', payload: { policy_pack_id: 'pack_a' } },
      { driver_type: 'projection', payload: { horizon_days: 3, daily_return: { EQUITY: '0.001' } } },
    ]);
    expect(once.plan.policyPackId).toBe('pack_a');
    expect(once.plan.projection?.horizon_days).toBe(3);
    expect(once.plan.request).toEqual(base()); // neither changes the request
    const twice = plan([
      { driver_type: 'policy', payload: { policy_pack_id: 'pack_a' } },
      { driver_type: 'policy', payload: { policy_pack_id: 'pack_b' } },
    ]);
    expect(twice.issues.map((i) => i.loc)).toEqual([['body', 'assumptions', 1, 'driver_type']]);
    expect(() =>
      buildEngineRequest({
        base: base(),
        assumptions: assumptions([
          { driver_type: 'policy', payload: { policy_pack_id: 'a' } },
          { driver_type: 'policy', payload: { policy_pack_id: 'b' } },
        ]),
        parameters: {},
      }),
    ).toThrow(/no longer applies/);
  });

  it('validates payloads strictly, naming the field', () => {
    const parse = (raw: unknown) => z.array(assumptionSchema).safeParse([raw]);
    expect(parse({ driver_type: 'policy', payload: { policy_name: 'RPS' } }).success).toBe(false);
    expect(
      parse({ driver_type: 'market_shock', payload: { scope: 'all', shock_pct: '1', shock_bp: '1' } })
        .success,
    ).toBe(false);
    expect(
      parse({ driver_type: 'market_shock', payload: { scope: 'instrument', shock_pct: '1' } }).success,
    ).toBe(false);
    expect(
      parse({ driver_type: 'market_shock', payload: { scope: 'attribute', match: 'x', shock_pct: '1' } })
        .success,
    ).toBe(false);
    expect(parse({ driver_type: 'options', payload: { max_turnover_pct: '2' } }).success).toBe(false);
    expect(parse({ driver_type: 'options', payload: { no_such_option: true } }).success).toBe(false);
    expect(parse({ driver_type: 'projection', payload: { horizon_days: 0, daily_return: {} } }).success).toBe(
      false,
    );
    expect(
      parse({ driver_type: 'projection', payload: { horizon_days: 2, daily_return: { EQUITY: '-1' } } })
        .success,
    ).toBe(false);
    expect(parse({ driver_type: 'fx_shock', payload: { currency: 'EUR', shock_pct: '-100' } }).success).toBe(
      false,
    );
    expect(parse({ driver_type: 'cash_flow', payload: { currency: '', amount: '1' } }).success).toBe(false);
  });
});
