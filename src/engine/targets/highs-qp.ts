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
  /** `investedMin ≤ Σ w_i ≤ investedMax`. */
  investedMin: number;
  investedMax: number;
  /** `0 ≤ w_i ≤ upper` for all i; `null`: only `w_i ≥ 0`. */
  upper: number | null;
  /** `Σ_{i ∈ members} w_i ≤ max`, one constraint each (members non-empty). */
  groups: readonly { members: readonly number[]; max: number }[];
  /**
   * A feasible point near the answer (the heuristic's weights), to hot-start the active-set
   * solver from; see WARM. Omitted or infeasible: cold start only.
   */
  start?: readonly number[];
}

export type ProjectionOutcome =
  /** `via`: the presentation that produced the certified answer (see ATTEMPTS). */
  | { kind: 'OPTIMAL'; weights: number[]; via: string }
  | { kind: 'INFEASIBLE' }
  | { kind: 'ERROR'; reason: string };

const SOLVE_OPTIONS = {
  output_flag: false,
  // HiGHS adds 1e-7 to the Hessian diagonal by default, which moves a projection by ~1e-9
  // (0.4749999975 instead of 0.475 in the §8.6 probe). Our Hessian is 2·I, already strictly
  // convex, so no regularisation is needed.
  qp_regularization_value: 0,
} as const;

/**
 * Tolerance of the optimality certificate, in weight units. HiGHS's accepted answers are good to
 * ~1e-10; the wrong "optimal" answers it can return on degenerate problems are off by whole
 * percentage points.
 */
const KKT_TOLERANCE = 1e-7;

/**
 * How the projection is written for HiGHS (all equivalent):
 * - SLACK: `Σw − z0 = 0` with `min ≤ z0 ≤ max`, `Σ_G w − z_k = 0` with `z_k ≤ cap`;
 * - ROWS: `Σw ≥ min`, `Σw ≤ max`, `Σ_G w ≤ cap` as plain rows;
 * - RESIDUAL: free residuals `r_i = w_i − m_i` (rows `w_i − r_i = m_i`), objective `Σ r_i²`,
 *   the constraints as in ROWS.
 */
type Formulation = 'SLACK' | 'ROWS' | 'RESIDUAL';

interface Attempt {
  formulation: Formulation;
  /**
   * Units the weights are written in. In SLACK and ROWS the active-set solver stops on absolute
   * step-size thresholds, which in weight units leaves errors up to ~1e-6 (enough to move a
   * 4-place rounding); in basis points (× 10 000) they are ~1e-10. RESIDUAL is exact to rounding
   * in weight units and, scaled up, trips HiGHS's own feasibility check on large models.
   */
  scale: number;
  reversed: boolean;
  /** Shift equal targets apart (see TIE_BREAK). */
  tieBreak: boolean;
}

/**
 * HiGHS's active-set QP solver can cycle, stop, or report a wrong "optimal" point on degenerate
 * projections: equal targets, targets sitting exactly on a bound, caps summing exactly to a
 * cash-band limit. On small random problems SLACK fails about 4 times in 10 000 and RESIDUAL
 * about once in 70 000, on different problems. A failed or uncertified attempt is retried with
 * the next presentation of the same problem, in this fixed order (so results stay
 * deterministic). SLACK goes first because it is the fastest on large models (~15 % faster
 * than RESIDUAL at 500 instruments).
 */
const ATTEMPTS: readonly Attempt[] = [
  { formulation: 'SLACK', scale: 10_000, reversed: false, tieBreak: false },
  { formulation: 'RESIDUAL', scale: 1, reversed: false, tieBreak: false },
  { formulation: 'ROWS', scale: 10_000, reversed: false, tieBreak: false },
  { formulation: 'RESIDUAL', scale: 1, reversed: true, tieBreak: true },
  { formulation: 'SLACK', scale: 10_000, reversed: true, tieBreak: true },
];

