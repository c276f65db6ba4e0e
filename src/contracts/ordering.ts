/**
 * Plain code-point string ordering (spec 10 §1, spec 11 §1): no locale collation, so
 * `"oi_10" < "oi_2"` and `"Z" < "a"`. JavaScript's default comparison is by UTF-16 code unit,
 * which differs only for characters above U+FFFF; this compares whole code points.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca < cb ? -1 : 1;
    if (ca > 0xffff) i++;
  }
  return a.length - b.length;
}

export function sortedByCodePoint(values: Iterable<string>): string[] {
  return [...values].sort(compareCodePoints);
}
