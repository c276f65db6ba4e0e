/**
 * HiGHS back-end for the SOLVER target method (spec 10 §8.2–§8.3).
 *
 * HiGHS is a C++ LP/QP solver compiled to WebAssembly (npm `highs`). Its module loads
 * asynchronously, but every solve afterwards is synchronous, so the engine stays synchronous:
 * the host awaits `loadSolver()` once at start-up, and `solveProjection` uses the loaded
 * instance. Until then the solver is "not available" and the SOLVER method blocks with
 * `SOLVER_ERROR` (spec 10 §8.1 step 1).
 *
 * The problem is the Euclidean projection of the model vector onto the feasible polytope,
 * written in CPLEX LP format with generated variable names (`x0`, `x1`, …; instrument ids
 * never reach the LP text) and solved by HiGHS's active-set QP solver.
 */
import highsModule, { type Highs, type InitOptions } from 'highs';

type HighsLoader = (options?: InitOptions) => Promise<Highs>;

// The package's declarations are CommonJS-flavoured under NodeNext, so TypeScript sees the
// default import as the whole module; at run time the `import` condition loads `highs.mjs`,
// whose default export is the loader itself. Accept either shape.
const highsLoader: HighsLoader =
  typeof highsModule === 'function'
    ? (highsModule as HighsLoader)
    : (highsModule as unknown as { default: HighsLoader }).default;

let instance: Highs | null = null;
let pending: Promise<Highs> | null = null;

/**
 * Load the HiGHS WebAssembly module once per process (idempotent; concurrent callers share one
 * load). Await it before running any simulation that may use the SOLVER method.
 */
export async function loadSolver(): Promise<void> {
  if (instance) return;
  if (!pending) {
    const load = highsLoader().then(
      (highs) => {
        if (pending === load) instance = highs;
        return highs;
      },
      (error: unknown) => {
        if (pending === load) pending = null;
        throw error;
      },
    );
    pending = load;
  }
  await pending;
}

export function isSolverLoaded(): boolean {
  return instance !== null;
}

/** Forget the loaded instance, so SOLVER behaves as "no solver available". For tests. */
export function unloadSolver(): void {
  instance = null;
  pending = null;
}

/** `minimise Σ (w_i − target_i)²` over the constraints below; every number is a float. */
export interface ProjectionProblem {
  target: readonly number[];
  /** `investedMin ≤ Σ w_i ≤ investedMax` (two rows). */
  investedMin: number;
  investedMax: number;
  /** `0 ≤ w_i ≤ upper` for all i; `null`: only `w_i ≥ 0`. */
  upper: number | null;
  /** `Σ_{i ∈ members} w_i ≤ max`, one row each (members non-empty). */
  groups: readonly { members: readonly number[]; max: number }[];
}

export type ProjectionOutcome =
  { kind: 'OPTIMAL'; weights: number[] } | { kind: 'INFEASIBLE' } | { kind: 'ERROR'; reason: string };

const SOLVE_OPTIONS = {
  output_flag: false,
  // HiGHS adds 1e-7 to the Hessian diagonal by default, which moves a projection by ~1e-9
  // (0.4749999975 instead of 0.475 in the §8.6 probe). Our Hessian is 2·I, already strictly
  // convex, so no regularisation is needed and the active-set solution is exact to rounding.
  qp_regularization_value: 0,
} as const;

/** Accepted slack when re-checking an "Optimal" answer (HiGHS's own tolerance is 1e-7). */
const VERIFY_TOLERANCE = 1e-6;

