/**
 * Block orders as CSV (csv-stringify): one row per allocation, the block's figures repeated,
 * security blocks then FX blocks. Columns: block_id, kind, instrument_id, side, block_quantity,
 * currency, portfolio_id, allocation_quantity.
 */
import { stringify } from 'csv-stringify/sync';
import type { Block, FxBlock } from '../contracts/book.js';

export const CSV_COLUMNS = [
  'block_id',
  'kind',
  'instrument_id',
  'side',
  'block_quantity',
  'currency',
  'portfolio_id',
  'allocation_quantity',
] as const;

export function bookCsv(blocks: readonly Block[], fxBlocks: readonly FxBlock[], idPrefix: string): string {
  const rows: string[][] = [];
  blocks.forEach((b, i) => {
    for (const a of b.allocations)
      rows.push([
        `${idPrefix}-S${i + 1}`,
        'SECURITY',
        b.instrument_id,
        b.side,
        b.quantity,
        '',
        a.portfolio_id,
        a.quantity,
      ]);
  });
  fxBlocks.forEach((b, i) => {
    for (const a of b.allocations)
      rows.push([
        `${idPrefix}-F${i + 1}`,
        'FX',
        `${b.buy_currency}/${b.sell_currency}`,
        'BUY',
        b.amount,
        b.buy_currency,
        a.portfolio_id,
        a.amount,
      ]);
  });
  return stringify(rows, { header: true, columns: [...CSV_COLUMNS], record_delimiter: 'unix' });
}
