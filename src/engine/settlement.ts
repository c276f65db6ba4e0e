/**
 * Settlement awareness (spec 11 §7): a per-currency, per-day cash ladder over the settlement
 * horizon, overdraft facilities, and the breaches that block a run.
 */
import type { CashBalance, EngineOptions } from '../contracts/dpm-request.js';
import { add, type Dec, isNegative, isPositive, lt, neg, sub, ZERO } from '../contracts/decimal.js';
import type { Shelf } from './market.js';
import { compareCodePoints, sortedByCodePoint } from '../contracts/ordering.js';
import type { CashLadderBreach, Diagnostics, Intent, RuleResult } from './types.js';

const DEFAULT_SETTLEMENT_DAYS = 2;

/** Builds the ladder into `diagnostics`; returns the blocking rule result, or null. */
export function evaluateSettlementLadder(
  intents: readonly Intent[],
  cashBalances: readonly CashBalance[],
  options: EngineOptions,
  shelf: Shelf,
  diagnostics: Diagnostics,
): RuleResult | null {
  const fxDay = options.fx_settlement_days;
  const lag = (intent: Intent) =>
    intent.intent_type === 'FX_SPOT'
      ? fxDay
      : (shelf.lastEntryOf(intent.instrument_id)?.settlement_days ?? DEFAULT_SETTLEMENT_DAYS); // Q10
  let horizon = Math.max(options.settlement_horizon_days, fxDay);
  for (const i of intents) if (i.intent_type === 'SECURITY_TRADE') horizon = Math.max(horizon, lag(i));

  const flows = new Map<string, Dec[]>();
  const book = (currency: string, day: number, amount: Dec) => {
    let days = flows.get(currency);
    if (!days) flows.set(currency, (days = new Array<Dec>(horizon + 1).fill(ZERO)));
    days[day] = add(days[day]!, amount);
  };
  for (const cash of cashBalances) book(cash.currency, 0, cash.settled ?? cash.amount);
  const byId = [...intents].sort((a, b) => compareCodePoints(a.intent_id, b.intent_id));
  for (const i of byId) {
    if (i.intent_type === 'FX_SPOT') {
      book(i.sell_currency, fxDay, neg(i.sell_amount_estimated));
      book(i.buy_currency, fxDay, i.buy_amount);
    } else {
      const { amount, currency } = i.notional!;
      book(currency, lag(i), i.side === 'SELL' ? amount : neg(amount));
    }
  }

  let overdraftUtilised = false;
  const breaches: CashLadderBreach[] = [];
  for (const currency of sortedByCodePoint(flows.keys())) {
    const overdraft = options.max_overdraft_by_ccy[currency] ?? ZERO;
    const floor = neg(overdraft);
    let balance = ZERO;
    flows.get(currency)!.forEach((flow, day) => {
      balance = add(balance, flow);
      diagnostics.cash_ladder.push({ date_offset: day, currency, projected_balance: balance });
      if (isNegative(balance) && isPositive(overdraft)) overdraftUtilised = true;
      if (lt(balance, floor))
        breaches.push({
          date_offset: day,
          currency,
          projected_balance: balance,
          allowed_floor: floor,
          reason_code: `OVERDRAFT_ON_T_PLUS_${day}`,
        });
    });
  }
  diagnostics.cash_ladder_breaches.push(...breaches);
  if (overdraftUtilised) diagnostics.warnings.push('SETTLEMENT_OVERDRAFT_UTILIZED');
  const first = breaches[0]; // Q11: first by currency name, then day
  if (!first) return null;
  diagnostics.warnings.push(first.reason_code);
  return {
    rule_id: 'SETTLEMENT_CASH_LADDER',
    severity: 'HARD',
    status: 'FAIL',
    measured: sub(first.allowed_floor, first.projected_balance),
    threshold: { min: first.allowed_floor },
    reason_code: first.reason_code,
    remediation_hint: 'Adjust timing, funding, or overdraft settings.',
  };
}
