/**
 * Stage 1 — valuation (spec 10 §5). Values positions then cash in input order, converts to
 * the base currency, logs missing prices/FX into the run's data-quality lists and builds every
 * allocation view. The same routine values the after-state (always CALCULATED) and advisory
 * states.
 */
import { add, type Dec, div, isZero, mul, ONE, ZERO } from '../contracts/decimal.js';
import type { Market, Shelf } from './market.js';
import type {
  AllocationMetric,
  CashBalanceState,
  DataQuality,
  Money as MoneyInput,
  PositionSummary,
  SimulatedState,
} from './types.js';

export type ValuationMode = 'CALCULATED' | 'TRUST_SNAPSHOT';

/** The parts of a portfolio valuation reads; after-states are built in this shape too. */
export interface Holdings {
  base_currency: string;
  positions: readonly { instrument_id: string; quantity: Dec; market_value: MoneyInput | null }[];
  cash_balances: readonly CashBalanceState[];
}

function addTo(map: Map<string, Dec>, key: string, value: Dec): void {
  map.set(key, add(map.get(key) ?? ZERO, value));
}

export function valuePortfolio(
  holdings: Holdings,
  market: Market,
  shelf: Shelf,
  mode: ValuationMode,
  dataQuality: DataQuality,
): SimulatedState {
  const base = holdings.base_currency;
  const summaries: PositionSummary[] = [];

  for (const pos of holdings.positions) {
    const row = market.priceOf(pos.instrument_id);
    if (!row) dataQuality.price_missing.push(pos.instrument_id);
    const px = row ? row.price : ZERO;
    let ccy = row ? row.currency : base;
    let valueInstrument: Dec;
    if (mode === 'TRUST_SNAPSHOT' && pos.market_value !== null) {
      valueInstrument = pos.market_value.amount;
      ccy = pos.market_value.currency; // Q-M3: the price is relabelled with this currency too
    } else {
      valueInstrument = mul(pos.quantity, px);
    }
    const rate = market.fxRate(ccy, base);
    const valueBase = rate === null ? ZERO : mul(valueInstrument, rate);
    if (ccy !== base && rate === null) dataQuality.fx_missing.push(`${ccy}/${base}`);
    summaries.push({
      instrument_id: pos.instrument_id,
      quantity: pos.quantity,
      instrument_currency: ccy,
      asset_class: 'UNKNOWN',
      price: row ? { amount: px, currency: ccy } : null,
      value_in_instrument_ccy: { amount: valueInstrument, currency: ccy },
      value_in_base_ccy: { amount: valueBase, currency: base },
      weight: ZERO,
    });
  }

  let total = ZERO;
  for (const s of summaries) total = add(total, s.value_in_base_ccy.amount);
  const cashInBase: Dec[] = [];
  for (const cash of holdings.cash_balances) {
    if (cash.currency === base) {
      total = add(total, cash.amount);
      cashInBase.push(cash.amount);
      continue;
    }
    const rate = market.fxRate(cash.currency, base);
    if (rate === null) {
      dataQuality.fx_missing.push(`${cash.currency}/${base}`);
      cashInBase.push(ZERO);
    } else {
      const converted = mul(cash.amount, rate);
      total = add(total, converted);
      cashInBase.push(converted);
    }
  }
  const denom = isZero(total) ? ONE : total; // Q-M6

  const byClass = new Map<string, Dec>();
  const byAttribute = new Map<string, Map<string, Dec>>();
  for (const s of summaries) {
    s.weight = div(s.value_in_base_ccy.amount, denom);
    const entry = shelf.entryOf(s.instrument_id);
    if (entry) {
      s.asset_class = entry.asset_class;
      for (const [k, v] of Object.entries(entry.attributes)) {
        let values = byAttribute.get(k);
        if (!values) byAttribute.set(k, (values = new Map()));
        addTo(values, v, s.value_in_base_ccy.amount);
      }
    }
    addTo(byClass, s.asset_class, s.value_in_base_ccy.amount);
  }
  let cashTotal = ZERO;
  for (const v of cashInBase) cashTotal = add(cashTotal, v);
  addTo(byClass, 'CASH', cashTotal);

  const metric = (key: string, value: Dec): AllocationMetric => ({
    key,
    weight: div(value, denom),
    value: { amount: value, currency: base },
  });
  const byInstrument = summaries.map((s) => ({
    key: s.instrument_id,
    weight: s.weight,
    value: s.value_in_base_ccy,
  }));
  const allocationByAttribute: Record<string, AllocationMetric[]> = {};
  for (const [k, values] of byAttribute)
    allocationByAttribute[k] = [...values].map(([v, sum]) => metric(v, sum));

  return {
    total_value: { amount: total, currency: base },
    cash_balances: holdings.cash_balances.map((c) => ({ ...c })),
    positions: summaries,
    allocation_by_asset_class: [...byClass].map(([k, v]) => metric(k, v)),
    allocation_by_instrument: byInstrument,
    allocation: byInstrument.map((m) => ({ ...m })),
    allocation_by_attribute: allocationByAttribute,
  };
}

/** Unrounded weight of the CASH bucket (0 when absent). */
export function cashWeight(state: SimulatedState): Dec {
  return state.allocation_by_asset_class.find((m) => m.key === 'CASH')?.weight ?? ZERO;
}
