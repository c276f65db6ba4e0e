// Scenario benchmarks (spec 50): output query latency (a page of 100 out of 100,000 stored rows)
// uncached and cached in Redis, and scenario runs per second through the job queue. Each starts
// `keel serve` as a child process on a fresh store (embedded; and a fresh schema on the server
// when BENCH_DATABASE_URL is set). Cached figures need BENCH_REDIS_URL. Loopback only; bounded.
// Standalone: `npm run build && node bench/scenarios.js`.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { dropSchemas, freshSchema, startServer, stopServer } from './servers.js';
import { openDatabase } from '../dist/store/database.js';
import { migrate } from '../dist/store/migrations.js';
import { generateRequest } from '../dist/tools/generate-request.js';

const COMMON = {
  KEEL_RATE_LIMIT_WRITE_PER_MINUTE: '0',
  KEEL_RATE_LIMIT_READ_PER_MINUTE: '0',
  KEEL_AUTH_DISABLED: '1',
  LOG_LEVEL: 'warn',
};
const OUTPUT_ROWS = 100_000;
const TENANT = 'default';

/** A store of its own: an embedded data directory, or a fresh schema on the server. */
async function freshStore(databaseUrl) {
  if (!databaseUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'keel-bench-scenarios-'));
    return {
      env: { KEEL_DATA_DIR: dir, DATABASE_URL: '' },
      open: () => openDatabase({ dataDir: dir }),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `keel_bench_scen_${randomBytes(4).toString('hex')}`;
  const url = await freshSchema(databaseUrl, schema);
  return {
    env: { DATABASE_URL: url, KEEL_QUEUE_SCHEMA: `${schema}_boss` },
    open: () => openDatabase({ url }),
    drop: () => dropSchemas(databaseUrl, schema, `${schema}_boss`),
  };
}

/** One scenario with 1,000 SUCCEEDED runs of 100 output rows each, written directly in SQL. */
async function seedOutputs(store) {
  const db = await store.open();
  await migrate(db);
  const scenarioId = randomUUID();
  const now = new Date();
  await db.query(
    `INSERT INTO scenarios (scenario_id, tenant_id, name, description, status, tags, version, created_by, created_at, updated_at)
     VALUES ($1, $2, 'bench', NULL, 'active', '{}', 1, NULL, $3, $3)`,
    [scenarioId, TENANT, now],
  );
  await db.query(
    `INSERT INTO scenario_versions (scenario_id, version, tenant_id, base_json, assumptions_json, parameters_json, created_by, created_at)
     VALUES ($1, 1, $2, $3, '[]', '{}', NULL, $4)`,
    [scenarioId, TENANT, JSON.stringify(generateRequest({ positions: 20, seed: 1 })), now],
  );
  const runs = OUTPUT_ROWS / 100;
  await db.query(
    `INSERT INTO scenario_runs (run_id, tenant_id, scenario_id, scenario_version, state, priority, options_json, request_key, created_at, started_at, finished_at, attempts)
     SELECT 'run-' || g, $1, $2, 1, 'SUCCEEDED', 'NORMAL', '{}', 'k' || g, $3::timestamptz, $3::timestamptz, $3::timestamptz + g * interval '1 second', 1
     FROM generate_series(0, $4::int - 1) g`,
    [TENANT, scenarioId, now, runs],
  );
  await db.query(
    `INSERT INTO scenario_outputs (tenant_id, scenario_id, run_id, metric_name, asof_date, value, unit, dimensions)
     SELECT $1, $2, 'run-' || (g / 100),
            (ARRAY['total_value_before','total_value_after','turnover_notional_base','turnover_pct','security_intent_count',
                   'fx_intent_count','realized_capital_gains','cash_weight_after','max_abs_drift_after','status_code'])[g % 10 + 1],
            DATE '2026-01-01' + (g / 100) % 365, (g * 1.2345)::numeric, 'USD', '{}'::jsonb
     FROM generate_series(0, $3::int - 1) g`,
    [TENANT, scenarioId, OUTPUT_ROWS],
  );
  await db.query('ANALYZE scenario_outputs');
  await db.close();
  return scenarioId;
}

async function load(port, path, seconds) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: 8,
    duration: seconds,
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
  };
}

/** GET outputs?limit=100 (first page and a metric-filtered page) on 100,000 rows, without and with Redis. */
export async function outputBench({ databaseUrl, redisUrl, seconds = 8 } = {}) {
  const store = await freshStore(databaseUrl);
  const rows = [];
  const csv = [];
  try {
    const scenarioId = await seedOutputs(store);
    const paths = {
      'first page': `/v1/scenarios/${scenarioId}/outputs?limit=100`,
      'metric filter': `/v1/scenarios/${scenarioId}/outputs?limit=100&metric_name=turnover_pct&asof_from=2026-06-01`,
    };
    const modes = [['uncached (no Redis)', {}]];
    if (redisUrl)
      modes.push([
        'cached (Redis)',
        { REDIS_URL: redisUrl, KEEL_SCENARIO_CACHE_PREFIX: `keel-bench:${randomBytes(4).toString('hex')}:` },
      ]);
    for (const [mode, env] of modes) {
      const { child, port } = await startServer({ ...COMMON, ...store.env, ...env });
      try {
        for (const [query, path] of Object.entries(paths)) {
          const check = await fetch(`http://127.0.0.1:${port}${path}`);
          const body = await check.json();
          if (check.status !== 200 || body.data.length !== 100)
            throw new Error(`unexpected answer ${check.status}`);
          await load(port, path, 3); // warm-up
          rows.push({
            backend: databaseUrl ? 'postgres server' : 'embedded (PGlite)',
            mode,
            query,
            ...(await load(port, path, seconds)),
          });
        }
        if (!env.REDIS_URL)
          csv.push({
            backend: databaseUrl ? 'postgres server' : 'embedded (PGlite)',
            ...(await csvExport(port, scenarioId)),
          });
      } finally {
        await stopServer(child);
      }
    }
  } finally {
    await store.drop();
  }
  return { rows, csv };
}

