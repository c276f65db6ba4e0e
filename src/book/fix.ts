/**
 * A small FIX 4.4 tag=value writer (the maintained npm FIX engine is a whole session stack with
 * heavy dependencies; see docs/decisions/0072): NewOrderSingle (35=D) per block and AllocationInstruction (35=J) with
 * the block's allocations, each message with a correct BodyLength (9) and CheckSum (10).
 * Output is deterministic: sending time and trade date come from the caller.
 */
import type { Block, FxBlock } from '../contracts/book.js';

export const SOH = '\u0001';

export type Field = readonly [number, string | number];

/** A FIX value may not hold the field delimiter: SOH and every other control character are refused. */
function clean(value: string | number): string {
  const s = String(value);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f]/u.test(s))
    throw new Error(`FIX value holds a control character: ${JSON.stringify(s)}`);
  return s;
}

/** Sum of the bytes modulo 256, three digits. */
export function checksum(text: string): string {
  let sum = 0;
  for (const byte of Buffer.from(text, 'latin1')) sum += byte;
  return String(sum % 256).padStart(3, '0');
}

/** One message: 8, 9 and 10 computed; `fields` start with 35 (MsgType). */
export function fixMessage(fields: readonly Field[], beginString = 'FIX.4.4'): string {
  const body = fields.map(([tag, value]) => `${tag}=${clean(value)}${SOH}`).join('');
  const head = `8=${beginString}${SOH}9=${Buffer.byteLength(body, 'latin1')}${SOH}`;
  return `${head}${body}10=${checksum(head + body)}${SOH}`;
}

/** Parse a message back into [tag, value] pairs (for tests and checks). */
export function parseFix(message: string): [number, string][] {
  return message
    .split(SOH)
    .filter((f) => f !== '')
    .map((f) => {
      const at = f.indexOf('=');
      return [Number(f.slice(0, at)), f.slice(at + 1)];
    });
}

export interface FixOptions {
  senderCompId: string;
  targetCompId: string;
  /** UTCTimestamp, e.g. 20261201-07:00:00.000 */
  sendingTime: string;
  /** LocalMktDate, e.g. 20261201 */
  tradeDate: string;
  /** Prefix of ClOrdID / AllocID (the book id). */
  idPrefix: string;
}

/** `2026-12-01T07:00:00.000Z` → FIX UTCTimestamp and trade date. */
export function fixTimes(iso: string): { sendingTime: string; tradeDate: string } {
  const d = new Date(iso);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
  return {
    tradeDate: date,
    sendingTime: `${date}-${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`,
  };
}

const SIDE = { BUY: '1', SELL: '2' } as const;

/** Every block as 35=D then 35=J, FX blocks after the security blocks; one message per line. */
export function bookFix(blocks: readonly Block[], fxBlocks: readonly FxBlock[], o: FixOptions): string {
  let seq = 0;
  const header = (type: string): Field[] => [
    [35, type],
    [49, o.senderCompId],
    [56, o.targetCompId],
    [34, ++seq],
    [52, o.sendingTime],
  ];
  const out: string[] = [];
  blocks.forEach((b, i) => {
    const clOrdId = `${o.idPrefix}-S${i + 1}`;
    out.push(
      fixMessage([
        ...header('D'),
        [11, clOrdId],
        [21, 1], // HandlInst: automated, no broker intervention
        [55, b.instrument_id],
        [54, SIDE[b.side]],
        [60, o.sendingTime],
        [38, b.quantity],
        [40, 1], // OrdType: market
      ]),
    );
    // Netted blocks can hold negative (crossed) allocations: FIX allocations are sent per side.
    const allocs = b.allocations.filter((a) => !a.quantity.startsWith('-') && a.quantity !== '0');
    out.push(
      fixMessage([
        ...header('J'),
        [70, `${clOrdId}-A`],
        [71, 0], // AllocTransType: new
        [626, 2], // AllocType: preliminary (before execution)
        [857, 1], // AllocNoOrdersType: explicit list
        [73, 1],
        [11, clOrdId],
        [54, SIDE[b.side]],
        [55, b.instrument_id],
        [53, b.quantity],
        [6, 0], // AvgPx: not yet executed
        [75, o.tradeDate],
        [78, allocs.length],
        ...allocs.flatMap((a): Field[] => [
          [79, a.portfolio_id],
          [80, a.quantity],
        ]),
      ]),
    );
  });
  fxBlocks.forEach((b, i) => {
    const clOrdId = `${o.idPrefix}-F${i + 1}`;
    const symbol = `${b.buy_currency}/${b.sell_currency}`;
    out.push(
      fixMessage([
        ...header('D'),
        [11, clOrdId],
        [21, 1],
        [55, symbol],
        [460, 4], // Product: currency
        [54, 1], // buy the buy currency
        [60, o.sendingTime],
        [38, b.amount],
        [15, b.buy_currency],
        [40, 1],
      ]),
    );
    out.push(
      fixMessage([
        ...header('J'),
        [70, `${clOrdId}-A`],
        [71, 0],
        [626, 2],
        [857, 1],
        [73, 1],
        [11, clOrdId],
        [54, 1],
        [55, symbol],
        [460, 4],
        [53, b.amount],
        [6, 0],
        [15, b.buy_currency],
        [75, o.tradeDate],
        [78, b.allocations.length],
        ...b.allocations.flatMap((a): Field[] => [
          [79, a.portfolio_id],
          [80, a.amount],
        ]),
      ]),
    );
  });
  return out.map((m) => `${m}\n`).join('');
}
