/** The `keel` command line: simulate (file, stdin, batch), analyze, exit codes and error output. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR, readFixtureText } from '../support/fixtures.js';
import { KEEL_BIN } from '../support/process.js';

function keel(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [KEEL_BIN, ...args], { input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const demo = (file: string) => join(FIXTURES_DIR, 'demo', file);

describe('keel simulate', () => {
  it('prints the result for a file, identical on every run', () => {
    const a = keel(['simulate', demo('01_standard_drift.json')]);
    expect(a.code).toBe(0);
    const result = JSON.parse(a.stdout);
    expect(result.status).toBe('READY');
    expect(result.rebalance_run_id).toMatch(/^rr_[0-9a-f]{16}$/);
    expect(keel(['simulate', demo('01_standard_drift.json')]).stdout).toBe(a.stdout);
  });

  it('--correlation-id, --request-hash and --run-id reproduce a stored run exactly (issue 15)', () => {
    const args = ['--correlation-id', 'corr-7', '--request-hash', 'sha256:abc', '--run-id', 'rr_stored_1'];
    const r = keel(['simulate', demo('01_standard_drift.json'), ...args]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.rebalance_run_id).toBe('rr_stored_1');
    expect(result.correlation_id).toBe('corr-7');
    expect(result.lineage.request_hash).toBe('sha256:abc');
    expect(result.universe.universe_id).toBe('u_rr_stored_1');
    // Without --run-id the id derives from the given request hash, as the service derives it.
    const derived = JSON.parse(
      keel(['simulate', demo('01_standard_drift.json'), '--request-hash', 'sha256:abc']).stdout,
    );
    expect(derived.rebalance_run_id).toMatch(/^rr_[0-9a-f]{16}$/);
    expect(derived.rebalance_run_id).not.toBe(
      JSON.parse(keel(['simulate', demo('01_standard_drift.json')]).stdout).rebalance_run_id,
    );
    expect(derived.correlation_id).toBe('c_none');
    // --run-id names one run: refused with --batch; a blank id is refused.
    expect(keel(['simulate', '--batch', '--run-id', 'rr_x'], '').code).toBe(2);
    expect(keel(['simulate', demo('01_standard_drift.json'), '--run-id', ' ']).code).toBe(2);
    const batch = keel(
      ['simulate', '--batch', '--correlation-id', 'corr-b'],
      readFixtureText('demo', '01_standard_drift.json').replace(/\n/g, '') + '\n',
    );
    expect(batch.code).toBe(0);
    expect(JSON.parse(batch.stdout).correlation_id).toBe('corr-b');
  });

  it('reads stdin with -', () => {
    const r = keel(['simulate', '-'], readFixtureText('demo', '05_safety_hard_block_price.json'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe('BLOCKED');
  });

  it('exits 2 with the field errors on stderr for invalid input', () => {
    const r = keel(['simulate', '-'], '{"portfolio_snapshot": {"portfolio_id": 1}}');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const errors = JSON.parse(r.stderr).detail;
    expect(errors).toContainEqual(
      expect.objectContaining({ type: 'string_type', loc: ['portfolio_snapshot', 'portfolio_id'] }),
    );
    expect(errors).toContainEqual(expect.objectContaining({ type: 'missing', loc: ['options'] }));
    expect(keel(['simulate', '/no/such/file.json']).code).toBe(2);
  });

  it('--batch answers line by line, in order, with error lines in place of bad ones', () => {
    const good = readFixtureText('demo', '01_standard_drift.json').replace(/\n/g, '');
    const other = readFixtureText('demo', '04_safety_sell_only.json').replace(/\n/g, '');
    const r = keel(['simulate', '--batch'], `${good}\n{"not json\n${other}\n{"options": {}}\n`);
    expect(r.code).toBe(2);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[0].status).toBe('READY');
    expect(lines[1]).toMatchObject({
      error: 'INVALID_JSON',
      details: [expect.objectContaining({ type: 'json_invalid' })],
    });
    expect(lines[2].status).toBe('PENDING_REVIEW');
    expect(lines[3].error).toBe('VALIDATION_ERROR');
    expect(lines[3].details.length).toBeGreaterThan(0);
  });
});

describe('keel analyze and propose', () => {
  it('analyze prints a deterministic batch result', () => {
    const a = keel(['analyze', demo('09_batch_what_if_analysis.json')]);
    expect(a.code).toBe(0);
    const batch = JSON.parse(a.stdout);
    expect(Object.keys(batch.results)).toEqual(['baseline', 'settlement_guard', 'tax_budget']);
    expect(batch.run_at_utc).toBe('1970-01-01T00:00:00+00:00');
    expect(keel(['analyze', demo('09_batch_what_if_analysis.json')]).stdout).toBe(a.stdout);
    const at = JSON.parse(
      keel(['analyze', demo('09_batch_what_if_analysis.json'), '--run-at', '2026-02-20T12:00:00+00:00'])
        .stdout,
    );
    expect(at.run_at_utc).toBe('2026-02-20T12:00:00+00:00');
  });

  it('propose prints the proposal result with the reference run id', () => {
    const r = keel(['propose', demo('11_advisory_auto_funding_single_ccy.json')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ proposal_run_id: 'pr_c69eadce', status: 'READY' });
  });

  it('prints usage and fails on an unknown command', () => {
    expect(keel(['help']).stdout).toContain('simulate FILE|-');
    const r = keel(['frobnicate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
});

describe('a reader that stops early', () => {
  it('closes the pipe: keel stops quietly with exit code 0, no EPIPE trace', async () => {
    const line = JSON.stringify(JSON.parse(readFixtureText('demo', '01_standard_drift.json')));
    const child = spawn(process.execPath, [KEEL_BIN, 'simulate', '--batch'], {
      env: { ...process.env, KEEL_ENGINE_THREADS: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // ~40 KB a result: 200 of them are far more than a pipe buffer, so writes follow the close.
    child.stdin.end(`${line}\n`.repeat(200));
    const first = await new Promise<Buffer>((r) => child.stdout.once('data', r));
    expect(first.toString()).toMatch(/^\{"rebalance_run_id"/);
    child.stdout.destroy();
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(stderr).not.toMatch(/EPIPE/);
    expect(code).toBe(0);
  }, 60_000);
});
