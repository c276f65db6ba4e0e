/**
 * Stage 3 — SOLVER targets (spec 10 §8). Placeholder until the QP back-end lands: behaves as
 * the reference does when no solver is available (§8.1 step 1).
 */
import type { EngineOptions, ModelPortfolio } from '../../contracts/dpm-request.js';
import type { Shelf } from '../market.js';
import type { Diagnostics } from '../types.js';
import type { Universe } from '../universe.js';
import type { Stage3Outcome } from './common.js';

export function solverTargets(
  _universe: Universe,
  _model: ModelPortfolio,
  _options: EngineOptions,
  _shelf: Shelf,
  diagnostics: Diagnostics,
): Stage3Outcome {
  diagnostics.warnings.push('SOLVER_ERROR');
  return { status: 'BLOCKED', blocked: true };
}