/**
 * Tie-breaking shift of target i: TIE_BREAK × (1 + i mod 8) / 8, at most 1e-9. Projection onto a
 * convex set is 1-Lipschitz, so the answer moves by at most 1e-9 × √n (1e-7 for 10 000
 * instruments), far below the 4-place quantisation; the certificate is still checked against
 * the unshifted targets.
 */
const TIE_BREAK = 1e-9;

/**
 * Project `target` onto the feasible set with HiGHS. `INFEASIBLE` when HiGHS proves the set
 * empty; `OPTIMAL` only with an answer that passes the KKT check below; `ERROR` when the solver
 * is not loaded or every attempt failed.
 */
export function solveProjection(problem: ProjectionProblem): ProjectionOutcome {
  const highs = instance;
  if (!highs) return { kind: 'ERROR', reason: 'solver not loaded' };
  const failures: string[] = [];
  const warm = problem.start ? solveWarm(highs, problem, problem.start) : null;
  if (Array.isArray(warm)) return { kind: 'OPTIMAL', weights: warm, via: 'SLACK/warm' };
  if (warm !== null) failures.push(`SLACK/warm: ${warm}`);
  for (const attempt of ATTEMPTS) {
    const variant = `${attempt.formulation}${attempt.reversed ? '/reversed' : ''}${attempt.tieBreak ? '/tie-break' : ''}`;
    const outcome = solveOnce(highs, problem, attempt);
    if (outcome === 'INFEASIBLE') return { kind: 'INFEASIBLE' };
    if (Array.isArray(outcome)) return { kind: 'OPTIMAL', weights: outcome, via: variant };
    failures.push(`${variant}: ${outcome}`);
  }
  return { kind: 'ERROR', reason: failures.join('; ') };
}

/** The weights, `INFEASIBLE`, or why the attempt failed. */
function solveOnce(
  highs: Highs,
  problem: ProjectionProblem,
  attempt: Attempt,
): number[] | 'INFEASIBLE' | string {
  const { formulation, scale } = attempt;
  const order = Array.from({ length: problem.target.length }, (_, i) => i);
  if (attempt.reversed) order.reverse();
  const target = attempt.tieBreak
    ? problem.target.map((m, i) => m + (TIE_BREAK * (1 + (i % 8))) / 8)
    : problem.target;
  let solution: ReturnType<Highs['solve']>;
  try {
    solution = highs.solve(lpText({ ...problem, target }, formulation, scale, order), SOLVE_OPTIONS);
  } catch (error) {
    return `HiGHS failed: ${(error as Error).message}`;
  }
  switch (solution.Status) {
    case 'Optimal':
      break;
    // Presolve may not separate infeasible from unbounded; the objective is strictly convex and
    // bounded below, so this model cannot be unbounded.
    case 'Infeasible':
    case 'Primal infeasible or unbounded':
      return 'INFEASIBLE';
    default:
      return `model status ${solution.Status}`;
  }
  const weights = problem.target.map((_, i) => {
    const column = solution.Columns[weightVar(i)] as { Primal?: number } | undefined;
    return typeof column?.Primal === 'number' ? column.Primal / scale : NaN;
  });
  const rowDual = new Map<string, number>();
  for (const row of solution.Rows as { Name?: string; Dual?: number }[])
    if (row.Name !== undefined) rowDual.set(row.Name, typeof row.Dual === 'number' ? row.Dual / scale : NaN);
  const dual = (name: string) => rowDual.get(name) ?? 0;
  const multipliers = {
    invested: formulation === 'SLACK' ? dual(INVESTED) : dual(INVESTED_MIN) + dual(INVESTED_MAX),
    groups: problem.groups.map((_, k) => dual(groupRow(k))),
  };
  const failure = kktFailure(problem, weights, multipliers);
  return failure ? `answer not optimal (${failure})` : weights;
}

