// One case of the issue-15 bands-and-lots benchmark (see bandsLotsBench in ./engine.js), alone in
// its process: prints {positions, intents, status, wall, cpu} — medians of 300 engine calls, ms.
import { simulateRequestSchema } from '../dist/contracts/dpm-request.js';
import { validate } from '../dist/contracts/parse.js';
import { simulateRebalance } from '../dist/engine/pipeline.js';
import { generateRequest } from '../dist/tools/generate-request.js';

const POSITIONS = 1_000;
const CASES = {
  off: [{}, () => null],
  'on, same trades': [{ drift_band_abs: '0' }, () => ({ lot_size: '1' })],
  'on, lots of 10': [{ drift_band_abs: '0' }, () => ({ lot_size: '10' })],
  'on, realistic': [
    { drift_band_abs: '0.002', drift_band_rel: '0.10' },
    (i) => (i % 2 === 0 ? { lot_size: '10' } : { quantity_increment: '0.001' }),
  ],
};

const [options, step] = CASES[process.argv[2]];
const body = generateRequest({ positions: POSITIONS, seed: 7, constraints: true });
Object.assign(body.options, options);
body.shelf_entries.forEach((entry, i) => Object.assign(entry, step(i) ?? {}));
const parsed = validate(simulateRequestSchema, body);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors.slice(0, 3)));
const request = parsed.value;
for (let i = 0; i < 30; i++) simulateRebalance(request, { requestHash: 'bench' });
const wall = [];
const cpu = [];
for (let i = 0; i < 300; i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  simulateRebalance(request, { requestHash: 'bench' });
  wall.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const result = simulateRebalance(request, { requestHash: 'bench' });
process.stdout.write(
  JSON.stringify({
    positions: POSITIONS,
    intents: result.intents.length,
    status: result.status,
    wall: median(wall),
    cpu: median(cpu),
  }),
);
