/**
 * Advisory drift analytics (spec 20 §10). The goldens are driven through the real valuation
 * routine: before = value(snapshot), after = value(snapshot with the fixture's trades applied by
 * hand), since the proposal simulation that normally produces the after-state is built
 * elsewhere. The unit tests use hand-built states so every weight is known exactly.
 */
import { describe, expect, it } from 'vitest';
import { analyzeDrift, type DriftAnalysis, type DriftInput } from '../../src/advisory/drift.js';
import {
  proposalRequestSchema,
  type ProposalRequest,
  type ReferenceModel,
} from '../../src/contracts/advisory-request.js';
import { type EngineOptions, engineOptionsSchema } from '../../src/contracts/dpm-request.js';
import { parseJsonText, validate } from '../../src/contracts/parse.js';
import { dec, type Dec, eq, mul, sub, text } from '../../src/contracts/decimal.js';
import { Market, Shelf } from '../../src/engine/market.js';
import type { CashBalanceState, SimulatedState } from '../../src/engine/types.js';
import { valuePortfolio } from '../../src/engine/valuation.js';
import { readFixtureText } from '../support/fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** Numeric equality against decimal text (golden comparisons are numeric, spec 20 §17). */
function expectDec(actual: Dec, expected: string): void {
  expect(eq(actual, dec(expected)), `${text(actual)} == ${expected}`).toBe(true);
}

const DEFAULT_OPTIONS: EngineOptions = engineOptionsSchema.parse({});
const options = (overrides: Partial<EngineOptions> = {}): EngineOptions => ({
  ...DEFAULT_OPTIONS,
  ...overrides,
});

interface Golden {
  request: ProposalRequest;
  expected: {
    intents: { intent_type: string; side: string; instrument_id: string }[];
    drift_analysis: Record<
      'asset_class' | 'instrument',
      | {
          drift_total_before: string;
          drift_total_after: string;
          drift_total_delta: string;
          top_contributors_before: { bucket: string }[];
        }
      | undefined
    >;
  };
}

function loadGolden(file: string): Golden {
  const json = parseJsonText(readFixtureText('golden/advisory', file));
  if (!json.ok) throw new Error(JSON.stringify(json.errors));
  const raw = json.value as { proposal_inputs: unknown; expected_proposal_output: unknown };
  const parsed = validate(proposalRequestSchema, raw.proposal_inputs);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  // Expected figures are compared numerically; JSON.parse keeps them as the fixture's strings.
  const expected = (
    JSON.parse(readFixtureText('golden/advisory', file)) as { expected_proposal_output: unknown }
  ).expected_proposal_output as Golden['expected'];
  return { request: parsed.value, expected };
}

/** Before and after states through the real valuation routine; trades applied by hand. */
function statesOf(request: ProposalRequest): { before: SimulatedState; after: SimulatedState } {
  const market = new Market(request.market_data_snapshot);
  const shelf = new Shelf(request.shelf_entries);
  const snapshot = request.portfolio_snapshot;
  const base = snapshot.base_currency;
  const positions = snapshot.positions.map((p) => ({
    instrument_id: p.instrument_id,
    quantity: p.quantity,
    market_value: null,
  }));
  const cash: CashBalanceState[] = snapshot.cash_balances.map((c) => ({
    currency: c.currency,
    amount: c.amount,
    settled: null,
    pending: null,
  }));
  const dq = () => ({ price_missing: [], fx_missing: [], shelf_missing: [] });
  const before = valuePortfolio(
    { base_currency: base, positions, cash_balances: cash },
    market,
    shelf,
    'CALCULATED',
    dq(),
  );

  const afterPositions = positions.map((p) => ({ ...p }));
  const afterCash = cash.map((c) => ({ ...c }));
  for (const trade of request.proposed_trades) {
    if (trade.quantity === null) throw new Error('golden trades are quantity-based');
    const price = market.priceOf(trade.instrument_id);
    if (!price) throw new Error(`no price for ${trade.instrument_id}`);
    const signed = trade.side === 'BUY' ? trade.quantity : mul(dec('-1'), trade.quantity);
    let position = afterPositions.find((p) => p.instrument_id === trade.instrument_id);
    if (!position) {
      position = { instrument_id: trade.instrument_id, quantity: dec('0'), market_value: null };
      afterPositions.push(position);
    }
    position.quantity = position.quantity.add(signed);
    const balance = afterCash.find((c) => c.currency === price.currency);
    if (!balance) throw new Error(`no ${price.currency} cash`);
    balance.amount = sub(balance.amount, mul(signed, price.price));
  }
  const after = valuePortfolio(
    { base_currency: base, positions: afterPositions, cash_balances: afterCash },
    market,
    shelf,
    'CALCULATED',
    dq(),
  );
  return { before, after };
}