/**
 * Hot start (docs/decisions/0062). From a vertex, the active-set solver frees one weight per
 * iteration, ~n iterations (897 at 500 instruments, 3,485 at 2,000). Started from a feasible
 * point with its working set (weights at 0 or at the cap held there, every other weight free,
 * the slack of each row basic), it only has to correct the guesses that were wrong. The model is
 * the SLACK presentation in basis points, as the first cold attempt. A start that is not
 * feasible after the repair below, a failed run or an uncertified answer falls back to the cold
 * attempts, so the outcome never depends on the start being good.
 */
function solveWarm(
  highs: Highs,
  problem: ProjectionProblem,
  start: readonly number[],
): number[] | string | null {
  const scale = 10_000;
  const x = feasibleStart(problem, start);
  if (!x) return null;
  const order = Array.from({ length: problem.target.length }, (_, i) => i);
  let model: ReturnType<Highs['createModel']> | null = null;
  try {
    model = highs.createModel({ format: 'lp', data: lpText(problem, 'SLACK', scale, order) });
    model.options.set({ ...SOLVE_OPTIONS, qp_allow_hot_start: true });
    const { numCols, numRows } = model.getDimensions();
    const upper = problem.upper === null ? Infinity : problem.upper * scale;
    const colValue = new Float64Array(numCols);
    const colStatus = new Int32Array(numCols);
    const columnOf: number[] = new Array<number>(problem.target.length);
    for (let j = 0; j < numCols; j++) {
      const name = model.getColName(j);
      const k = Number(name.slice(1));
      if (name[0] === 'x') {
        columnOf[k] = j;
        const v = x[k]! * scale;
        colValue[j] = v;
        colStatus[j] = v <= 0 ? BASIS_LOWER : v >= upper ? BASIS_UPPER : BASIS_FREE;
      } else {
        const members = k === 0 ? order : problem.groups[k - 1]!.members;
        colValue[j] = members.reduce((s, i) => s + x[i]! * scale, 0);
        colStatus[j] = BASIS_BASIC;
      }
    }
    model.setSolution({ colValue, rowDual: new Float64Array(numRows) });
    model.setBasis({ colStatus, rowStatus: new Int32Array(numRows) });
    model.run();
    if (model.getModelStatus() !== MODEL_OPTIMAL) return `model status ${model.getModelStatus()}`;
    const solution = model.getSolution();
    const weights = problem.target.map((_, i) => solution.colValue[columnOf[i]!]! / scale);
    const dual = new Map<string, number>();
    for (let r = 0; r < numRows; r++) dual.set(model.getRowName(r), solution.rowDual[r]! / scale);
    const failure = kktFailure(problem, weights, {
      invested: dual.get(INVESTED) ?? NaN,
      groups: problem.groups.map((_, k) => dual.get(groupRow(k)) ?? NaN),
    });
    return failure ? `answer not optimal (${failure})` : weights;
  } catch (error) {
    return `HiGHS failed: ${(error as Error).message}`;
  } finally {
    model?.dispose();
  }
}

// HiGHS basis statuses (kLower, kBasic, kUpper, kNonbasic) and model status kOptimal.
const BASIS_LOWER = 0;
const BASIS_BASIC = 1;
const BASIS_UPPER = 2;
const BASIS_FREE = 4;
const MODEL_OPTIMAL = 7;

/**
 * The start clipped to the bounds, scaled down into every `≤` row it breaks (the heuristic
 * honours group caps only to 1e-4), then, if the invested sum is short of its minimum, topped up
 * weight by weight within the room the cap and the groups leave; null when that is not enough.
 */