export function solveProjection(problem: ProjectionProblem): ProjectionOutcome {
  const highs = instance;
  if (!highs) return { kind: 'ERROR', reason: 'solver not loaded' };
  let lp: string;
  try {
    lp = lpText(problem);
  } catch (error) {
    return { kind: 'ERROR', reason: (error as Error).message };
  }
  let solution: ReturnType<Highs['solve']>;
  try {
    solution = highs.solve(lp, SOLVE_OPTIONS);
  } catch (error) {
    return { kind: 'ERROR', reason: `HiGHS failed: ${(error as Error).message}` };
  }
  switch (solution.Status) {
    case 'Optimal':
      break;
    case 'Infeasible':
    // Presolve may not separate the two; the objective is strictly convex and bounded below,
    // so this model cannot be unbounded.
    case 'Primal infeasible or unbounded':
      return { kind: 'INFEASIBLE' };
    default:
      return { kind: 'ERROR', reason: `HiGHS model status ${solution.Status}` };
  }
  const weights: number[] = [];
  for (let i = 0; i < problem.target.length; i++) {
    const column = solution.Columns[variable(i)] as { Primal?: number } | undefined;
    const value = column?.Primal;
    if (typeof value !== 'number' || !Number.isFinite(value))
      return { kind: 'ERROR', reason: `no value for ${variable(i)}` };
    weights.push(value);
  }
  const violation = worstViolation(problem, weights);
  if (violation > VERIFY_TOLERANCE)
    return { kind: 'ERROR', reason: `HiGHS answer violates a constraint by ${violation}` };
  return { kind: 'OPTIMAL', weights };
}

const variable = (i: number) => `x${i}`;

function num(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`non-finite number ${value} in the QP`);
  return String(value); // shortest round-trip text; exponent forms (1e-7) are valid LP syntax
}

/** `a1 x1 + a2 x2 …`, a few terms per line (LP format continues an expression on new lines). */
function expression(terms: string[]): string {
  const lines: string[] = [];
  for (let i = 0; i < terms.length; i += 8) lines.push(terms.slice(i, i + 8).join(' '));
  return lines.join('\n   ');
}

function sumOf(indices: readonly number[]): string {
  return expression(indices.map((i, k) => (k === 0 ? variable(i) : `+ ${variable(i)}`)));
}

/**
 * Σ (w − m)² = Σ w² − 2 m w + m²; the constant is dropped. HiGHS reads the quadratic part as
 * `[ … ] / 2`, so `w²` is written `[ 2 w^2 ] / 2`.
 */
function lpText(p: ProjectionProblem): string {
  const n = p.target.length;
  const all = Array.from({ length: n }, (_, i) => i);
  const linear: string[] = [];
  p.target.forEach((m, i) => {
    const c = -2 * m;
    if (c !== 0) linear.push(`${c < 0 ? '-' : '+'} ${num(Math.abs(c))} ${variable(i)}`);
  });
  const quadratic = all.map((i) => `${i === 0 ? '' : '+ '}2 ${variable(i)}^2`);
  const lines = [
    'Minimize',
    ` obj: ${expression([...linear, linear.length > 0 ? '+ [' : '[', ...quadratic, '] / 2'])}`,
    'Subject To',
    ` invested_min: ${sumOf(all)} >= ${num(p.investedMin)}`,
    ` invested_max: ${sumOf(all)} <= ${num(p.investedMax)}`,
    ...p.groups.map((g, k) => ` group${k}: ${sumOf(g.members)} <= ${num(g.max)}`),
    'Bounds',
    ...all.map((i) =>
      p.upper === null ? ` ${variable(i)} >= 0` : ` 0 <= ${variable(i)} <= ${num(p.upper)}`,
    ),
    'End',
  ];
  return `${lines.join('\n')}\n`;
}

function worstViolation(p: ProjectionProblem, w: readonly number[]): number {
  let worst = 0;
  const over = (amount: number) => (worst = Math.max(worst, amount));
  let total = 0;
  for (const x of w) {
    over(-x);
    if (p.upper !== null) over(x - p.upper);
    total += x;
  }
  over(p.investedMin - total);
  over(total - p.investedMax);
  for (const g of p.groups) over(g.members.reduce((s, i) => s + w[i]!, 0) - g.max);
  return worst;
}
