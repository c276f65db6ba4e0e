/**
 * Stage 5 — FX generation, dependencies and execution order (spec 11 §6). Hub-and-spoke
 * through the base currency: one FUNDING or SWEEP spot per non-base currency.
 */
import type { CashBalance } from '../contracts/dpm-request.js';
import {
  abs,
  add,
  type Dec,
  isNegative,
  isPositive,
  mul,
  ONE_POINT_ZERO,
  sub,
  ZERO,
} from '../contracts/decimal.js';
import type { Market } from './market.js';
import type { DataQuality, FxSpotIntent, Intent, SecurityTradeIntent } from './types.js';

export interface FxPlan {
  intents: Intent[];
  /** A currency without a rate while `block_on_missing_fx` (unreachable in practice). */
  blockedOnMissingFx: boolean;
}

export function planFx(
  securityIntents: readonly SecurityTradeIntent[],
  cashBalances: readonly CashBalance[],
  base: string,
  fxBufferPct: Dec,
  blockOnMissingFx: boolean,
  linkBuyToSell: boolean | null,
  market: Market,
  dataQuality: DataQuality,
): FxPlan {
  const projected = new Map<string, Dec>();
  for (const cash of cashBalances) projected.set(cash.currency, cash.amount);
  for (const intent of securityIntents) {
    const { amount, currency } = intent.notional!;
    const current = projected.get(currency) ?? ZERO;
    projected.set(currency, intent.side === 'SELL' ? add(current, amount) : sub(current, amount));
  }

  const intents: Intent[] = [...securityIntents];
  const fundingFx = new Map<string, string>();
  for (const [currency, balance] of projected) {
    if (currency === base) continue;
    const rate = market.fxRate(currency, base);
    if (rate === null) {
      dataQuality.fx_missing.push(`${currency}/${base}`);
      if (blockOnMissingFx) return { intents, blockedOnMissingFx: true };
      continue;
    }
    const intentId = `oi_fx_${intents.length + 1}`;
    let fx: FxSpotIntent | null = null;
    if (isNegative(balance)) {
      // |shortfall| × (1.0 + buffer), the constant written `1.0` as the reference does: a buffer
      // without decimal places keeps one ("3300.0", not "3300"), and so does all that follows.
      const buyAmount = mul(abs(balance), add(ONE_POINT_ZERO, fxBufferPct));
      fx = spot(
        intentId,
        `${currency}/${base}`,
        currency,
        buyAmount,
        base,
        mul(buyAmount, rate),
        'FUNDING',
        'Fund',
      );
      fundingFx.set(currency, intentId);
    } else if (isPositive(balance)) {
      fx = spot(
        intentId,
        `${currency}/${base}`,
        base,
        mul(balance, rate),
        currency,
        balance,
        'SWEEP',
        'Sweep',
      );
    }
    if (fx) intents.push(fx);
  }
  return { intents: linkAndOrder(intents, fundingFx, linkBuyToSell), blockedOnMissingFx: false };
}

function spot(
  intentId: string,
  pair: string,
  buyCurrency: string,
  buyAmount: Dec,
  sellCurrency: string,
  sellAmount: Dec,
  code: string,
  message: string,
): FxSpotIntent {
  return {
    intent_type: 'FX_SPOT',
    intent_id: intentId,
    pair,
    buy_currency: buyCurrency,
    buy_amount: buyAmount,
    sell_currency: sellCurrency,
    sell_amount_estimated: sellAmount,
    dependencies: [],
    rationale: { code, message },
  };
}

/**
 * Dependencies (spec 11 §6.3) then execution order (§6.4): a BUY waits for the FUNDING spot
 * of its currency and, unless disabled, the last SELL in that currency; the list is then
 * stably ordered SELL, FX, BUY.
 */
export function linkAndOrder(
  intents: Intent[],
  fundingFx: Map<string, string>,
  linkBuyToSell: boolean | null,
): Intent[] {
  const includeSell = linkBuyToSell ?? true;
  const lastSell = new Map<string, string>();
  if (includeSell)
    for (const i of intents)
      if (i.intent_type === 'SECURITY_TRADE' && i.side === 'SELL')
        lastSell.set(i.notional!.currency, i.intent_id);
  for (const i of intents) {
    if (i.intent_type !== 'SECURITY_TRADE' || i.side !== 'BUY') continue;
    const currency = i.notional!.currency;
    for (const dependency of [fundingFx.get(currency), includeSell ? lastSell.get(currency) : undefined])
      if (dependency !== undefined && !i.dependencies.includes(dependency)) i.dependencies.push(dependency);
  }
  const rank = (i: Intent) => (i.intent_type === 'FX_SPOT' ? 2 : i.side === 'SELL' ? 1 : 3);
  return intents
    .map((intent, index) => ({ intent, index }))
    .sort((a, b) => rank(a.intent) - rank(b.intent) || a.index - b.index)
    .map((x) => x.intent);
}