function feasibleStart(p: ProjectionProblem, start: readonly number[]): number[] | null {
  if (start.length !== p.target.length) return null;
  const cap = p.upper ?? Infinity;
  const x = start.map((v) => (Number.isFinite(v) ? Math.min(Math.max(v, 0), cap) : 0));
  const total = (members: readonly number[]) => members.reduce((s, i) => s + x[i]!, 0);
  const shrink = (members: readonly number[], max: number) => {
    const sum = total(members);
    if (sum <= max) return;
    const factor = (Math.max(max, 0) / sum) * (1 - 1e-12);
    for (const i of members) x[i] = x[i]! * factor;
  };
  const all = x.map((_, i) => i);
  for (const g of p.groups) shrink(g.members, g.max);
  shrink(all, p.investedMax);
  let deficit = p.investedMin - total(all);
  if (deficit > 0) {
    const groupsOf: number[][] = x.map(() => []);
    p.groups.forEach((g, k) => g.members.forEach((i) => groupsOf[i]!.push(k)));
    const slack = p.groups.map((g) => g.max - total(g.members));
    for (let i = 0; i < x.length && deficit > 0; i++) {
      let room = Math.min(cap - x[i]!, deficit * (1 + 1e-12));
      for (const k of groupsOf[i]!) room = Math.min(room, slack[k]! * (1 - 1e-12));
      if (!(room > 0)) continue;
      x[i] = x[i]! + room;
      for (const k of groupsOf[i]!) slack[k] = slack[k]! - room;
      deficit -= room;
    }
    if (total(all) < p.investedMin || total(all) > p.investedMax) return null;
  }
  return x;
}

// Generated names only: instrument ids never reach the LP text.
const weightVar = (i: number) => `x${i}`;
const residualVar = (i: number) => `r${i}`;
const groupVar = (k: number) => `z${k + 1}`;
const INVESTED_VAR = 'z0';
const INVESTED = 'inv';
const INVESTED_MIN = 'inv_min';
const INVESTED_MAX = 'inv_max';
const groupRow = (k: number) => `grp${k}`;
const residualRow = (i: number) => `res${i}`;

function num(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`non-finite number ${value} in the QP`);
  return String(value); // shortest round-trip text; exponent forms (1e-7) are valid LP syntax
}

/** Terms joined with spaces, a few per line (LP format continues an expression on new lines). */
function expression(terms: readonly string[]): string {
  const lines: string[] = [];
  for (let i = 0; i < terms.length; i += 8) lines.push(terms.slice(i, i + 8).join(' '));
  return lines.join('\n   ');
}

const sumOf = (indices: readonly number[]) =>
  indices.map((i, k) => (k === 0 ? weightVar(i) : `+ ${weightVar(i)}`));

/**
 * CPLEX LP text with every weight-valued number × `scale`. Σ (w − m)² = Σ w² − 2 m w + m² with
 * the constant dropped (SLACK, ROWS), or Σ r² (RESIDUAL); HiGHS reads the quadratic part as
 * `[ … ] / 2`, so `w²` is written `[ 2 w^2 ] / 2`.
 */
