import { beforeAll, describe, expect, it } from 'vitest';
import { simulateRequestSchema } from '../../src/contracts/dpm-request.js';
import { validate, parseJsonText } from '../../src/contracts/parse.js';
import { simulateRebalance } from '../../src/engine/pipeline.js';
import { loadSolver } from '../../src/engine/targets/solver.js';
import { resultToWire } from '../../src/engine/wire.js';
import { compareToExpected } from '../support/compare.js';
import { fixtureFiles, readFixtureText } from '../support/fixtures.js';

const files = fixtureFiles('golden/dpm');

beforeAll(async () => {
  await loadSolver();
});

describe('DPM golden fixtures', () => {
  it('has the 45 fixtures', () => expect(files).toHaveLength(45));

  for (const file of files) {
    it(file, () => {
      const raw = parseJsonText(readFixtureText('golden/dpm', file));
      if (!raw.ok) throw new Error('fixture is not JSON');
      const fixture = raw.value as { inputs: unknown; expected_output?: unknown; expected_outputs?: unknown };
      const parsed = validate(simulateRequestSchema, fixture.inputs);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      const result = resultToWire(simulateRebalance(parsed.value));
      const expected = JSON.parse(
        JSON.stringify(fixture.expected_output ?? fixture.expected_outputs, (_k, v) =>
          v && typeof v === 'object' && 'isLosslessNumber' in v ? v.value : v,
        ),
      );
      expect(compareToExpected(expected, result)).toEqual([]);
    });
  }
});
