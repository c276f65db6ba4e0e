/**
 * The exact decimal number behind every amount: coefficient × 10^exponent, with the coefficient
 * held as a JavaScript number while it is a safe integer (|c| ≤ 2^53 − 1) and as a BigInt only
 * beyond that. The arithmetic is the General Decimal Arithmetic model as Java's BigDecimal (and
 * bigdecimal.js, which Keel used before, docs/decisions/0060) implements it with a
 * MathContext(28, HALF_EVEN): `a ± b` and `a × b` are exact and rounded half-even to 28
 * significant digits only when the exact result has more; quotients are exact at the exponent
 * closest to the ideal one when that fits in 28 digits, and rounded to 28 digits otherwise. A
 * value keeps its exponent, so `"10000.0" × "1.0"` prints `"10000.00"` and `0 ÷ 1000.0` prints
 * `"0E+1"`. There is no negative zero.
 *
 * Most engine operands are short (prices, quantities, amounts with two decimals), so most
 * operations never leave plain number arithmetic; the exactness checks below are what makes
 * that safe (a product or sum of safe integers is exact exactly when its magnitude stays at or
 * below 2^53 − 1).
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_SAFE_BIG = BigInt(MAX_SAFE);
const MIN_SAFE_BIG = -MAX_SAFE_BIG;
/** Significant digits of every rounded result (spec 10 §1). */
export const PRECISION = 28;
const MAX_INT = 2147483647;
const MIN_INT = -2147483648;

/** 10^0 … 10^22: every one is exact as a double. */
const POW10: number[] = [];
for (let i = 0; i <= 22; i++) POW10.push(10 ** i);
/** Largest coefficient that can be scaled by 10^k without leaving the safe integers. */
const SCALE_LIMIT: number[] = POW10.map((p) => Math.floor(MAX_SAFE / p));

const BIG_POW10: bigint[] = [1n];
for (let i = 1; i <= 128; i++) BIG_POW10.push(BIG_POW10[i - 1]! * 10n);
/** Half of 10^k (k ≥ 1): the half-even rounding threshold when k digits are dropped. */
const BIG_HALF: bigint[] = BIG_POW10.map((p) => p / 2n);
const TEN_TO_PRECISION = BIG_POW10[PRECISION]!;

function bigPow10(k: number): bigint {
  return k <= 128 ? BIG_POW10[k]! : 10n ** BigInt(k);
}

/** Decimal digits of a safe non-negative integer (0 has one). */
function digitsOf(x: number): number {
  if (x < 1e8) {
    if (x < 1e4) {
      if (x < 1e2) return x < 1e1 ? 1 : 2;
      return x < 1e3 ? 3 : 4;
    }
    if (x < 1e6) return x < 1e5 ? 5 : 6;
    return x < 1e7 ? 7 : 8;
  }
  if (x < 1e12) {
    if (x < 1e10) return x < 1e9 ? 9 : 10;
    return x < 1e11 ? 11 : 12;
  }
  if (x < 1e14) return x < 1e13 ? 13 : 14;
  if (x < 1e15) return 15;
  return x < 1e16 ? 16 : 17;
}

