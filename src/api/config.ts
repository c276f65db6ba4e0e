/**
 * Environment flags as the spec reads them (spec 30 §1): booleans are true only for trimmed,
 * lower-cased `1`, `true`, `yes`, `on` (so an empty value turns a default-true flag off);
 * integers are base-10 text, unparsable or below the minimum ⇒ default. Feature flags are read
 * on every request, so an operator can flip them without a restart.
 */
export type Env = Record<string, string | undefined>;

export function envFlag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined) return fallback;
  return ['1', 'true', 'yes', 'on'].includes(raw.trim().toLowerCase());
}

export function envInt(env: Env, name: string, fallback: number, minimum = Number.MIN_SAFE_INTEGER): number {
  const raw = env[name]?.trim();
  if (raw === undefined || !/^[+-]?\d+$/.test(raw)) return fallback;
  const value = Number(raw);
  return value < minimum ? fallback : value;
}

export function envText(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

/** Feature gates of spec 30 §2 with their defaults and disabled codes. */
export const GATES = {
  support: { env: 'DPM_SUPPORT_APIS_ENABLED', default: true, code: 'DPM_SUPPORT_APIS_DISABLED' },
  async: { env: 'DPM_ASYNC_OPERATIONS_ENABLED', default: true, code: 'DPM_ASYNC_OPERATIONS_DISABLED' },
  manualExecution: {
    env: 'DPM_ASYNC_MANUAL_EXECUTION_ENABLED',
    default: true,
    code: 'DPM_ASYNC_MANUAL_EXECUTION_DISABLED',
  },
  artifacts: { env: 'DPM_ARTIFACTS_ENABLED', default: true, code: 'DPM_ARTIFACTS_DISABLED' },
  supportBundle: {
    env: 'DPM_SUPPORT_BUNDLE_APIS_ENABLED',
    default: true,
    code: 'DPM_SUPPORT_BUNDLE_APIS_DISABLED',
  },
  lineage: { env: 'DPM_LINEAGE_APIS_ENABLED', default: false, code: 'DPM_LINEAGE_APIS_DISABLED' },
  idempotencyHistory: {
    env: 'DPM_IDEMPOTENCY_HISTORY_APIS_ENABLED',
    default: false,
    code: 'DPM_IDEMPOTENCY_HISTORY_APIS_DISABLED',
  },
  summary: {
    env: 'DPM_SUPPORTABILITY_SUMMARY_APIS_ENABLED',
    default: true,
    code: 'DPM_SUPPORTABILITY_SUMMARY_APIS_DISABLED',
  },
  workflow: { env: 'DPM_WORKFLOW_ENABLED', default: false, code: 'DPM_WORKFLOW_DISABLED' },
} as const;

export type Gate = keyof typeof GATES;

export function gateOpen(env: Env, gate: Gate): boolean {
  const g = GATES[gate];
  return envFlag(env, g.env, g.default);
}
