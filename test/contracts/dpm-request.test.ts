/** Input rules of the simulate contract (spec 10 §3): lax scalars, defaults, field errors. */
import { describe, expect, it } from 'vitest';
import { simulateRequestSchema } from '../../src/contracts/dpm-request.js';
import { parseAndValidate, validate } from '../../src/contracts/parse.js';
import { text } from '../../src/contracts/decimal.js';

const minimal = (
  overrides: {
    options?: unknown;
    price?: unknown;
    shelf?: unknown[];
    position?: Record<string, unknown>;
  } = {},
) => ({
  portfolio_snapshot: {
    portfolio_id: 'p',
    base_currency: 'USD',
    positions: [{ instrument_id: 'A', quantity: '10', ...overrides.position }],
    cash_balances: [{ currency: 'USD', amount: '100' }],
  },
  market_data_snapshot: {
    prices: [{ instrument_id: 'A', price: 'price' in overrides ? overrides.price : '1', currency: 'USD' }],
  },
  model_portfolio: { targets: [{ instrument_id: 'A', weight: '1' }] },
  shelf_entries: overrides.shelf ?? [{ instrument_id: 'A', status: 'APPROVED' }],
  options: overrides.options ?? {},
});

function errors(body: unknown) {
  const parsed = validate(simulateRequestSchema, body);
  if (parsed.ok) throw new Error('expected a validation failure');
  return parsed.errors;
}

describe('decimal fields', () => {
  it.each([
    ['"1_000"', '1000'],
    ['"  12.50 "', '12.50'],
    ['".5"', '0.5'],
    ['"5."', '5'],
    ['"1e-3"', '0.001'],
    ['"-2"', '-2'],
    ['100', '100'],
    ['100.0', '100.0'],
    ['1e-7', '1E-7'],
  ])('accepts %s as %s', (token, expected) => {
    const body = JSON.stringify(minimal()).replace('"price":"1"', `"price":${token}`);
    const parsed = parseAndValidate(simulateRequestSchema, body);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(text(parsed.value.market_data_snapshot.prices[0]!.price)).toBe(expected);
  });

  it.each([['""'], ['"0x10"'], ['"NaN"'], ['"Infinity"'], ['"1__0"'], ['"abc"']])(
    'rejects %s with decimal_parsing',
    (token) => {
      const body = JSON.stringify(minimal()).replace('"price":"1"', `"price":${token}`);
      const parsed = parseAndValidate(simulateRequestSchema, body);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok)
        expect(parsed.errors).toEqual([
          expect.objectContaining({
            type: 'decimal_parsing',
            loc: ['market_data_snapshot', 'prices', 0, 'price'],
          }),
        ]);
    },
  );

  it.each([['"1e1000000"'], ['"1e-51"'], ['1e308'], [`"${'1'.repeat(51)}"`]])(
    'rejects %s as out of range (no huge exponents)',
    (token) => {
      const body = JSON.stringify(minimal()).replace('"price":"1"', `"price":${token}`);
      const parsed = parseAndValidate(simulateRequestSchema, body);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok)
        expect(parsed.errors[0]).toMatchObject({
          type: 'decimal_out_of_range',
          loc: ['market_data_snapshot', 'prices', 0, 'price'],
        });
    },
  );

  it.each([['"1e50"'], ['"1e-50"'], [`"${'9'.repeat(50)}"`]])(
    'accepts %s at the edge of the range',
    (token) => {
      const body = JSON.stringify(minimal()).replace('"price":"1"', `"price":${token}`);
      expect(parseAndValidate(simulateRequestSchema, body).ok).toBe(true);
    },
  );

  it.each([[true], [null], [{}]])('rejects %j with decimal_type', (value) => {
    expect(errors(minimal({ price: value }))[0]).toMatchObject({
      type: 'decimal_type',
      loc: ['market_data_snapshot', 'prices', 0, 'price'],
    });
  });
});

