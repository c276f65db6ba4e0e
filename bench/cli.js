// End to end: `keel simulate --batch` on generated portfolios, the way a caller pays for a case
// (JSON parse, validation, canonical hash, engine, serialisation, stdout). The marginal time per
// case is taken from N and 2N distinct cases in fresh processes, (T(2N) − T(N)) / N, so process
// start-up, module loading and the solver's WebAssembly load cancel out. The same cases are also
// timed phase by phase in this process.
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { canonicalHash } from '../dist/contracts/canonical.js';
import { simulateRequestSchema } from '../dist/contracts/dpm-request.js';
import { parseJsonText, validate } from '../dist/contracts/parse.js';
import { simulateRebalance } from '../dist/engine/pipeline.js';
import { resultJsonText } from '../dist/engine/wire.js';
import { generateRequest } from '../dist/tools/generate-request.js';

/**
 * The reference engine timed in-process on the same generated cases (issue #14; it is not
 * installable here): about 10 ms per case at 100 positions and 350 ms at 1,000.
 */
export const REFERENCE_MS = { 100: 10, 1000: 350 };

const cases = (positions, count) =>
  Array.from({ length: count }, (_, i) =>
    JSON.stringify(generateRequest({ positions, seed: 1 + i, constraints: true })),
  );

/** `threads`: KEEL_ENGINE_THREADS for the run (0: every case on the main thread). */
function runBatch(file, threads) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const env = { ...process.env };
    if (threads === undefined) delete env.KEEL_ENGINE_THREADS;
    else env.KEEL_ENGINE_THREADS = String(threads);
    const child = spawn(process.execPath, ['bin/keel.js', 'simulate', '--batch'], {
      stdio: ['pipe', 'ignore', 'inherit'],
      env,
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(performance.now() - started) : reject(new Error(`keel exited with ${code}`)),
    );
    child.stdin.end(file);
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Marginal wall-clock ms per case at each size: N and 2N cases, alternated, median of each. N is
 * large enough that the optimising compiler has settled before the N extra cases run. Each size
 * is run on one thread (KEEL_ENGINE_THREADS=0) and with the default engine threads (one per
 * core), alternated, so both see the same load.
 */
export async function cliBench({
  sizes = [
    { positions: 100, n: 80 },
    { positions: 1_000, n: 16 },
  ],
  repeats = 3,
} = {}) {
  const rows = [];
  for (const { positions, n } of sizes) {
    const texts = cases(positions, 2 * n);
    const one = `${texts.slice(0, n).join('\n')}\n`;
    const two = `${texts.join('\n')}\n`;
    const times = { one: [], two: [], serialOne: [], serialTwo: [] };
    await runBatch(one); // warm-up run, not counted
    for (let r = 0; r < repeats; r++) {
      times.one.push(await runBatch(one));
      times.two.push(await runBatch(two));
      times.serialOne.push(await runBatch(one, 0));
      times.serialTwo.push(await runBatch(two, 0));
    }
    const marginal = (median(times.two) - median(times.one)) / n;
    rows.push({
      positions,
      n,
      one: median(times.one),
      two: median(times.two),
      marginal,
      serial: {
        one: median(times.serialOne),
        two: median(times.serialTwo),
        marginal: (median(times.serialTwo) - median(times.serialOne)) / n,
      },
      phases: await phaseBench(texts),
    });
  }
  return rows;
}

/** Mean ms per case of each phase, in this process, after a warm-up pass; GC pauses alongside. */
export async function phaseBench(texts) {
  const sums = { parse: 0, validate: 0, hash: 0, engine: 0, serialise: 0 };
  let gc = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gc += entry.duration;
  });
  const pass = (record) => {
    for (const text of texts) {
      const t0 = performance.now();
      const raw = parseJsonText(text);
      const t1 = performance.now();
      const parsed = validate(simulateRequestSchema, raw.value);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors.slice(0, 3)));
      const t2 = performance.now();
      const requestHash = canonicalHash(parsed.value);
      const t3 = performance.now();
      const result = simulateRebalance(parsed.value, { requestHash });
      const t4 = performance.now();
      resultJsonText(result);
      const t5 = performance.now();
      if (record) {
        sums.parse += t1 - t0;
        sums.validate += t2 - t1;
        sums.hash += t3 - t2;
        sums.engine += t4 - t3;
        sums.serialise += t5 - t4;
      }
    }
  };
  pass(false);
  observer.observe({ entryTypes: ['gc'] });
  pass(true);
  pass(true);
  await new Promise((resolve) => setTimeout(resolve, 50)); // GC entries are delivered asynchronously
  observer.disconnect();
  const per = (ms) => ms / (2 * texts.length);
  return { ...Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, per(v)])), gc: per(gc) };
}

const fmt = (ms) => ms.toFixed(ms < 10 ? 2 : 1);

export function printCli(rows) {
  console.log(
    `\nEnd to end: keel simulate --batch, marginal wall-clock ms per case (${cpus().length} cores; one process; engine threads: default = one per core, 0 = main thread only)`,
  );
  console.log(
    'positions | threads | N / 2N cases | T(N) / T(2N) ms | marginal ms per case | vs reference in-process',
  );
  for (const r of rows)
    for (const [label, t] of [
      ['default', r],
      ['0', r.serial],
    ])
      console.log(
        `${String(r.positions).padStart(9)} | ${label.padStart(7)} | ${r.n} / ${2 * r.n} | ${t.one.toFixed(0)} / ${t.two.toFixed(0)} | ${fmt(t.marginal)} | ${(REFERENCE_MS[r.positions] / t.marginal).toFixed(1)}× faster (reference ≈ ${REFERENCE_MS[r.positions]} ms)`,
      );
  console.log('\nPhases in-process, mean ms per case (GC pauses are included in the phases and shown alone)');
  console.log('positions | parse | validate | hash | engine | serialise | total | of which GC');
  for (const { positions, phases: p } of rows) {
    const total = p.parse + p.validate + p.hash + p.engine + p.serialise;
    console.log(
      `${String(positions).padStart(9)} | ${fmt(p.parse)} | ${fmt(p.validate)} | ${fmt(p.hash)} | ${fmt(p.engine)} | ${fmt(p.serialise)} | ${fmt(total)} | ${fmt(p.gc)}`,
    );
  }
}
