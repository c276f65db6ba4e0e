/**
 * The advisory proposal lifecycle as data (spec 40 §4): states, event types, the reference's
 * transition and approval tables, and Keel's rules on top of them (docs/decisions/0022):
 * approval, consent and rejection events are recorded only through approvals (GAP G-P1); a
 * proposal whose current version is BLOCKED cannot be approved or executed (G-P3); a new version
 * after a review approval sends the proposal back to that review (G-P4); and the actions a caller
 * may take next. Pure: no I/O, no clock.
 */

import {
  APPROVAL_TYPES,
  type ApprovalType,
  type ProposalState,
  WORKFLOW_EVENT_TYPES,
  type WorkflowEventType,
} from '../contracts/proposal-lifecycle.js';

export const TERMINAL_STATES: ReadonlySet<ProposalState> = new Set([
  'EXECUTED',
  'REJECTED',
  'CANCELLED',
  'EXPIRED',
]);

/** The version statuses a simulation can end in. */
export type VersionStatus = 'READY' | 'PENDING_REVIEW' | 'BLOCKED';

/** §4.1, without the CANCELLED row (checked first, from any non-terminal state). */
const TRANSITIONS: Partial<Record<ProposalState, Partial<Record<WorkflowEventType, ProposalState>>>> = {
  DRAFT: {
    SUBMITTED_FOR_RISK_REVIEW: 'RISK_REVIEW',
    SUBMITTED_FOR_COMPLIANCE_REVIEW: 'COMPLIANCE_REVIEW',
  },
  RISK_REVIEW: { RISK_APPROVED: 'AWAITING_CLIENT_CONSENT', REJECTED: 'REJECTED' },
  COMPLIANCE_REVIEW: { COMPLIANCE_APPROVED: 'AWAITING_CLIENT_CONSENT', REJECTED: 'REJECTED' },
  AWAITING_CLIENT_CONSENT: { CLIENT_CONSENT_RECORDED: 'EXECUTION_READY', REJECTED: 'REJECTED' },
  EXECUTION_READY: { EXECUTED: 'EXECUTED', EXPIRED: 'EXPIRED' },
};

/** The reference's transition table (§4.1): the new state, or null for INVALID_TRANSITION. */
export function referenceTransition(state: ProposalState, event: WorkflowEventType): ProposalState | null {
  if (event === 'CANCELLED') return TERMINAL_STATES.has(state) ? null : 'CANCELLED';
  return TRANSITIONS[state]?.[event] ?? null;
}

/** Events that record a reviewer's or the client's decision: only through approvals (G-P1). */
export const APPROVAL_EVENTS: ReadonlySet<WorkflowEventType> = new Set([
  'RISK_APPROVED',
  'COMPLIANCE_APPROVED',
  'CLIENT_CONSENT_RECORDED',
  'REJECTED',
]);

export type TransitionCheck =
  | { ok: true; to: ProposalState }
  | { ok: false; reason: 'INVALID_TRANSITION' | 'RECORDED_BY_APPROVAL' | 'VERSION_BLOCKED' };

/**
 * What `POST …/transitions` does with `event` in `state`: the reference table first (so every
 * pair it refuses is still INVALID_TRANSITION), then Keel's rules.
 */
export function checkTransition(
  state: ProposalState,
  event: WorkflowEventType,
  currentVersionStatus: VersionStatus,
): TransitionCheck {
  const to = referenceTransition(state, event);
  if (to === null) return { ok: false, reason: 'INVALID_TRANSITION' };
  if (APPROVAL_EVENTS.has(event)) return { ok: false, reason: 'RECORDED_BY_APPROVAL' };
  if (event === 'EXECUTED' && currentVersionStatus === 'BLOCKED')
    return { ok: false, reason: 'VERSION_BLOCKED' };
  return { ok: true, to };
}

/** §4.2: the state an approval type needs, and where approving leads. */
const APPROVALS: Record<ApprovalType, { from: ProposalState; event: WorkflowEventType; to: ProposalState }> =
  {
    RISK: { from: 'RISK_REVIEW', event: 'RISK_APPROVED', to: 'AWAITING_CLIENT_CONSENT' },
    COMPLIANCE: { from: 'COMPLIANCE_REVIEW', event: 'COMPLIANCE_APPROVED', to: 'AWAITING_CLIENT_CONSENT' },
    CLIENT_CONSENT: {
      from: 'AWAITING_CLIENT_CONSENT',
      event: 'CLIENT_CONSENT_RECORDED',
      to: 'EXECUTION_READY',
    },
  };

