/** Calendar dates as `YYYY-MM-DD` text, in UTC (output as-of dates). */

export function dateOf(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** A real calendar date in `YYYY-MM-DD` form. */
export function isCalendarDate(text: string): boolean {
  // Years 0001–9999: PostgreSQL has no year 0 (it would refuse the value, a 500 instead of a 400).
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || text.startsWith('0000')) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}
