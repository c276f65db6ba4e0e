// `npm run bench`: every benchmark in this folder, in order. Loopback only; bounded in time.
// Set BENCH_DATABASE_URL to also load-test against a PostgreSQL server (a fresh schema is used),
// BENCH_REDIS_URL for the cached scenario output figures (keys under a fresh prefix).
// `npm run bench -- cli engine` runs only the named ones (cli, engine, bands, solver, batch, pool, http, scenarios, book).
import { cpus, loadavg } from 'node:os';
import { loadSolver } from '../dist/engine/targets/solver.js';
import { bookBench, printBook } from './book.js';
import { cliBench, printCli } from './cli.js';
import {
  bandsLotsBench,
  batchBench,
  engineBench,
  printBandsLots,
  printBatch,
  printEngine,
  printSolver,
  solverBench,
} from './engine.js';
import { httpBench, printHttp } from './http.js';
import { poolBench, printPool } from './pool.js';
import { printScenarioBench, scenarioBench } from './scenarios.js';

const only = process.argv.slice(2);
const wanted = (name) => only.length === 0 || only.includes(name);

console.log(
  `Keel benchmarks — ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
await loadSolver();
if (wanted('cli')) printCli(await cliBench());
if (wanted('engine')) printEngine(engineBench());
if (wanted('bands')) printBandsLots(bandsLotsBench());
if (wanted('solver')) printSolver(solverBench());
if (wanted('batch')) printBatch(batchBench());
if (wanted('pool')) printPool(await poolBench());
if (wanted('http')) {
  const http = [await httpBench()];
  if (process.env.BENCH_DATABASE_URL) {
    http.push(await httpBench({ databaseUrl: process.env.BENCH_DATABASE_URL }));
    http.push(await httpBench({ databaseUrl: process.env.BENCH_DATABASE_URL, workers: 2 }));
  }
  printHttp(http);
}
if (wanted('scenarios')) {
  const scenarios = await scenarioBench();
  printScenarioBench(scenarios.outputs, scenarios.throughput, scenarios.csv);
}
if (wanted('book')) printBook(await bookBench());
