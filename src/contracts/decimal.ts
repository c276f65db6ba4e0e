/**
 * Decimal arithmetic for every amount, price, rate, quantity and weight.
 *
 * Spec 10 §1 / spec 11 §1 / spec 20 Appendix A: 28 significant digits, round-half-even after
 * every + − × ÷, and the result keeps its arithmetic exponent ("3737.000", "0E+1"). That is
 * the General Decimal Arithmetic model; bigdecimal.js (Java BigDecimal semantics on native
 * BigInt) implements it, so a scale-preserving value is printed exactly as the reference does.
 * See docs/decisions/0001-decimal-library.md.
 *
 * Formulas elsewhere call these helpers in the order the spec writes them; nothing rounds
 * inline.
 */
import { Big, BigDecimal, MC, RoundingMode } from 'bigdecimal.js';

export type Dec = BigDecimal;

const CONTEXT = MC(28, RoundingMode.HALF_EVEN);

// bigdecimal.js measures an integer's digit count with `toString().length` on every rounding
// check, its hottest path in the engine. A comparison against a table of powers of ten gives the
// same count without allocating a string.
const POWERS_OF_TEN: bigint[] = [1n];
for (let i = 1; i <= 128; i++) POWERS_OF_TEN.push(POWERS_OF_TEN[i - 1]! * 10n);
function digitLength(value: bigint): number {
  const b = value < 0n ? -value : value;
  if (b >= POWERS_OF_TEN[128]!) return b.toString().length;
  let lo = 1;
  let hi = 128; // the answer: smallest i with b < 10^i (b = 0 has one digit)
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (b < POWERS_OF_TEN[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
(BigDecimal as unknown as { bigDigitLength: (b: bigint) => number }).bigDigitLength = digitLength;

// A decimal serialises as its own text (spec 10 §4.9), so JSON.stringify can write results in
// one native pass instead of a copy-then-stringify walk.
(BigDecimal.prototype as unknown as { toJSON: () => string }).toJSON = function toJSON(this: BigDecimal) {
  return this.toString();
};

/** Exact decimal from text the code controls (constants, already-validated tokens). */
export function dec(text: string | bigint): Dec {
  return Big(text);
}

export function isDec(value: unknown): value is Dec {
  return value instanceof BigDecimal;
}

/** The integer 0 that every sum starts from (exponent 0). */
export const ZERO = dec('0');
/** Literal constants that show up in output and fix exponents (spec 10 §4.9). */
export const ONE_POINT_ZERO = dec('1.0');
export const ZERO_POINT_ZERO = dec('0.0');
export const ONE = dec('1');

export const add = (a: Dec, b: Dec): Dec => a.add(b, CONTEXT);
export const sub = (a: Dec, b: Dec): Dec => a.subtract(b, CONTEXT);
export const mul = (a: Dec, b: Dec): Dec => a.multiply(b, CONTEXT);
export const div = (a: Dec, b: Dec): Dec => a.divideWithMathContext(b, CONTEXT);
/** Exact truncated quotient ("integer part of a ÷ b"), exponent 0. */
export const divInt = (a: Dec, b: Dec): Dec => a.divideToIntegralValue(b).setScale(0, RoundingMode.DOWN);
export const neg = (a: Dec): Dec => a.negate();
export const abs = (a: Dec): Dec => a.abs();

/** Quantise to `places` decimal places, half-even (serialised weights, solver weights). */
export const quantize = (a: Dec, places: number): Dec => a.setScale(places, RoundingMode.HALF_EVEN);

export const cmp = (a: Dec, b: Dec): number => a.compareTo(b);
export const eq = (a: Dec, b: Dec): boolean => a.compareTo(b) === 0;
export const gt = (a: Dec, b: Dec): boolean => a.compareTo(b) > 0;
export const gte = (a: Dec, b: Dec): boolean => a.compareTo(b) >= 0;
export const lt = (a: Dec, b: Dec): boolean => a.compareTo(b) < 0;
export const lte = (a: Dec, b: Dec): boolean => a.compareTo(b) <= 0;
export const isZero = (a: Dec): boolean => a.signum() === 0;
export const isPositive = (a: Dec): boolean => a.signum() > 0;
export const isNegative = (a: Dec): boolean => a.signum() < 0;

/** Python's max(a, b): the first argument unless the second is strictly larger. */
export const max = (a: Dec, b: Dec): Dec => (b.compareTo(a) > 0 ? b : a);
/** Python's min(a, b): the first argument unless the second is strictly smaller. */
export const min = (a: Dec, b: Dec): Dec => (b.compareTo(a) < 0 ? b : a);

/** Σ from the integer 0, left to right. */
export function sum(values: Iterable<Dec>): Dec {
  let total = ZERO;
  for (const v of values) total = add(total, v);
  return total;
}

/** The decimal's own text (spec 20 Appendix A). */
export const text = (a: Dec): string => a.toString();

/** Binary floating point view, for the solver only (spec 10 §8.2). */
export const toFloat = (a: Dec): number => a.numberValue();

const DECIMAL_TEXT = /^[+-]?(?:\d(?:_?\d)*)?(?:\.(?:\d(?:_?\d)*)?)?(?:[eE][+-]?\d(?:_?\d)*)?$/;

/**
 * Parse caller-supplied decimal text the way the reference does (spec 10 §3.1): surrounding
 * whitespace, sign, exponent, leading/trailing dot and underscores between digits are
 * accepted; hex, NaN, Infinity and empty text are not. Returns null when invalid.
 */
export function parseDecimalText(raw: string): Dec | null {
  const trimmed = raw.trim();
  if (!DECIMAL_TEXT.test(trimmed) || !/\d/.test(trimmed.split(/[eE]/)[0] ?? '')) return null;
  try {
    return Big(trimmed.replace(/_/g, ''));
  } catch {
    return null;
  }
}

/**
 * A JSON number token as the reference sees it: integers are exact; anything with a fraction
 * or exponent went through a binary float and its shortest round-trip text (Python repr), so
 * `100.0` → `100.0`, `100.000` → `100.0`, `1e-7` → `1E-7`, `1e16` → `1E+16`.
 */
export function decimalFromJsonNumber(token: string): Dec | null {
  if (/^-?\d+$/.test(token)) return Big(token);
  const value = Number(token);
  if (!Number.isFinite(value)) return null;
  return decimalFromFloat(value);
}

/** Python `Decimal(repr(float))` for a finite double. */
export function decimalFromFloat(value: number): Dec {
  const [mantissa, expText] = value.toExponential().split('e');
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const exp10 = Number(expText);
  const lastDigitExponent = exp10 - (digits.length - 1);
  // repr uses fixed notation (always with a fractional digit) for 1e-4 <= |x| < 1e16.
  const exponent = exp10 >= -4 && exp10 < 16 ? Math.min(-1, lastDigitExponent) : lastDigitExponent;
  const coefficient = BigInt(digits) * 10n ** BigInt(lastDigitExponent - exponent);
  return Big(`${negative ? '-' : ''}${coefficient}E${exponent}`);
}
