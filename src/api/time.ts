/**
 * Timestamps on the wire: UTC ISO-8601 with microseconds and a `+00:00` offset, the fraction
 * omitted when zero (spec 30 §1). Query bounds accept any ISO-8601 text; one without an offset
 * (or a bare date) is read as UTC (closing QUIRK Q-S15).
 */
import { z } from 'zod';

export function isoTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2026-02-20T12:00:00.123Z
  const [seconds, fraction] = iso.slice(0, -1).split('.');
  return fraction && fraction !== '000' ? `${seconds}.${fraction}000+00:00` : `${seconds}+00:00`;
}

const HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;
const DATE_PART = /^(\d{4})-(\d{2})-(\d{2})(?=$|[T ])/;

/**
 * An ISO-8601 time bound, or null when it is not one. Calendar dates are checked as written
 * (February 30 is refused, not rolled over to March 2) and years run from 0001 to 9999, which
 * every store can represent.
 */
export function parseTimeBound(text: string): Date | null {
  const trimmed = text.trim();
  const day = DATE_PART.exec(trimmed);
  if (!day) return null;
  const [year, month, date] = [Number(day[1]), Number(day[2]), Number(day[3])];
  if (year < 1 || month < 1 || month > 12 || date < 1 || date > daysInMonth(year, month)) return null;
  const normalised = trimmed.length === 10 || HAS_OFFSET.test(trimmed) ? trimmed : `${trimmed}Z`;
  const parsed = new Date(normalised);
  if (Number.isNaN(parsed.getTime())) return null;
  const utcYear = parsed.getUTCFullYear();
  return utcYear >= 1 && utcYear <= 9999 ? parsed : null;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
}

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** Query parameter holding a time bound. */
export const timeBound = () =>
  z
    .string()
    .transform((value, ctx) => {
      const date = parseTimeBound(value);
      if (date) return date;
      ctx.issues.push({
        code: 'custom',
        message: 'Input should be a valid datetime (ISO-8601, a real calendar date, years 0001–9999)',
        input: value,
        params: { type: 'datetime_parsing' },
      });
      return z.NEVER;
    })
    .meta({
      type: 'string',
      format: 'date-time',
      description: 'Inclusive bound; ISO-8601, UTC when no offset is given.',
      examples: ['2026-02-20T12:00:00+00:00'],
    })
    .optional();