function analyzeGolden(golden: Golden) {
  const { before, after } = statesOf(golden.request);
  return analyzeDrift({
    before,
    after,
    referenceModel: golden.request.reference_model,
    portfolioBaseCurrency: golden.request.portfolio_snapshot.base_currency,
    securityTradeInstrumentIds: golden.expected.intents
      .filter((i) => i.intent_type === 'SECURITY_TRADE')
      .map((i) => i.instrument_id),
    options: golden.request.options,
  });
}

/** A state with exactly the given unrounded weights (values are irrelevant to drift). */
function state(assetClasses: [string, string][], instruments: [string, string][] = []): SimulatedState {
  const metric = ([key, weight]: [string, string]) => ({
    key,
    weight: dec(weight),
    value: { amount: dec('0'), currency: 'USD' },
  });
  const byInstrument = instruments.map(metric);
  return {
    total_value: { amount: dec('0'), currency: 'USD' },
    cash_balances: [],
    positions: [],
    allocation_by_asset_class: assetClasses.map(metric),
    allocation_by_instrument: byInstrument,
    allocation: byInstrument,
    allocation_by_attribute: {},
  };
}

function model(
  assetClasses: [string, string][],
  instruments: [string, string][] = [],
  baseCurrency = 'USD',
): ReferenceModel {
  return {
    model_id: 'mdl_unit',
    as_of: '2026-02-18',
    base_currency: baseCurrency,
    asset_class_targets: assetClasses.map(([asset_class, w]) => ({ asset_class, weight: dec(w) })),
    instrument_targets: instruments.map(([instrument_id, w]) => ({ instrument_id, weight: dec(w) })),
  };
}

function input(overrides: Partial<DriftInput>): DriftInput {
  return {
    before: state([['CASH', '1']]),
    after: state([['CASH', '1']]),
    referenceModel: model([['CASH', '1']]),
    portfolioBaseCurrency: 'USD',
    securityTradeInstrumentIds: [],
    options: options(),
    ...overrides,
  };
}

function analyzed(overrides: Partial<DriftInput>): DriftAnalysis {
  const result = analyzeDrift(input(overrides));
  expect(result.warning).toBeNull();
  if (result.drift === null) throw new Error('expected a drift analysis');
  return result.drift;
}

const buckets = (rows: readonly { bucket: string }[]) => rows.map((r) => r.bucket);

// ---------------------------------------------------------------------------------------------
// Goldens and the spec §10 worked example

