/**
 * Advisory auto-funding (spec 20 §6, RFC-0014B): per BUY currency, in code-point order, find
 * one funding currency that can cover the net deficit and generate one FX spot for it; report
 * missing rates, insufficient cash and unfunded currencies.
 */
import type { EngineOptions } from '../contracts/dpm-request.js';
import { add, type Dec, gte, lt, lte, max, mul, sub, ZERO } from '../contracts/decimal.js';
import type { WorkingPortfolio } from '../engine/after-state.js';
import type { Market } from '../engine/market.js';
import { sortedByCodePoint } from '../contracts/ordering.js';
import type { FxSpotIntent, SecurityTradeIntent } from '../engine/types.js';
import { roundMoney } from './money.js';
import type { ProposalDiagnostics } from './types.js';

export interface FundingOutcome {
  fx: FxSpotIntent[];
  /** Target currency → the FX intent that funds it. */
  fxByCurrency: Map<string, string>;
  unfunded: Set<string>;
  /** Funding failure codes, in target-currency order (feed PROPOSAL_INPUT_GUARDS). */
  failures: string[];
  /** Missing FX while not blocking: the proposal needs review. */
  pending: boolean;
}

export function planFunding(
  buys: readonly SecurityTradeIntent[],
  work: WorkingPortfolio,
  base: string,
  options: EngineOptions,
  market: Market,
  diagnostics: ProposalDiagnostics,
): FundingOutcome {
  const outcome: FundingOutcome = {
    fx: [],
    fxByCurrency: new Map(),
    unfunded: new Set(),
    failures: [],
    pending: false,
  };
  const groups = new Map<string, SecurityTradeIntent[]>();
  for (const b of buys) groups.set(b.notional!.currency, [...(groups.get(b.notional!.currency) ?? []), b]);
  const missing = diagnostics.missing_fx_pairs;
  const fxMissing = diagnostics.data_quality.fx_missing;

  for (const target of sortedByCodePoint(groups.keys())) {
    let required = ZERO;
    for (const b of groups.get(target)!) required = add(required, b.notional!.amount);
    const available = work.cashIn(target).amount;
    const needed = max(ZERO, sub(required, available));
    const plan = {
      target_currency: target,
      required: roundMoney(required, target),
      available_before_fx: roundMoney(available, target),
      fx_needed: roundMoney(needed, target),
      fx_pair: null as string | null,
      funding_currency: null as string | null,
    };
    if (lte(needed, ZERO)) {
      diagnostics.funding_plan.push(plan);
      continue;
    }

    const candidates = target !== base ? [base] : [];
    if (options.fx_funding_source_currency === 'ANY_CASH')
      candidates.push(...sortedByCodePoint(work.currencies().filter((c) => c !== base && c !== target)));

    let selected: { currency: string; sell: Dec } | null = null;
    let smallest: { currency: string; deficit: Dec } | null = null;
    for (const funding of candidates) {
      const pair = `${target}/${funding}`;
      const rate = market.fxRate(target, funding);
      if (rate === null) {
        if (!missing.includes(pair)) missing.push(pair); // Q-A7: kept even if a later candidate funds it
        if (!fxMissing.includes(pair)) fxMissing.push(pair);
        continue;
      }
      const sell = roundMoney(mul(needed, rate), funding);
      const avail = work.cashIn(funding).amount;
      if (gte(avail, sell)) {
        selected = { currency: funding, sell };
        break;
      }
      const deficit = sub(sell, avail);
      if (!smallest || lt(deficit, smallest.deficit)) smallest = { currency: funding, deficit };
    }

    if (!selected) {
      outcome.unfunded.add(target);
      if (missing.length > 0 && !options.block_on_missing_fx) {
        // Q-A6: the run-wide missing list decides, not this group's.
        outcome.pending = true;
        if (!diagnostics.warnings.includes('PROPOSAL_MISSING_FX_NON_BLOCKING'))
          diagnostics.warnings.push('PROPOSAL_MISSING_FX_NON_BLOCKING');
      } else if (missing.length > 0) {
        outcome.failures.push('PROPOSAL_MISSING_FX_FOR_FUNDING');
      } else {
        if (smallest)
          diagnostics.insufficient_cash.push({
            currency: smallest.currency,
            deficit: roundMoney(smallest.deficit, smallest.currency),
          });
        outcome.failures.push('PROPOSAL_INSUFFICIENT_FUNDING_CASH');
      }
      diagnostics.funding_plan.push(plan);
      continue;
    }

    const fx: FxSpotIntent = {
      intent_type: 'FX_SPOT',
      intent_id: `oi_fx_${outcome.fx.length + 1}`,
      pair: `${target}/${selected.currency}`,
      buy_currency: target,
      buy_amount: roundMoney(needed, target), // Q-A5: may round below the deficit
      sell_currency: selected.currency,
      sell_amount_estimated: selected.sell,
      dependencies: [],
      rationale: { code: 'FUNDING', message: `Fund ${target} buys` },
    };
    work.apply(fx);
    outcome.fx.push(fx);
    outcome.fxByCurrency.set(target, fx.intent_id);
    plan.fx_pair = fx.pair;
    plan.funding_currency = selected.currency;
    diagnostics.funding_plan.push(plan);
  }
  return outcome;
}
