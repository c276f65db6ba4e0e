/**
 * The exact decimal type against bigdecimal.js (Java BigDecimal semantics, the library it
 * replaced, docs/decisions/0060): every operation gives the same value, exponent and text on
 * random operands of every size and on rounding ties, half-way points and carries.
 */
import { Big, BigDecimal, MC, RoundingMode } from 'bigdecimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  add,
  cmp,
  dec,
  decimalFromFloat,
  decimalFromJsonNumber,
  div,
  divInt,
  mul,
  parseDecimalText,
  quantize,
  sub,
  text,
  toFloat,
} from '../../src/contracts/decimal.js';
import { type Dec } from '../../src/contracts/exact-decimal.js';

const CONTEXT = MC(28, RoundingMode.HALF_EVEN);
const WIDE = MC(1000, RoundingMode.HALF_EVEN);
const RUNS = 25_000;

/** The same number in both representations. */
interface Pair {
  ours: Dec;
  ref: BigDecimal;
}

const pairOf = (coefficient: bigint, exponent: number): Pair => {
  const literal = `${coefficient}E${exponent}`;
  return { ours: dec(literal), ref: Big(literal) };
};

const pow10 = (k: number) => 10n ** BigInt(k);

/** Coefficients of every size, weighted towards the edges: 2^53, 10^k ± 1, 28/29 digits. */
const coefficientArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -100_000, max: 100_000 }).map(BigInt) },
  { weight: 4, arbitrary: fc.bigInt({ min: -(2n ** 53n), max: 2n ** 53n }) },
  { weight: 2, arbitrary: fc.bigInt({ min: -(2n ** 53n) - 1000n, max: -(2n ** 53n) + 1000n }) },
  { weight: 2, arbitrary: fc.bigInt({ min: 2n ** 53n - 1000n, max: 2n ** 53n + 1000n }) },
  { weight: 3, arbitrary: fc.bigInt({ min: -pow10(30), max: pow10(30) }) },
  { weight: 2, arbitrary: fc.bigInt({ min: -pow10(60), max: pow10(60) }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 40 }), fc.constantFrom(-1n, 0n, 1n, 4n, 5n, 6n), fc.boolean())
      .map(
        ([k, d, negative]) => (negative ? -1n : 1n) * (pow10(k) * (d === 5n ? 5n : 1n) + (d === 5n ? 0n : d)),
      ),
  },
  {
    weight: 2,
    // 28 random digits followed by a tail that sits on, just under or just over a half-way point.
    arbitrary: fc
      .tuple(
        fc.bigInt({ min: pow10(27), max: pow10(28) - 1n }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(-1n, 0n, 1n),
        fc.boolean(),
      )
      .map(
        ([head, k, delta, negative]) => (negative ? -1n : 1n) * (head * pow10(k) + 5n * pow10(k - 1) + delta),
      ),
  },
);
const exponentArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -8, max: 2 }) },
  { weight: 1, arbitrary: fc.integer({ min: -40, max: 40 }) },
);
const decimalArb: fc.Arbitrary<Pair> = fc.tuple(coefficientArb, exponentArb).map(([c, e]) => pairOf(c, e));

/** Value and exponent: equal text means both (the scientific form is one-to-one). */
function same(ours: Dec, ref: BigDecimal): void {
  const expected = ref.toString();
  if (text(ours) !== expected || ours.scale() !== ref.scale() || ours.precision() !== ref.precision())
    expect({ text: text(ours), scale: ours.scale(), precision: ours.precision() }).toEqual({
      text: expected,
      scale: ref.scale(),
      precision: ref.precision(),
    });
}

const binary = (
  name: string,
  ours: (a: Dec, b: Dec) => Dec,
  ref: (a: BigDecimal, b: BigDecimal) => BigDecimal,
) =>
  it(`${name} matches bigdecimal.js`, () => {
    fc.assert(
      fc.property(decimalArb, decimalArb, (a, b) => same(ours(a.ours, b.ours), ref(a.ref, b.ref))),
      { numRuns: RUNS },
    );
  });

