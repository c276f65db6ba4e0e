/**
 * One process per embedded data directory. PGlite does not lock its directory, and two processes
 * writing one directory lose acknowledged writes without an error. Opening a directory therefore
 * takes `keel.lock` in it (PostgreSQL's own postmaster.pid scheme): the file is created
 * exclusively and names the owner's pid and host; a lock whose owner is no longer running (a
 * crash, SIGKILL) is taken over at once, so a restart never waits. Decision record 0011 says why
 * this is not a time-lease library lock.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'keel.lock';

export class DataDirLockedError extends Error {}

interface Owner {
  pid: number;
  hostname: string;
  started_at: string;
}

/** Directories this process holds, so a second open in the same process is refused too. */
const held = new Set<string>();

/** Take the lock of `dir`; returns the release function. Throws DataDirLockedError when in use. */
export function lockDataDir(dir: string): () => void {
  const path = join(resolve(dir), LOCK_FILE);
  if (held.has(path)) throw locked(path, { pid: process.pid, hostname: hostname(), started_at: 'now' });
  for (let attempt = 0; attempt < 5; attempt++) {
    if (create(path)) {
      held.add(path);
      return () => release(path);
    }
    const owner = readOwner(path);
    if (owner && isRunning(owner)) throw locked(path, owner);
    takeOver(path, owner);
  }
  throw new DataDirLockedError(`could not take ${path}: it keeps changing (another process is starting)`);
}

function create(path: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    const owner: Owner = { pid: process.pid, hostname: hostname(), started_at: new Date().toISOString() };
    writeSync(fd, JSON.stringify(owner));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function readOwner(path: string): Owner | null {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Owner;
    return typeof owner.pid === 'number' ? owner : null;
  } catch {
    return null; // vanished or half-written: treated as stale
  }
}

function isRunning(owner: Owner): boolean {
  if (owner.hostname !== hostname()) return true; // another machine: cannot tell, so it is in use
  if (owner.pid === process.pid) return false; // a previous incarnation with our pid (container restart)
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // The pid exists; on Linux, make sure it is still a Node process and not a reused pid.
  try {
    return /node|keel/.test(readFileSync(`/proc/${owner.pid}/cmdline`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * Remove a stale lock. Two processes may find the same stale lock at once; a short-lived
 * `keel.lock.takeover` file, created exclusively, lets only one of them remove it.
 */
function takeOver(path: string, stale: Owner | null): void {
  const guard = `${path}.takeover`;
  try {
    closeSync(openSync(guard, 'wx'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    try {
      if (Date.now() - statSync(guard).mtimeMs > 10_000) unlinkSync(guard); // left by a crash
    } catch {
      // gone already
    }
    return; // someone else is taking over; look again
  }
  try {
    const current = readOwner(path);
    if (current?.pid === stale?.pid && current?.started_at === stale?.started_at) unlinkSync(path);
  } catch {
    // already removed
  } finally {
    unlinkSync(guard);
  }
}

function release(path: string): void {
  held.delete(path);
  try {
    if (readOwner(path)?.pid === process.pid) unlinkSync(path);
  } catch {
    // the directory is gone (tests clean up)
  }
}

function locked(path: string, owner: Owner): DataDirLockedError {
  return new DataDirLockedError(
    `the embedded database directory ${resolve(path, '..')} is in use by process ${owner.pid} on ${owner.hostname} ` +
      `(since ${owner.started_at}). Only one process may open it: stop the other process, or run several processes ` +
      `against one PostgreSQL server with DATABASE_URL. If no such process is running, delete ${path}.`,
  );
}