/** The whole 100,000-row CSV export, streamed: time to the last byte and size; every line is counted. */
async function csvExport(port, scenarioId) {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/v1/scenarios/${scenarioId}/outputs?format=csv`);
  let bytes = 0;
  let lines = 0;
  for await (const chunk of res.body) {
    bytes += chunk.length;
    for (const b of chunk) if (b === 10) lines++;
  }
  if (lines !== OUTPUT_ROWS + 1) throw new Error(`CSV had ${lines} lines`);
  return { rows: OUTPUT_ROWS, megabytes: bytes / 1e6, seconds: (performance.now() - started) / 1000 };
}

/** Runs per second: 300 runs of a 20-position scenario through the queue, KEEL_WORKER_CONCURRENCY=2 in `keel serve`. */
export async function runThroughputBench({ databaseUrl, runs = 300 } = {}) {
  const store = await freshStore(databaseUrl);
  try {
    const { child, port } = await startServer({ ...COMMON, ...store.env, KEEL_WORKER_CONCURRENCY: '2' });
    try {
      const http = async (method, path, body) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return res.json();
      };
      const scenario = await http('POST', '/v1/scenarios', {
        name: 'throughput',
        base: generateRequest({ positions: 20, seed: 11, constraints: true }),
        assumptions: [{ driver_type: 'market_shock', payload: { scope: 'all', shock_pct: '-10' } }],
      });
      const started = performance.now();
      for (let b = 0; b < runs / 100; b++)
        await http('POST', `/v1/scenarios/${scenario.id}/runs:bulk`, {
          runs: Array.from({ length: 100 }, (_, i) => ({ code_version: `t${b}-${i}` })),
        });
      const deadline = Date.now() + 300_000;
      for (;;) {
        const [queued, running] = await Promise.all([
          http('GET', `/v1/scenarios/${scenario.id}/runs?state=QUEUED&limit=1`),
          http('GET', `/v1/scenarios/${scenario.id}/runs?state=RUNNING&limit=1`),
        ]);
        if ((queued.data.length === 0 && running.data.length === 0) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const seconds = (performance.now() - started) / 1000;
      const failed = await http('GET', `/v1/scenarios/${scenario.id}/runs?state=FAILED&limit=1`);
      return {
        backend: databaseUrl ? 'postgres server' : 'embedded (PGlite)',
        runs,
        seconds,
        runsPerSecond: runs / seconds,
        failed: failed.data.length,
      };
    } finally {
      await stopServer(child);
    }
  } finally {
    await store.drop();
  }
}

export function printScenarioBench(outputs, throughput, csv = []) {
  console.log(
    `\nScenario outputs: GET /v1/scenarios/{id}/outputs?limit=100 of ${OUTPUT_ROWS.toLocaleString('en')} rows, 8 connections`,
  );
  console.log('backend | mode | query | req/s | p50 ms | p99 ms | non-2xx');
  for (const r of outputs)
    console.log(
      `${r.backend} | ${r.mode} | ${r.query} | ${r.requestsPerSecond.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.non2xx}`,
    );
  console.log('\nCSV export of all 100,000 rows (format=csv, streamed)');
  console.log('backend | rows | MB | seconds | rows/s');
  for (const r of csv)
    console.log(
      `${r.backend} | ${r.rows} | ${r.megabytes.toFixed(1)} | ${r.seconds.toFixed(2)} | ${(r.rows / r.seconds).toFixed(0)}`,
    );
  console.log('\nScenario runs through the queue (20 positions, keel serve, 2 in-process workers)');
  console.log('backend | runs | seconds | runs/s | failed');
  for (const r of throughput)
    console.log(
      `${r.backend} | ${r.runs} | ${r.seconds.toFixed(1)} | ${r.runsPerSecond.toFixed(1)} | ${r.failed}`,
    );
}

export async function scenarioBench() {
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  const redisUrl = process.env.BENCH_REDIS_URL;
  const embedded = await outputBench({ redisUrl });
  const outputs = [...embedded.rows];
  const csv = [...embedded.csv];
  const throughput = [await runThroughputBench()];
  if (databaseUrl) {
    const server = await outputBench({ databaseUrl, redisUrl });
    outputs.push(...server.rows);
    csv.push(...server.csv);
    throughput.push(await runThroughputBench({ databaseUrl }));
  }
  return { outputs, throughput, csv };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { outputs, throughput, csv } = await scenarioBench();
  printScenarioBench(outputs, throughput, csv);
}