describe('drift goldens (spec 20 §10, §17)', () => {
  it('scenario_14C_drift_asset_class: totals and contributor order match the fixture', () => {
    const golden = loadGolden('scenario_14C_drift_asset_class.json');
    const { drift, warning } = analyzeGolden(golden);
    expect(warning).toBeNull();
    if (!drift) throw new Error('drift expected');
    const expected = golden.expected.drift_analysis.asset_class!;
    expectDec(drift.asset_class.drift_total_before, expected.drift_total_before);
    expectDec(drift.asset_class.drift_total_after, expected.drift_total_after);
    expectDec(drift.asset_class.drift_total_delta, expected.drift_total_delta);
    expect(buckets(drift.asset_class.top_contributors_before)).toEqual(
      buckets(expected.top_contributors_before),
    );
    expect(drift.reference_model).toEqual({
      model_id: 'mdl_14c_asset',
      as_of: '2026-02-18',
      base_currency: 'USD',
    });
  });

  it('scenario_14C_drift_asset_class: spec worked numbers, no instrument dimension, asset-class highlights', () => {
    const { drift } = analyzeGolden(loadGolden('scenario_14C_drift_asset_class.json'));
    if (!drift) throw new Error('drift expected');
    const ac = drift.asset_class;
    expectDec(ac.drift_total_before, '0.15');
    expectDec(ac.drift_total_after, '0.20');
    expectDec(ac.drift_total_delta, '0.05');
    expect(buckets(ac.top_contributors_before)).toEqual(['FIXED_INCOME', 'EQUITY', 'CASH']);
    expect(buckets(ac.buckets)).toEqual(['CASH', 'EQUITY', 'FIXED_INCOME']);
    const equity = ac.buckets[1];
    expectDec(equity.portfolio_weight_before, '0.7');
    expectDec(equity.portfolio_weight_after, '0.8');
    expectDec(equity.drift_after, '0.2');
    expectDec(equity.improvement, '-0.1');
    const cash = ac.buckets[0];
    expectDec(cash.portfolio_weight_after, '0');
    expectDec(cash.drift_after, '-0.05');
    expectDec(cash.abs_drift_after, '0.05');
    expect(drift.instrument).toBeNull(); // no instrument_targets
    // Highlights fall back to asset-class rows (Q-A12): EQUITY worsens, nothing improves.
    expect(drift.highlights.largest_improvements).toEqual([]);
    expect(buckets(drift.highlights.largest_deteriorations)).toEqual(['EQUITY']);
    expectDec(drift.highlights.largest_deteriorations[0].improvement, '-0.1');
    expect(drift.highlights.unmodeled_exposures).toEqual([]);
  });

  it('scenario_14C_drift_instrument: totals and contributor order match the fixture', () => {
    const golden = loadGolden('scenario_14C_drift_instrument.json');
    const { drift, warning } = analyzeGolden(golden);
    expect(warning).toBeNull();
    if (!drift || !drift.instrument) throw new Error('instrument drift expected');
    for (const dim of ['asset_class', 'instrument'] as const) {
      const expected = golden.expected.drift_analysis[dim]!;
      const actual = drift[dim]!;
      expectDec(actual.drift_total_before, expected.drift_total_before);
      expectDec(actual.drift_total_after, expected.drift_total_after);
      expectDec(actual.drift_total_delta, expected.drift_total_delta);
      expect(buckets(actual.top_contributors_before)).toEqual(buckets(expected.top_contributors_before));
    }
  });

  it('scenario_14C_drift_instrument: spec worked numbers and instrument highlights', () => {
    const { drift } = analyzeGolden(loadGolden('scenario_14C_drift_instrument.json'));
    if (!drift || !drift.instrument) throw new Error('instrument drift expected');
    const instr = drift.instrument;
    expectDec(instr.drift_total_before, '0.35');
    expectDec(instr.drift_total_after, '0.40');
    expectDec(instr.drift_total_delta, '0.05');
    expect(buckets(instr.top_contributors_before)).toEqual(['EQ_B', 'EQ_A', 'EQ_C']);
    expectDec(instr.top_contributors_before[0].abs_drift_before, '0.40');
    expectDec(instr.top_contributors_before[1].abs_drift_before, '0.30');
    expectDec(instr.top_contributors_before[2].abs_drift_before, '0');
    // EQ_C: model 0, not held before, 0.1 after.
    const eqC = instr.buckets.find((r) => r.bucket === 'EQ_C')!;
    expectDec(eqC.model_weight, '0');
    expectDec(eqC.portfolio_weight_before, '0');
    expectDec(eqC.portfolio_weight_after, '0.1');

    // Asset class: CASH and EQUITY tie at 0.05, bucket order breaks the tie.
    expectDec(drift.asset_class.drift_total_before, '0.05');
    expectDec(drift.asset_class.drift_total_after, '0.05');
    expectDec(drift.asset_class.drift_total_delta, '0');
    expect(buckets(drift.asset_class.top_contributors_before)).toEqual(['CASH', 'EQUITY']);
    expectDec(drift.asset_class.top_contributors_before[0].abs_drift_before, '0.05');
    expectDec(drift.asset_class.top_contributors_before[1].abs_drift_before, '0.05');

    // Highlights come from the instrument rows only (Q-A12).
    const h = drift.highlights;
    expect(h.largest_improvements).toEqual([]);
    expect(buckets(h.largest_deteriorations)).toEqual(['EQ_C']);
    expectDec(h.largest_deteriorations[0].improvement, '-0.1');
    expect(buckets(h.unmodeled_exposures)).toEqual(['EQ_C']);
    expectDec(h.unmodeled_exposures[0].portfolio_weight_before, '0');
    expectDec(h.unmodeled_exposures[0].portfolio_weight_after, '0.1');
    expectDec(h.unmodeled_exposures[0].max_portfolio_weight, '0.1');
  });

  it('the traded instrument is a bucket even when no state or model row names it', () => {
    const golden = loadGolden('scenario_14C_drift_instrument.json');
    const { before } = statesOf(golden.request);
    // After = before (e.g. the BUY never executed) — only the intent list names EQ_C.
    const { drift } = analyzeDrift({
      before,
      after: before,
      referenceModel: golden.request.reference_model,
      portfolioBaseCurrency: 'USD',
      securityTradeInstrumentIds: ['EQ_C'],
      options: golden.request.options,
    });
    expect(buckets(drift!.instrument!.buckets)).toEqual(['EQ_A', 'EQ_B', 'EQ_C']);
  });
});

