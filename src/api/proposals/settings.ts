/**
 * Configuration of the proposal lifecycle (spec 40 §2). The three feature gates are read on
 * every request; the four behaviour settings are read once, when the service is built, and the
 * supportability/config endpoint reports those values (QUIRK Q-P4, docs/decisions/0020).
 */
import { type Env, envFlag } from '../config.js';
import { notFound } from '../errors.js';

export const PROPOSAL_GATES = {
  lifecycle: {
    env: 'PROPOSAL_WORKFLOW_LIFECYCLE_ENABLED',
    code: 'PROPOSAL_WORKFLOW_LIFECYCLE_DISABLED',
  },
  support: { env: 'PROPOSAL_SUPPORT_APIS_ENABLED', code: 'PROPOSAL_SUPPORT_APIS_DISABLED' },
  async: { env: 'PROPOSAL_ASYNC_OPERATIONS_ENABLED', code: 'PROPOSAL_ASYNC_OPERATIONS_DISABLED' },
} as const;
export type ProposalGate = keyof typeof PROPOSAL_GATES;

/** Every gate defaults to on. */
export const proposalGateOpen = (env: Env, gate: ProposalGate) =>
  envFlag(env, PROPOSAL_GATES[gate].env, true);

/** 404 with the first closed gate's code, in the order given (the order of spec 40 §5). */
export function requireProposalGates(env: Env, ...gates: ProposalGate[]): void {
  for (const gate of gates) if (!proposalGateOpen(env, gate)) throw notFound(PROPOSAL_GATES[gate].code);
}

export interface LifecycleSettings {
  /** false: versions are stored with evidence_bundle = {} (§9). */
  storeEvidenceBundle: boolean;
  /** true: transitions and approvals must carry expected_state (§8). */
  requireExpectedState: boolean;
  /** false: a new version must keep the proposal's portfolio_id. */
  allowPortfolioChange: boolean;
  /** true: simulate_request.options.enable_proposal_simulation must be true. */
  requireSimulationFlag: boolean;
}

export function readLifecycleSettings(env: Env): LifecycleSettings {
  return {
    storeEvidenceBundle: envFlag(env, 'PROPOSAL_STORE_EVIDENCE_BUNDLE', true),
    requireExpectedState: envFlag(env, 'PROPOSAL_REQUIRE_EXPECTED_STATE', true),
    allowPortfolioChange: envFlag(env, 'PROPOSAL_ALLOW_PORTFOLIO_CHANGE_ON_NEW_VERSION', false),
    requireSimulationFlag: envFlag(env, 'PROPOSAL_REQUIRE_SIMULATION_FLAG', true),
  };
}
