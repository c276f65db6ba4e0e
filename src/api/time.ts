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

export function parseTimeBound(text: string): Date | null {
  const trimmed = text.trim();
  const normalised =
    /^\d{4}-\d{2}-\d{2}$/.test(trimmed) || HAS_OFFSET.test(trimmed) ? trimmed : `${trimmed}Z`;
  if (!/^\d{4}-\d{2}-\d{2}/.test(normalised)) return null;
  const date = new Date(normalised);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Query parameter holding a time bound. */
export const timeBound = () =>
  z
    .string()
    .transform((value, ctx) => {
      const date = parseTimeBound(value);
      if (date) return date;
      ctx.issues.push({
        code: 'custom',
        message: 'Input should be a valid datetime',
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