describe('integers, booleans, enums and strings', () => {
  it('coerces integers from integral floats, numeric strings and booleans', () => {
    for (const v of [3, 3.0, '3', true]) {
      const parsed = validate(simulateRequestSchema, minimal({ options: { settlement_horizon_days: v } }));
      expect(parsed.ok).toBe(true);
    }
    expect(errors(minimal({ options: { settlement_horizon_days: 2.5 } }))[0]).toMatchObject({
      type: 'int_from_float',
    });
    expect(errors(minimal({ options: { settlement_horizon_days: 11 } }))[0]).toMatchObject({
      type: 'less_than_equal',
      msg: 'Input should be less than or equal to 10',
      loc: ['options', 'settlement_horizon_days'],
    });
  });

  it('accepts the boolean vocabulary in any case and rejects 2', () => {
    for (const [v, expected] of [
      ['YES', true],
      ['off', false],
      [1, true],
      ['F', false],
      ['On', true],
    ] as const) {
      const parsed = validate(simulateRequestSchema, minimal({ options: { allow_restricted: v } }));
      expect(parsed.ok && parsed.value.options.allow_restricted).toBe(expected);
    }
    expect(errors(minimal({ options: { allow_restricted: 2 } }))[0]).toMatchObject({ type: 'bool_parsing' });
  });

  it('keeps enums case-sensitive', () => {
    expect(errors(minimal({ options: { target_method: 'solver' } }))[0]).toMatchObject({
      type: 'enum',
      msg: "Input should be 'HEURISTIC' or 'SOLVER'",
    });
    expect(errors(minimal({ shelf: [{ instrument_id: 'A', status: 'FROZEN' }] }))[0]).toMatchObject({
      loc: ['shelf_entries', 0, 'status'],
    });
  });

  it('accepts strings only as strings', () => {
    const body = minimal();
    (body.portfolio_snapshot as Record<string, unknown>).portfolio_id = 42;
    expect(errors(body)[0]).toMatchObject({
      type: 'string_type',
      loc: ['portfolio_snapshot', 'portfolio_id'],
    });
  });
});

describe('structure, defaults and domain rules', () => {
  it('fills every option default and drops unknown keys', () => {
    const parsed = validate(simulateRequestSchema, { ...minimal(), extra: 1 });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(Object.keys(parsed.value.options)).toHaveLength(40);
    expect(text(parsed.value.options.fx_buffer_pct)).toBe('0.01');
    expect(parsed.value.options.link_buy_to_same_currency_sell_dependency).toBeNull();
    expect(parsed.value.shelf_entries[0]).toMatchObject({
      asset_class: 'UNKNOWN',
      settlement_days: 2,
      attributes: {},
    });
    expect('extra' in parsed.value).toBe(false);
  });

  it('reports missing required fields with their location', () => {
    const body = minimal() as Record<string, unknown>;
    delete body.model_portfolio;
    expect(errors(body)).toEqual([
      { type: 'missing', loc: ['model_portfolio'], msg: 'Field required', input: null },
    ]);
  });

  it.each(['bad_key', 'a:b:c', ':TECH', 'sector:'])('rejects group constraint key %s', (key) => {
    expect(
      errors(minimal({ options: { group_constraints: { [key]: { max_weight: '0.5' } } } }))[0]!.msg,
    ).toBe("Value error, group_constraints keys must use format '<attribute_key>:<attribute_value>'");
  });

  it('rejects max_weight, max_turnover_pct and overdraft values out of range', () => {
    expect(
      errors(minimal({ options: { group_constraints: { 'sector:TECH': { max_weight: '1.01' } } } }))[0]!.msg,
    ).toBe('Value error, max_weight must be between 0 and 1 inclusive');
    expect(errors(minimal({ options: { max_turnover_pct: '-0.1' } }))[0]!.msg).toBe(
      'Value error, max_turnover_pct must be between 0 and 1 inclusive',
    );
    expect(errors(minimal({ options: { max_overdraft_by_ccy: { USD: '-1' } } }))[0]!.msg).toBe(
      'Value error, max_overdraft_by_ccy values must be non-negative',
    );
    expect(errors(minimal({ options: { max_overdraft_by_ccy: { '': '1' } } }))[0]!.msg).toBe(
      'Value error, max_overdraft_by_ccy keys must be non-empty currency codes',
    );
  });

  it('checks that lots add up to the position quantity within 0.0001', () => {
    const lot = (q: string) => ({
      lot_id: 'L',
      quantity: q,
      unit_cost: { amount: '1', currency: 'USD' },
      purchase_date: '2024-01-01',
    });
    expect(
      validate(simulateRequestSchema, minimal({ position: { lots: [lot('6'), lot('4.00005')] } })).ok,
    ).toBe(true);
    expect(errors(minimal({ position: { lots: [lot('6'), lot('4.001')] } }))[0]!.msg).toBe(
      'Value error, sum(lot.quantity) must equal position.quantity within tolerance 0.0001',
    );
  });

  it('rejects malformed JSON with json_invalid', () => {
    const parsed = parseAndValidate(simulateRequestSchema, '{"portfolio_snapshot": ');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors[0]!.type).toBe('json_invalid');
  });
});
