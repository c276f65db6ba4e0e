/**
 * Tax awareness (spec 11 §4): HIFO lot selection under a run-level realised-gains budget.
 * Budget state is shared across instruments and consumed in trace order.
 */
import type { Position, Price, TaxLot } from '../contracts/dpm-request.js';
import {
  abs,
  add,
  cmp,
  type Dec,
  dec,
  div,
  gt,
  isPositive,
  lt,
  lte,
  min,
  mul,
  sub,
  ZERO,
} from '../contracts/decimal.js';
import type { Market } from './market.js';
import { compareCodePoints } from '../contracts/ordering.js';
import type { DataQuality, TaxImpact } from './types.js';

const BUDGET_SNAP = dec('1e-10');

export interface CostedLot {
  lot: Pick<TaxLot, 'lot_id' | 'purchase_date' | 'quantity'>;
  /** Unit cost in the instrument's price currency. */
  cost: Dec;
}

/**
 * HIFO order, in place: (cost, purchase_date, lot_id) descending — highest cost first, then the
 * later purchase date, then the greater lot id (the reference's order, QUIRK Q6); fully equal
 * lots keep their input order.
 */
export function hifoOrder<T extends CostedLot>(lots: T[]): T[] {
  return lots.sort(
    (a, b) =>
      cmp(b.cost, a.cost) ||
      compareCodePoints(b.lot.purchase_date, a.lot.purchase_date) ||
      compareCodePoints(b.lot.lot_id, a.lot.lot_id),
  );
}

export class TaxBudget {
  private used = ZERO;
  private totalGain = ZERO;
  private totalLoss = ZERO;

  constructor(private readonly limit: Dec | null) {}

  /** The budget state, to undo an `allowedSell` (lot rounding re-asks for fewer units). */
  snapshot(): [Dec, Dec, Dec] {
    return [this.used, this.totalGain, this.totalLoss];
  }

  restore([used, gain, loss]: [Dec, Dec, Dec]): void {
    this.used = used;
    this.totalGain = gain;
    this.totalLoss = loss;
  }

  /**
   * How much of `requested` may be sold from `position`'s lots. Positions without lots (or
   * whose lot cost cannot be converted) sell the full request.
   */
  allowedSell(
    position: Position | undefined,
    price: Price,
    rate: Dec,
    requested: Dec,
    market: Market,
    dataQuality: DataQuality,
  ): Dec {
    if (!position || position.lots.length === 0) return requested;
    const costed: { lot: Position['lots'][number]; cost: Dec }[] = [];
    for (const lot of position.lots) {
      const { amount, currency } = lot.unit_cost;
      if (currency === price.currency) {
        costed.push({ lot, cost: amount });
        continue;
      }
      const lotRate = market.fxRate(currency, price.currency);
      if (lotRate === null) {
        dataQuality.fx_missing.push(`${currency}/${price.currency}`);
        return requested;
      }
      costed.push({ lot, cost: mul(amount, lotRate) });
    }
    hifoOrder(costed);

    let remaining = requested;
    let allowed = ZERO;
    for (const { lot, cost } of costed) {
      if (lte(remaining, ZERO)) break;
      if (lte(lot.quantity, ZERO)) continue;
      const take = min(remaining, lot.quantity);
      const gainPerUnit = mul(sub(price.price, cost), rate);
      let fromLot = take;
      if (this.limit !== null && isPositive(gainPerUnit)) {
        fromLot = lt(this.used, this.limit) ? min(take, div(sub(this.limit, this.used), gainPerUnit)) : ZERO;
      }
      if (lte(fromLot, ZERO)) break;
      const realised = mul(gainPerUnit, fromLot);
      if (cmp(realised, ZERO) >= 0) {
        this.totalGain = add(this.totalGain, realised);
        this.used = add(this.used, realised);
      } else {
        this.totalLoss = add(this.totalLoss, abs(realised));
      }
      allowed = add(allowed, fromLot);
      remaining = sub(remaining, fromLot);
      if (lt(fromLot, take)) break;
    }
    return allowed;
  }

  impact(base: string): TaxImpact {
    const limit = this.limit;
    let budgetUsed: Dec | null = null;
    if (limit !== null) {
      const snapped = gt(abs(sub(limit, this.used)), BUDGET_SNAP) ? this.used : limit;
      budgetUsed = min(snapped, limit);
    }
    return {
      total_realized_gain: { amount: this.totalGain, currency: base },
      total_realized_loss: { amount: this.totalLoss, currency: base },
      budget_limit: limit === null ? null : { amount: limit, currency: base },
      budget_used: budgetUsed === null ? null : { amount: budgetUsed, currency: base },
    };
  }
}