// ---------------------------------------------------------------------------------------------
// Gating

describe('when drift is produced (spec 20 §10)', () => {
  it('enable_drift_analytics false → null, and no mismatch warning either', () => {
    const result = analyzeDrift(
      input({ options: options({ enable_drift_analytics: false }), referenceModel: model([], [], 'SGD') }),
    );
    expect(result).toEqual({ drift: null, warning: null });
    // Sanity: the same input with analytics on does warn.
    expect(analyzeDrift(input({ referenceModel: model([], [], 'SGD') })).warning).toBe(
      'REFERENCE_MODEL_BASE_CURRENCY_MISMATCH',
    );
  });

  it('no reference model → null without warning', () => {
    expect(analyzeDrift(input({ referenceModel: null }))).toEqual({ drift: null, warning: null });
  });

  it('base-currency mismatch (exact string comparison) → null with the warning', () => {
    const result = analyzeDrift(input({ referenceModel: model([['CASH', '1']], [], 'usd') }));
    expect(result.drift).toBeNull();
    expect(result.warning).toBe('REFERENCE_MODEL_BASE_CURRENCY_MISMATCH');
    expect(analyzeDrift(input({ portfolioBaseCurrency: 'SGD' })).warning).toBe(
      'REFERENCE_MODEL_BASE_CURRENCY_MISMATCH',
    );
  });

  it('instrument dimension is null when enable_instrument_drift is false; highlights use asset classes', () => {
    const before = state(
      [
        ['EQUITY', '0.9'],
        ['CASH', '0.1'],
      ],
      [['EQ_A', '0.9']],
    );
    const after = state(
      [
        ['EQUITY', '0.8'],
        ['CASH', '0.2'],
      ],
      [['EQ_A', '0.8']],
    );
    const ref = model([['EQUITY', '0.8']], [['EQ_A', '1']]);
    const on = analyzed({ before, after, referenceModel: ref });
    expect(on.instrument).not.toBeNull();
    expect(buckets(on.highlights.largest_deteriorations)).toEqual(['EQ_A']);

    const off = analyzed({
      before,
      after,
      referenceModel: ref,
      options: options({ enable_instrument_drift: false }),
    });
    expect(off.instrument).toBeNull();
    // EQUITY 0.1 → 0 improves; CASH (unmodeled) 0.1 → 0.2 deteriorates.
    expect(buckets(off.highlights.largest_improvements)).toEqual(['EQUITY']);
    expect(buckets(off.highlights.largest_deteriorations)).toEqual(['CASH']);
    expect(buckets(off.highlights.unmodeled_exposures)).toEqual(['CASH']);
  });

  it('instrument dimension is null when instrument_targets is empty, even with instruments held', () => {
    const s = state([['EQUITY', '1']], [['EQ_A', '1']]);
    const drift = analyzed({ before: s, after: s, referenceModel: model([['EQUITY', '1']], []) });
    expect(drift.instrument).toBeNull();
    expect(buckets(drift.asset_class.buckets)).toEqual(['CASH', 'EQUITY']);
  });
});

