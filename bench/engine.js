// Engine benchmark: time per simulate for generated multi-currency portfolios with
// constraints on (single-position cap, two sector caps, minimum notional, cash band).
// Run with `npm run bench` (builds first). Prints a table; record results in bench/README.md.
import { cpus } from 'node:os';
import { simulateRequestSchema } from '../dist/contracts/dpm-request.js';
import { validate } from '../dist/contracts/parse.js';
import { simulateRebalance } from '../dist/engine/pipeline.js';
import { resultToWire } from '../dist/engine/wire.js';
import { generateRequest } from '../dist/tools/generate-request.js';

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { mean: samples.reduce((a, b) => a + b, 0) / samples.length, p50: at(0.5), p99: at(0.99) };
}

function measure(fn, { minRuns, minMs }) {
  for (let i = 0; i < 3; i++) fn(); // warm-up
  const samples = [];
  const start = performance.now();
  while (samples.length < minRuns || performance.now() - start < minMs) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return stats(samples);
}

export function engineBench() {
  const rows = [];
  for (const positions of [10, 100, 1_000, 10_000]) {
    const body = generateRequest({ positions, seed: 7, constraints: true, mixedShelf: true });
    const parsed = validate(simulateRequestSchema, body);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors.slice(0, 3)));
    const budget = positions >= 10_000 ? { minRuns: 5, minMs: 3_000 } : { minRuns: 20, minMs: 2_000 };
    const engine = measure(() => simulateRebalance(parsed.value, { requestHash: 'bench' }), budget);
    const full = measure(
      () =>
        resultToWire(
          simulateRebalance(validate(simulateRequestSchema, body).value, { requestHash: 'bench' }),
        ),
      budget,
    );
    const result = simulateRebalance(parsed.value, { requestHash: 'bench' });
    rows.push({ positions, intents: result.intents.length, status: result.status, engine, full });
  }
  return rows;
}

const fmt = (ms) => ms.toFixed(ms < 10 ? 2 : 1);

export function printEngine(rows) {
  console.log(
    `\nEngine: simulate per request (${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version})`,
  );
  console.log(
    'positions | intents | status | engine mean / p99 ms | validate+engine+serialise mean ms | growth vs n·log n',
  );
  let prev;
  for (const r of rows) {
    const growth = prev
      ? (
          r.engine.mean /
          prev.engine.mean /
          ((r.positions * Math.log(r.positions)) / (prev.positions * Math.log(prev.positions)))
        ).toFixed(2)
      : '-';
    console.log(
      `${String(r.positions).padStart(9)} | ${String(r.intents).padStart(7)} | ${r.status.padEnd(6)} | ${fmt(r.engine.mean)} / ${fmt(r.engine.p99)} | ${fmt(r.full.mean)} | ${growth}`,
    );
    prev = r;
  }
}
