/**
 * Turnover cap (spec 11 §5): keep the largest trades that fit `V × max_turnover_pct`,
 * greedy skip-and-continue, and report the rest as dropped.
 */
import { abs, add, cmp, type Dec, div, lte, mul, sum, ZERO } from '../contracts/decimal.js';
import { compareCodePoints } from '../contracts/ordering.js';
import type { Diagnostics, SecurityTradeIntent } from './types.js';

export function applyTurnoverCap(
  intents: SecurityTradeIntent[],
  maxTurnoverPct: Dec | null,
  totalValue: Dec,
  base: string,
  diagnostics: Diagnostics,
): SecurityTradeIntent[] {
  if (maxTurnoverPct === null) return intents;
  const budget = mul(totalValue, maxTurnoverPct);
  const size = (i: SecurityTradeIntent) => abs(i.notional_base!.amount);
  if (lte(sum(intents.map(size)), budget)) return intents;

  // Q9: with V <= 0 every score is 0 and ranking falls back to smallest notional first.
  const score = (i: SecurityTradeIntent) => (lte(totalValue, ZERO) ? ZERO : div(size(i), totalValue));
  const ranked = intents
    .map((intent) => ({ intent, size: size(intent), score: score(intent) }))
    .sort(
      (a, b) =>
        cmp(b.score, a.score) ||
        cmp(a.size, b.size) ||
        compareCodePoints(a.intent.instrument_id, b.intent.instrument_id) ||
        compareCodePoints(a.intent.intent_id, b.intent.intent_id),
    );

  let used = ZERO;
  const kept: SecurityTradeIntent[] = [];
  for (const { intent, size: n, score: s } of ranked) {
    if (lte(add(used, n), budget)) {
      kept.push(intent);
      used = add(used, n);
    } else {
      diagnostics.dropped_intents.push({
        instrument_id: intent.instrument_id,
        reason: 'TURNOVER_LIMIT',
        potential_notional: { amount: n, currency: base },
        score: s,
      });
    }
  }
  if (diagnostics.dropped_intents.length > 0) diagnostics.warnings.push('PARTIAL_REBALANCE_TURNOVER_LIMIT');
  return kept;
}
