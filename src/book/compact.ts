/**
 * What a book keeps of one portfolio's run, pure: status, request hash, the intents as tuples,
 * key metrics and the portfolio's exceptions. The engine is deterministic, so the full result
 * is recomputed from the stored inputs when asked for; this is what aggregation needs.
 */
import { addExact, gt, lt, mul, text, ZERO, type Dec } from '../contracts/decimal.js';
import type { Market } from '../engine/market.js';
import type { RebalanceResult, RunStatus } from '../engine/types.js';

export type ExceptionReason =
  'BLOCKED' | 'PENDING_REVIEW' | 'NOT_TRADED_OUTSIDE_TOLERANCE' | 'HIGH_CASH' | 'LOW_CASH';

/** [instrument_id, side, quantity, notional_base amount] */
export type TradeTuple = [string, 'BUY' | 'SELL', string, string];
/** [pair, buy_currency, buy_amount, sell_currency, sell_amount_estimated] */
export type FxTuple = [string, string, string, string, string];

export interface PortfolioOutcome {
  line: number;
  portfolio_id: string;
  model_id: string;
  status: RunStatus;
  request_hash: string;
  base_currency: string;
  trades: TradeTuple[];
  fx: FxTuple[];
  metrics: {
    total_value: string;
    buy_base: string;
    sell_base: string;
    fx_base: string;
    cash_weight: string | null;
  };
  exceptions: { reason: ExceptionReason; detail: string }[];
}

export interface FailedOutcome {
  line: number;
  portfolio_id: string | null;
  error: string;
}

export type LineOutcome = ({ ok: true } & PortfolioOutcome) | ({ ok: false } & FailedOutcome);

function ruleFailures(result: RebalanceResult, severity: 'HARD' | 'SOFT'): string[] {
  return result.rule_results
    .filter((r) => r.status === 'FAIL' && r.severity === severity)
    .map((r) => `${r.rule_id}:${r.reason_code}`);
}

/**
 * The exceptions of one run: status, not traded although the engine wanted to (or, with tolerance
 * bands set, although a position or the cash is outside its band), cash outside its band.
 */
export function exceptionsOf(result: RebalanceResult, bands = false): PortfolioOutcome['exceptions'] {
  const out: PortfolioOutcome['exceptions'] = [];
  const gateReasons = (result.gate_decision?.reasons ?? []).map((r) => r.reason_code);
  const dq = result.diagnostics.data_quality;
  if (result.status === 'BLOCKED') {
    const why = [
      ...ruleFailures(result, 'HARD'),
      ...(dq.price_missing.length ? [`PRICE_MISSING:${dq.price_missing.slice(0, 5).join(',')}`] : []),
      ...(dq.fx_missing.length ? [`FX_MISSING:${dq.fx_missing.slice(0, 5).join(',')}`] : []),
      ...(dq.shelf_missing.length ? [`SHELF_MISSING:${dq.shelf_missing.slice(0, 5).join(',')}`] : []),
    ];
    out.push({ reason: 'BLOCKED', detail: (why.length ? why : gateReasons).join('; ') || 'BLOCKED' });
  } else if (result.status === 'PENDING_REVIEW') {
    const why = [...ruleFailures(result, 'SOFT'), ...gateReasons];
    out.push({ reason: 'PENDING_REVIEW', detail: [...new Set(why)].join('; ') || 'PENDING_REVIEW' });
  }
  const traded = result.intents.some((i) => i.intent_type === 'SECURITY_TRADE');
  const held = result.diagnostics.suppressed_intents.length + result.diagnostics.dropped_intents.length;
  const drift = result.diagnostics.drift_summary;
  if (!traded && held > 0)
    out.push({
      reason: 'NOT_TRADED_OUTSIDE_TOLERANCE',
      detail: `${held} trade(s) toward the model suppressed or dropped (minimum size, dust or turnover cap); nothing traded`,
    });
  else if (!traded && bands && drift && !drift.within_tolerance)
    out.push({
      reason: 'NOT_TRADED_OUTSIDE_TOLERANCE',
      detail: `outside tolerance (${drift.positions_outside_band ?? 0} position(s) outside their band, largest drift ${drift.max_abs_drift === null ? 'n/a' : text(drift.max_abs_drift)}, or the cash weight outside its band); nothing traded`,
    });
  const band = result.rule_results.find((r) => r.rule_id === 'CASH_BAND');
  if (band && band.status === 'FAIL') {
    const max = band.threshold.max;
    const min = band.threshold.min;
    if (max !== undefined && gt(band.measured, max))
      out.push({ reason: 'HIGH_CASH', detail: `cash weight ${text(band.measured)} above ${text(max)}` });
    else if (min !== undefined && lt(band.measured, min))
      out.push({ reason: 'LOW_CASH', detail: `cash weight ${text(band.measured)} below ${text(min)}` });
  }
  return out;
}

/** An FX intent's value in the portfolio's base currency (null when no rate leads there). */
function fxInBase(
  market: Market,
  base: string,
  buyCcy: string,
  buy: Dec,
  sellCcy: string,
  sell: Dec,
): Dec | null {
  if (buyCcy === base) return buy;
  if (sellCcy === base) return sell;
  const rate = market.fxRate(buyCcy, base);
  return rate === null ? null : mul(buy, rate);
}

export function compactOutcome(
  result: RebalanceResult,
  market: Market,
  meta: { line: number; model_id: string; bands?: boolean },
): PortfolioOutcome {
  const base = result.before.total_value.currency;
  let buy = ZERO;
  let sell = ZERO;
  let fx = ZERO;
  const trades: TradeTuple[] = [];
  const fxs: FxTuple[] = [];
  for (const intent of result.intents) {
    if (intent.intent_type === 'SECURITY_TRADE') {
      if (intent.quantity === null) continue;
      const notional = intent.notional_base?.amount ?? ZERO;
      if (intent.side === 'BUY') buy = addExact(buy, notional);
      else sell = addExact(sell, notional);
      trades.push([intent.instrument_id, intent.side, text(intent.quantity), text(notional)]);
    } else {
      const inBase = fxInBase(
        market,
        base,
        intent.buy_currency,
        intent.buy_amount,
        intent.sell_currency,
        intent.sell_amount_estimated,
      );
      if (inBase !== null) fx = addExact(fx, inBase);
      fxs.push([
        intent.pair,
        intent.buy_currency,
        text(intent.buy_amount),
        intent.sell_currency,
        text(intent.sell_amount_estimated),
      ]);
    }
  }
  const band = result.rule_results.find((r) => r.rule_id === 'CASH_BAND');
  return {
    line: meta.line,
    portfolio_id: result.lineage.portfolio_snapshot_id,
    model_id: meta.model_id,
    status: result.status,
    request_hash: result.lineage.request_hash,
    base_currency: base,
    trades,
    fx: fxs,
    metrics: {
      total_value: text(result.before.total_value.amount),
      buy_base: text(buy),
      sell_base: text(sell),
      fx_base: text(fx),
      cash_weight: band ? text(band.measured) : null,
    },
    exceptions: exceptionsOf(result, meta.bands ?? false),
  };
}