// ---------------------------------------------------------------------------------------------
// Dimension builder

describe('dimension builder', () => {
  it('asset-class buckets are the union of before, after and model keys plus CASH, in code-point order', () => {
    const drift = analyzed({
      before: state([['alpha', '0.5']]),
      after: state([['Zeta', '0.5']]),
      referenceModel: model([['EQUITY', '0.2']]),
    });
    expect(buckets(drift.asset_class.buckets)).toEqual(['CASH', 'EQUITY', 'Zeta', 'alpha']);
    const cash = drift.asset_class.buckets[0];
    for (const v of [
      cash.model_weight,
      cash.portfolio_weight_before,
      cash.portfolio_weight_after,
      cash.improvement,
    ])
      expectDec(v, '0');
  });

  it('duplicate model rows: the last one wins (asset class and instrument)', () => {
    const s = state([['EQUITY', '1']], [['EQ_A', '1']]);
    const drift = analyzed({
      before: s,
      after: s,
      referenceModel: model(
        [
          ['EQUITY', '0.5'],
          ['CASH', '0.1'],
          ['EQUITY', '0.7'],
        ],
        [
          ['EQ_A', '0.2'],
          ['EQ_A', '0.9'],
        ],
      ),
    });
    const equity = drift.asset_class.buckets.find((r) => r.bucket === 'EQUITY')!;
    expect(text(equity.model_weight)).toBe('0.7');
    expectDec(equity.drift_before, '0.3');
    expect(drift.asset_class.buckets).toHaveLength(2);
    const eqA = drift.instrument!.buckets.find((r) => r.bucket === 'EQ_A')!;
    expect(text(eqA.model_weight)).toBe('0.9');
    expect(drift.instrument!.buckets).toHaveLength(1);
  });

  it('repeated instrument rows in allocation_by_instrument: the last row is the weight', () => {
    const before = state(
      [['EQUITY', '1']],
      [
        ['EQ_A', '0.25'],
        ['EQ_A', '0.75'],
      ],
    );
    const drift = analyzed({ before, after: before, referenceModel: model([], [['EQ_A', '0.5']]) });
    expect(drift.instrument!.buckets).toHaveLength(1);
    expect(text(drift.instrument!.buckets[0].portfolio_weight_before)).toBe('0.75');
  });

  it('zero-weight instrument rows are buckets', () => {
    const s = state([['EQUITY', '1']], [['EQ_ZERO', '0']]);
    const drift = analyzed({ before: s, after: s, referenceModel: model([], [['EQ_A', '1']]) });
    expect(buckets(drift.instrument!.buckets)).toEqual(['EQ_A', 'EQ_ZERO']);
  });

  it('totals are 0.5 × Σ from the integer 0 (decimal exponents preserved, unrounded)', () => {
    const drift = analyzed({
      before: state([['EQUITY', '0.70']]),
      after: state([['EQUITY', '0.123456789']]),
      referenceModel: model([]),
    });
    expect(text(drift.asset_class.drift_total_before)).toBe('0.350');
    expect(text(drift.asset_class.drift_total_after)).toBe('0.0617283945');
    expect(text(drift.asset_class.drift_total_delta)).toBe('-0.2882716055');
  });

  it('drift_top_contributors_limit truncates contributors and every highlight list, not buckets', () => {
    const before = state([
      ['A', '0.4'],
      ['B', '0.3'],
      ['C', '0.2'],
      ['D', '0.1'],
    ]);
    const after = state([]);
    const drift = analyzed({
      before,
      after,
      referenceModel: model([]),
      options: options({ drift_top_contributors_limit: 2 }),
    });
    expect(buckets(drift.asset_class.buckets)).toEqual(['A', 'B', 'C', 'CASH', 'D']);
    expect(buckets(drift.asset_class.top_contributors_before)).toEqual(['A', 'B']);
    expect(buckets(drift.highlights.largest_improvements)).toEqual(['A', 'B']);
    expect(buckets(drift.highlights.unmodeled_exposures)).toEqual(['A', 'B']);

    const worse = analyzed({
      before: after,
      after: before,
      referenceModel: model([]),
      options: options({ drift_top_contributors_limit: 3 }),
    });
    expect(buckets(worse.highlights.largest_deteriorations)).toEqual(['A', 'B', 'C']);
    // Default limit 5 keeps all four.
    expect(
      analyzed({ before, after, referenceModel: model([]) }).highlights.largest_improvements,
    ).toHaveLength(4);
  });
});

