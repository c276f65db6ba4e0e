// CPU per request of `keel serve` under load: POST /rebalance/simulate, 20 positions, storage on,
// every request a new Idempotency-Key. Unlike bench/http.js (throughput and latency, which on a
// shared machine follow the load), this reads the server process's own CPU time (user + system,
// all threads, from /proc/<pid>/stat) over a fixed number of requests, so the figure carries over
// from a busy machine. Several builds can be compared interleaved in the same run:
//
//   node bench/http-cpu.js [--rounds 3] [--requests 3000] [--pg URL] [--profile DIR] [--log-level warn] ROOT...
//
// ROOT is a directory holding a built Keel (bin/keel.js and dist/); default: this checkout. The
// word `ceiling` stands for bench/ceiling-server.js (one INSERT of a body of Keel's answer's size).
// With --pg the store is a fresh schema on that PostgreSQL server, else an embedded PGlite.
// With --profile, each server runs under `node --cpu-prof` and writes its profile into DIR.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { startServer, stopServer } from './servers.js';
import { generateRequest } from '../dist/tools/generate-request.js';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function cpuSeconds(pid) {
  // Fields after the command name (which is in parentheses and may hold spaces).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
}

/** CPU seconds of every `postgres` process now running (the server shares this machine). */
function postgresCpuSeconds() {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += cpuSeconds(pid);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

async function withSchema(url, fn) {
  const schema = `keel_cpu_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  try {
    return await fn(u.toString());
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

const CEILING = 'ceiling';
const BODY_BYTES = 39_127; // Keel's answer to the generated request below

async function measure(root, { requests, connections, databaseUrl, profileDir, logLevel }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-cpu-'));
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const ceiling = root === CEILING;
  const script = ceiling ? ['bench/ceiling-server.js'] : [join(root, 'bin/keel.js'), 'serve'];
  const { child, port } = await startServer(
    {
      BODY_BYTES: String(BODY_BYTES),
      KEEL_RATE_LIMIT_WRITE_PER_MINUTE: '0',
      KEEL_RATE_LIMIT_READ_PER_MINUTE: '0',
      KEEL_AUTH_DISABLED: '1',
      LOG_LEVEL: logLevel,
      KEEL_WORKERS: '1',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATABASE_URL: '', KEEL_DATA_DIR: dataDir }),
    },
    { script, cwd: ceiling ? undefined : root, nodeArgs },
  );
  try {
    const body = JSON.stringify(generateRequest({ positions: 20, seed: 11, constraints: true }));
    let n = 0;
    const run = (amount) =>
      autocannon({
        url: `http://127.0.0.1:${port}${ceiling ? '/ceiling' : '/rebalance/simulate'}`,
        method: 'POST',
        connections,
        amount,
        headers: { 'content-type': 'application/json' },
        body,
        requests: [
          {
            setupRequest: (req) => ({
              ...req,
              headers: { ...req.headers, 'Idempotency-Key': `cpu-${n++}` },
            }),
          },
        ],
      });
    await run(Math.ceil(requests / 3)); // warm-up: JIT, pools, caches
    const before = cpuSeconds(child.pid);
    const pgBefore = databaseUrl ? postgresCpuSeconds() : 0;
    const result = await run(requests);
    const cpu = cpuSeconds(child.pid) - before;
    const pgCpu = databaseUrl ? postgresCpuSeconds() - pgBefore : 0;
    const ok = result['2xx'];
    if (ok !== requests) throw new Error(`${root}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return {
      cpuMsPerRequest: (1000 * cpu) / ok,
      // Every postgres process's CPU over the window, other users' work included: an upper bound.
      postgresMsPerRequest: (1000 * pgCpu) / ok,
      requestsPerSecond: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
    };
  } finally {
    await stopServer(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '16' },
    pg: { type: 'string' },
    profile: { type: 'string' },
    'log-level': { type: 'string', default: 'warn' },
  },
});
const roots = (positionals.length > 0 ? positionals : ['.']).map((r) => (r === CEILING ? r : resolve(r)));
const options = {
  requests: Number(values.requests),
  connections: Number(values.connections),
  profileDir: values.profile && resolve(values.profile),
  logLevel: values['log-level'],
};
const results = new Map(roots.map((r) => [r, []]));
for (let round = 0; round < Number(values.rounds); round++) {
  for (const root of round % 2 === 0 ? roots : [...roots].reverse()) {
    const r = values.pg
      ? await withSchema(values.pg, (databaseUrl) => measure(root, { ...options, databaseUrl }))
      : await measure(root, options);
    results.get(root).push(r);
    console.log(
      `round ${round + 1} ${root}: ${r.cpuMsPerRequest.toFixed(3)} ms CPU/request${values.pg ? ` (postgres ≤ ${r.postgresMsPerRequest.toFixed(3)})` : ''}, ${r.requestsPerSecond.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms`,
    );
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `\n${values.pg ? 'PostgreSQL server' : 'embedded PGlite'}, ${options.requests} requests a round:`,
);
for (const [root, rs] of results)
  console.log(
    `${root}: median ${median(rs.map((r) => r.cpuMsPerRequest)).toFixed(3)} ms CPU/request${values.pg ? ` (postgres ≤ ${median(rs.map((r) => r.postgresMsPerRequest)).toFixed(3)})` : ''}, ${median(rs.map((r) => r.requestsPerSecond)).toFixed(0)} req/s, p99 ${median(rs.map((r) => r.p99))} ms`,
  );