function lpText(
  p: ProjectionProblem,
  formulation: Formulation,
  scale: number,
  order: readonly number[],
): string {
  let objective: string;
  if (formulation === 'RESIDUAL') {
    objective = expression([
      '[',
      ...order.map((i, k) => `${k === 0 ? '' : '+ '}2 ${residualVar(i)}^2`),
      '] / 2',
    ]);
  } else {
    const linear = order.flatMap((i) => {
      const c = -2 * p.target[i]! * scale;
      return c === 0 ? [] : [`${c < 0 ? '-' : '+'} ${num(Math.abs(c))} ${weightVar(i)}`];
    });
    const quadratic = order.map((i, k) => `${k === 0 ? '' : '+ '}2 ${weightVar(i)}^2`);
    objective = expression([...linear, linear.length > 0 ? '+ [' : '[', ...quadratic, '] / 2']);
  }
  const upper = p.upper === null ? null : num(p.upper * scale);
  const weightBounds = order.map((i) =>
    upper === null ? ` ${weightVar(i)} >= 0` : ` 0 <= ${weightVar(i)} <= ${upper}`,
  );
  const investedMin = num(p.investedMin * scale);
  const investedMax = num(p.investedMax * scale);
  const groupMax = p.groups.map((g) => num(g.max * scale));
  const lines = ['Minimize', ` obj: ${objective}`, 'Subject To'];
  if (formulation === 'SLACK') {
    lines.push(` ${INVESTED}: ${expression([...sumOf(order), `- ${INVESTED_VAR}`])} = 0`);
    p.groups.forEach((g, k) =>
      lines.push(` ${groupRow(k)}: ${expression([...sumOf(g.members), `- ${groupVar(k)}`])} = 0`),
    );
    lines.push('Bounds', ...weightBounds, ` ${investedMin} <= ${INVESTED_VAR} <= ${investedMax}`);
    p.groups.forEach((_, k) => lines.push(` -inf <= ${groupVar(k)} <= ${groupMax[k]}`));
  } else {
    if (formulation === 'RESIDUAL')
      for (const i of order)
        lines.push(` ${residualRow(i)}: ${weightVar(i)} - ${residualVar(i)} = ${num(p.target[i]! * scale)}`);
    lines.push(` ${INVESTED_MIN}: ${expression(sumOf(order))} >= ${investedMin}`);
    lines.push(` ${INVESTED_MAX}: ${expression(sumOf(order))} <= ${investedMax}`);
    p.groups.forEach((g, k) =>
      lines.push(` ${groupRow(k)}: ${expression(sumOf(g.members))} <= ${groupMax[k]}`),
    );
    lines.push('Bounds', ...weightBounds);
    if (formulation === 'RESIDUAL') for (const i of order) lines.push(` ${residualVar(i)} free`);
  }
  lines.push('End');
  return `${lines.join('\n')}\n`;
}

/**
 * Optimality certificate for the projection, checked in weight units from HiGHS's primal values
 * and row multipliers y (HiGHS's sign convention: y ≥ 0 at a lower bound, y ≤ 0 at an upper
 * bound). Feasibility, the multipliers' signs and complementarity, and, for each weight, the
 * reduced gradient d_i = 2(w_i − m_i) − Σ_r y_r: d_i > 0 only at w_i = 0, d_i < 0 only at the cap.
 * Returns what failed, or null.
 */
function kktFailure(
  p: ProjectionProblem,
  w: readonly number[],
  y: { invested: number; groups: readonly number[] },
): string | null {
  const tol = KKT_TOLERANCE;
  if (w.some((x) => !Number.isFinite(x))) return 'missing or non-finite weight';
  const rows = [
    { multiplier: y.invested, members: w.map((_, i) => i), lower: p.investedMin, upper: p.investedMax },
    ...p.groups.map((g, k) => ({
      multiplier: y.groups[k]!,
      members: g.members,
      lower: -Infinity,
      upper: g.max,
    })),
  ];
  const d = w.map((x, i) => 2 * (x - p.target[i]!));
  for (const row of rows) {
    if (!Number.isFinite(row.multiplier)) return 'non-finite multiplier';
    const activity = row.members.reduce((s, i) => s + w[i]!, 0);
    if (activity < row.lower - tol || activity > row.upper + tol) return 'row infeasible';
    if (row.multiplier > tol && activity > row.lower + tol) return 'row multiplier off its lower bound';
    if (row.multiplier < -tol && activity < row.upper - tol) return 'row multiplier off its upper bound';
    for (const i of row.members) d[i]! -= row.multiplier;
  }
  const cap = p.upper ?? Infinity;
  for (let i = 0; i < w.length; i++) {
    if (w[i]! < -tol || w[i]! > cap + tol) return 'bound infeasible';
    if (d[i]! > tol && w[i]! > tol) return 'reduced gradient off the lower bound';
    if (d[i]! < -tol && w[i]! < cap - tol) return 'reduced gradient off the upper bound';
  }
  return null;
}
