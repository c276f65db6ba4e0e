/**
 * Pieces of Stage 3 shared by both target methods: sell-only redistribution (spec 10 §7.1,
 * Step A) and the per-target "why" trace (§7.6, Step F).
 */
import type { ModelPortfolio } from '../../contracts/dpm-request.js';
import {
  add,
  type Dec,
  div,
  gt,
  isPositive,
  isZero,
  mul,
  sum,
  ZERO_POINT_ZERO,
} from '../../contracts/decimal.js';
import type { RunStatus, TargetInstrument, TargetTag } from '../types.js';
import type { Universe } from '../universe.js';

export interface Stage3Outcome {
  status: RunStatus;
  /** Stage 3 itself blocked: the trace is empty. */
  blocked: boolean;
}

/** Step A: sell-only model weight goes pro rata to the buyable entries, or stays in cash. */
export function redistributeSellOnly(universe: Universe): RunStatus {
  const excess = universe.sellOnlyExcess;
  if (!isPositive(excess)) return 'READY';
  const recipients = [...universe.weights].filter(([k]) => universe.buyable.has(k));
  const total = sum(recipients.map(([, w]) => w));
  if (!isPositive(total)) return 'PENDING_REVIEW';
  for (const [k, w] of recipients) universe.weights.set(k, add(w, mul(excess, div(w, total))));
  return 'READY';
}

/** Step F: one row per model target (model order), then each non-model entry of `E`. */
export function buildTrace(
  model: ModelPortfolio,
  weights: Map<string, Dec>,
  totalValue: Dec,
  base: string,
): TargetInstrument[] {
  const trace: TargetInstrument[] = [];
  const modelIds = new Set<string>();
  for (const t of model.targets) {
    modelIds.add(t.instrument_id);
    const finalWeight = weights.get(t.instrument_id) ?? ZERO_POINT_ZERO;
    const tags: TargetTag[] = [];
    if (gt(t.weight, finalWeight)) tags.push('CAPPED_BY_MAX_WEIGHT');
    if (gt(finalWeight, t.weight)) tags.push('REDISTRIBUTED_RECIPIENT');
    trace.push({
      instrument_id: t.instrument_id,
      model_weight: t.weight,
      final_weight: finalWeight,
      final_value: { amount: mul(totalValue, finalWeight), currency: base },
      tags,
    });
  }
  for (const [k, w] of weights) {
    if (modelIds.has(k)) continue;
    trace.push({
      instrument_id: k,
      model_weight: ZERO_POINT_ZERO,
      final_weight: w,
      final_value: { amount: mul(totalValue, w), currency: base },
      tags: [isZero(w) ? 'IMPLICIT_SELL_TO_ZERO' : 'LOCKED_POSITION'],
    });
  }
  return trace;
}
