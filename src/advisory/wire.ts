/** JSON text of a proposal result: decimals as their text, state weights at 4 places (spec 20 §9). */
import { quantizedState } from '../engine/wire.js';
import type { ProposalResult } from './types.js';

export function proposalJsonText(result: ProposalResult): string {
  return JSON.stringify({
    ...result,
    before: quantizedState(result.before),
    after_simulated: quantizedState(result.after_simulated),
  });
}
