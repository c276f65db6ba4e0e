/**
 * `keel simulate --batch` on worker threads: the same bytes, in input order, as on one thread —
 * results, error lines and the exit code, plain and --pretty. Spawns the built CLI (npm run build).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { generateRequest } from '../../src/tools/generate-request.js';
import { KEEL_BIN } from '../support/process.js';

function batch(input: string, threads: number, pretty = false) {
  const r = spawnSync(process.execPath, [KEEL_BIN, 'simulate', '--batch', ...(pretty ? ['--pretty'] : [])], {
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, KEEL_ENGINE_THREADS: String(threads) },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Cases of very different cost, so threads finish out of order: large first, then small ones,
// a SOLVER case, bad JSON and a validation error in between, and blank lines.
const lines: string[] = [];
for (let i = 0; i < 14; i++) {
  const body = generateRequest({
    positions: i === 0 ? 400 : 5 + (i % 5) * 20,
    seed: 100 + i,
    constraints: i % 2 === 0,
  });
  if (i === 3) (body.options as Record<string, unknown>).target_method = 'SOLVER';
  lines.push(JSON.stringify(body));
  if (i === 4) lines.push('{"not json');
  if (i === 7) lines.push('{"options": {}}', '');
}
const input = `${lines.join('\n')}\n`;

describe('keel simulate --batch on threads', () => {
  it('writes the same bytes in input order as the serial path', () => {
    const serial = batch(input, 0);
    const threaded = batch(input, 2);
    expect(serial.code).toBe(2);
    expect(threaded.code).toBe(2);
    expect(threaded.stderr).toBe(serial.stderr);
    const out = serial.stdout.trimEnd().split('\n');
    expect(out).toHaveLength(16);
    expect(JSON.parse(out[5]!).error).toBe('INVALID_JSON');
    expect(JSON.parse(out[9]!).error).toBe('VALIDATION_ERROR');
    // Every result is a different run (the id derives from the request), so equal bytes mean
    // the same order.
    const ids = out.map((l) => JSON.parse(l)).flatMap((r) => (r.error ? [] : [r.rebalance_run_id]));
    expect(new Set(ids).size).toBe(14);
    expect(threaded.stdout).toBe(serial.stdout);
  }, 180_000);

  it('writes the same bytes with --pretty, and exits 0 when every line is valid', () => {
    const valid = `${lines
      .filter((l) => l.startsWith('{"portfolio'))
      .slice(1, 6)
      .join('\n')}\n`;
    const serial = batch(valid, 1, true);
    const threaded = batch(valid, 3, true);
    expect(serial.code).toBe(0);
    expect(threaded.code).toBe(0);
    expect(serial.stdout.split('\n  "rebalance_run_id"').length).toBe(6);
    expect(threaded.stdout).toBe(serial.stdout);
  }, 180_000);
});
