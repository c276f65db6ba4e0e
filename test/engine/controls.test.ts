/** The DPM controls at their edges (spec 11 §4, §5, §7): tax budget, turnover cap, settlement ladder. */
import { describe, expect, it } from 'vitest';
import { dec, text } from '../../src/contracts/decimal.js';
import { hifoOrder } from '../../src/engine/tax.js';
import { approved, body, runWire } from '../support/request.js';

/** One holding of 10 units at 100 with two lots, model 0 → sell everything. */
function taxCase(options: Record<string, unknown>, lots: [string, string, string][]) {
  const b = body({
    cash: [['USD', '0']],
    prices: [['X', '100', 'USD']],
    model: [['X', '0']],
    shelf: approved('X'),
    options: { enable_tax_awareness: true, ...options },
  });
  b.portfolio_snapshot.positions = [
    {
      instrument_id: 'X',
      quantity: '10',
      lots: lots.map(([lot_id, quantity, cost]) => ({
        lot_id,
        quantity,
        unit_cost: { amount: cost, currency: 'USD' },
        purchase_date: '2024-01-01',
      })),
    },
  ];
  return runWire(b);
}

describe('tax awareness edges', () => {
  it('uses the budget exactly: everything sells, no event, budget_used equals the limit', () => {
    // gains: 5 × (100 − 80) = 100 and 5 × (100 − 60) = 200 → 300 in total
    const r = taxCase({ max_realized_capital_gains: '300' }, [
      ['A', '5', '80'],
      ['B', '5', '60'],
    ]);
    expect(r.intents[0]).toMatchObject({ side: 'SELL', quantity: '10', constraints_applied: [] });
    expect(r.diagnostics.tax_budget_constraint_events).toEqual([]);
    expect(r.diagnostics.warnings).not.toContain('TAX_BUDGET_LIMIT_REACHED');
    expect(Number(r.tax_impact.budget_used.amount)).toBe(300);
    expect(Number(r.tax_impact.total_realized_gain.amount)).toBe(300);
  });

  it('with a zero budget sells loss lots and stops at the first gain lot', () => {
    const r = taxCase({ max_realized_capital_gains: '0' }, [
      ['GAIN', '6', '50'],
      ['LOSS', '4', '150'],
    ]);
    expect(r.intents[0]).toMatchObject({ side: 'SELL', quantity: '4', constraints_applied: ['TAX_BUDGET'] });
    expect(r.diagnostics.tax_budget_constraint_events).toEqual([
      {
        instrument_id: 'X',
        requested_quantity: '10',
        allowed_quantity: '4',
        reason_code: 'TAX_BUDGET_LIMIT_REACHED',
      },
    ]);
    expect(Number(r.tax_impact.total_realized_loss.amount)).toBe(200);
    expect(Number(r.tax_impact.total_realized_gain.amount)).toBe(0);
  });

  it('one unit of budget short sells fractionally from the lot that exhausts it', () => {
    const r = taxCase({ max_realized_capital_gains: '299' }, [
      ['A', '5', '80'],
      ['B', '5', '60'],
    ]);
    // HIFO: A (cost 80) first, 100 of budget; then 199 ÷ 40 = 4.975 units of B.
    expect(r.intents[0].quantity).toBe('9.975');
    expect(r.diagnostics.warnings).toEqual(['TAX_BUDGET_LIMIT_REACHED']);
  });

  it('orders lots of equal cost by later purchase date, then greater lot id, keeping input order for full ties', () => {
    const lot = (lot_id: string, purchase_date: string, cost = '50') => ({
      lot: { lot_id, purchase_date, quantity: dec('1') },
      cost: dec(cost),
    });
    const ordered = hifoOrder([
      lot('L1', '2020-01-01'),
      lot('L2', '2021-06-30'),
      lot('L3', '2021-06-30'),
      lot('L0', '2019-01-01', '51'),
      lot('L3', '2021-06-30'),
    ]);
    expect(ordered.map((l) => `${l.lot.lot_id}@${l.lot.purchase_date}:${text(l.cost)}`)).toEqual([
      'L0@2019-01-01:51',
      'L3@2021-06-30:50',
      'L3@2021-06-30:50',
      'L2@2021-06-30:50',
      'L1@2020-01-01:50',
    ]);
  });
});

