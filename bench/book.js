// Book rebalance (issue 16): 10,000 generated portfolios of 50 positions, end to end.
// - CLI: `keel book FILE` (parse, engine on every core, aggregate, print), wall time and peak
//   RSS (GNU time's maximum resident set size; worker threads included).
// - Queue (with BENCH_DATABASE_URL): two `keel worker` processes (one engine thread each) on a
//   fresh PostgreSQL schema; the book is submitted through BookService (stream parse, line
//   storage, chunk jobs) and timed until SUCCEEDED, plus reading the blocks.
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { BookService } from '../dist/api/books/service.js';
import { EnginePool } from '../dist/compute/engine-pool.js';
import { openDatabase } from '../dist/store/database.js';
import { migrate } from '../dist/store/migrations.js';
import { JobQueue } from '../dist/store/queue.js';
import { generateBookLines } from '../dist/tools/generate-request.js';

const PORTFOLIOS = Number(process.env.BENCH_BOOK_PORTFOLIOS ?? 10_000);
const POSITIONS = 50;
const GOAL_SECONDS = 10;

function writeBook(dir) {
  const file = join(dir, 'book.jsonl');
  writeFileSync(
    file,
    `${[...generateBookLines({ portfolios: PORTFOLIOS, positions: POSITIONS, seed: 11 })].join('\n')}\n`,
  );
  return file;
}

function cliRun(file) {
  const time = existsSync('/usr/bin/time');
  const started = performance.now();
  const args = ['bin/keel.js', 'book', file];
  const r = time
    ? spawnSync('/usr/bin/time', ['-f', '%M %U %S', process.execPath, ...args], {
        encoding: 'utf8',
        maxBuffer: 1 << 30,
      })
    : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`keel book exited with ${r.status}: ${r.stderr}`);
  const summary = JSON.parse(r.stdout).summary;
  const [rss, user, sys] = time ? r.stderr.trim().split('\n').pop().split(' ').map(Number) : [];
  return {
    seconds,
    rssMb: time ? rss / 1024 : null,
    cpuSeconds: time ? user + sys : null,
    portfolios: summary.portfolios,
  };
}

const vmHwmMb = (pid) => {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmHWM:'));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : null;
  } catch {
    return null;
  }
};

async function queueRun(file, databaseUrl) {
  const schema = `keel_bench_book_${process.pid}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const env = {
    ...process.env,
    DATABASE_URL: url.toString(),
    KEEL_QUEUE_SCHEMA: `${schema}_boss`,
    KEEL_WORKER_CONCURRENCY: '1',
    KEEL_ENGINE_THREADS: '1',
    LOG_LEVEL: 'warn',
  };
  const db = await openDatabase({ url: url.toString(), poolSize: 10 });
  const workers = [];
  try {
    await migrate(db);
    const queue = await JobQueue.start(db, { schema: `${schema}_boss`, pollingSeconds: 0.2 });
    const engine = new EnginePool({ threads: 0 });
    const books = new BookService(db, queue, engine, env);
    await books.ensureQueue();
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, ['bin/keel.js', 'worker'], {
        env: { ...env, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      workers.push({ child, out: () => out });
    }
    const startBy = Date.now() + 60_000;
    while (!workers.every((w) => w.out().includes('worker started'))) {
      if (Date.now() > startBy) throw new Error('workers did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const started = performance.now();
    const { book } = await books.submit('default', null, undefined, createReadStream(file));
    const submitted = (performance.now() - started) / 1000;
    let status = book.status;
    while (status !== 'SUCCEEDED' && status !== 'FAILED') {
      await new Promise((r) => setTimeout(r, 100));
      status = (await db.query('SELECT status FROM rebalance_books WHERE book_id = $1', [book.book_id]))[0]
        .status;
    }
    const finished = (performance.now() - started) / 1000;
    await books.blocks(book.book_id, false);
    const total = (performance.now() - started) / 1000;
    const workerRss = workers.map((w) => vmHwmMb(w.child.pid));
    await queue.stop(false);
    await engine.close();
    return {
      status,
      submitted,
      finished,
      total,
      workerRss,
      mainRss: process.memoryUsage().rss / 1024 / 1024,
    };
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.child.exitCode !== null ? r() : w.child.once('exit', r)))),
    );
    await db.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.query(`DROP SCHEMA IF EXISTS ${schema}_boss CASCADE`);
    await admin.end();
  }
}

export async function bookBench() {
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-book-'));
  try {
    const file = writeBook(dir);
    const cli = [cliRun(file), cliRun(file)];
    const databaseUrl = process.env.BENCH_DATABASE_URL;
    const queue = databaseUrl ? await queueRun(file, databaseUrl) : null;
    return { cli, queue };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printBook({ cli, queue }) {
  console.log(
    `\nBook rebalance — ${PORTFOLIOS} portfolios × ${POSITIONS} positions (goal < ${GOAL_SECONDS} s)`,
  );
  for (const [i, r] of cli.entries())
    console.log(
      `  keel book, run ${i + 1}: ${r.seconds.toFixed(2)} s  ${(r.portfolios / r.seconds).toFixed(0)} portfolios/s  CPU ${r.cpuSeconds?.toFixed(2) ?? '?'} s  peak RSS ${r.rssMb?.toFixed(0) ?? '?'} MB`,
    );
  if (!queue) console.log('  queue: set BENCH_DATABASE_URL to run the two-worker PostgreSQL figure');
  else
    console.log(
      `  queue, 2 keel workers on PostgreSQL: ${queue.status} in ${queue.finished.toFixed(2)} s (submit+store ${queue.submitted.toFixed(2)} s; with blocks ${queue.total.toFixed(2)} s)  ` +
        `${(PORTFOLIOS / queue.finished).toFixed(0)} portfolios/s  peak RSS workers ${queue.workerRss.map((m) => m?.toFixed(0) ?? '?').join(' / ')} MB, submitter ${queue.mainRss.toFixed(0)} MB`,
    );
}
