/** Helpers for scenario tests: a small base portfolio, polling a run to a final state. */
import type { TestApp } from './http.js';
import { poll } from './poll.js';
import { body } from './request.js';

/** USD base: 100 × EQ_US at 100.00 (EQUITY), 50 × BD_EU at 200.00 EUR (FIXED_INCOME), EUR/USD 1.10, 1000.00 USD cash. */
export function scenarioBase(options: Record<string, unknown> = {}) {
  return body({
    base: 'USD',
    cash: [['USD', '1000.00']],
    holdings: [
      ['EQ_US', '100', '100.00'],
      ['BD_EU', '50', '200.00', 'EUR'],
    ],
    fx: [['EUR/USD', '1.10']],
    model: [
      ['EQ_US', '0.5'],
      ['BD_EU', '0.4'],
    ],
    shelf: [
      { instrument_id: 'EQ_US', status: 'APPROVED', asset_class: 'EQUITY', attributes: { sector: 'TECH' } },
      { instrument_id: 'BD_EU', status: 'APPROVED', asset_class: 'FIXED_INCOME' },
    ],
    options,
  });
}

export { poll };

export const FINAL_STATES = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** GET the run until it reaches a final state. */
export function settled(t: TestApp, statusUrl: string, headers: Record<string, string> = {}) {
  return poll(
    () => t.get(statusUrl, headers),
    (r) => FINAL_STATES.includes(r.json?.state),
  );
}