// ---------------------------------------------------------------------------------------------
// Highlights

describe('highlights', () => {
  it('unmodeled threshold is inclusive (>=), applies to max(pb, pa), and needs model weight 0', () => {
    const before = state([
      ['AT', '0.01'],
      ['BELOW', '0.0099999'],
      ['AFTER_ONLY', '0'],
      ['MODELED', '0.5'],
      ['ZERO_MODEL', '0.3'],
    ]);
    const after = state([
      ['AT', '0.005'],
      ['BELOW', '0.0099'],
      ['AFTER_ONLY', '0.02'],
      ['MODELED', '0.5'],
      ['ZERO_MODEL', '0.3'],
    ]);
    const drift = analyzed({
      before,
      after,
      referenceModel: model([
        ['MODELED', '0.1'],
        ['ZERO_MODEL', '0.00'],
      ]),
    });
    // Sorted by max desc: ZERO_MODEL 0.3, AFTER_ONLY 0.02, AT 0.01. BELOW and MODELED excluded.
    const exposures = drift.highlights.unmodeled_exposures;
    expect(buckets(exposures)).toEqual(['ZERO_MODEL', 'AFTER_ONLY', 'AT']);
    expectDec(exposures[1].max_portfolio_weight, '0.02');
    expectDec(exposures[2].max_portfolio_weight, '0.01');
    expectDec(exposures[2].portfolio_weight_after, '0.005');
    expect(Object.keys(exposures[0])).toEqual([
      'bucket',
      'portfolio_weight_before',
      'portfolio_weight_after',
      'max_portfolio_weight',
    ]);

    // Raising the threshold just above 0.01 drops AT.
    const stricter = analyzed({
      before,
      after,
      referenceModel: model([['MODELED', '0.1']]),
      options: options({ drift_unmodeled_exposure_threshold: dec('0.0100001') }),
    });
    expect(buckets(stricter.highlights.unmodeled_exposures)).toEqual(['ZERO_MODEL', 'AFTER_ONLY']);
  });

  it('max_portfolio_weight is the before value when before and after are equal', () => {
    const drift = analyzed({
      before: state([['X', '0.10']]),
      after: state([['X', '0.1']]),
      referenceModel: model([]),
    });
    const [x] = drift.highlights.unmodeled_exposures;
    expect(x.bucket).toBe('X');
    expect(text(x.max_portfolio_weight)).toBe('0.10');
    expect(x.max_portfolio_weight).toBe(x.portfolio_weight_before);
  });

  it('improvements sort by improvement desc, ties by code-point bucket order', () => {
    // Every bucket unmodeled: improvement = pb − pa for positive weights.
    const before = state([
      ['b', '0.3'],
      ['Z', '0.30'],
      ['oi_2', '0.2'],
      ['oi_10', '0.2'],
      ['SMALL', '0.05'],
    ]);
    const drift = analyzed({ before, after: state([]), referenceModel: model([]) });
    expect(buckets(drift.highlights.largest_improvements)).toEqual(['Z', 'b', 'oi_10', 'oi_2', 'SMALL']);
    expect(Object.keys(drift.highlights.largest_improvements[0])).toEqual(['bucket', 'improvement']);
    // Zero improvement (CASH stays 0) is neither an improvement nor a deterioration.
    expect(drift.highlights.largest_deteriorations).toEqual([]);
  });

  it('deteriorations sort by improvement ascending (most negative first), ties by bucket', () => {
    const after = state([
      ['b', '0.3'],
      ['Z', '0.30'],
      ['SMALL', '0.05'],
      ['BIG', '0.4'],
    ]);
    const drift = analyzed({ before: state([]), after, referenceModel: model([]) });
    expect(buckets(drift.highlights.largest_deteriorations)).toEqual(['BIG', 'Z', 'b', 'SMALL']);
    expectDec(drift.highlights.largest_deteriorations[0].improvement, '-0.4');
    expect(drift.highlights.largest_improvements).toEqual([]);
  });

  it('top contributors sort by abs_drift_before desc, ties by bucket (negative drifts count by magnitude)', () => {
    const drift = analyzed({
      before: state([
        ['EQUITY', '0.5'],
        ['FIXED_INCOME', '0.5'],
      ]),
      after: state([['EQUITY', '1']]),
      referenceModel: model([
        ['EQUITY', '0.7'],
        ['FIXED_INCOME', '0.3'],
        ['ALTS', '0.2'],
      ]),
    });
    // |0.5−0.7| = |0.5−0.3| = |0−0.2| = 0.2; CASH 0.
    expect(buckets(drift.asset_class.top_contributors_before)).toEqual([
      'ALTS',
      'EQUITY',
      'FIXED_INCOME',
      'CASH',
    ]);
    expectDec(drift.asset_class.buckets.find((r) => r.bucket === 'EQUITY')!.drift_before, '-0.2');
  });
});

