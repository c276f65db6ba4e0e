/**
 * Field-by-field comparison of a result against a partial golden expectation, with the rules
 * of test/fixtures/README.md: decimals compare numerically, lists element by element in
 * order (same length), keys absent from the expectation are not checked, per-run identifiers
 * are skipped, and position/allocation `weight` fields compare at 4 decimal places.
 */
import { dec, eq, quantize, type Dec } from '../../src/contracts/decimal.js';
import { parseDecimalText } from '../../src/contracts/decimal.js';

const UNREPRODUCIBLE = new Set([
  'universe_id',
  'target_id',
  'rebalance_run_id',
  'batch_run_id',
  'run_at_utc',
]);
const STATE_KEYS = new Set(['before', 'after_simulated']);

export interface Mismatch {
  path: string;
  expected: unknown;
  actual: unknown;
}

function asDecimal(value: unknown): Dec | null {
  if (typeof value === 'number') return parseDecimalText(String(value));
  if (typeof value === 'string' && /^[\s+-]?[\d.]/.test(value)) return parseDecimalText(value);
  return null;
}

export function compareToExpected(
  expected: unknown,
  actual: unknown,
  path = '$',
  inState = false,
): Mismatch[] {
  const out: Mismatch[] = [];
  const key = path.slice(path.lastIndexOf('.') + 1);
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return [
        {
          path: `${path}.length`,
          expected: expected.length,
          actual: Array.isArray(actual) ? actual.length : actual,
        },
      ];
    expected.forEach((e, i) => out.push(...compareToExpected(e, actual[i], `${path}[${i}]`, inState)));
    return out;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return [{ path, expected, actual }];
    for (const [k, e] of Object.entries(expected)) {
      if (UNREPRODUCIBLE.has(k)) continue;
      if (!(k in (actual as object))) {
        out.push({ path: `${path}.${k}`, expected: e, actual: '<absent>' });
        continue;
      }
      out.push(
        ...compareToExpected(
          e,
          (actual as Record<string, unknown>)[k],
          `${path}.${k}`,
          inState || STATE_KEYS.has(k),
        ),
      );
    }
    return out;
  }
  const e = asDecimal(expected);
  const a = asDecimal(actual);
  if (e && a) {
    const expectedValue = inState && key === 'weight' ? quantize(e, 4) : e;
    return eq(expectedValue, a) ? [] : [{ path, expected, actual }];
  }
  return expected === actual ? [] : [{ path, expected, actual }];
}

export { dec };
