/**
 * SOLVER hot start (docs/decisions/0062): started from a feasible point near the answer, HiGHS's
 * active-set solver must reach the same projection as from a cold start, a bad or infeasible
 * start must fall back to the cold attempts, and a dropped non-binding group row must not move
 * the answer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type ProjectionProblem, solveProjection } from '../../src/engine/targets/highs-qp.js';
import { loadSolver } from '../../src/engine/targets/solver.js';
import { prng } from '../../src/tools/generate-request.js';

beforeAll(async () => {
  await loadSolver();
}, 120_000);

function randomProblem(seed: number, n: number): ProjectionProblem {
  const rand = prng(seed);
  const target = Array.from({ length: n }, () => Math.round(rand() * (2.4 / n) * 1e6) / 1e6);
  const members = (share: number) => target.flatMap((_, i) => (rand() < share ? [i] : []));
  const groups = [
    { members: members(0.3), max: 0.2 },
    { members: members(0.2), max: 0.15 },
  ].filter((g) => g.members.length > 0);
  return { target, investedMin: 0.9, investedMax: 1, upper: Math.max(3 / n, 0.05), groups };
}

/** A feasible point like the heuristic's: clipped to the cap, groups and the total scaled down. */
function roughStart(p: ProjectionProblem): number[] {
  const x = p.target.map((m) => Math.min(m, p.upper ?? Infinity));
  for (const g of p.groups) {
    const s = g.members.reduce((a, i) => a + x[i]!, 0);
    if (s > g.max) for (const i of g.members) x[i] = (x[i]! * g.max) / s;
  }
  const total = x.reduce((a, v) => a + v, 0);
  return total > p.investedMax ? x.map((v) => (v * p.investedMax) / total) : x;
}

const optimal = (p: ProjectionProblem) => {
  const outcome = solveProjection(p);
  if (outcome.kind !== 'OPTIMAL') throw new Error(JSON.stringify(outcome));
  return outcome;
};

describe('SOLVER hot start', () => {
  it('reaches the cold answer to 1e-9 from a heuristic-like start, warm', () => {
    let warmed = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const problem = randomProblem(seed, 20 + (seed % 7) * 15);
      const cold = optimal(problem);
      const warm = optimal({ ...problem, start: roughStart(problem) });
      expect(cold.via).not.toContain('warm');
      if (warm.via === 'SLACK/warm') warmed++;
      warm.weights.forEach((w, i) => expect(Math.abs(w - cold.weights[i]!)).toBeLessThan(1e-9));
    }
    // The hot start is what answers, not the fallback.
    expect(warmed).toBeGreaterThanOrEqual(36);
  });

  it('tops up a start short of the invested minimum, and ignores one of the wrong length', () => {
    const problem = randomProblem(7, 60);
    const cold = optimal(problem);
    // All zero: below the invested minimum until topped up.
    const fromZero = optimal({ ...problem, start: problem.target.map(() => 0) });
    expect(fromZero.via).toBe('SLACK/warm');
    fromZero.weights.forEach((w, i) => expect(Math.abs(w - cold.weights[i]!)).toBeLessThan(1e-9));
    // Wrong length: no hot start, the cold answer exactly.
    const ignored = optimal({ ...problem, start: [0.5] });
    expect(ignored.via).toBe(cold.via);
    expect(ignored.weights).toEqual(cold.weights);
  });

  it('repairs a start that breaks a group cap or the cap, and still answers warm', () => {
    const problem = randomProblem(11, 80);
    const cold = optimal(problem);
    const start = problem.target.map((m) => m * 1.5 + 0.01);
    const warm = optimal({ ...problem, start });
    expect(warm.via).toBe('SLACK/warm');
    warm.weights.forEach((w, i) => expect(Math.abs(w - cold.weights[i]!)).toBeLessThan(1e-9));
  });

  it('gives the same answer without a group row that cannot bind', () => {
    const problem = randomProblem(3, 50);
    const upper = problem.upper!;
    // Four members at most 4 × cap: a bound of 4 × cap can never be reached.
    const slack = { members: [0, 1, 2, 3], max: 4 * upper };
    const withRow = optimal({ ...problem, groups: [...problem.groups, slack] });
    const without = optimal(problem);
    withRow.weights.forEach((w, i) => expect(Math.abs(w - without.weights[i]!)).toBeLessThan(1e-9));
  });
});