describe('exact decimal against bigdecimal.js (28 digits, half-even)', () => {
  binary('add', add, (a, b) => a.add(b, CONTEXT));
  binary('sub', sub, (a, b) => a.subtract(b, CONTEXT));
  binary('mul', mul, (a, b) => a.multiply(b, CONTEXT));
  // bigdecimal.js's own unrounded add loses digits when a sum of two small coefficients falls
  // below −2^53 (it checks only the positive bound), so exact sums are checked against its
  // rounded add with a context wide enough never to round.
  binary(
    'exact add',
    (a, b) => a.add(b),
    (a, b) => a.add(b, WIDE),
  );
  binary(
    'exact subtract',
    (a, b) => a.subtract(b),
    (a, b) => a.subtract(b, WIDE),
  );

  it('add, sub and mul round half-way and carry cases as bigdecimal.js does', () => {
    // 28 random digits, then a tail on, just under or just over a half-way point (or all nines,
    // which carries into a 29th digit), combined with zeros, ones and powers of ten.
    const tieArb = fc
      .tuple(
        fc.oneof(
          fc.bigInt({ min: pow10(27), max: pow10(28) - 1n }),
          fc.constant(pow10(28) - 1n),
          fc.constant(pow10(27)),
        ),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(-1n, 0n, 1n),
        fc.constantFrom('half', 'nines'),
        fc.boolean(),
        exponentArb,
      )
      .map(([head, k, delta, tail, negative, e]) => {
        const rest = tail === 'half' ? 5n * pow10(k - 1) + delta : pow10(k) - 1n;
        return pairOf((negative ? -1n : 1n) * (head * pow10(k) + rest), e);
      });
    const unitArb = fc
      .tuple(fc.constantFrom(0n, 1n, -1n, 2n, 5n, 10n), fc.integer({ min: -12, max: 12 }))
      .map(([c, e]) => pairOf(c, e));
    fc.assert(
      fc.property(tieArb, unitArb, (a, b) => {
        same(add(a.ours, b.ours), a.ref.add(b.ref, CONTEXT));
        same(sub(b.ours, a.ours), b.ref.subtract(a.ref, CONTEXT));
        same(mul(a.ours, b.ours), a.ref.multiply(b.ref, CONTEXT));
        if (b.ref.signum() !== 0) same(div(a.ours, b.ours), a.ref.divideWithMathContext(b.ref, CONTEXT));
      }),
      { numRuns: RUNS },
    );
  });

  it('div matches bigdecimal.js', () => {
    fc.assert(
      fc.property(decimalArb, decimalArb, (a, b) => {
        if (b.ref.signum() === 0) {
          expect(() => div(a.ours, b.ours)).toThrow(RangeError);
          return;
        }
        same(div(a.ours, b.ours), a.ref.divideWithMathContext(b.ref, CONTEXT));
      }),
      { numRuns: RUNS },
    );
  });

  it('div matches on exact quotients and half-way quotients (q × b ÷ b)', () => {
    const quotientArb = fc.oneof(
      decimalArb,
      // 29 significant digits ending in 5: an exact tie at the 28th digit.
      fc
        .tuple(fc.bigInt({ min: pow10(27), max: pow10(28) - 1n }), exponentArb, fc.boolean())
        .map(([head, e, negative]) => pairOf((negative ? -1n : 1n) * (head * 10n + 5n), e)),
    );
    fc.assert(
      fc.property(quotientArb, decimalArb, (q, b) => {
        if (b.ref.signum() === 0) return;
        const a = q.ref.multiply(b.ref);
        const ours = dec(a.toString());
        same(div(ours, b.ours), a.divideWithMathContext(b.ref, CONTEXT));
      }),
      { numRuns: RUNS },
    );
  });

  it('divInt matches divideToIntegralValue then scale 0', () => {
    fc.assert(
      fc.property(decimalArb, decimalArb, (a, b) => {
        if (b.ref.signum() === 0) return;
        same(divInt(a.ours, b.ours), a.ref.divideToIntegralValue(b.ref).setScale(0, RoundingMode.DOWN));
      }),
      { numRuns: RUNS },
    );
  });

  it('quantize matches setScale half-even', () => {
    fc.assert(
      fc.property(decimalArb, fc.integer({ min: -5, max: 30 }), (a, places) =>
        same(quantize(a.ours, places), a.ref.setScale(places, RoundingMode.HALF_EVEN)),
      ),
      { numRuns: RUNS },
    );
  });

  it('quantize matches setScale half-even for long coefficients with short results (weights)', () => {
    const weightArb = fc.oneof(
      fc
        .tuple(fc.bigInt({ min: -(pow10(29) - 1n), max: pow10(29) - 1n }), fc.integer({ min: -32, max: -18 }))
        .map(([c, e]) => pairOf(c, e)),
      // On, next to and either side of a half-way point or an integer at the 4th place.
      fc
        .tuple(
          fc.integer({ min: 0, max: 99_999 }),
          fc.constantFrom(0n, 5n),
          fc.integer({ min: 12, max: 24 }),
          fc.bigInt({ min: -3n, max: 3n }),
          fc.boolean(),
        )
        .map(([head, tail, k, delta, negative]) =>
          pairOf((negative ? -1n : 1n) * (BigInt(head) * pow10(k) + tail * pow10(k - 1) + delta), -(k + 4)),
        ),
    );
    fc.assert(
      fc.property(weightArb, fc.integer({ min: 0, max: 8 }), (a, places) =>
        same(quantize(a.ours, places), a.ref.setScale(places, RoundingMode.HALF_EVEN)),
      ),
      { numRuns: RUNS },
    );
  });

  it('compare, signum, abs, negate, plain text, trailing zeros and the nearest double match', () => {
    const near = fc.tuple(decimalArb, fc.integer({ min: 0, max: 3 })).map(([a, shift]): [Pair, Pair] => {
      // The same value written with more zeros: compare must see equality.
      const b = a.ref.setScale(a.ref.scale() + shift);
      return [a, { ours: dec(b.toString()), ref: b }];
    });
    fc.assert(
      fc.property(fc.oneof(fc.tuple(decimalArb, decimalArb), near), ([a, b]) => {
        const ours = [cmp(a.ours, b.ours), a.ours.signum(), a.ours.toPlainString(), toFloat(a.ours)];
        // bigdecimal.js may answer −0 for "equal".
        const ref = [a.ref.compareTo(b.ref) || 0, a.ref.signum(), a.ref.toPlainString(), a.ref.numberValue()];
        if (!ours.every((v, i) => Object.is(v, ref[i]))) expect(ours).toEqual(ref);
        same(a.ours.abs(), a.ref.abs());
        same(a.ours.negate(), a.ref.negate());
        same(a.ours.stripTrailingZeros(), a.ref.stripTrailingZeros());
      }),
      { numRuns: RUNS },
    );
  });

  it('parses decimal text exactly as bigdecimal.js does, and rejects what it rejects', () => {
    const charArb = fc.constantFrom(...'0123456789000.eE+-_ x'.split(''));
    const textArb = fc.oneof(
      fc.tuple(coefficientArb, exponentArb).map(([c, e]) => `${c}E${e}`),
      fc
        .tuple(
          fc.constantFrom('', '-', '+'),
          fc.stringMatching(/^\d{0,35}$/),
          fc.constantFrom('', '.'),
          fc.stringMatching(/^\d{0,35}$/),
          fc.constantFrom('', 'e', 'E', 'e+', 'e-', 'E-'),
          fc.stringMatching(/^\d{0,13}$/),
        )
        .map((parts) => parts.join('')),
      fc.array(charArb, { maxLength: 24 }).map((chars) => chars.join('')),
    );
    const reference = (s: string): string | null => {
      try {
        return Big(s).toString();
      } catch {
        return null;
      }
    };
    const referenceText = (raw: string): string | null => {
      // The old parseDecimalText: the same pattern check, then bigdecimal.js.
      const trimmed = raw.trim();
      if (
        !/^[+-]?(?:\d(?:_?\d)*)?(?:\.(?:\d(?:_?\d)*)?)?(?:[eE][+-]?\d(?:_?\d)*)?$/.test(trimmed) ||
        !/\d/.test(trimmed.split(/[eE]/)[0] ?? '')
      )
        return null;
      return reference(trimmed.replace(/_/g, ''));
    };
    fc.assert(
      fc.property(textArb, (s) => {
        let ours: string | null;
        try {
          ours = text(dec(s));
        } catch {
          ours = null;
        }
        expect(ours).toBe(reference(s));
        const parsed = parseDecimalText(s);
        expect(parsed === null ? null : text(parsed)).toBe(referenceText(s));
      }),
      { numRuns: RUNS },
    );
    for (const edge of [
      '1e2147483647',
      '1e-2147483648',
      '1e2147483648',
      '1e00000000000005',
      '0.5e-2147483647',
    ])
      expect(reference(edge)).toBe(
        (() => {
          try {
            return text(dec(edge));
          } catch {
            return null;
          }
        })(),
      );
  });

  it('converts JSON numbers and doubles as before (Python repr, then bigdecimal.js)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const [mantissa, expText] = value.toExponential().split('e');
        const digits = mantissa!.replace('-', '').replace('.', '');
        const exp10 = Number(expText);
        const last = exp10 - (digits.length - 1);
        const exponent = exp10 >= -4 && exp10 < 16 ? Math.min(-1, last) : last;
        const coefficient = BigInt(digits) * 10n ** BigInt(last - exponent);
        const ref = Big(`${mantissa!.startsWith('-') ? '-' : ''}${coefficient}E${exponent}`);
        same(decimalFromFloat(value), ref);
        const token = JSON.stringify(value);
        const fromToken = decimalFromJsonNumber(token);
        if (/^-?\d+$/.test(token)) same(fromToken!, Big(token));
        else same(fromToken!, ref);
      }),
      { numRuns: RUNS },
    );
  });
});
