// HTTP load test: POST /rebalance/simulate on a generated 20-position portfolio, storage on,
// every request a new Idempotency-Key (so every call runs the engine and records a run).
// Loopback only; bounded in time. Starts `keel serve` as a child process on a fresh store.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { generateRequest } from '../dist/tools/generate-request.js';

/** A schema of its own on the server, so the benchmark never touches other data. */
async function freshSchema(url, schema) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

async function start(env) {
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/keel.js', 'serve'], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return { child, port };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('server did not start');
}

export async function httpBench({ duration = 15, connections = 16, databaseUrl, workers = 1 } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-bench-'));
  const schema = `keel_bench_${process.pid}_${Date.now()}`;
  // Rate limits off: the benchmark measures throughput, not the per-tenant budget.
  const common = {
    KEEL_RATE_LIMIT_WRITE_PER_MINUTE: '0',
    KEEL_RATE_LIMIT_READ_PER_MINUTE: '0',
    KEEL_AUTH_DISABLED: '1',
    LOG_LEVEL: 'warn',
  };
  const env = databaseUrl
    ? { DATABASE_URL: await freshSchema(databaseUrl, schema), KEEL_WORKERS: String(workers) }
    : { KEEL_DATA_DIR: dataDir, DATABASE_URL: '', KEEL_WORKERS: '1' };
  const { child, port } = await start({ ...common, ...env });
  const body = JSON.stringify(generateRequest({ positions: 20, seed: 11, constraints: true }));
  let n = 0;
  try {
    const run = (seconds) =>
      autocannon({
        url: `http://127.0.0.1:${port}/rebalance/simulate`,
        method: 'POST',
        connections,
        duration: seconds,
        headers: { 'content-type': 'application/json' },
        body,
        requests: [
          {
            setupRequest: (req) => ({
              ...req,
              headers: { ...req.headers, 'Idempotency-Key': `bench-${n++}` },
            }),
          },
        ],
      });
    await run(3); // warm-up
    const result = await run(duration);
    return {
      backend: databaseUrl
        ? `postgres server, ${workers} worker${workers > 1 ? 's' : ''}`
        : 'embedded (PGlite), 1 process',
      connections,
      requestsPerSecond: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl) {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  }
}

export function printHttp(rows) {
  console.log(
    '\nHTTP: POST /rebalance/simulate, 20 positions, storage on, unique Idempotency-Key per request',
  );
  console.log('backend | connections | req/s | p50 ms | p99 ms | non-2xx | errors');
  for (const r of rows)
    console.log(
      `${r.backend} | ${r.connections} | ${r.requestsPerSecond.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.errors}`,
    );
}
