// HTTP load test: POST /rebalance/simulate on a generated 20-position portfolio, storage on,
// every request a new Idempotency-Key (so every call runs the engine and records a run).
// Loopback only; bounded in time. Starts `keel serve` as a child process on a fresh store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Buffer } from 'node:buffer';
import autocannon from 'autocannon';
import { dropSchemas, freshSchema, startServer, stopServer } from './servers.js';
import { generateRequest } from '../dist/tools/generate-request.js';

/**
 * Each figure is Keel's simulate beside the ceiling measured right after it on the same store
 * kind: bench/ceiling-server.js, a trivial Fastify route doing one INSERT of a body the size of
 * Keel's answer and returning that body (same load generator, connections and duration).
 */
export async function httpBench({ duration = 15, connections = 16, databaseUrl, workers = 1 } = {}) {
  const keel = await keelBench({ duration, connections, databaseUrl, workers });
  const ceiling = await ceilingBench({ duration, connections, databaseUrl, bytes: keel.bodyBytes });
  return { ...keel, ceiling };
}

async function ceilingBench({ duration, connections, databaseUrl, bytes }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-ceiling-'));
  const schema = `keel_ceiling_${process.pid}_${Date.now()}`;
  const env = databaseUrl
    ? { DATABASE_URL: await freshSchema(databaseUrl, schema) }
    : { KEEL_DATA_DIR: dataDir, DATABASE_URL: '' };
  const { child, port } = await startServer(
    { ...env, BODY_BYTES: String(bytes) },
    { script: ['bench/ceiling-server.js'], timeoutMs: 30_000 },
  );
  try {
    const run = (seconds) =>
      autocannon({
        url: `http://127.0.0.1:${port}/ceiling`,
        method: 'POST',
        connections,
        duration: seconds,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(generateRequest({ positions: 20, seed: 11, constraints: true })),
      });
    await run(3); // warm-up
    const result = await run(duration);
    return { requestsPerSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
  } finally {
    await stopServer(child);
    rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl) await dropSchemas(databaseUrl, schema);
  }
}

async function keelBench({ duration, connections, databaseUrl, workers }) {
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
  const { child, port } = await startServer({ ...common, ...env }, { timeoutMs: 30_000 });
  const body = JSON.stringify(generateRequest({ positions: 20, seed: 11, constraints: true }));
  let n = 0;
  try {
    const sample = await fetch(`http://127.0.0.1:${port}/rebalance/simulate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Idempotency-Key': 'bench-size' },
      body,
    });
    const bodyBytes = Buffer.byteLength(await sample.text());
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
      bodyBytes,
      requestsPerSecond: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
    };
  } finally {
    await stopServer(child);
    rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl) await dropSchemas(databaseUrl, schema);
  }
}

export function printHttp(rows) {
  console.log(
    '\nHTTP: POST /rebalance/simulate, 20 positions, storage on, unique Idempotency-Key per request',
  );
  console.log(
    'Ceiling: a trivial Fastify route, one INSERT of a body of the same size into the same store, that body returned',
  );
  console.log(
    'backend | connections | body bytes | req/s | p50 ms | p99 ms | non-2xx | errors | ceiling req/s | p50 | p99 | share of ceiling',
  );
  for (const r of rows)
    console.log(
      `${r.backend} | ${r.connections} | ${r.bodyBytes} | ${r.requestsPerSecond.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.errors} | ${r.ceiling.requestsPerSecond.toFixed(0)} | ${r.ceiling.p50} | ${r.ceiling.p99} | ${((100 * r.requestsPerSecond) / r.ceiling.requestsPerSecond).toFixed(0)} %`,
    );
}
