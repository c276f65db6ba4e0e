/**
 * `roundMoney(x, ccy)` (spec 20 §1): quantise to the currency's minor units, half-even —
 * 3 places for BHD, KWD, OMR; 0 for JPY, KRW, VND; 2 for every other code. Used only by
 * advisory auto-funding.
 */
import { type Dec, quantize } from '../contracts/decimal.js';

const MINOR_UNITS: Record<string, number> = { BHD: 3, KWD: 3, OMR: 3, JPY: 0, KRW: 0, VND: 0 };

export function roundMoney(amount: Dec, currency: string): Dec {
  return quantize(amount, MINOR_UNITS[currency] ?? 2);
}
