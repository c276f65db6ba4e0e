/**
 * How a selected pack changes a request (spec 40 §17): each non-null pack field is written over
 * the EngineOption of the same name (a map field only when non-empty, replacing the request's map
 * wholesale); everything else is untouched. The replay switch is not an engine option.
 */
import type { EngineOptions } from '../contracts/dpm-request.js';
import { POLICY_DIMENSIONS, type PolicyPackDefinition } from '../contracts/policy-pack.js';

const isEmptyMap = (value: unknown) =>
  value !== null &&
  typeof value === 'object' &&
  Object.getPrototypeOf(value) === Object.prototype &&
  Object.keys(value).length === 0;

/** The pack's overrides as a partial EngineOptions (only the fields it sets). */
export function packOverrides(pack: PolicyPackDefinition): Partial<EngineOptions> {
  const out: Record<string, unknown> = {};
  for (const [dimension, fields] of Object.entries(POLICY_DIMENSIONS)) {
    const values = pack[dimension as keyof typeof POLICY_DIMENSIONS] as Record<string, unknown> | undefined;
    if (values === undefined) continue; // an optional dimension the pack does not give
    for (const field of fields) {
      const value = values[field];
      if (value !== null && value !== undefined && !isEmptyMap(value)) out[field] = value;
    }
  }
  return out as Partial<EngineOptions>;
}

/** The options a request runs with under `pack` (none: the request's own). */
export function applyPolicyPack(options: EngineOptions, pack: PolicyPackDefinition | null): EngineOptions {
  return pack ? { ...options, ...packOverrides(pack) } : options;
}

/** Whether `/rebalance/simulate` replays (spec 40 §17.2): the pack's switch when set, else the environment's. */
export function replayEnabled(pack: PolicyPackDefinition | null, environmentDefault: boolean): boolean {
  return pack?.idempotency_policy.replay_enabled ?? environmentDefault;
}
