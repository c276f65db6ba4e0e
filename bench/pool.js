// Engine pool benchmark: where a worker thread starts paying off, and what the event loop sees
// while a large SOLVER request runs inline versus on a thread.
// Run with `npm run bench` (builds first). Record results in bench/README.md.
import { performance } from 'node:perf_hooks';
import { EnginePool } from '../dist/compute/engine-pool.js';
import { simulateRequestSchema } from '../dist/contracts/dpm-request.js';
import { parseAndValidate } from '../dist/contracts/parse.js';
import { generateRequest } from '../dist/tools/generate-request.js';

const task = { requestHash: 'bench', rebalanceRunId: 'rr_bench', correlationId: 'c_none' };

function prepare(positions, options = {}) {
  const body = generateRequest({ positions, seed: 7, constraints: true });
  body.options = { ...body.options, ...options };
  const text = JSON.stringify(body);
  const parsed = parseAndValidate(simulateRequestSchema, text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors.slice(0, 2)));
  return { text, value: parsed.value };
}

/** Mean wall time per request and the longest event-loop stall seen while they ran. */
async function measure(pool, request, runs) {
  let stall = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last - 5);
    last = now;
  }, 5);
  await pool.simulate(task, request.value, () => request.text); // warm-up (and thread start)
  let busy = 0;
  for (let i = 0; i < runs; i++) {
    await new Promise((r) => setImmediate(r)); // let timers run between requests, as a server would
    last = performance.now();
    const start = performance.now();
    await pool.simulate(task, request.value, () => request.text);
    busy += performance.now() - start;
    stall = Math.max(stall, performance.now() - last - 5);
  }
  clearInterval(ticker);
  return { mean: busy / runs, stall: Math.max(0, stall) };
}

export async function poolBench() {
  const inline = new EnginePool({ threads: 0 });
  const threaded = new EnginePool({ threads: 1, offloadMinSize: 0 });
  const rows = [];
  for (const positions of [10, 50, 100, 200, 500, 1000]) {
    const request = prepare(positions);
    const runs = positions <= 100 ? 200 : positions <= 500 ? 40 : 15;
    rows.push({
      positions,
      inline: await measure(inline, request, runs),
      thread: await measure(threaded, request, runs),
    });
  }
  const solver = prepare(1500, { target_method: 'SOLVER' });
  const solverRows = {
    inline: await measure(inline, solver, 1),
    thread: await measure(threaded, solver, 1),
  };
  await threaded.close();
  return { rows, solverRows };
}

export function printPool({ rows, solverRows }) {
  console.log(
    '\nEngine pool: simulate per request, inline vs one worker thread (includes the re-parse in the worker)',
  );
  console.log('positions | inline mean ms | thread mean ms | longest event-loop stall inline / thread ms');
  for (const r of rows)
    console.log(
      `${r.positions} | ${r.inline.mean.toFixed(2)} | ${r.thread.mean.toFixed(2)} | ${r.inline.stall.toFixed(0)} / ${r.thread.stall.toFixed(0)}`,
    );
  console.log(
    `SOLVER 1,500 positions: inline ${solverRows.inline.mean.toFixed(0)} ms (event loop stalled ${solverRows.inline.stall.toFixed(0)} ms); ` +
      `thread ${solverRows.thread.mean.toFixed(0)} ms (longest stall ${solverRows.thread.stall.toFixed(0)} ms)`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) printPool(await poolBench());
