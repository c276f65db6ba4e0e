/**
 * Behaviour the goldens do not cover, pinned by the probe results quoted in specs 10 and 11
 * (TRUST_SNAPSHOT, inverse pairs, negative holdings, duplicates, multi-key caps), plus Keel's
 * documented departures (docs/decisions).
 */
import { describe, expect, it } from 'vitest';
import { text } from '../../src/contracts/decimal.js';
import { approved, body, run, runWire } from '../support/request.js';

const weights = (r: ReturnType<typeof run>) =>
  Object.fromEntries(r.target.targets.map((t) => [t.instrument_id, text(t.final_weight)]));

describe('valuation (spec 10 §5)', () => {
  it('TRUST_SNAPSHOT values from market_value, relabels the currency, inverts a reverse pair (Q-M3, Q-M4)', () => {
    const b = body({
      base: 'SGD',
      cash: [['SGD', '0']],
      prices: [['X', '10', 'SGD']],
      fx: [['SGD/USD', '0.75']],
      shelf: approved('X'),
    });
    b.portfolio_snapshot.positions = [
      { instrument_id: 'X', quantity: '100', market_value: { amount: '1500', currency: 'USD' } },
    ];
    b.options = { valuation_mode: 'TRUST_SNAPSHOT' };
    const r = runWire(b);
    expect(r.before.positions[0]).toMatchObject({
      instrument_currency: 'USD',
      price: { amount: '10', currency: 'USD' },
      value_in_instrument_ccy: { amount: '1500', currency: 'USD' },
      value_in_base_ccy: { amount: '2000.000000000000000000000000', currency: 'SGD' },
    });
  });

  it('TRUST_SNAPSHOT still logs and blocks on a missing price row (Q-M2)', () => {
    const b = body({ cash: [['USD', '0']], shelf: approved('X'), model: [['X', '1']] });
    b.portfolio_snapshot.positions = [
      { instrument_id: 'X', quantity: '1', market_value: { amount: '100', currency: 'USD' } },
    ];
    b.options = { valuation_mode: 'TRUST_SNAPSHOT' };
    const r = runWire(b);
    expect(r.status).toBe('BLOCKED');
    expect(r.diagnostics.data_quality.price_missing).toEqual(['X']);
    expect(r.explanation).toEqual({ summary: 'Blocked' });
  });

  it('values everything at weight = value when the total is zero (Q-M6)', () => {
    const r = run(body({ holdings: [['A', '0', '5']], cash: [['USD', '0']], shelf: approved('A') }));
    expect(text(r.before.allocation_by_asset_class.at(-1)!.weight)).toBe('0');
  });
});

