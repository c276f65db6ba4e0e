/**
 * Suitability scanner (spec 20 §11). States are built with the real valuation routine; the
 * 14D goldens derive the after-state by applying the fixture's trades by hand (the proposal
 * simulation itself is tested elsewhere).
 */
import { describe, expect, it } from 'vitest';
import { scanSuitability, formatCapPercent, type SuitabilityResult } from '../../src/advisory/suitability.js';
import { type ProposalRequest, proposalRequestSchema } from '../../src/contracts/advisory-request.js';
import { validate } from '../../src/contracts/parse.js';
import { add, dec, mul, sub, text, ZERO } from '../../src/contracts/decimal.js';
import { Market, Shelf } from '../../src/engine/market.js';
import type { CashBalanceState, SimulatedState } from '../../src/engine/types.js';
import { valuePortfolio } from '../../src/engine/valuation.js';
import { readFixture } from '../support/fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers

function parseRequest(raw: unknown): ProposalRequest {
  const parsed = validate(proposalRequestSchema, raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

type Holding = [instrumentId: string, quantity: string];

/** Value holdings against the request's market and shelf (CALCULATED, fresh DQ log). */
function valueState(
  req: ProposalRequest,
  positions: readonly Holding[],
  cash: readonly CashBalanceState[],
): SimulatedState {
  return valuePortfolio(
    {
      base_currency: req.portfolio_snapshot.base_currency,
      positions: positions.map(([instrument_id, quantity]) => ({
        instrument_id,
        quantity: dec(quantity),
        market_value: null,
      })),
      cash_balances: cash,
    },
    new Market(req.market_data_snapshot),
    new Shelf(req.shelf_entries),
    'CALCULATED',
    { price_missing: [], fx_missing: [], shelf_missing: [] },
  );
}

const usd = (amount: string): CashBalanceState => ({
  currency: 'USD',
  amount: dec(amount),
  settled: null,
  pending: null,
});

/** Every instrument used by the unit tests is priced at 1 USD, so quantity / total = weight. */
const IDS = ['EQ_A', 'EQ_B', 'EQ_C', 'EQ_D', 'EQ_Z', 'eq_a', 'BAN', 'SUS', 'SO', 'RES', 'NOSHELF'];

interface Setup {
  shelf?: Record<string, unknown>[];
  thresholds?: Record<string, unknown>;
  allowRestricted?: boolean;
  trades?: Record<string, unknown>[];
}

/** Neutral thresholds: nothing fires unless a test tightens one. */
const NEUTRAL = {
  single_position_max_weight: '1',
  issuer_max_weight: '1',
  max_weight_by_liquidity_tier: {},
  cash_band_min_weight: '0',
  cash_band_max_weight: '1',
};

function setup(s: Setup = {}): ProposalRequest {
  return parseRequest({
    portfolio_snapshot: {
      snapshot_id: 'ps_1',
      portfolio_id: 'pf_1',
      base_currency: 'USD',
      positions: [],
      cash_balances: [],
    },
    market_data_snapshot: {
      snapshot_id: 'md_1',
      prices: IDS.map((instrument_id) => ({ instrument_id, price: '1', currency: 'USD' })),
      fx_rates: [],
    },
    shelf_entries: s.shelf ?? [],
    options: {
      enable_proposal_simulation: true,
      allow_restricted: s.allowRestricted ?? false,
      suitability_thresholds: { ...NEUTRAL, ...s.thresholds },
    },
    proposed_trades: s.trades ?? [],
  });
}

const entry = (instrument_id: string, status = 'APPROVED', extra: Record<string, unknown> = {}) => ({
  instrument_id,
  status,
  asset_class: 'EQUITY',
  issuer_id: `ISS_${instrument_id}`,
  liquidity_tier: 'L1',
  ...extra,
});

const SNAPSHOTS = { portfolio_snapshot_id: 'pf_1', market_data_snapshot_id: 'md_1' };

function scan(req: ProposalRequest, before: SimulatedState, after: SimulatedState): SuitabilityResult {
  return scanSuitability({
    before,
    after,
    shelfEntries: req.shelf_entries,
    proposedTrades: req.proposed_trades,
    options: req.options,
    snapshotIds: SNAPSHOTS,
  });
}

/** Scan with the same holdings before and after (only the state checks matter). */
function scanOne(req: ProposalRequest, positions: readonly Holding[], cash: string): SuitabilityResult {
  // The before-state is an empty portfolio (total 0, cash weight 0), so state issues are NEW.
  return scan(req, valueState(req, [], []), valueState(req, positions, [usd(cash)]));
}

/** Scan one state against itself: every issue is PERSISTENT, and a clean state gives none. */
function scanSame(req: ProposalRequest, positions: readonly Holding[], cash: string): SuitabilityResult {
  const state = valueState(req, positions, [usd(cash)]);
  return scan(req, state, state);
}

const keys = (r: SuitabilityResult) => r.issues.map((i) => `${i.status_change} ${i.issue_key}`);
const only = (r: SuitabilityResult) => {
  expect(r.issues).toHaveLength(1);
  return r.issues[0];
};

// ---------------------------------------------------------------------------------------------
// Goldens (spec 20 §17): after-state derived by hand from the fixture's trades.

interface Golden {
  proposal_inputs: Record<string, unknown>;
  expected_proposal_output: {
    suitability: {
      summary: SuitabilityResult['summary'];
      recommended_gate: string;
      issues: { issue_key: string; status_change: string }[];
    };
  };
}

/**
 * Apply the fixture's trades as §3/§5 would for these simple cases: shelf guard on BUYs (last
 * shelf row, Q-A1), notional = quantity × price, SELLs before BUYs, a missing cash balance or
 * position created at 0 and appended.
 */
function applyTrades(req: ProposalRequest): { positions: Holding[]; cash: CashBalanceState[] } {
  const positions = req.portfolio_snapshot.positions.map((p) => ({ id: p.instrument_id, qty: p.quantity }));
  const cash = req.portfolio_snapshot.cash_balances.map((c) => ({ ...c }));
  const lastShelf = new Map(req.shelf_entries.map((e) => [e.instrument_id, e]));
  const trades = [
    ...req.proposed_trades.filter((t) => t.side === 'SELL'),
    ...req.proposed_trades.filter((t) => t.side === 'BUY'),
  ];
  for (const trade of trades) {
    const status = lastShelf.get(trade.instrument_id)?.status;
    if (status === undefined) continue;
    if (
      trade.side === 'BUY' &&
      (['SELL_ONLY', 'BANNED', 'SUSPENDED'].includes(status) ||
        (status === 'RESTRICTED' && !req.options.allow_restricted))
    )
      continue;
    const price = req.market_data_snapshot.prices.find((p) => p.instrument_id === trade.instrument_id)!;
    const quantity = trade.quantity!;
    const notional = mul(quantity, price.price);
    let pos = positions.find((p) => p.id === trade.instrument_id);
    if (!pos) positions.push((pos = { id: trade.instrument_id, qty: ZERO }));
    let bal = cash.find((c) => c.currency === price.currency);
    if (!bal) cash.push((bal = { currency: price.currency, amount: ZERO, settled: null, pending: null }));
    pos.qty = trade.side === 'BUY' ? add(pos.qty, quantity) : sub(pos.qty, quantity);
    bal.amount = trade.side === 'BUY' ? sub(bal.amount, notional) : add(bal.amount, notional);
  }
  return { positions: positions.map((p) => [p.id, text(p.qty)]), cash };
}

function runGolden(file: string) {
  const golden = readFixture<Golden>('golden/advisory', file);
  const req = parseRequest(golden.proposal_inputs);
  const before = valueState(
    req,
    req.portfolio_snapshot.positions.map((p) => [p.instrument_id, text(p.quantity)]),
    req.portfolio_snapshot.cash_balances,
  );
  const { positions, cash } = applyTrades(req);
  const after = valueState(req, positions, cash);
  const result = scanSuitability({
    before,
    after,
    shelfEntries: req.shelf_entries,
    proposedTrades: req.proposed_trades,
    options: req.options,
    snapshotIds: {
      portfolio_snapshot_id: req.portfolio_snapshot.portfolio_id,
      market_data_snapshot_id: 'md',
    },
  });
  return { golden, result, before, after };
}

describe('suitability goldens (scenario_14D_*)', () => {
  it.each([
    'scenario_14D_single_position_resolved.json',
    'scenario_14D_new_issuer_breach.json',
    'scenario_14D_sell_only_violation.json',
  ])('%s: counts, gate, issue keys and status changes in order', (file) => {
    const { golden, result } = runGolden(file);
    const expected = golden.expected_proposal_output.suitability;
    expect(result.summary).toEqual(expected.summary);
    expect(result.recommended_gate).toBe(expected.recommended_gate);
    expect(result.issues.map((i) => ({ issue_key: i.issue_key, status_change: i.status_change }))).toEqual(
      expected.issues,
    );
  });

  it('single_position_resolved: EQ_A 0.12 → 0.09 is a RESOLVED MEDIUM carrying the before candidate', () => {
    const { result } = runGolden('scenario_14D_single_position_resolved.json');
    const issue = only(result);
    expect(issue.severity).toBe('MEDIUM');
    expect(issue.details).toEqual({ instrument_id: 'EQ_A', threshold: '0.10', measured: '0.12' });
    expect(issue.summary).toBe('Single position EQ_A exceeds 10.00% cap.');
    expect(issue.evidence).toEqual({
      as_of: 'md',
      snapshot_ids: { portfolio_snapshot_id: 'pf_14d_1', market_data_snapshot_id: 'md' },
    });
  });

  it('new_issuer_breach: ISSUER_GROWTH 0.26 is HIGH (> 0.25), ISSUER_DEFENSIVE 0.74 PERSISTENT HIGH', () => {
    const { result } = runGolden('scenario_14D_new_issuer_breach.json');
    expect(result.issues.map((i) => [i.severity, i.details.measured, i.summary])).toEqual([
      ['HIGH', '0.26', 'Issuer ISSUER_GROWTH exceeds 20.00% exposure cap.'],
      ['HIGH', '0.74', 'Issuer ISSUER_DEFENSIVE exceeds 20.00% exposure cap.'],
    ]);
  });

  it('sell_only_violation: blocked BUY keeps EQ_SO at 0.1 but the attempt is still a NEW HIGH issue', () => {
    const { result, before, after } = runGolden('scenario_14D_sell_only_violation.json');
    const weightOf = (s: SimulatedState, id: string) =>
      text(s.allocation_by_instrument.find((m) => m.key === id)!.weight);
    expect(weightOf(before, 'EQ_SO')).toBe('0.1');
    expect(weightOf(after, 'EQ_SO')).toBe('0.1');
    const issue = only(result);
    expect(issue).toMatchObject({
      issue_id: 'SUIT_GOVERNANCE_SELL_ONLY_INCREASE',
      dimension: 'GOVERNANCE',
      severity: 'HIGH',
      summary: 'Proposal BUY attempts to increase SELL_ONLY instrument EQ_SO.',
    });
    expect(Object.entries(issue.details)).toEqual([
      ['instrument_id', 'EQ_SO'],
      ['shelf_status', 'SELL_ONLY'],
      ['measured_before', '0.1'],
      ['measured_after', '0.1'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Individual checks

describe('state checks', () => {
  it('1. single position above the cap (details in order, threshold text kept)', () => {
    const req = setup({
      shelf: [entry('EQ_A'), entry('EQ_B')],
      thresholds: { single_position_max_weight: '0.10' },
    });
    const issue = only(
      scanOne(
        req,
        [
          ['EQ_A', '150'],
          ['EQ_B', '100'],
        ],
        '750',
      ),
    );
    expect(issue).toEqual({
      issue_id: 'SUIT_SINGLE_POSITION_MAX',
      issue_key: 'SINGLE_POSITION_MAX|EQ_A',
      dimension: 'CONCENTRATION',
      severity: 'HIGH',
      status_change: 'NEW',
      summary: 'Single position EQ_A exceeds 10.00% cap.',
      details: { instrument_id: 'EQ_A', threshold: '0.10', measured: '0.15' },
      evidence: { as_of: 'md_1', snapshot_ids: SNAPSHOTS },
    });
    expect(Object.keys(issue.details)).toEqual(['instrument_id', 'threshold', 'measured']);
  });

  it('concentration severity: MEDIUM at exactly cap × 1.25, HIGH just above', () => {
    const req = setup({ shelf: [entry('EQ_A')], thresholds: { single_position_max_weight: '0.10' } });
    expect(only(scanOne(req, [['EQ_A', '125']], '875')).severity).toBe('MEDIUM');
    expect(only(scanOne(req, [['EQ_A', '125.1']], '874.9')).severity).toBe('HIGH');
  });

  it('ε boundary: cap + 0.0000001 does not fire, anything above does', () => {
    const req = setup({ shelf: [entry('EQ_A')], thresholds: { single_position_max_weight: '0.10' } });
    const atEpsilon = valueState(req, [['EQ_A', '100.0001']], [usd('899.9999')]);
    expect(text(atEpsilon.allocation_by_instrument[0].weight)).toBe('0.1000001');
    expect(scan(req, atEpsilon, atEpsilon).issues).toEqual([]);
    const issue = only(scanOne(req, [['EQ_A', '100.00011']], '899.99989'));
    expect(issue.issue_key).toBe('SINGLE_POSITION_MAX|EQ_A');
    expect(issue.details.measured).toBe('0.10000011');
  });

  it('2. instrument without shelf entry → DQ MISSING_SHELF with the configured severity, and no issuer/tier DQ', () => {
    const req = setup({ shelf: [entry('EQ_A')], thresholds: { data_quality_issue_severity: 'HIGH' } });
    const issue = only(
      scanOne(
        req,
        [
          ['EQ_A', '500'],
          ['NOSHELF', '500'],
        ],
        '0',
      ),
    );
    expect(issue).toMatchObject({
      issue_id: 'SUIT_DATA_QUALITY',
      issue_key: 'DQ|MISSING_SHELF|NOSHELF',
      dimension: 'DATA_QUALITY',
      severity: 'HIGH',
      summary: 'Shelf enrichment missing for NOSHELF.',
      details: { instrument_id: 'NOSHELF', missing_fields: 'shelf_entry' },
    });
  });

  it('3. shelf entry with absent or empty issuer_id → DQ MISSING_ISSUER', () => {
    const req = setup({
      shelf: [entry('EQ_A', 'APPROVED', { issuer_id: null }), entry('EQ_B', 'APPROVED', { issuer_id: '' })],
    });
    const result = scanOne(
      req,
      [
        ['EQ_A', '500'],
        ['EQ_B', '500'],
      ],
      '0',
    );
    expect(result.issues.map((i) => [i.issue_key, i.severity, i.summary, i.details.missing_fields])).toEqual([
      ['DQ|MISSING_ISSUER|EQ_A', 'MEDIUM', 'Issuer enrichment missing for EQ_A.', 'issuer_id'],
      ['DQ|MISSING_ISSUER|EQ_B', 'MEDIUM', 'Issuer enrichment missing for EQ_B.', 'issuer_id'],
    ]);
  });

  it('4. issuer sum above the cap (two instruments, one issuer)', () => {
    const req = setup({
      shelf: [
        entry('EQ_A', 'APPROVED', { issuer_id: 'ISS' }),
        entry('EQ_B', 'APPROVED', { issuer_id: 'ISS' }),
      ],
      thresholds: { issuer_max_weight: '0.20' },
    });
    const issue = only(
      scanOne(
        req,
        [
          ['EQ_A', '120'],
          ['EQ_B', '100'],
        ],
        '780',
      ),
    );
    expect(issue).toMatchObject({
      issue_id: 'SUIT_ISSUER_MAX',
      issue_key: 'ISSUER_MAX|ISS',
      dimension: 'ISSUER',
      severity: 'MEDIUM',
      summary: 'Issuer ISS exceeds 20.00% exposure cap.',
    });
    expect(Object.entries(issue.details)).toEqual([
      ['issuer_id', 'ISS'],
      ['threshold', '0.20'],
      ['measured', '0.22'],
    ]);
  });

  it('5. shelf entry without liquidity tier → DQ MISSING_LIQUIDITY_TIER', () => {
    const req = setup({ shelf: [entry('EQ_A', 'APPROVED', { liquidity_tier: null })] });
    expect(only(scanOne(req, [['EQ_A', '1000']], '0'))).toMatchObject({
      issue_key: 'DQ|MISSING_LIQUIDITY_TIER|EQ_A',
      issue_id: 'SUIT_DATA_QUALITY',
      summary: 'Liquidity tier enrichment missing for EQ_A.',
      details: { instrument_id: 'EQ_A', missing_fields: 'liquidity_tier' },
    });
  });

  it('6. configured liquidity tier above its cap; unconfigured tiers are never checked', () => {
    const req = setup({
      shelf: [
        entry('EQ_A', 'APPROVED', { liquidity_tier: 'L4' }),
        entry('EQ_B', 'APPROVED', { liquidity_tier: 'L4' }),
        entry('EQ_C', 'APPROVED', { liquidity_tier: 'L2' }),
      ],
      thresholds: { max_weight_by_liquidity_tier: { L4: '0.10', L5: '0.05' } },
    });
    const issue = only(
      scanOne(
        req,
        [
          ['EQ_A', '60'],
          ['EQ_B', '50'],
          ['EQ_C', '890'],
        ],
        '0',
      ),
    );
    expect(issue).toMatchObject({
      issue_id: 'SUIT_LIQUIDITY_MAX',
      issue_key: 'LIQUIDITY_MAX|L4',
      dimension: 'LIQUIDITY',
      severity: 'MEDIUM',
      summary: 'Liquidity tier L4 exceeds 10.00% exposure cap.',
    });
    expect(Object.entries(issue.details)).toEqual([
      ['liquidity_tier', 'L4'],
      ['threshold', '0.10'],
      ['measured', '0.11'],
    ]);
  });

  it('7. BANNED instrument present → HIGH; held before and after → PERSISTENT; sold → RESOLVED', () => {
    const req = setup({ shelf: [entry('BAN', 'BANNED'), entry('EQ_A')] });
    const held = valueState(
      req,
      [
        ['BAN', '100'],
        ['EQ_A', '900'],
      ],
      [usd('0')],
    );
    const sold = valueState(
      req,
      [
        ['BAN', '0'],
        ['EQ_A', '900'],
      ],
      [usd('100')],
    );
    const persistent = only(scan(req, held, held));
    expect(persistent).toMatchObject({
      issue_id: 'SUIT_GOVERNANCE_BANNED',
      issue_key: 'GOVERNANCE|BAN|BANNED',
      dimension: 'GOVERNANCE',
      severity: 'HIGH',
      status_change: 'PERSISTENT',
      summary: 'BANNED instrument BAN is present in the portfolio.',
    });
    expect(Object.entries(persistent.details)).toEqual([
      ['instrument_id', 'BAN'],
      ['shelf_status', 'BANNED'],
      ['measured', '0.1'],
    ]);
    const resolved = scan(req, held, sold);
    expect(keys(resolved)).toEqual(['RESOLVED GOVERNANCE|BAN|BANNED']);
    expect(resolved.summary).toEqual({
      new_count: 0,
      resolved_count: 1,
      persistent_count: 0,
      highest_severity_new: null,
    });
    expect(resolved.recommended_gate).toBe('NONE');
  });

  it('8. SUSPENDED instrument appearing in the after-state → NEW HIGH', () => {
    const req = setup({ shelf: [entry('SUS', 'SUSPENDED'), entry('EQ_A')] });
    const before = valueState(req, [['EQ_A', '1000']], [usd('0')]);
    const after = valueState(
      req,
      [
        ['EQ_A', '900'],
        ['SUS', '100'],
      ],
      [usd('0')],
    );
    const result = scan(req, before, after);
    expect(only(result)).toMatchObject({
      issue_id: 'SUIT_GOVERNANCE_SUSPENDED',
      issue_key: 'GOVERNANCE|SUS|SUSPENDED',
      status_change: 'NEW',
      severity: 'HIGH',
      summary: 'SUSPENDED instrument SUS is present in the portfolio.',
      details: { instrument_id: 'SUS', shelf_status: 'SUSPENDED', measured: '0.1' },
    });
    expect(result.recommended_gate).toBe('COMPLIANCE_REVIEW');
  });

  it('BANNED/SUSPENDED presence needs a weight above ε (0.0000001 itself is not present)', () => {
    const req = setup({ shelf: [entry('BAN', 'BANNED'), entry('EQ_A')] });
    expect(
      scanSame(
        req,
        [
          ['BAN', '0.0001'],
          ['EQ_A', '999.9999'],
        ],
        '0',
      ).issues,
    ).toEqual([]);
    const issue = only(
      scanOne(
        req,
        [
          ['BAN', '0.00011'],
          ['EQ_A', '999.99989'],
        ],
        '0',
      ),
    );
    expect(issue.issue_key).toBe('GOVERNANCE|BAN|BANNED');
    expect(issue.details.measured).toBe('1.1E-7');
  });

  it('9. SELL_ONLY weight rising only because other assets were sold is a NEW HIGH issue (Q-A11)', () => {
    const req = setup({ shelf: [entry('SO', 'SELL_ONLY'), entry('EQ_A')] });
    const before = valueState(
      req,
      [
        ['SO', '100'],
        ['EQ_A', '900'],
      ],
      [usd('0')],
    );
    // Cash withdrawn: EQ_A sold and the cash gone, SO quantity unchanged.
    const after = valueState(
      req,
      [
        ['SO', '100'],
        ['EQ_A', '400'],
      ],
      [usd('0')],
    );
    const issue = only(scan(req, before, after));
    expect(issue).toMatchObject({
      issue_id: 'SUIT_GOVERNANCE_SELL_ONLY_INCREASE',
      issue_key: 'GOVERNANCE|SO|SELL_ONLY',
      status_change: 'NEW',
      severity: 'HIGH',
      summary: 'SELL_ONLY instrument SO increased in proposed state.',
    });
    expect(Object.entries(issue.details)).toEqual([
      ['instrument_id', 'SO'],
      ['shelf_status', 'SELL_ONLY'],
      ['measured_before', '0.1'],
      ['measured_after', '0.2'],
    ]);
    // A falling SELL_ONLY weight raises nothing (and the before scan never fires 9/10).
    expect(scan(req, after, before).issues).toEqual([]);
  });

  it('10. RESTRICTED increase: HIGH without allow_restricted, MEDIUM with it; no final period', () => {
    const shelf = [entry('RES', 'RESTRICTED'), entry('EQ_A')];
    const strict = setup({ shelf });
    const before = valueState(
      strict,
      [
        ['RES', '100'],
        ['EQ_A', '900'],
      ],
      [usd('0')],
    );
    const after = valueState(
      strict,
      [
        ['RES', '200'],
        ['EQ_A', '800'],
      ],
      [usd('0')],
    );
    const high = only(scan(strict, before, after));
    expect(high).toMatchObject({
      issue_id: 'SUIT_GOVERNANCE_RESTRICTED_INCREASE',
      issue_key: 'GOVERNANCE|RES|RESTRICTED',
      severity: 'HIGH',
      summary: 'RESTRICTED instrument RES increased in proposed state',
    });
    expect(Object.entries(high.details)).toEqual([
      ['instrument_id', 'RES'],
      ['shelf_status', 'RESTRICTED'],
      ['allow_restricted', 'false'],
      ['measured_before', '0.1'],
      ['measured_after', '0.2'],
    ]);
    expect(scan(strict, before, after).recommended_gate).toBe('COMPLIANCE_REVIEW');

    const lenient = setup({ shelf, allowRestricted: true });
    const medium = only(scan(lenient, before, after));
    expect(medium.severity).toBe('MEDIUM');
    expect(medium.summary).toBe('RESTRICTED instrument RES increased under allow_restricted');
    expect(medium.details.allow_restricted).toBe('true');
    expect(scan(lenient, before, after).recommended_gate).toBe('RISK_REVIEW');
  });

  it('11. cash band: above max and below min are MEDIUM CASH issues; inside is clean', () => {
    const req = setup({
      shelf: [entry('EQ_A')],
      thresholds: { cash_band_min_weight: '0.01', cash_band_max_weight: '0.05' },
    });
    const high = only(scanSame(req, [['EQ_A', '900']], '100'));
    expect(high).toMatchObject({
      issue_id: 'SUIT_CASH_BAND',
      issue_key: 'CASH_BAND',
      dimension: 'CASH',
      severity: 'MEDIUM',
      summary: 'Cash weight is outside advisory suitability band.',
    });
    expect(Object.entries(high.details)).toEqual([
      ['threshold_min', '0.01'],
      ['threshold_max', '0.05'],
      ['measured', '0.1'],
    ]);
    expect(only(scanSame(req, [['EQ_A', '995']], '5')).details.measured).toBe('0.005');
    expect(scanSame(req, [['EQ_A', '970']], '30').issues).toEqual([]);
  });

  it('cash band ε boundary on the low side: min − ε does not fire, just below does', () => {
    const req = setup({ shelf: [entry('EQ_A')], thresholds: { cash_band_min_weight: '0.01' } });
    expect(scanSame(req, [['EQ_A', '990.0001']], '9.9999').issues).toEqual([]);
    expect(only(scanSame(req, [['EQ_A', '990.00011']], '9.99989')).details.measured).toBe('0.00999989');
  });

  it('instruments with zero or negative weight are invisible to every check', () => {
    const req = setup({
      shelf: [
        entry('BAN', 'BANNED'),
        entry('SUS', 'SUSPENDED', { issuer_id: null, liquidity_tier: null }),
        entry('EQ_A'),
      ],
    });
    expect(
      scanOne(
        req,
        [
          ['BAN', '0'],
          ['SUS', '-50'],
          ['NOSHELF', '0'],
          ['EQ_A', '1000'],
        ],
        '50',
      ).issues,
    ).toEqual([]);
  });

  it('W keeps the last positive row of a duplicated instrument (a map, not a sum)', () => {
    const req = setup({ shelf: [entry('EQ_A')], thresholds: { single_position_max_weight: '0.10' } });
    // Rows: EQ_A 0.05, EQ_A 0.15, EQ_A 0 → W[EQ_A] = 0.15 (a sum would give 0.20).
    const issue = only(
      scanOne(
        req,
        [
          ['EQ_A', '50'],
          ['EQ_A', '150'],
          ['EQ_A', '0'],
        ],
        '800',
      ),
    );
    expect(issue.details.measured).toBe('0.15');
    expect(issue.severity).toBe('HIGH');
  });
});

describe('percent formatting of caps', () => {
  it.each([
    ['0.10', '10.00%'],
    ['0.1', '10.00%'],
    ['0.12345', '12.34%'],
    ['0.12355', '12.36%'],
    ['0.125', '12.50%'],
    ['1', '100.00%'],
    ['0', '0.00%'],
    ['0.0000001', '0.00%'],
  ])('%s → %s', (cap, expected) => {
    expect(formatCapPercent(dec(cap))).toBe(expected);
  });

  it('summaries use the half-even 2-decimal percentage', () => {
    const req = setup({ shelf: [entry('EQ_A')], thresholds: { single_position_max_weight: '0.12345' } });
    const issue = only(scanOne(req, [['EQ_A', '200']], '800'));
    expect(issue.summary).toBe('Single position EQ_A exceeds 12.34% cap.');
    expect(issue.details.threshold).toBe('0.12345');
  });
});

describe('trade attempts (Q-A11)', () => {
  const buy = (instrument_id: string) => ({ side: 'BUY', instrument_id, quantity: '10' });

  it('a blocked SELL_ONLY BUY overwrites the state candidate with the attempt wording', () => {
    const req = setup({ shelf: [entry('SO', 'SELL_ONLY'), entry('EQ_A')], trades: [buy('SO')] });
    // The state check fires too (SO 0.1 → 0.2 after EQ_A was sold): the attempt replaces it.
    const before = valueState(
      req,
      [
        ['SO', '100'],
        ['EQ_A', '900'],
      ],
      [usd('0')],
    );
    const after = valueState(
      req,
      [
        ['SO', '100'],
        ['EQ_A', '400'],
      ],
      [usd('0')],
    );
    const issue = only(scan(req, before, after));
    expect(issue.summary).toBe('Proposal BUY attempts to increase SELL_ONLY instrument SO.');
    expect(issue.details).toEqual({
      instrument_id: 'SO',
      shelf_status: 'SELL_ONLY',
      measured_before: '0.1',
      measured_after: '0.2',
    });
  });

  it('fires for a SELL_ONLY BUY even when the weight did not move, and for one not held (weights 0)', () => {
    const req = setup({ shelf: [entry('SO', 'SELL_ONLY'), entry('EQ_A')], trades: [buy('SO')] });
    const held = valueState(
      req,
      [
        ['SO', '100'],
        ['EQ_A', '900'],
      ],
      [usd('0')],
    );
    expect(keys(scan(req, held, held))).toEqual(['NEW GOVERNANCE|SO|SELL_ONLY']);
    const none = valueState(req, [['EQ_A', '1000']], [usd('0')]);
    expect(only(scan(req, none, none)).details).toEqual({
      instrument_id: 'SO',
      shelf_status: 'SELL_ONLY',
      measured_before: '0',
      measured_after: '0',
    });
  });

  it('RESTRICTED BUY attempts: HIGH, or MEDIUM under allow_restricted, executed or not', () => {
    const shelf = [entry('RES', 'RESTRICTED'), entry('EQ_A')];
    const strict = setup({ shelf, trades: [buy('RES')] });
    const before = valueState(strict, [['EQ_A', '1000']], [usd('0')]);
    const after = valueState(
      strict,
      [
        ['EQ_A', '990'],
        ['RES', '10'],
      ],
      [usd('0')],
    );
    const high = only(scan(strict, before, after));
    expect(high).toMatchObject({
      severity: 'HIGH',
      summary: 'Proposal BUY attempts to increase RESTRICTED instrument RES.',
      details: {
        instrument_id: 'RES',
        shelf_status: 'RESTRICTED',
        allow_restricted: 'false',
        measured_before: '0',
        measured_after: '0.01',
      },
    });
    const lenient = setup({ shelf, trades: [buy('RES')], allowRestricted: true });
    const medium = only(scan(lenient, before, after));
    expect(medium.severity).toBe('MEDIUM');
    expect(medium.details.allow_restricted).toBe('true');
    expect(medium.summary).toBe('Proposal BUY attempts to increase RESTRICTED instrument RES.');
  });

  it('SELLs, BUYs of BANNED/SUSPENDED/APPROVED and BUYs without a shelf entry raise no attempt issue', () => {
    const req = setup({
      shelf: [entry('SO', 'SELL_ONLY'), entry('BAN', 'BANNED'), entry('SUS', 'SUSPENDED'), entry('EQ_A')],
      trades: [
        { side: 'SELL', instrument_id: 'SO', quantity: '1' },
        buy('BAN'),
        buy('SUS'),
        buy('EQ_A'),
        buy('NOSHELF'),
      ],
    });
    const state = valueState(req, [['EQ_A', '1000']], [usd('0')]);
    expect(scan(req, state, state).issues).toEqual([]);
  });
});

describe('shelf indexing (Q-A1)', () => {
  it('the last shelf row per instrument wins', () => {
    const approvedThenSellOnly = setup({
      shelf: [entry('EQ_A'), entry('EQ_A', 'SELL_ONLY', { issuer_id: null })],
      trades: [{ side: 'BUY', instrument_id: 'EQ_A', quantity: '1' }],
    });
    expect(keys(scanOne(approvedThenSellOnly, [['EQ_A', '1000']], '0'))).toEqual([
      'NEW GOVERNANCE|EQ_A|SELL_ONLY',
      'NEW DQ|MISSING_ISSUER|EQ_A',
    ]);
    const sellOnlyThenApproved = setup({
      shelf: [entry('EQ_A', 'SELL_ONLY', { issuer_id: null }), entry('EQ_A')],
      trades: [{ side: 'BUY', instrument_id: 'EQ_A', quantity: '1' }],
    });
    expect(scanOne(sellOnlyThenApproved, [['EQ_A', '1000']], '0').issues).toEqual([]);
  });
});

describe('classification, ordering and summary', () => {
  it('orders by status, severity, dimension, then issue_key in code-point order', () => {
    const req = setup({
      shelf: [
        entry('EQ_A'),
        entry('EQ_B', 'APPROVED', { issuer_id: null }),
        entry('EQ_C', 'APPROVED', { liquidity_tier: null }),
        entry('EQ_Z'),
        entry('eq_a'),
        entry('BAN', 'BANNED'),
      ],
      thresholds: {
        single_position_max_weight: '0.10',
        cash_band_min_weight: '0.01',
        cash_band_max_weight: '0.05',
      },
    });
    // before: EQ_A 0.30 (HIGH), BAN 0.05, EQ_B 0.05 (missing issuer), cash 0.60
    const before = valueState(
      req,
      [
        ['EQ_A', '300'],
        ['BAN', '50'],
        ['EQ_B', '50'],
      ],
      [usd('600')],
    );
    // after: eq_a 0.115 (MEDIUM), EQ_Z 0.11 (MEDIUM), EQ_A 0.20 (HIGH), EQ_C 0.05 (missing tier), BAN, EQ_B gone, cash 0.475
    const after = valueState(
      req,
      [
        ['eq_a', '115'],
        ['EQ_Z', '110'],
        ['EQ_A', '200'],
        ['EQ_C', '50'],
        ['BAN', '50'],
      ],
      [usd('475')],
    );
    const result = scan(req, before, after);
    expect(keys(result)).toEqual([
      'NEW SINGLE_POSITION_MAX|EQ_Z',
      'NEW SINGLE_POSITION_MAX|eq_a',
      'NEW DQ|MISSING_LIQUIDITY_TIER|EQ_C',
      'PERSISTENT SINGLE_POSITION_MAX|EQ_A',
      'PERSISTENT GOVERNANCE|BAN|BANNED',
      'PERSISTENT CASH_BAND',
      'RESOLVED DQ|MISSING_ISSUER|EQ_B',
    ]);
    expect(result.issues.map((i) => `${i.status_change} ${i.severity} ${i.dimension}`)).toEqual([
      'NEW MEDIUM CONCENTRATION',
      'NEW MEDIUM CONCENTRATION',
      'NEW MEDIUM DATA_QUALITY',
      'PERSISTENT HIGH CONCENTRATION',
      'PERSISTENT HIGH GOVERNANCE',
      'PERSISTENT MEDIUM CASH',
      'RESOLVED MEDIUM DATA_QUALITY',
    ]);
    // PERSISTENT carries the after candidate, RESOLVED the before candidate.
    expect(result.issues[3].details.measured).toBe('0.2');
    expect(result.issues[5].details.measured).toBe('0.475');
    expect(result.issues[6].details.instrument_id).toBe('EQ_B');
    expect(result.summary).toEqual({
      new_count: 3,
      resolved_count: 1,
      persistent_count: 3,
      highest_severity_new: 'MEDIUM',
    });
    expect(result.recommended_gate).toBe('RISK_REVIEW');
  });

  it('NEW LOW issues alone give highest_severity_new LOW and gate NONE', () => {
    const req = setup({
      shelf: [entry('EQ_A', 'APPROVED', { issuer_id: null })],
      thresholds: { data_quality_issue_severity: 'LOW' },
    });
    const result = scanOne(req, [['EQ_A', '1000']], '0');
    expect(keys(result)).toEqual(['NEW DQ|MISSING_ISSUER|EQ_A']);
    expect(result.summary.highest_severity_new).toBe('LOW');
    expect(result.recommended_gate).toBe('NONE');
  });

  it('a clean scan is empty with null highest severity', () => {
    const req = setup({ shelf: [entry('EQ_A')] });
    const result = scanOne(req, [['EQ_A', '1000']], '0');
    expect(result).toEqual({
      summary: { new_count: 0, resolved_count: 0, persistent_count: 0, highest_severity_new: null },
      issues: [],
      recommended_gate: 'NONE',
    });
  });

  it('the unrounded weight text is carried in details (no 4-place rounding)', () => {
    const req = setup({
      shelf: [entry('EQ_A'), entry('EQ_B')],
      thresholds: { single_position_max_weight: '0.10' },
    });
    const issue = only(
      scanOne(
        req,
        [
          ['EQ_A', '1'],
          ['EQ_B', '0.01'],
        ],
        '2',
      ),
    );
    // 1 ÷ 3.01 at 28 significant digits.
    expect(issue.details.measured).toBe('0.3322259136212624584717607973');
  });
});
