// `npm run bench`: every benchmark in this folder, in order. Loopback only; bounded in time.
// Set BENCH_DATABASE_URL to also load-test against a PostgreSQL server (a fresh schema is used),
// BENCH_REDIS_URL for the cached scenario output figures (keys under a fresh prefix).
import { cpus } from 'node:os';
import { loadSolver } from '../dist/engine/targets/solver.js';
import { batchBench, engineBench, printBatch, printEngine, printSolver, solverBench } from './engine.js';
import { httpBench, printHttp } from './http.js';
import { poolBench, printPool } from './pool.js';
import { printScenarioBench, scenarioBench } from './scenarios.js';

console.log(
  `Keel benchmarks — ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`,
);
await loadSolver();
printEngine(engineBench());
printSolver(solverBench());
printBatch(batchBench());
printPool(await poolBench());
const http = [await httpBench()];
if (process.env.BENCH_DATABASE_URL) {
  http.push(await httpBench({ databaseUrl: process.env.BENCH_DATABASE_URL }));
  http.push(await httpBench({ databaseUrl: process.env.BENCH_DATABASE_URL, workers: 2 }));
}
printHttp(http);
const scenarios = await scenarioBench();
printScenarioBench(scenarios.outputs, scenarios.throughput, scenarios.csv);
