/**
 * `keel book FILE|-`: a book (JSON Lines) run on every core of this machine — chunks of
 * portfolio lines on the engine thread pool, a few in flight per thread, taken back in input
 * order — then aggregated: `{summary, exceptions, blocks, fx_blocks}` on stdout, optionally each
 * portfolio's simulate result (--results), the block orders as CSV (--csv) and FIX 4.4 (--fix).
 * A progress bar goes to stderr when stderr is a terminal.
 */
import { createReadStream, createWriteStream, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { EnginePool } from '../compute/engine-pool.js';
import type { BookChunkOutput } from '../compute/tasks.js';
import { BookAggregate } from '../book/aggregate.js';
import type { FailedOutcome } from '../book/compact.js';
import { bookCsv } from '../book/csv.js';
import { bookFix, fixTimes } from '../book/fix.js';
import { jsonLines } from '../book/lines.js';
import { parseShared } from '../book/request.js';
import type { FieldError } from '../contracts/primitives.js';

export interface BookCliOptions {
  file: string;
  results?: string;
  csv?: string;
  fix?: string;
  net: boolean;
  pretty: boolean;
  runAt?: string;
  chunkSize: number;
  threads: number;
}

export class BookInputError extends Error {
  constructor(readonly body: { detail: FieldError[] | string }) {
    super('invalid book');
  }
}

/** `[####      ] 42%  4200 portfolios  1250/s  ETA 6 s` (the share is estimated from the file's size, when known). */
function progressBar(done: number, share: number | null, started: number): string {
  const seconds = Math.max(0.001, (Date.now() - started) / 1000);
  const rate = done / seconds;
  const width = 30;
  if (share === null) return `\r${done} portfolios  ${rate.toFixed(0)}/s   `;
  const filled = Math.round(share * width);
  const eta = share > 0 && share < 1 ? `  ETA ${((seconds / share) * (1 - share)).toFixed(0)} s` : '';
  return `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(share * 100).toFixed(0)}%  ${done} portfolios  ${rate.toFixed(0)}/s${eta}   `;
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((r) => stream.once('drain', () => r()));
}

export async function runBook(o: BookCliOptions): Promise<{ output: string; failed: number }> {
  const input = o.file === '-' ? process.stdin : createReadStream(o.file);
  const size = o.file === '-' ? null : statSync(o.file).size;
  let read = 0;
  const counted = (async function* () {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      read += chunk.length;
      yield chunk;
    }
  })();
  const lines = jsonLines(counted);
  const first = await lines.next();
  if (first.done) throw new BookInputError({ detail: 'empty book: the shared line is missing' });
  const shared = first.value.tooLong ? null : parseShared(first.value.text);
  if (!shared || !shared.ok)
    throw new BookInputError({
      detail: (shared?.ok === false ? shared.errors : []).map((e) => ({
        ...e,
        loc: [`line ${first.value.line}`, ...e.loc],
      })),
    });
  const sharedText = first.value.text;
  const pool = new EnginePool({ threads: o.threads });
  const resultsOut = o.results ? createWriteStream(o.results) : null;
  // Aggregated as chunks come back (in input order), overlapping the engine threads' work.
  const book = new BookAggregate();
  const failed: FailedOutcome[] = [];
  const inFlight: Promise<BookChunkOutput>[] = [];
  const maxInFlight = Math.max(2, o.threads * 2);
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  let portfolios = 0;
  let done = 0;
  let lastDraw = 0;
  const take = async () => {
    const out = await inFlight.shift()!;
    for (let i = 0; i < out.outcomes.length; i++) {
      const outcome = out.outcomes[i]!;
      if (outcome.ok) book.add(outcome);
      else failed.push({ line: outcome.line, portfolio_id: outcome.portfolio_id, error: outcome.error });
      if (resultsOut) {
        const text = out.results?.[i];
        await write(
          resultsOut,
          `${text ?? JSON.stringify({ line: outcome.line, error: outcome.ok ? 'no result' : outcome.error })}\n`,
        );
      }
    }
    done += out.outcomes.length;
    if (tty && Date.now() - lastDraw > 100) {
      lastDraw = Date.now();
      // Portfolios expected in the whole file, from those read so far and the share of bytes read.
      const expected = size && read > 0 ? portfolios / Math.min(1, read / size) : 0;
      process.stderr.write(progressBar(done, expected > 0 ? Math.min(1, done / expected) : null, started));
    }
  };
  try {
    let chunk: { line: number; text: string }[] = [];
    const dispatch = async () => {
      if (chunk.length === 0) return;
      inFlight.push(pool.bookChunk({ shared: sharedText, lines: chunk, results: resultsOut !== null }));
      chunk = [];
      if (inFlight.length >= maxInFlight) await take();
    };
    for await (const line of lines) {
      portfolios++;
      if (line.tooLong) {
        // Kept in order: flush what precedes it, then record it.
        await dispatch();
        while (inFlight.length > 0) await take();
        failed.push({ line: line.line, portfolio_id: null, error: 'line: too long' });
        if (resultsOut)
          await write(resultsOut, `${JSON.stringify({ line: line.line, error: 'line: too long' })}\n`);
        done++;
        continue;
      }
      chunk.push({ line: line.line, text: line.text });
      if (chunk.length >= o.chunkSize) await dispatch();
    }
    await dispatch();
    while (inFlight.length > 0) await take();
  } finally {
    await pool.close();
    if (resultsOut) await new Promise<void>((r) => resultsOut.end(() => r()));
  }
  if (tty) process.stderr.write(`${progressBar(done, 1, started)}\n`);
  const gross = book.blocks(false);
  const blocks = o.net ? book.blocks(true) : gross;
  const fx = book.fxBlocks();
  const idPrefix = 'BOOK';
  if (o.csv) writeFileSync(o.csv, bookCsv(gross, fx, idPrefix));
  if (o.fix)
    writeFileSync(
      o.fix,
      bookFix(gross, fx, {
        senderCompId: process.env.KEEL_FIX_SENDER_COMP_ID || 'KEEL',
        targetCompId: process.env.KEEL_FIX_TARGET_COMP_ID || 'BROKER',
        idPrefix,
        ...fixTimes(o.runAt ?? '1970-01-01T00:00:00Z'),
      }),
    );
  const result = {
    summary: book.summary(failed, portfolios),
    exceptions: book.exceptionList(),
    blocks,
    fx_blocks: fx,
  };
  return { output: JSON.stringify(result, null, o.pretty ? 2 : undefined), failed: failed.length };
}

export const defaultThreads = () => availableParallelism();
