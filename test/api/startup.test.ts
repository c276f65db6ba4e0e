/**
 * Start-up failures an operator can fix are reported plainly: a second `keel serve` on a data
 * directory in use exits with the lock message (it used to run and lose half the writes); a
 * damaged data directory says what is wrong and what to do (it used to print `[object Object]`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serveKeel, spawnKeel, stopKeel } from '../support/process.js';

const exit = (child: ReturnType<typeof spawnKeel>['child']) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('start-up failures', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-startup-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  // One data directory for the first two tests: made by the first, damaged by the second.
  let dir = '';

  it('a second process on the same data directory refuses to start with a clear message', async () => {
    dir = fresh();
    const env = { KEEL_DATA_DIR: dir, DATABASE_URL: '', LOG_LEVEL: 'warn' };
    const first = await serveKeel(env);
    try {
      const second = spawnKeel(['serve'], { ...env, PORT: '0' });
      expect(await exit(second.child)).toBe(1);
      expect(second.output()).toMatch(
        new RegExp(`keel: the embedded database directory .* is in use by process ${first.child.pid} `),
      );
      expect(second.output()).not.toContain('[object Object]');
      // The first one is unaffected.
      expect((await fetch(`http://127.0.0.1:${first.port}/health/ready`)).status).toBe(200);
    } finally {
      await stopKeel(first.child);
    }
  }, 60_000);

  it('a damaged data directory is named, with what to do', async () => {
    const env = { KEEL_DATA_DIR: dir, DATABASE_URL: '', LOG_LEVEL: 'warn' };
    writeFileSync(join(dir, 'global', 'pg_control'), 'garbage');
    const broken = spawnKeel(['serve'], { ...env, PORT: '0' });
    expect(await exit(broken.child)).toBe(1);
    expect(broken.output()).toContain(`keel: cannot open the embedded database in ${dir}`);
    expect(broken.output()).toMatch(/Restore it from a backup, or move it aside/);
    expect(broken.output()).not.toContain('[object Object]');
  }, 60_000);

  it('a data directory that is a file is named', async () => {
    const file = join(fresh(), 'not-a-dir');
    writeFileSync(file, 'x');
    const broken = spawnKeel(['migrate'], { KEEL_DATA_DIR: file, DATABASE_URL: '' });
    expect(await exit(broken.child)).toBe(1);
    expect(broken.output()).toContain(`keel: cannot use ${file} as the embedded database directory`);
  }, 30_000);
});
