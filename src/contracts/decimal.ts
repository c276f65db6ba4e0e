/**
 * Decimal arithmetic for every amount, price, rate, quantity and weight.
 *
 * Spec 10 §1 / spec 11 §1 / spec 20 Appendix A: 28 significant digits, round-half-even after
 * every + − × ÷, and the result keeps its arithmetic exponent ("3737.000", "0E+1"). That is
 * the General Decimal Arithmetic model (Java BigDecimal with MathContext(28, HALF_EVEN));
 * `exact-decimal.ts` implements it, keeping short coefficients in plain numbers, so a
 * scale-preserving value is printed exactly as the reference does. See
 * docs/decisions/0001-decimal-library.md and 0060-exact-decimal-type.md.
 *
 * Formulas elsewhere call these helpers in the order the spec writes them; nothing rounds
 * inline.
 */
import {
  add as addRounded,
  compare,
  Dec,
  decimalOf,
  div as divRounded,
  divInt as divInteger,
  isDec as isExactDecimal,
  mul as mulRounded,
  parseDecimal,
  quantize as quantizeHalfEven,
  sub as subRounded,
} from './exact-decimal.js';

export type { Dec };

/** Exact decimal from text the code controls (constants, already-validated tokens). */
export function dec(text: string | bigint): Dec {
  if (typeof text === 'bigint') return decimalOf(text, 0);
  const value = parseDecimal(text);
  if (value === null) throw new RangeError(`not a decimal: ${text}`);
  return value;
}

export function isDec(value: unknown): value is Dec {
  return isExactDecimal(value);
}

/** The integer 0 that every sum starts from (exponent 0). */
export const ZERO = dec('0');
/** Literal constants that show up in output and fix exponents (spec 10 §4.9). */
export const ONE_POINT_ZERO = dec('1.0');
export const ZERO_POINT_ZERO = dec('0.0');
export const ONE = dec('1');

/** a + b, rounded half-even to 28 significant digits when the exact sum has more. */
export const add: (a: Dec, b: Dec) => Dec = addRounded;
/** a − b, rounded half-even to 28 significant digits when the exact difference has more. */
export const sub: (a: Dec, b: Dec) => Dec = subRounded;
/** a × b, rounded half-even to 28 significant digits when the exact product has more. */
export const mul: (a: Dec, b: Dec) => Dec = mulRounded;
/** a ÷ b: exact at the ideal exponent when that fits in 28 digits, else rounded half-even. */
export const div: (a: Dec, b: Dec) => Dec = divRounded;
/** Exact truncated quotient ("integer part of a ÷ b"), exponent 0. */
export const divInt: (a: Dec, b: Dec) => Dec = divInteger;
export const neg = (a: Dec): Dec => a.negate();
export const abs = (a: Dec): Dec => a.abs();

/** Quantise to `places` decimal places, half-even (serialised weights, solver weights). */
export const quantize: (a: Dec, places: number) => Dec = quantizeHalfEven;

export const cmp: (a: Dec, b: Dec) => number = compare;
export const eq = (a: Dec, b: Dec): boolean => compare(a, b) === 0;
export const gt = (a: Dec, b: Dec): boolean => compare(a, b) > 0;
export const gte = (a: Dec, b: Dec): boolean => compare(a, b) >= 0;
export const lt = (a: Dec, b: Dec): boolean => compare(a, b) < 0;
export const lte = (a: Dec, b: Dec): boolean => compare(a, b) <= 0;
export const isZero = (a: Dec): boolean => a.signum() === 0;
export const isPositive = (a: Dec): boolean => a.signum() > 0;
export const isNegative = (a: Dec): boolean => a.signum() < 0;

/** Python's max(a, b): the first argument unless the second is strictly larger. */
export const max = (a: Dec, b: Dec): Dec => (compare(b, a) > 0 ? b : a);
/** Python's min(a, b): the first argument unless the second is strictly smaller. */
export const min = (a: Dec, b: Dec): Dec => (compare(b, a) < 0 ? b : a);

/** Significant digits of the coefficient (1 for zero). */
export const precision = (a: Dec): number => a.precision();
/** Digits after the decimal point (negative for a positive exponent: 1E+3 has scale −3). */
export const scale = (a: Dec): number => a.scale();
/** Exact a + b, never rounded (input checks that must not lose digits). */
export const addExact = (a: Dec, b: Dec): Dec => a.add(b);
/** Exact a − b, never rounded. */
export const subExact = (a: Dec, b: Dec): Dec => a.subtract(b);
/** Text without an exponent ("1000", "0.0500"). */
export const plainText = (a: Dec): string => a.toPlainString();
/** The same number with the coefficient's trailing zeros removed (0 for zero). */
export const stripTrailingZeros = (a: Dec): Dec => a.stripTrailingZeros();

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

const PLAIN_TEXT = /^[-\d.]*$/;
const DECIMAL_TEXT = /^[+-]?(?:\d(?:_?\d)*)?(?:\.(?:\d(?:_?\d)*)?)?(?:[eE][+-]?\d(?:_?\d)*)?$/;

/**
 * Parse caller-supplied decimal text the way the reference does (spec 10 §3.1): surrounding
 * whitespace, sign, exponent, leading/trailing dot and underscores between digits are
 * accepted; hex, NaN, Infinity and empty text are not. Returns null when invalid.
 */
export function parseDecimalText(raw: string): Dec | null {
  // The usual text ("-1234.50": digits, a point, a leading minus) reads the same either way;
  // only text with spaces, underscores, `+` or an exponent needs the rules below.
  if (PLAIN_TEXT.test(raw)) return parseDecimal(raw);
  const trimmed = raw.trim();
  if (!DECIMAL_TEXT.test(trimmed) || !/\d/.test(trimmed.split(/[eE]/)[0] ?? '')) return null;
  return parseDecimal(trimmed.replace(/_/g, ''));
}

/**
 * A JSON number token as the reference sees it: integers are exact; anything with a fraction
 * or exponent went through a binary float and its shortest round-trip text (Python repr), so
 * `100.0` → `100.0`, `100.000` → `100.0`, `1e-7` → `1E-7`, `1e16` → `1E+16`.
 */
export function decimalFromJsonNumber(token: string): Dec | null {
  if (/^-?\d+$/.test(token)) return parseDecimal(token);
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
  return decimalOf(negative ? -coefficient : coefficient, exponent);
}