describe('universe and targets (spec 10 §6, §7)', () => {
  it('keeps a held short outside the model on the sell list with target 0, i.e. a buy to flatten', () => {
    const r = runWire(
      body({ holdings: [['S', '-10', '10']], cash: [['USD', '1000']], shelf: approved('S') }),
    );
    expect(r.intents).toEqual([expect.objectContaining({ instrument_id: 'S', side: 'BUY', quantity: '10' })]);
  });

  it('blocks a locked short on NO_SHORTING', () => {
    const r = runWire(
      body({
        holdings: [['S', '-10', '10']],
        cash: [['USD', '1000']],
        shelf: [{ instrument_id: 'S', status: 'SUSPENDED' }],
      }),
    );
    expect(r.status).toBe('BLOCKED');
    expect(r.rule_results.find((x: any) => x.rule_id === 'NO_SHORTING')).toMatchObject({
      status: 'FAIL',
      measured: '-10',
      reason_code: 'SELL_EXCEEDS_HOLDINGS',
    });
  });

  it('repeats duplicate model ids in buy/sell lists and trace, last weight wins, trades once (Q-M23)', () => {
    const r = run(
      body({
        cash: [['USD', '1000']],
        prices: [['A', '10', 'USD']],
        model: [
          ['A', '0.2'],
          ['A', '0.5'],
        ],
        shelf: approved('A'),
      }),
    );
    expect(r.universe.eligible_for_buy).toEqual(['A', 'A']);
    expect(r.target.targets.map((t) => text(t.final_weight))).toEqual(['0.5', '0.5']);
    expect(r.intents.filter((i) => i.intent_type === 'SECURITY_TRADE')).toHaveLength(1);
  });

  it('applies two group keys once each in key order (probe, Q-M12)', () => {
    const shelf = [
      { instrument_id: 'A', status: 'APPROVED', attributes: { sector: 'TECH', region: 'US' } },
      { instrument_id: 'B', status: 'APPROVED', attributes: { sector: 'FI', region: 'US' } },
      { instrument_id: 'C', status: 'APPROVED', attributes: { sector: 'FI', region: 'EU' } },
    ];
    const r = run(
      body({
        cash: [['USD', '10000']],
        prices: [
          ['A', '1', 'USD'],
          ['B', '1', 'USD'],
          ['C', '1', 'USD'],
        ],
        model: [
          ['A', '0.5'],
          ['B', '0.3'],
          ['C', '0.2'],
        ],
        shelf,
        options: {
          group_constraints: { 'sector:TECH': { max_weight: '0.3' }, 'region:US': { max_weight: '0.5' } },
        },
      }),
    );
    const tech = r.diagnostics.group_constraint_events[1]!;
    expect(tech.constraint_key).toBe('sector:TECH');
    expect(text(tech.recipients.B!)).toBe('0.003409090909090909090909090909');
    expect(text(tech.recipients.C!)).toBe('0.009090909090909090909090909091');
    expect(Number(weights(r).A)).toBe(0.3);
  });

  it('warns on an unknown attribute and skips a known attribute with no match silently (Q-M13)', () => {
    const r = run(
      body({
        cash: [['USD', '100']],
        prices: [['A', '1', 'USD']],
        model: [['A', '1']],
        shelf: [{ instrument_id: 'A', status: 'APPROVED', attributes: { sector: 'TECH' } }],
        options: {
          group_constraints: { 'region:US': { max_weight: '0.1' }, 'sector:FI': { max_weight: '0.1' } },
        },
      }),
    );
    expect(r.diagnostics.warnings).toEqual(['UNKNOWN_CONSTRAINT_ATTRIBUTE_region']);
  });

  it('scales over-allocation (probe: 0.7 + 0.6)', () => {
    const r = run(
      body({
        cash: [['USD', '100']],
        prices: [
          ['A', '1', 'USD'],
          ['B', '1', 'USD'],
        ],
        model: [
          ['A', '0.7'],
          ['B', '0.6'],
        ],
        shelf: approved('A', 'B'),
      }),
    );
    expect(weights(r)).toEqual({ A: '0.5384615384615384615384615384', B: '0.4615384615384615384615384615' });
    expect(r.status).toBe('PENDING_REVIEW');
  });

  it.each([
    [['0.6', '0.2', '0.2'], '0.5', ['0.5', '0.25', '0.225'], 'PENDING_REVIEW'],
    [['0.6', '0.3', '0.1'], '0.4', ['0.4', '0.4', '0.125'], 'PENDING_REVIEW'],
  ])(
    'single-position cap uses the shrinking remainder (probe %j, max %s, Q-M11)',
    (model, cap, expected, status) => {
      const r = run(
        body({
          cash: [['USD', '100000']],
          prices: [
            ['A', '1', 'USD'],
            ['B', '1', 'USD'],
            ['C', '1', 'USD'],
          ],
          model: [
            ['A', model[0]!],
            ['B', model[1]!],
            ['C', model[2]!],
          ],
          shelf: approved('A', 'B', 'C'),
          options: { single_position_max_weight: cap },
        }),
      );
      expect(Object.values(weights(r)).map(Number)).toEqual(expected.map(Number));
      expect(r.status).toBe(status);
    },
  );
});

