/**
 * What a scenario run stores (spec 50 §2): the ten run-level metrics from the engine result, the
 * settlement cash ladder as a series, and the projection of the after-state value, with exact
 * decimals.
 */
import { describe, expect, it } from 'vitest';
import { dec, eq } from '../../src/contracts/decimal.js';
import { simulateRebalance } from '../../src/engine/pipeline.js';
import { addDays, isCalendarDate } from '../../src/scenarios/dates.js';
import { scenarioOutputs } from '../../src/scenarios/outputs.js';
import { RUN_METRICS } from '../../src/scenarios/run-metrics.js';
import { body, request } from '../support/request.js';

/** 100 × EQ at 100.00 USD, 1000.00 USD cash, model EQ 50 %: the engine sells 45 EQ for 4500.00. */
function rebalanced(options: Record<string, unknown> = {}) {
  const req = request(
    body({
      cash: [['USD', '1000.00']],
      holdings: [['EQ', '100', '100.00']],
      model: [['EQ', '0.5']],
      shelf: [{ instrument_id: 'EQ', status: 'APPROVED', asset_class: 'EQUITY', settlement_days: 1 }],
      options,
    }),
  );
  return { req, result: simulateRebalance(req) };
}

const values = (rows: { metric_name: string; value: { toString(): string } }[]) =>
  Object.fromEntries(rows.map((r) => [r.metric_name, r.value.toString()]));

describe('scenario outputs', () => {
  it('writes the ten run-level metrics as-of the run date', () => {
    const { req, result } = rebalanced();
    const out = scenarioOutputs(result, req, null, '2026-03-31');
    expect(out.rows.map((r) => r.metric_name)).toEqual([...RUN_METRICS]);
    expect(
      out.rows.every((r) => r.asof_date === '2026-03-31' && Object.keys(r.dimensions).length === 0),
    ).toBe(true);
    const v = values(out.rows);
    const numeric = (name: string, expected: string) =>
      expect(eq(dec(v[name]!), dec(expected)), `${name} = ${v[name]}`).toBe(true);
    numeric('total_value_before', '11000');
    numeric('total_value_after', '11000');
    numeric('turnover_notional_base', '4500');
    expect(v.turnover_pct).toBe('0.4090909090909090909090909091'); // 4500 ÷ 11000, 28 digits
    numeric('security_intent_count', '1');
    numeric('fx_intent_count', '0');
    numeric('realized_capital_gains', '0');
    numeric('cash_weight_after', '0.5');
    numeric('max_abs_drift_after', '0');
    numeric('status_code', '0');
    expect(out.rows.find((r) => r.metric_name === 'turnover_pct')!.unit).toBe('ratio');
    expect(out.rows.find((r) => r.metric_name === 'total_value_before')!.unit).toBe('USD');
    expect(out.metrics.turnover_pct.value.toString()).toBe(v.turnover_pct);
  });

  it('measures drift against the model and codes the status', () => {
    const req = request(
      body({
        cash: [['USD', '0']],
        holdings: [['EQ', '100', '100.00']],
        model: [
          ['EQ', '0.5'],
          ['BD', '0.5'],
        ],
        shelf: [{ instrument_id: 'EQ', status: 'APPROVED' }], // BD has no shelf entry: BLOCKED
      }),
    );
    const out = scenarioOutputs(simulateRebalance(req), req, null, '2026-03-31');
    const v = values(out.rows);
    expect(eq(dec(v.status_code!), dec('2'))).toBe(true);
    // Nothing traded: EQ stays at weight 1 against 0.5, BD at 0 against 0.5.
    expect(eq(dec(v.max_abs_drift_after!), dec('0.5'))).toBe(true);
    expect(eq(dec(v.turnover_pct!), dec('0'))).toBe(true);
  });

  it('writes the settlement cash ladder by currency and day', () => {
    const { req, result } = rebalanced({ enable_settlement_awareness: true, settlement_horizon_days: 2 });
    const ladder = scenarioOutputs(result, req, null, '2026-12-31').rows.filter(
      (r) => r.metric_name === 'cash_projected_balance',
    );
    expect(ladder.map((r) => [r.asof_date, r.value.toString(), r.unit, r.dimensions])).toEqual([
      ['2026-12-31', '1000.00', 'USD', { currency: 'USD' }],
      ['2027-01-01', '5500.00', 'USD', { currency: 'USD' }], // the sale settles on T+1
      ['2027-01-02', '5500.00', 'USD', { currency: 'USD' }],
    ]);
  });

  it('projects the after-state value day by day with daily returns by asset class', () => {
    const { req, result } = rebalanced();
    const rows = scenarioOutputs(
      result,
      req,
      { horizon_days: 2, daily_return: { EQUITY: dec('0.001') } },
      '2026-03-31',
    ).rows.filter((r) => r.metric_name === 'projected_total_value');
    // EQUITY 5500.000 grows 0.1 % a day, CASH 5500.00 does not move.
    expect(rows.map((r) => [r.asof_date, r.value.toString(), r.unit])).toEqual([
      ['2026-03-31', '11000.000', 'USD'],
      ['2026-04-01', '11005.500000', 'USD'],
      ['2026-04-02', '11011.005500000', 'USD'],
    ]);
  });

  it('counts calendar days in UTC', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-02-28', 2)).toBe('2024-03-01');
    expect(isCalendarDate('2026-02-30')).toBe(false);
    expect(isCalendarDate('2026-2-3')).toBe(false);
    expect(isCalendarDate('2026-12-31')).toBe(true);
  });
});
