/**
 * Display helpers. Weights and amounts arrive as exact decimal text; percentages are made by
 * moving the decimal point, so the digits shown are the digits Keel computed (no float rounding).
 */

/** "0.2000" → "20.00%"; "-0.015" → "-1.5%"; anything unusual falls back to a number. */
export function pct(text: string | null | undefined): string {
  if (text === null || text === undefined || text === '') return '–';
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) {
    const n = Number(text);
    return Number.isFinite(n) ? `${(n * 100).toString()}%` : String(text);
  }
  const sign = m[1] === '-' ? '-' : '';
  const int = m[2] ?? '';
  const frac = (m[3] ?? '').padEnd(2, '0');
  const whole = `${int}${frac.slice(0, 2)}`.replace(/^0+(?=\d)/, '') || '0';
  const rest = frac.slice(2);
  return `${sign}${whole}${rest ? `.${rest}` : ''}%`;
}

/** A weight as a number of percent for a chart axis (display only). */
export function pctNumber(text: string | null | undefined): number {
  const n = Number(text ?? 0);
  return Number.isFinite(n) ? Math.round(n * 1e8) / 1e6 : 0;
}

export interface Money {
  amount: string;
  currency: string;
}

export function money(m: Money | null | undefined): string {
  return m ? `${m.amount} ${m.currency}` : '–';
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  return iso.replace('T', ' ').replace(/(\.\d+)?(Z|\+00:00)$/, ' UTC');
}

/** Upper snake case to words: "PENDING_REVIEW" → "Pending review". */
export function words(code: string): string {
  const s = code.toLowerCase().replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}
