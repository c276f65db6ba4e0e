/**
 * Tolerance bands around target weights. They come from the EngineOptions fields
 * `drift_band_abs` (± that weight) and `drift_band_rel` (± that fraction of the target); both set:
 * the wider. They are drawn only when the run carries them: on a target row, or in the options
 * echoed with the result (`options` / `applied_options`). Values are decimal text.
 */
export interface Band {
  lo: string;
  hi: string;
}

type Obj = Record<string, unknown>;

function field(o: unknown, key: string): string | null {
  if (!o || typeof o !== 'object') return null;
  const v = (o as Obj)[key];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
}

/** The band options a result carries, or null. */
export function bandOptions(result: Obj, row?: Obj): { abs: string | null; rel: string | null } | null {
  const sources = [row, result.options, result.applied_options, (result.target as Obj | undefined)?.options];
  for (const s of sources) {
    const abs = field(s, 'drift_band_abs');
    const rel = field(s, 'drift_band_rel');
    if (abs !== null || rel !== null) return { abs, rel };
  }
  return null;
}

/** Weights as scaled integers (8 places), so bands add and subtract exactly. */
const SCALE = 8;
function toUnits(text: string): bigint {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) return BigInt(Math.round(Number(text) * 10 ** SCALE));
  const frac = (m[3] ?? '').padEnd(SCALE, '0').slice(0, SCALE);
  const v = BigInt(`${m[2] || '0'}${frac}`);
  return m[1] === '-' ? -v : v;
}
function fromUnits(v: bigint): string {
  const neg = v < 0n;
  const s = (neg ? -v : v).toString().padStart(SCALE + 1, '0');
  const text = `${s.slice(0, -SCALE)}.${s.slice(-SCALE)}`.replace(/0+$/, '').replace(/\.$/, '');
  return neg ? `-${text}` : text;
}

/** The band around a target weight, clipped to [0, 1]; null without band options. */
export function bandFor(
  target: string,
  opts: { abs: string | null; rel: string | null } | null,
): Band | null {
  if (!opts) return null;
  const t = toUnits(target);
  let half = 0n;
  if (opts.abs !== null) half = toUnits(opts.abs);
  if (opts.rel !== null) {
    const r = (t * toUnits(opts.rel)) / 10n ** BigInt(SCALE);
    if (r > half) half = r;
  }
  const one = 10n ** BigInt(SCALE);
  const lo = t - half < 0n ? 0n : t - half;
  const hi = t + half > one ? one : t + half;
  return { lo: fromUnits(lo), hi: fromUnits(hi) };
}

/** Exact sum of weights given as decimal text (8 places kept). */
export function sumWeights(values: string[]): string {
  return fromUnits(values.reduce((acc, v) => acc + toUnits(v), 0n));
}

/** Exact 1 − w. */
export function complement(w: string): string {
  return fromUnits(10n ** BigInt(SCALE) - toUnits(w));
}

/** Exact b − a. */
export function weightDelta(a: string | null, b: string | null): string {
  return fromUnits(toUnits(b ?? '0') - toUnits(a ?? '0'));
}
