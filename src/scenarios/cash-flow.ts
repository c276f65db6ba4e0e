/**
 * The `cash_flow` driver (spec 50 §2): a signed amount added to the first cash balance in its
 * currency, or a new balance appended when the portfolio holds none. A flow is cash that has
 * arrived: when the balance states a `settled` part, the flow is added to it too.
 */
import type { SimulateRequest } from '../contracts/dpm-request.js';
import { add, type Dec } from '../contracts/decimal.js';

export function applyCashFlow(request: SimulateRequest, currency: string, amount: Dec): SimulateRequest {
  const balances = request.portfolio_snapshot.cash_balances;
  const index = balances.findIndex((b) => b.currency === currency);
  const cash_balances =
    index === -1
      ? [...balances, { currency, amount, settled: null, pending: null }]
      : balances.map((b, i) =>
          i === index
            ? {
                ...b,
                amount: add(b.amount, amount),
                settled: b.settled === null ? null : add(b.settled, amount),
              }
            : b,
        );
  return { ...request, portfolio_snapshot: { ...request.portfolio_snapshot, cash_balances } };
}
