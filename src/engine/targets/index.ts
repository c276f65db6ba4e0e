/**
 * Stage 3 — target generation: dispatch to the HEURISTIC or SOLVER method and, when asked,
 * run the other method for comparison (spec 10 §9).
 */
import type { EngineOptions, ModelPortfolio } from '../../contracts/dpm-request.js';
import { abs, type Dec, gt, sub, text, ZERO } from '../../contracts/decimal.js';
import type { Shelf } from '../market.js';
import { compareCodePoints, sortedByCodePoint } from '../../contracts/ordering.js';
import {
  type Diagnostics,
  emptyDiagnostics,
  type RunStatus,
  type TargetInstrument,
  type TargetMethodComparison,
} from '../types.js';
import type { Universe } from '../universe.js';
import { buildTrace } from './common.js';
import { heuristicTargets } from './heuristic.js';
import { solverTargets } from './solver.js';

export type TargetMethod = 'HEURISTIC' | 'SOLVER';

export interface TargetsInput {
  model: ModelPortfolio;
  universe: Universe;
  options: EngineOptions;
  shelf: Shelf;
  totalValue: Dec;
  base: string;
}

export interface TargetsOutcome {
  trace: TargetInstrument[];
  status: RunStatus;
  comparison: TargetMethodComparison | null;
}

function runMethod(method: TargetMethod, input: TargetsInput, universe: Universe, diagnostics: Diagnostics) {
  const outcome =
    method === 'SOLVER'
      ? solverTargets(universe, input.model, input.options, input.shelf, diagnostics)
      : heuristicTargets(universe, input.options, input.shelf, diagnostics);
  const trace = outcome.blocked
    ? []
    : buildTrace(input.model, universe.weights, input.totalValue, input.base);
  return { trace, status: outcome.status };
}

function copyUniverse(universe: Universe): Universe {
  return { ...universe, weights: new Map(universe.weights) };
}

export function generateTargets(input: TargetsInput, diagnostics: Diagnostics): TargetsOutcome {
  const pristine = input.options.compare_target_methods ? copyUniverse(input.universe) : null;
  const primary = runMethod(input.options.target_method, input, input.universe, diagnostics);
  if (!pristine) return { ...primary, comparison: null };

  const alternateMethod: TargetMethod = input.options.target_method === 'HEURISTIC' ? 'SOLVER' : 'HEURISTIC';
  const alternateDiagnostics = emptyDiagnostics();
  const alternate = runMethod(alternateMethod, input, pristine, alternateDiagnostics);
  const lastWeights = (trace: TargetInstrument[]) =>
    new Map(trace.map((t) => [t.instrument_id, t.final_weight]));
  const P = lastWeights(primary.trace);
  const A = lastWeights(alternate.trace);
  const tolerance = input.options.compare_target_methods_tolerance;
  const differing = sortedByCodePoint(new Set([...P.keys(), ...A.keys()])).filter((id) =>
    gt(abs(sub(P.get(id) ?? ZERO, A.get(id) ?? ZERO)), tolerance),
  );
  if (primary.status !== alternate.status) diagnostics.warnings.push('TARGET_METHOD_STATUS_DIVERGENCE');
  if (differing.length > 0) diagnostics.warnings.push('TARGET_METHOD_WEIGHT_DIVERGENCE');
  return {
    ...primary,
    comparison: {
      primary_method: input.options.target_method,
      primary_status: primary.status,
      alternate_method: alternateMethod,
      alternate_status: alternate.status,
      tolerance: text(tolerance),
      differing_instruments: differing,
      alternate_warnings: [...new Set(alternateDiagnostics.warnings)].sort(compareCodePoints),
    },
  };
}
