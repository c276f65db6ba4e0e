/**
 * `keel book` (issue 16): the book document on stdout (same aggregation as the service), each
 * portfolio's result identical to `keel simulate` of its body alone, in input order (--results),
 * CSV and FIX files, bad lines reported with exit code 2, a bad shared line refused, stdin, and
 * the same output whatever the number of engine threads. Uses dist/: run `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFix } from '../../src/book/fix.js';
import { generateBookLines } from '../../src/tools/generate-request.js';
import {
  EQ_1_BLOCKS,
  SMALL_BOOK,
  SMALL_FIX_MSG_TYPES,
  SMALL_LINES,
  simulateBodyOf,
} from '../support/book.js';
import { KEEL_BIN } from '../support/process.js';

const dir = mkdtempSync(join(tmpdir(), 'keel-book-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keel(args: string[], input?: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [KEEL_BIN, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('keel book', () => {
  it('prints summary, exceptions and blocks; results equal keel simulate per portfolio; writes CSV and FIX', () => {
    const file = join(dir, 'small.jsonl');
    writeFileSync(file, SMALL_BOOK);
    const results = join(dir, 'results.jsonl');
    const csv = join(dir, 'orders.csv');
    const fix = join(dir, 'orders.fix');
    const r = keel(['book', file, '--results', results, '--csv', csv, '--fix', fix]);
    expect(r.code, r.stderr).toBe(2); // three bad lines, reported; the rest ran
    expect(r.stderr).toBe(''); // no progress bar: stderr is not a terminal
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['summary', 'exceptions', 'blocks', 'fx_blocks']);
    expect(out.summary.by_status).toEqual({ READY: 3, PENDING_REVIEW: 1, BLOCKED: 0 });
    expect(out.summary.failed_lines.map((f: { line: number }) => f.line)).toEqual([5, 7, 8]);
    expect(out.blocks[0]).toEqual(EQ_1_BLOCKS[0]);
    expect(out.fx_blocks[0].amount).toBe('5500.00');
    expect(out.exceptions.map((e: { reason: string }) => e.reason)).toEqual(['PENDING_REVIEW', 'HIGH_CASH']);
    const lines = readFileSync(results, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    for (const [i, text] of SMALL_LINES.slice(1).entries()) {
      if ([5, 7, 8].includes(i + 2)) {
        expect(JSON.parse(lines[i]!)).toMatchObject({ line: i + 2 });
        continue;
      }
      const single = keel(['simulate', '-'], JSON.stringify(simulateBodyOf(text)));
      expect(single.code).toBe(0);
      expect(`${lines[i]}\n`).toBe(single.stdout);
    }
    expect(readFileSync(csv, 'utf8').split('\n')[1]).toBe('BOOK-S1,SECURITY,EQ_1,BUY,150,,A,50');
    const messages = readFileSync(fix, 'utf8').trimEnd().split('\n');
    expect(messages.map((m) => new Map(parseFix(m)).get(35))).toEqual(SMALL_FIX_MSG_TYPES);
  });

  it('gives the same document with one thread or several, from a file or stdin', () => {
    const body = `${[...generateBookLines({ portfolios: 60, positions: 12, seed: 4 })].join('\n')}\n`;
    const file = join(dir, 'gen.jsonl');
    writeFileSync(file, body);
    const inline = keel(['book', file], undefined, { KEEL_ENGINE_THREADS: '0', KEEL_BOOK_CHUNK_SIZE: '7' });
    const threads = keel(['book', '-'], body, { KEEL_ENGINE_THREADS: '2', KEEL_BOOK_CHUNK_SIZE: '5' });
    expect(inline.code, inline.stderr).toBe(0);
    expect(threads.stdout).toBe(inline.stdout);
    expect(JSON.parse(inline.stdout).summary.portfolios).toBe(60);
  });

  it.runIf(existsSync('/usr/bin/script'))('draws a progress bar on stderr when it is a terminal', () => {
    const file = join(dir, 'tty.jsonl');
    writeFileSync(file, `${[...generateBookLines({ portfolios: 30, positions: 5, seed: 8 })].join('\n')}\n`);
    // script(1) runs the command on a pseudo-terminal; stdout goes to a file, stderr to the terminal.
    const out = join(dir, 'tty-out.json');
    const r = spawnSync(
      '/usr/bin/script',
      ['-qc', `"${process.execPath}" "${KEEL_BIN}" book "${file}" > "${out}"`, '/dev/null'],
      { encoding: 'utf8', env: { ...process.env, KEEL_BOOK_CHUNK_SIZE: '10' } },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\[#{30}\] 100%\s+30 portfolios/);
    expect(JSON.parse(readFileSync(out, 'utf8')).summary.portfolios).toBe(30); // stdout untouched
  });

  it('refuses a bad shared line with the field errors on stderr (exit 2)', () => {
    const r = keel(['book', '-'], `{"market_data_snapshot": {}, "shelf_entries": []}\n${SMALL_LINES[1]}\n`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr).detail).toContainEqual(
      expect.objectContaining({ type: 'missing', loc: ['line 1', 'models'] }),
    );
    expect(keel(['book']).code).toBe(2);
  });
});
