/**
 * Stage 2 — universe (spec 10 §6). Decides, per instrument, whether it may be bought, sold,
 * liquidated or must stay locked at its current weight, and produces the working weight map
 * `E` that target generation refines.
 */
import type { ModelPortfolio, Position } from '../contracts/dpm-request.js';
import { add, type Dec, isZero, ZERO, ZERO_POINT_ZERO } from '../contracts/decimal.js';
import type { Shelf } from './market.js';
import type { DataQuality, Exclusion, ExclusionReason, SimulatedState } from './types.js';

export interface Universe {
  /** Working weight per instrument; insertion order is model order, then portfolio order. */
  weights: Map<string, Dec>;
  excluded: Exclusion[];
  /** Buy list (duplicates kept, Q-M23) and the membership set used as "B". */
  buyList: string[];
  buyable: Set<string>;
  sellList: string[];
  sellOnlyExcess: Dec;
  /** Held instruments frozen at their current weight (`LOCKED_DUE_TO_*`): never traded. */
  locked: Set<string>;
}

export function buildUniverse(
  model: ModelPortfolio,
  positions: readonly Position[],
  before: SimulatedState,
  shelf: Shelf,
  allowRestricted: boolean,
  dataQuality: DataQuality,
): Universe {
  const weights = new Map<string, Dec>();
  const excluded: Exclusion[] = [];
  const buyList: string[] = [];
  const sellList: string[] = [];
  let sellOnlyExcess = ZERO_POINT_ZERO;
  const exclude = (instrument_id: string, reason_code: ExclusionReason) =>
    excluded.push({ instrument_id, reason_code, details: null });

  for (const target of model.targets) {
    const id = target.instrument_id;
    const entry = shelf.entryOf(id);
    if (!entry) {
      dataQuality.shelf_missing.push(id);
      continue;
    }
    if (entry.status === 'BANNED' || entry.status === 'SUSPENDED') {
      exclude(id, `SHELF_STATUS_${entry.status}`);
      continue;
    }
    if (entry.status === 'RESTRICTED' && !allowRestricted) {
      exclude(id, 'SHELF_STATUS_RESTRICTED');
      continue;
    }
    if (entry.status === 'SELL_ONLY') {
      sellOnlyExcess = add(sellOnlyExcess, target.weight);
      weights.set(id, ZERO_POINT_ZERO);
      sellList.push(id);
      exclude(id, 'SHELF_STATUS_SELL_ONLY');
      continue;
    }
    weights.set(id, target.weight);
    buyList.push(id);
    sellList.push(id);
  }

  const firstWeight = new Map<string, Dec>();
  for (const summary of before.positions)
    if (!firstWeight.has(summary.instrument_id)) firstWeight.set(summary.instrument_id, summary.weight);

  for (const pos of positions) {
    const id = pos.instrument_id;
    if (isZero(pos.quantity) || weights.has(id)) continue;
    const entry = shelf.entryOf(id);
    const current = firstWeight.get(id) ?? ZERO;
    if (!entry) {
      weights.set(id, current);
      exclude(id, 'LOCKED_DUE_TO_MISSING_SHELF'); // Q-M7: locked, not shelf_missing
    } else if (entry.status === 'SUSPENDED' || entry.status === 'BANNED' || entry.status === 'RESTRICTED') {
      weights.set(id, current); // Q-M8: allow_restricted does not unlock holdings
      exclude(id, `LOCKED_DUE_TO_${entry.status}`);
    } else {
      weights.set(id, ZERO_POINT_ZERO);
      sellList.push(id);
    }
  }

  const locked = new Set(
    excluded.filter((x) => x.reason_code.startsWith('LOCKED_DUE_TO_')).map((x) => x.instrument_id),
  );
  return { weights, excluded, buyList, buyable: new Set(buyList), sellList, sellOnlyExcess, locked };
}