/** Decimal digits of a non-negative BigInt (0n has one). */
function bigDigitsOf(x: bigint): number {
  if (x >= BIG_POW10[128]!) return x.toString().length;
  let lo = 1;
  let hi = 128; // the smallest i with x < 10^i
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < BIG_POW10[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Fractions of up to this many digits are printed from a table. */
const SHORT_FRACTION = 4;
const FRACTIONS: string[][] = [];
/** "0" … "9", "00" … "99", …: every `places`-digit fraction, zero-padded (built on first use). */
function fractionDigits(places: number): string[] {
  let table = FRACTIONS[places];
  if (table === undefined) {
    table = [];
    for (let i = 0; i < POW10[places]!; i++) table.push(String(i).padStart(places, '0'));
    FRACTIONS[places] = table;
  }
  return table;
}

export class Dec {
  /** The text, once asked for: a value is often printed more than once (state views, hashes). */
  private text: string | undefined = undefined;

  /**
   * Use the factories: `c` is the coefficient when `b` is null (a safe integer, never −0);
   * otherwise `b` is the coefficient and lies outside the safe integers. `e` is the exponent.
   */
  constructor(
    readonly c: number,
    readonly b: bigint | null,
    readonly e: number,
  ) {}

  /** −1, 0 or 1. */
  signum(): number {
    if (this.b === null) return this.c > 0 ? 1 : this.c < 0 ? -1 : 0;
    return this.b > 0n ? 1 : -1;
  }

  /** Number of significant digits of the coefficient (1 for zero). */
  precision(): number {
    return this.b === null ? digitsOf(Math.abs(this.c)) : bigDigitsOf(this.b < 0n ? -this.b : this.b);
  }

  /** Digits after the decimal point: the negated exponent. */
  scale(): number {
    return 0 - this.e;
  }

  compareTo(other: Dec): number {
    return compare(this, other);
  }

  abs(): Dec {
    return this.signum() < 0 ? negate(this) : this;
  }

  negate(): Dec {
    return negate(this);
  }

  /** Exact sum (no rounding). */
  add(other: Dec): Dec {
    return exactSum(this, other, false);
  }

  /** Exact difference (no rounding). */
  subtract(other: Dec): Dec {
    return exactSum(this, other, true);
  }

  /** Numerically equal, with trailing zeros of the coefficient removed (zero becomes `0`). */
  stripTrailingZeros(): Dec {
    if (this.signum() === 0) return ZERO_VALUE;
    if (this.b === null) {
      let c = this.c;
      let e = this.e;
      while (c % 10 === 0) {
        c /= 10;
        e++;
      }
      return new Dec(c, null, e);
    }
    let c = this.b;
    let e = this.e;
    while (c % 10n === 0n) {
      c /= 10n;
      e++;
    }
    return fromBig(c, e);
  }

  /** The nearest double (correctly rounded). */
  numberValue(): number {
    if (this.b === null) {
      if (this.e === 0) return this.c;
      // Both operands are exact doubles, so one IEEE operation rounds correctly.
      if (this.e < 0 && this.e >= -22) return this.c / POW10[-this.e]!;
      if (this.e > 0 && this.e <= 22) return this.c * POW10[this.e]!;
    }
    return Number(this.toString());
  }

  /** Scientific text: plain when the exponent is ≤ 0 and the adjusted exponent ≥ −6. */
  toString(): string {
    return (this.text ??= this.layout());
  }

  private layout(): string {
    const e = this.e;
    if (e === 0) return this.b === null ? String(this.c) : this.b.toString();
    if (this.b === null && e < 0 && e >= -SHORT_FRACTION) {
      // Amounts, prices and 4-place weights: integer part, point, fraction from a table.
      // Always plain notation here (the adjusted exponent is at least −4).
      const m = this.c < 0 ? 0 - this.c : this.c;
      const unit = POW10[-e]!;
      const fraction = m % unit;
      const text = `${(m - fraction) / unit}.${fractionDigits(-e)[fraction]}`;
      return this.c < 0 ? `-${text}` : text;
    }
    const negative = this.signum() < 0;
    const digits =
      this.b === null ? String(negative ? -this.c : this.c) : (negative ? -this.b : this.b).toString();
    const length = digits.length;
    const adjusted = e + length - 1;
    let out: string;
    if (e < 0 && adjusted >= -6) {
      const point = length + e;
      out =
        point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`;
    } else {
      const mantissa = length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
      out = `${mantissa}E${adjusted > 0 ? '+' : ''}${adjusted}`;
    }
    return negative ? `-${out}` : out;
  }

  /** A decimal serialises as its own text (spec 10 §4.9). */
  toJSON(): string {
    return (this.text ??= this.layout());
  }

  /** Text without an exponent. */
  toPlainString(): string {
    const e = this.e;
    if (e === 0) return this.toString();
    if (e > 0) return this.signum() === 0 ? '0' : `${this.coefficientText()}${'0'.repeat(e)}`;
    const negative = this.signum() < 0;
    const digits =
      this.b === null ? String(negative ? -this.c : this.c) : (negative ? -this.b : this.b).toString();
    const point = digits.length + e;
    const out =
      point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`;
    return negative ? `-${out}` : out;
  }

  private coefficientText(): string {
    return this.b === null ? String(this.c) : this.b.toString();
  }
}

const ZERO_VALUE = new Dec(0, null, 0);

/** A value from a BigInt coefficient, held as a number when it is a safe integer. */
function fromBig(c: bigint, e: number): Dec {
  return c >= MIN_SAFE_BIG && c <= MAX_SAFE_BIG ? new Dec(Number(c), null, e) : new Dec(0, c, e);
}

/** `c × 10^e` for a safe integer or a BigInt coefficient. */
export function decimalOf(c: number | bigint, e: number): Dec {
  if (typeof c === 'bigint') return fromBig(c, e);
  if (!Number.isSafeInteger(c)) throw new RangeError('coefficient must be a safe integer');
  return new Dec(c + 0, null, e);
}

const coefficient = (a: Dec): bigint => (a.b === null ? BigInt(a.c) : a.b);

function negate(a: Dec): Dec {
  return a.b === null ? new Dec(0 - a.c, null, a.e) : new Dec(0, -a.b, a.e);
}

/** Round a coefficient to PRECISION significant digits, half-even. */
function rounded(c: bigint, e: number): Dec {
  const negative = c < 0n;
  let m = negative ? -c : c;
  const digits = bigDigitsOf(m);
  if (digits <= PRECISION) return fromBig(c, e);
  let drop = digits - PRECISION;
  const unit = bigPow10(drop);
  let q = m / unit;
  const r = m % unit;
  const half = drop <= 128 ? BIG_HALF[drop]! : unit / 2n;
  if (r > half || (r === half && (q & 1n) === 1n)) {
    q += 1n;
    if (q === TEN_TO_PRECISION) {
      q = BIG_POW10[PRECISION - 1]!;
      drop++;
    }
  }
  m = q;
  return fromBig(negative ? -m : m, e + drop);
}

/** Exact a + b, or a − b. */
function exactSum(a: Dec, b: Dec, subtract: boolean): Dec {
  if (a.b === null && b.b === null) {
    const y = subtract ? 0 - b.c : b.c;
    const ea = a.e;
    const eb = b.e;
    if (ea === eb) {
      const s = a.c + y;
      if (s <= MAX_SAFE && s >= -MAX_SAFE) return new Dec(s, null, ea);
    } else if (ea > eb) {
      const k = ea - eb;
      if (k <= 15 && Math.abs(a.c) <= SCALE_LIMIT[k]!) {
        const s = a.c * POW10[k]! + y;
        if (s <= MAX_SAFE && s >= -MAX_SAFE) return new Dec(s, null, eb);
      }
    } else {
      const k = eb - ea;
      if (k <= 15 && Math.abs(y) <= SCALE_LIMIT[k]!) {
        const s = a.c + y * POW10[k]!;
        if (s <= MAX_SAFE && s >= -MAX_SAFE) return new Dec(s, null, ea);
      }
    }
  }
  const e = Math.min(a.e, b.e);
  const x = a.e === e ? coefficient(a) : coefficient(a) * bigPow10(a.e - e);
  const y = b.e === e ? coefficient(b) : coefficient(b) * bigPow10(b.e - e);
  return fromBig(subtract ? x - y : x + y, e);
}

/** a + b rounded to 28 digits. */
export function add(a: Dec, b: Dec): Dec {
  if (a.b === null && b.b === null) {
    const ea = a.e;
    const eb = b.e;
    if (ea === eb) {
      const s = a.c + b.c;
      if (s <= MAX_SAFE && s >= -MAX_SAFE) return new Dec(s, null, ea);
    } else if (ea > eb) {
      const k = ea - eb;
      if (k <= 15 && Math.abs(a.c) <= SCALE_LIMIT[k]!) {
        const s = a.c * POW10[k]! + b.c;
        if (s <= MAX_SAFE && s >= -MAX_SAFE) return new Dec(s, null, eb);
      }
    } else {
      const k = eb - ea;
      if (k <= 15 && Math.abs(b.c) <= SCALE_LIMIT[k]!) {
        const s = a.c + b.c * POW10[k]!;
        if (s <= MAX_SAFE && s >= -MAX_SAFE) return new Dec(s, null, ea);
      }
    }
  }
  return roundedSum(a, b, false);
}

/** a − b rounded to 28 digits. */
export function sub(a: Dec, b: Dec): Dec {
  if (a.b === null && b.b === null) {
    const ea = a.e;
    const eb = b.e;
    if (ea === eb) {
      const s = a.c - b.c;
      if (s <= MAX_SAFE && s >= -MAX_SAFE) return new Dec(s, null, ea);
    } else if (ea > eb) {
      const k = ea - eb;
      if (k <= 15 && Math.abs(a.c) <= SCALE_LIMIT[k]!) {
        const s = a.c * POW10[k]! - b.c;
        if (s <= MAX_SAFE && s >= -MAX_SAFE) return new Dec(s, null, eb);
      }
    } else {
      const k = eb - ea;
      if (k <= 15 && Math.abs(b.c) <= SCALE_LIMIT[k]!) {
        const s = a.c - b.c * POW10[k]!;
        if (s <= MAX_SAFE && s >= -MAX_SAFE) return new Dec(s, null, ea);
      }
    }
  }
  return roundedSum(a, b, true);
}

function roundedSum(a: Dec, b: Dec, subtract: boolean): Dec {
  const e = Math.min(a.e, b.e);
  const x = a.e === e ? coefficient(a) : coefficient(a) * bigPow10(a.e - e);
  const y = b.e === e ? coefficient(b) : coefficient(b) * bigPow10(b.e - e);
  return rounded(subtract ? x - y : x + y, e);
}

/** a × b rounded to 28 digits. */
export function mul(a: Dec, b: Dec): Dec {
  if (a.b === null && b.b === null) {
    const p = a.c * b.c;
    if (p <= MAX_SAFE && p >= -MAX_SAFE) return new Dec(p + 0, null, a.e + b.e);
  }
  return rounded(coefficient(a) * coefficient(b), a.e + b.e);
}

/**
 * a ÷ b: the exact quotient at the exponent closest to a.e − b.e when it fits in 28 digits,
 * otherwise the quotient rounded half-even to 28 digits.
 */
export function div(a: Dec, b: Dec): Dec {
  const sb = b.signum();
  const sa = a.signum();
  if (sb === 0) throw new RangeError(sa === 0 ? 'Division undefined' : 'Division by zero');
  const ideal = a.e - b.e;
  if (sa === 0) return new Dec(0, null, Math.max(MIN_INT, Math.min(MAX_INT, ideal)));
  // Exact short quotients at the ideal exponent (x ÷ 1, x ÷ 4 …) stay in numbers.
  if (a.b === null && b.b === null && a.c % b.c === 0) return new Dec(a.c / b.c + 0, null, ideal);
  let x = coefficient(a);
  let y = coefficient(b);
  if (x < 0n) x = -x;
  if (y < 0n) y = -y;
  const dx = a.b === null ? digitsOf(Math.abs(a.c)) : bigDigitsOf(x);
  const dy = b.b === null ? digitsOf(Math.abs(b.c)) : bigDigitsOf(y);
  // Choose k so that x·10^k ÷ y has exactly 28 digits: normalised x' = x/10^dx and
  // y' = y/10^dy lie in [0.1, 1); when x' > y' the quotient gains a digit.
  let k = PRECISION + dy - dx;
  if (
    normalisedGreater(
      a.b === null ? Math.abs(a.c) : Number(x),
      x,
      dx,
      b.b === null ? Math.abs(b.c) : Number(y),
      y,
      dy,
    )
  )
    k--;
  const n = k >= 0 ? x * bigPow10(k) : x;
  const d = k >= 0 ? y : y * bigPow10(-k);
  let q = n / d;
  const r = n % d;
  let e = ideal - k;
  if (r === 0n) {
    // Exact: remove trailing zeros down to the ideal exponent.
    while (e < ideal && q % 10n === 0n) {
      q /= 10n;
      e++;
    }
  } else {
    const twice = r + r;
    if (twice > d || (twice === d && (q & 1n) === 1n)) q += 1n;
  }
  if (q >= TEN_TO_PRECISION) {
    // Only 10^28 itself (x' = y', or a carry): one more digit to drop.
    q /= 10n;
    e++;
  }
  return fromBig(sa === sb ? q : -q, e);
}

/**
 * Whether x/10^dx > y/10^dy, given x and y also as (nearest) doubles. Doubles decide unless the
 * two are within 1e-12 of each other (each side is off by a few units in the 16th digit at
 * most), then BigInts do.
 */
function normalisedGreater(xf: number, x: bigint, dx: number, yf: number, y: bigint, dy: number): boolean {
  const xn = xf / (dx <= 22 ? POW10[dx]! : 10 ** dx);
  const yn = yf / (dy <= 22 ? POW10[dy]! : 10 ** dy);
  if (xn > yn * (1 + 1e-12)) return true;
  if (xn < yn * (1 - 1e-12)) return false;
  return x * bigPow10(dy) > y * bigPow10(dx);
}

/** Integer part of a ÷ b (truncated towards zero), exponent 0. */
export function divInt(a: Dec, b: Dec): Dec {
  if (b.signum() === 0) throw new RangeError(a.signum() === 0 ? 'Division undefined' : 'Division by zero');
  const shift = a.e - b.e;
  if (a.b === null && b.b === null) {
    let n = a.c;
    let d = b.c;
    if (shift > 0 && shift <= 15 && Math.abs(n) <= SCALE_LIMIT[shift]!) n *= POW10[shift]!;
    else if (shift < 0 && shift >= -15 && Math.abs(d) <= SCALE_LIMIT[-shift]!) d *= POW10[-shift]!;
    else if (shift !== 0) n = NaN;
    // `%` is exact on integers, and n − n % d is a multiple of d, so the quotient is exact.
    if (n === n) return new Dec((n - (n % d)) / d + 0, null, 0);
  }
  const n = shift >= 0 ? coefficient(a) * bigPow10(shift) : coefficient(a);
  const d = shift >= 0 ? coefficient(b) : coefficient(b) * bigPow10(-shift);
  return fromBig(n / d, 0);
}

/** a at exponent −places, rounded half-even when digits are dropped (no precision limit). */
export function quantize(a: Dec, places: number): Dec {
  const e = 0 - places;
  const shift = a.e - e;
  if (shift === 0) return a;
  if (shift > 0) {
    if (a.b === null && shift <= 15 && Math.abs(a.c) <= SCALE_LIMIT[shift]!)
      return new Dec(a.c * POW10[shift]!, null, e);
    return fromBig(coefficient(a) * bigPow10(shift), e);
  }
  const drop = -shift;
  if (a.b === null && drop <= 15) {
    const unit = POW10[drop]!;
    const m = Math.abs(a.c);
    const r = m % unit;
    let q = (m - r) / unit;
    const twice = r + r;
    if (twice > unit || (twice === unit && q % 2 === 1)) q += 1;
    return new Dec(a.c < 0 ? 0 - q : q, null, e);
  }
  if (a.b !== null && drop <= 300) {
    // A long coefficient rounded to a short result (a weight to 4 places) is decided in floating
    // point: below 1e9 the estimate is off by less than 5e-7, so unless it lies within 1e-6 of
    // an integer or a half-way point, floor and rounding direction are those of the exact value.
    const estimate = Math.abs(Number(a.b)) / 10 ** drop;
    if (estimate < 1e9) {
      const floor = Math.floor(estimate);
      const fraction = estimate - floor;
      const q =
        fraction > 1e-6 && fraction < 0.5 - 1e-6
          ? floor
          : fraction > 0.5 + 1e-6 && fraction < 1 - 1e-6
            ? floor + 1
            : -1;
      if (q >= 0) return new Dec(a.b < 0n ? 0 - q : q, null, e);
    }
  }
  const c = coefficient(a);
  const negative = c < 0n;
  const m = negative ? -c : c;
  const unit = bigPow10(drop);
  let q = m / unit;
  const twice = (m % unit) * 2n;
  if (twice > unit || (twice === unit && (q & 1n) === 1n)) q += 1n;
  return fromBig(negative ? -q : q, e);
}

/** −1, 0 or 1 as a < b, a = b, a > b (numerically; 1.0 equals 1.00). */
export function compare(a: Dec, b: Dec): number {
  if (a.b === null && b.b === null) {
    if (a.e === b.e) return a.c < b.c ? -1 : a.c > b.c ? 1 : 0;
    const sa = a.c > 0 ? 1 : a.c < 0 ? -1 : 0;
    const sb = b.c > 0 ? 1 : b.c < 0 ? -1 : 0;
    if (sa !== sb) return sa < sb ? -1 : 1;
    if (sa === 0) return 0;
    const k = a.e - b.e;
    if (k > 0 && k <= 15 && Math.abs(a.c) <= SCALE_LIMIT[k]!) {
      const x = a.c * POW10[k]!;
      return x < b.c ? -1 : x > b.c ? 1 : 0;
    }
    if (k < 0 && k >= -15 && Math.abs(b.c) <= SCALE_LIMIT[-k]!) {
      const y = b.c * POW10[-k]!;
      return a.c < y ? -1 : a.c > y ? 1 : 0;
    }
  }
  const sa = a.signum();
  const sb = b.signum();
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  // Same sign: compare adjusted exponents first, then aligned coefficients.
  const adjA = a.e + a.precision();
  const adjB = b.e + b.precision();
  if (adjA !== adjB) return adjA > adjB ? sa : -sa;
  const e = Math.min(a.e, b.e);
  const x = coefficient(a) * bigPow10(a.e - e);
  const y = coefficient(b) * bigPow10(b.e - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isDec(value: unknown): value is Dec {
  return value instanceof Dec;
}

/**
 * Decimal text as Java's BigDecimal(String) reads it: optional sign, digits with at most one
 * point, optional exponent (`e`/`E`, optional sign, at most 10 significant digits, within the
 * 32-bit range, and a resulting scale within it too). Null when the text is not one.
 */
export function parseDecimal(text: string): Dec | null {
  const length = text.length;
  let i = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === 45 /* - */) {
    negative = true;
    i = 1;
  } else if (first === 43 /* + */) i = 1;
  const start = i;
  let point = -1;
  let digits = 0;
  let small = 0;
  for (; i < length; i++) {
    const ch = text.charCodeAt(i);
    if (ch >= 48 && ch <= 57) {
      digits++;
      if (digits <= 15) small = small * 10 + (ch - 48);
    } else if (ch === 46 /* . */) {
      if (point >= 0) return null;
      point = i;
    } else if (ch === 101 || ch === 69 /* e E */) break;
    else return null;
  }
  if (digits === 0) return null;
  const mantissaEnd = i;
  let exponent = 0;
  if (i < length) {
    i++;
    let expNegative = false;
    const sign = text.charCodeAt(i);
    if (sign === 45 || sign === 43) {
      expNegative = sign === 45;
      i++;
    }
    if (i >= length) return null;
    while (length - i > 10 && text.charCodeAt(i) === 48) i++;
    if (length - i > 10) return null;
    for (; i < length; i++) {
      const ch = text.charCodeAt(i);
      if (ch < 48 || ch > 57) return null;
      exponent = exponent * 10 + (ch - 48);
    }
    if (expNegative) exponent = 0 - exponent;
    if (exponent > MAX_INT || exponent < MIN_INT) return null;
  }
  const fractionDigits = point < 0 ? 0 : mantissaEnd - point - 1;
  const scale = fractionDigits - exponent;
  if (scale > MAX_INT || scale < MIN_INT) return null;
  const e = 0 - scale;
  if (digits <= 15) return new Dec(negative ? 0 - small : small, null, e);
  const body =
    point < 0
      ? text.slice(start, mantissaEnd)
      : text.slice(start, point) + text.slice(point + 1, mantissaEnd);
  const c = BigInt(body);
  return fromBig(negative ? -c : c, e);
}
