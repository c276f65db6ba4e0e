/**
 * One process per embedded data directory: a second opener is refused with a message that says
 * what to do; a lock left by a dead process (SIGKILL) is taken over at once.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDataDir, DataDirLockedError } from '../../src/store/data-dir-lock.js';
import { DatabaseOpenError, openDatabase } from '../../src/store/database.js';

describe('data directory lock', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-lock-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('refuses a second open of the same directory, in this process too, and frees it on close', async () => {
    const dir = fresh();
    const first = await openDatabase({ dataDir: dir });
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(DatabaseOpenError);
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(/is in use by process \d+ .*DATABASE_URL/);
    await first.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const again = await openDatabase({ dataDir: dir });
    await again.close();
  });

  it('takes over a lock whose owner is no longer running', () => {
    const dir = fresh();
    // A pid that has exited: a finished child process.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: dead, hostname: hostname(), started_at: '2026-01-01T00:00:00Z' }),
    );
    const release = lockDataDir(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    release();
  });

  it('treats a lock held on another host as in use', () => {
    const dir = fresh();
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: 1, hostname: 'elsewhere', started_at: '2026-01-01T00:00:00Z' }),
    );
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
  });
});