describe('Keel departures (docs/decisions)', () => {
  it('never trades a locked holding: a SUSPENDED position above the single cap stays, the rest is rebalanced, SOFT LOCKED_POSITION_ABOVE_CAP (0003, 0050)', () => {
    // FROZEN 50 × 10 = 500 of 1000 (0.5) is locked above the 0.3 cap; A's 0.5 is capped at 0.3
    // (no recipient below the cap: the 0.2 stays in cash) and bought: 300 units at 1.
    const r = runWire(
      body({
        holdings: [['FROZEN', '50', '10']],
        cash: [['USD', '500']],
        prices: [['A', '1', 'USD']],
        model: [['A', '0.5']],
        shelf: [{ instrument_id: 'FROZEN', status: 'SUSPENDED' }, ...approved('A')],
        options: { single_position_max_weight: '0.3' },
      }),
    );
    expect(r.intents.some((i: any) => i.instrument_id === 'FROZEN')).toBe(false);
    expect(r.target.targets.find((t: any) => t.instrument_id === 'FROZEN').final_weight).toBe('0.5');
    expect(r.intents).toMatchObject([{ instrument_id: 'A', side: 'BUY', quantity: '300' }]);
    expect(r.status).toBe('PENDING_REVIEW');
    expect(r.rule_results.filter((x: any) => x.rule_id === 'SINGLE_POSITION_MAX')).toMatchObject([
      { severity: 'HARD', status: 'PASS', measured: '0.3', reason_code: 'OK' },
    ]);
    expect(r.rule_results.find((x: any) => x.rule_id === 'LOCKED_POSITION_ABOVE_CAP')).toEqual({
      rule_id: 'LOCKED_POSITION_ABOVE_CAP',
      severity: 'SOFT',
      status: 'FAIL',
      measured: '0.5',
      threshold: { max: '0.3' },
      reason_code: 'LOCKED_POSITION_ABOVE_CAP',
      remediation_hint:
        'Locked holdings above the single-position cap 0.3 cannot be traded: FROZEN (LOCKED_DUE_TO_SUSPENDED) at 0.5000, excess 0.2000.',
    });
    expect(r.gate_decision.gate).toBe('RISK_REVIEW_REQUIRED');
  });

  it('a tradeable position above the cap still fails the HARD rule, next to a locked one (0050)', () => {
    // Turnover 0 keeps A at 0.4 above the 0.3 cap: HARD breach → BLOCKED, whatever the locked line does.
    const r = runWire(
      body({
        holdings: [
          ['FROZEN', '40', '10'],
          ['A', '400', '1'],
        ],
        cash: [['USD', '200']],
        model: [['A', '0.5']],
        shelf: [{ instrument_id: 'FROZEN', status: 'BANNED' }, ...approved('A')],
        options: { single_position_max_weight: '0.3', max_turnover_pct: '0' },
      }),
    );
    expect(r.status).toBe('BLOCKED');
    expect(r.rule_results.filter((x: any) => x.rule_id === 'SINGLE_POSITION_MAX')).toMatchObject([
      {
        severity: 'HARD',
        status: 'FAIL',
        measured: '0.4',
        remediation_hint: 'Instrument A exceeds max weight.',
      },
    ]);
    expect(r.rule_results.find((x: any) => x.rule_id === 'LOCKED_POSITION_ABOVE_CAP')).toMatchObject({
      severity: 'SOFT',
      status: 'FAIL',
      measured: '0.4',
    });
  });

  it('keeps locked group members fixed and scales only the others into the room left (0003)', () => {
    const r = run(
      body({
        holdings: [['L', '20', '10']],
        cash: [['USD', '800']],
        prices: [
          ['T', '1', 'USD'],
          ['F', '1', 'USD'],
        ],
        model: [
          ['T', '0.5'],
          ['F', '0.3'],
        ],
        shelf: [
          { instrument_id: 'L', status: 'BANNED', attributes: { sector: 'TECH' } },
          { instrument_id: 'T', status: 'APPROVED', attributes: { sector: 'TECH' } },
          { instrument_id: 'F', status: 'APPROVED', attributes: { sector: 'FI' } },
        ],
        options: { group_constraints: { 'sector:TECH': { max_weight: '0.4' } } },
      }),
    );
    // L is locked at 0.2; T shrinks to the 0.2 of room; the 0.3 released goes to F.
    expect(weights(r)).toEqual({ T: '0.20', F: '0.6', L: '0.2' });
    expect(r.intents.some((i) => i.intent_type === 'SECURITY_TRADE' && i.instrument_id === 'L')).toBe(false);
  });

  it('locked members alone above a group cap: the rest is rebalanced, SOFT LOCKED_GROUP_ABOVE_CAP (0050)', () => {
    // L 50 × 10 = 0.5 of 1000, cap 0.4; nothing tradeable in TECH; T (FI) bought to 0.5.
    const r = runWire(
      body({
        holdings: [['L', '50', '10']],
        cash: [['USD', '500']],
        prices: [['T', '1', 'USD']],
        model: [['T', '0.5']],
        shelf: [
          { instrument_id: 'L', status: 'SUSPENDED', attributes: { sector: 'TECH' } },
          { instrument_id: 'T', status: 'APPROVED', attributes: { sector: 'FI' } },
        ],
        options: { group_constraints: { 'sector:TECH': { max_weight: '0.4' } } },
      }),
    );
    expect(r.status).toBe('PENDING_REVIEW');
    expect(r.diagnostics.warnings).toEqual([
      'CAPPED_BY_GROUP_LIMIT_sector:TECH',
      'LOCKED_GROUP_ABOVE_CAP_sector:TECH',
    ]);
    expect(r.diagnostics.group_constraint_events).toMatchObject([
      { constraint_key: 'sector:TECH', released_weight: '0.0', recipients: {}, status: 'CAPPED' },
    ]);
    expect(r.intents).toMatchObject([{ instrument_id: 'T', side: 'BUY', quantity: '500' }]);
    expect(r.rule_results.find((x: any) => x.rule_id === 'LOCKED_GROUP_ABOVE_CAP')).toEqual({
      rule_id: 'LOCKED_GROUP_ABOVE_CAP',
      severity: 'SOFT',
      status: 'FAIL',
      measured: '0.5',
      threshold: { max: '0.4' },
      reason_code: 'LOCKED_GROUP_ABOVE_CAP',
      remediation_hint:
        'Locked holdings in group sector:TECH weigh 0.5000 against a cap of 0.4, excess 0.1000, and cannot be traded: L (LOCKED_DUE_TO_SUSPENDED) at 0.5000.',
    });
  });

  it('locked members above a group cap push the tradeable members to zero; their weight goes to the others (0050)', () => {
    // L 30 × 10 = 0.3 locked in TECH (cap 0.2): room max(0, 0.2 − 0.3) = 0, so T's 0.3 goes to F.
    const r = runWire(
      body({
        holdings: [['L', '30', '10']],
        cash: [['USD', '700']],
        prices: [
          ['T', '1', 'USD'],
          ['F', '1', 'USD'],
        ],
        model: [
          ['T', '0.3'],
          ['F', '0.3'],
        ],
        shelf: [
          { instrument_id: 'L', status: 'BANNED', attributes: { sector: 'TECH' } },
          { instrument_id: 'T', status: 'APPROVED', attributes: { sector: 'TECH' } },
          { instrument_id: 'F', status: 'APPROVED', attributes: { sector: 'FI' } },
        ],
        options: { group_constraints: { 'sector:TECH': { max_weight: '0.2' } } },
      }),
    );
    expect(r.status).toBe('PENDING_REVIEW');
    expect(
      Object.fromEntries(r.target.targets.map((t: any) => [t.instrument_id, Number(t.final_weight)])),
    ).toEqual({
      T: 0,
      F: 0.6,
      L: 0.3,
    });
    expect(r.intents).toMatchObject([{ instrument_id: 'F', side: 'BUY', quantity: '600' }]);
    expect(r.rule_results.find((x: any) => x.rule_id === 'LOCKED_GROUP_ABOVE_CAP')).toMatchObject({
      status: 'FAIL',
      measured: '0.3',
      threshold: { max: '0.2' },
    });
  });

  it('treats a zero price of a traded instrument as missing instead of failing (0002)', () => {
    const r = runWire(
      body({
        cash: [['USD', '1000']],
        prices: [['A', '0', 'USD']],
        model: [['A', '0.5']],
        shelf: approved('A'),
      }),
    );
    expect(r.status).toBe('BLOCKED');
    expect(r.diagnostics.data_quality.price_missing).toEqual(['A']);
    const lenient = runWire(
      body({
        cash: [['USD', '1000']],
        prices: [['A', '0', 'USD']],
        model: [['A', '0.5']],
        shelf: approved('A'),
        options: { block_on_missing_prices: false },
      }),
    );
    expect(lenient.status).toBe('READY');
    expect(lenient.intents).toEqual([]);
  });
});