describe('settlement ladder edges', () => {
  /** Cash 0 USD settles a 1000 USD buy on T+1 against a sell settling on T+3. */
  const ladder = (overdraft: string | null) =>
    runWire(
      body({
        holdings: [['OLD', '10', '100']],
        cash: [['USD', '0']],
        prices: [['NEW', '100', 'USD']],
        model: [['NEW', '1']],
        shelf: [
          { instrument_id: 'OLD', status: 'APPROVED', settlement_days: 3 },
          { instrument_id: 'NEW', status: 'APPROVED', settlement_days: 1 },
        ],
        options: {
          enable_settlement_awareness: true,
          ...(overdraft === null ? {} : { max_overdraft_by_ccy: { USD: overdraft } }),
        },
      }),
    );

  it('an overdraft exactly at the limit is used, not breached: READY with SETTLEMENT_OVERDRAFT_UTILIZED', () => {
    const r = ladder('1000');
    expect(r.status).toBe('READY');
    expect(r.diagnostics.warnings).toEqual(['SETTLEMENT_OVERDRAFT_UTILIZED']);
    expect(r.diagnostics.cash_ladder_breaches).toEqual([]);
    expect(
      Number(
        r.diagnostics.cash_ladder.find((p: any) => p.currency === 'USD' && p.date_offset === 1)
          .projected_balance,
      ),
    ).toBe(-1000);
  });

  it('one unit less of overdraft blocks on the first breaching day', () => {
    const r = ladder('999');
    expect(r.status).toBe('BLOCKED');
    expect(r.diagnostics.warnings).toEqual(['SETTLEMENT_OVERDRAFT_UTILIZED', 'OVERDRAFT_ON_T_PLUS_1']);
    expect(r.rule_results).toEqual([
      expect.objectContaining({
        rule_id: 'SETTLEMENT_CASH_LADDER',
        status: 'FAIL',
        reason_code: 'OVERDRAFT_ON_T_PLUS_1',
        measured: '1',
      }),
    ]);
    expect(r.diagnostics.cash_ladder_breaches.map((b: any) => b.date_offset)).toEqual([1, 2]);
  });

  it('without a facility any negative day blocks', () => {
    expect(ladder(null).status).toBe('BLOCKED');
  });
});

describe('turnover cap edges', () => {
  const capped = (pct: string) =>
    runWire(
      body({
        cash: [['USD', '100000']],
        prices: [
          ['A', '100', 'USD'],
          ['B', '100', 'USD'],
          ['C', '100', 'USD'],
        ],
        model: [
          ['C', '0.02'],
          ['B', '0.10'],
          ['A', '0.10'],
        ],
        shelf: approved('A', 'B', 'C'),
        options: { max_turnover_pct: pct },
      }),
    );

  it('keeps the largest trades that fit, skipping and continuing, in ranked order', () => {
    const r = capped('0.15');
    expect(r.intents.map((i: any) => i.instrument_id)).toEqual(['A', 'C']);
    expect(r.diagnostics.dropped_intents).toEqual([
      {
        instrument_id: 'B',
        reason: 'TURNOVER_LIMIT',
        potential_notional: { amount: '10000.0', currency: 'USD' },
        score: '0.1',
      },
    ]);
  });

  it('accepts an exact fit and drops nothing when the budget covers everything', () => {
    expect(capped('0.22').diagnostics.dropped_intents).toEqual([]);
    expect(capped('0.22').intents).toHaveLength(3);
  });

  it('with a zero budget drops every trade and stays READY', () => {
    const r = capped('0');
    expect(r.intents).toEqual([]);
    expect(r.diagnostics.dropped_intents).toHaveLength(3);
    expect(r.diagnostics.warnings).toEqual(['PARTIAL_REBALANCE_TURNOVER_LIMIT']);
    expect(r.status).toBe('READY');
  });
});