// ---------------------------------------------------------------------------------------------
// Shape

describe('serialised shape', () => {
  it('keeps the spec field order and writes decimals as their text', () => {
    const golden = loadGolden('scenario_14C_drift_instrument.json');
    const { drift } = analyzeGolden(golden);
    const wire = JSON.parse(JSON.stringify(drift)) as Record<string, Record<string, unknown>>;
    expect(Object.keys(wire)).toEqual(['reference_model', 'asset_class', 'instrument', 'highlights']);
    expect(Object.keys(wire.reference_model)).toEqual(['model_id', 'as_of', 'base_currency']);
    expect(Object.keys(wire.instrument)).toEqual([
      'drift_total_before',
      'drift_total_after',
      'drift_total_delta',
      'top_contributors_before',
      'buckets',
    ]);
    expect(Object.keys(wire.highlights)).toEqual([
      'largest_improvements',
      'largest_deteriorations',
      'unmodeled_exposures',
    ]);
    const row = (wire.instrument.buckets as Record<string, unknown>[])[0];
    expect(Object.keys(row)).toEqual([
      'bucket',
      'model_weight',
      'portfolio_weight_before',
      'portfolio_weight_after',
      'drift_before',
      'drift_after',
      'abs_drift_before',
      'abs_drift_after',
      'improvement',
    ]);
    expect(typeof row.model_weight).toBe('string');
    expect(typeof wire.instrument.drift_total_before).toBe('string');
  });
});
