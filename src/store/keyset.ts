/**
 * Keyset pagination shared by every list endpoint (spec 30 §6.1): filter, order newest first by
 * (time, id), continue after the cursor row, and report the last id as `next_cursor` when more
 * rows remain. An unknown cursor gives an empty page (QUIRK Q-S16).
 */
import type { Queryable } from './database.js';

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface KeysetQuery {
  table: string;
  columns: string;
  /** The timestamp column ordering the list (descending). */
  timeColumn: string;
  /** The id column breaking ties and carried by the cursor. */
  idColumn: string;
  tenant: string;
  /** `[sql with one ?, value]`; an undefined value means "no filter". */
  filters: [string, unknown][];
  limit: number;
  cursor?: string;
}

export async function keysetPage<T>(q: Queryable, query: KeysetQuery): Promise<Page<T>> {
  const where = ['tenant_id = $1'];
  const params: unknown[] = [query.tenant];
  for (const [clause, value] of query.filters) {
    if (value === undefined) continue;
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  }
  if (query.cursor !== undefined) {
    const anchor = await q.query<Record<string, unknown>>(
      `SELECT ${query.timeColumn} AS t FROM ${query.table} WHERE tenant_id = $1 AND ${query.idColumn} = $2`,
      [query.tenant, query.cursor],
    );
    if (!anchor[0]) return { items: [], next_cursor: null };
    params.push(anchor[0].t, query.cursor);
    where.push(`(${query.timeColumn}, ${query.idColumn}) < ($${params.length - 1}, $${params.length})`);
  }
  params.push(query.limit + 1);
  const rows = await q.query<T & Record<string, unknown>>(
    `SELECT ${query.columns} FROM ${query.table} WHERE ${where.join(' AND ')}
     ORDER BY ${query.timeColumn} DESC, ${query.idColumn} DESC LIMIT $${params.length}`,
    params,
  );
  const items = rows.slice(0, query.limit);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > query.limit && last ? String(last[query.idColumn]) : null };
}
