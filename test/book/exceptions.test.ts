/**
 * The book's exception list with tolerance bands (docs/decisions/0070, 0051): a portfolio outside
 * its tolerance that the engine did not trade is an exception, one inside it is not.
 */
import { describe, expect, it } from 'vitest';
import { exceptionsOf } from '../../src/book/compact.js';
import { drifted, run } from '../support/request.js';

/** A 0.45, B 0.45, cash 0.10; the model 0.5 / 0.5 wants no cash. */
const portfolio = (options: Record<string, unknown>) => drifted('0.5', options);

describe('NOT_TRADED_OUTSIDE_TOLERANCE with bands', () => {
  it('positions inside a 0.06 band but cash 0.10 away from its target: nothing traded, an exception', () => {
    const result = run(portfolio({ drift_band_abs: '0.06' }));
    expect(result.intents).toEqual([]);
    expect(result.diagnostics.drift_summary?.within_tolerance).toBe(false);
    expect(exceptionsOf(result, true)).toEqual([
      {
        reason: 'NOT_TRADED_OUTSIDE_TOLERANCE',
        detail:
          'outside tolerance (0 position(s) outside their band, largest drift 0.05, or the cash weight outside its band); nothing traded',
      },
    ]);
    // Without the band setting the verdict is not drawn from the drift summary.
    expect(exceptionsOf(result, false)).toEqual([]);
  });

  it('everything inside a 0.11 band: no exception', () => {
    const result = run(portfolio({ drift_band_abs: '0.11' }));
    expect(result.intents).toEqual([]);
    expect(result.diagnostics.drift_summary?.within_tolerance).toBe(true);
    expect(exceptionsOf(result, true)).toEqual([]);
  });

  it('outside a 0.04 band the engine trades: no exception', () => {
    const result = run(portfolio({ drift_band_abs: '0.04' }));
    expect(result.intents.some((i) => i.intent_type === 'SECURITY_TRADE')).toBe(true);
    expect(exceptionsOf(result, true)).toEqual([]);
  });
});

describe('a book chunk with bands', () => {
  it('marks the untraded portfolio outside tolerance, from the merged options', async () => {
    const { bookChunk } = await import('../../src/compute/tasks.js');
    const one = portfolio({}) as Record<string, any>;
    const shared = JSON.stringify({
      market_data_snapshot: one.market_data_snapshot,
      shelf_entries: one.shelf_entries,
      models: { m: one.model_portfolio },
      options: {},
    });
    const line = (options?: Record<string, unknown>) =>
      JSON.stringify({
        portfolio_snapshot: one.portfolio_snapshot,
        model_id: 'm',
        ...(options ? { options } : {}),
      });
    const { outcomes } = bookChunk({
      shared,
      lines: [
        { line: 2, text: line({ drift_band_abs: '0.06' }) },
        { line: 3, text: line({ drift_band_abs: '0.11' }) },
        { line: 4, text: line() },
      ],
    });
    const reasons = outcomes.map((o) => (o.ok ? o.exceptions.map((e) => e.reason) : ['FAILED']));
    expect(reasons).toEqual([['NOT_TRADED_OUTSIDE_TOLERANCE'], [], []]);
  });
});