export type ApprovalCheck =
  | { ok: true; event: WorkflowEventType; to: ProposalState }
  | { ok: false; reason: 'INVALID_APPROVAL_STATE' | 'VERSION_BLOCKED' };

export function checkApproval(
  type: ApprovalType,
  approved: boolean,
  state: ProposalState,
  currentVersionStatus: VersionStatus,
): ApprovalCheck {
  const rule = APPROVALS[type];
  if (state !== rule.from) return { ok: false, reason: 'INVALID_APPROVAL_STATE' };
  if (!approved) return { ok: true, event: 'REJECTED', to: 'REJECTED' };
  if (currentVersionStatus === 'BLOCKED') return { ok: false, reason: 'VERSION_BLOCKED' };
  return { ok: true, event: rule.event, to: rule.to };
}

/** Permission needed to record each approval type. */
export const APPROVAL_PERMISSION: Record<ApprovalType, 'proposals:approve' | 'proposals:write'> = {
  RISK: 'proposals:approve',
  COMPLIANCE: 'proposals:approve',
  CLIENT_CONSENT: 'proposals:write',
};

/** Approvals the creator of the proposal or of its current version may not record (four eyes). */
export const FOUR_EYES_APPROVALS: ReadonlySet<ApprovalType> = new Set(['RISK', 'COMPLIANCE']);

export const REVIEW_STATE: Record<'RISK' | 'COMPLIANCE', ProposalState> = {
  RISK: 'RISK_REVIEW',
  COMPLIANCE: 'COMPLIANCE_REVIEW',
};

/**
 * The state a new version leaves the proposal in (§4.3 + G-P4). A review approval or consent
 * given for earlier content does not carry over: from AWAITING_CLIENT_CONSENT or EXECUTION_READY
 * the proposal goes back to the review that approved it (DRAFT if none is on record). Every other
 * non-terminal state is kept; terminal states refuse new versions before this is asked.
 */
export function stateAfterNewVersion(
  state: ProposalState,
  lastApprovedReview: 'RISK' | 'COMPLIANCE' | null,
): ProposalState {
  if (state !== 'AWAITING_CLIENT_CONSENT' && state !== 'EXECUTION_READY') return state;
  return lastApprovedReview ? REVIEW_STATE[lastApprovedReview] : 'DRAFT';
}

export interface AllowedAction {
  /** The endpoint under `/rebalance/proposals/{proposal_id}/` that performs it. */
  endpoint: 'transitions' | 'approvals' | 'versions';
  event_type: WorkflowEventType | null;
  approval_type: ApprovalType | null;
  approved: boolean | null;
  /** The state the proposal will be in afterwards. */
  to_state: ProposalState;
}

export interface ActionContext {
  state: ProposalState;
  currentVersionStatus: VersionStatus;
  lastApprovedReview: 'RISK' | 'COMPLIANCE' | null;
  /** Who created the proposal and its current version. */
  creators: readonly string[];
  /** The caller; null when unknown (authentication off), so four eyes cannot be judged in advance. */
  actor: string | null;
  permissions: ReadonlySet<string>;
}

/** Every action the caller may take now, in a stable order (for review screens). */
export function allowedActions(ctx: ActionContext): AllowedAction[] {
  const out: AllowedAction[] = [];
  if (TERMINAL_STATES.has(ctx.state)) return out;
  const canWrite = ctx.permissions.has('proposals:write');
  if (canWrite)
    for (const event of WORKFLOW_EVENT_TYPES) {
      const check = checkTransition(ctx.state, event, ctx.currentVersionStatus);
      if (check.ok)
        out.push({
          endpoint: 'transitions',
          event_type: event,
          approval_type: null,
          approved: null,
          to_state: check.to,
        });
    }
  for (const type of APPROVAL_TYPES) {
    if (!ctx.permissions.has(APPROVAL_PERMISSION[type])) continue;
    if (FOUR_EYES_APPROVALS.has(type) && ctx.actor !== null && ctx.creators.includes(ctx.actor)) continue;
    for (const approved of [true, false]) {
      const check = checkApproval(type, approved, ctx.state, ctx.currentVersionStatus);
      if (check.ok)
        out.push({
          endpoint: 'approvals',
          event_type: check.event,
          approval_type: type,
          approved,
          to_state: check.to,
        });
    }
  }
  if (canWrite)
    out.push({
      endpoint: 'versions',
      event_type: 'NEW_VERSION_CREATED',
      approval_type: null,
      approved: null,
      to_state: stateAfterNewVersion(ctx.state, ctx.lastApprovedReview),
    });
  return out;
}
