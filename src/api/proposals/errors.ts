/**
 * Domain errors of the proposal lifecycle (spec 40 §12). Each is an HTTP error with the spec's
 * status and detail; an async operation that fails with one records `{code: <class>, message:
 * <detail>}`, the reference's class names kept for compatibility (QUIRK Q-P15).
 */
import { HttpError } from '../errors.js';

export class ProposalError extends HttpError {
  /** The reference's exception class, recorded as an async operation's error code. */
  readonly errorClass: string = 'ProposalError';
}

export class ProposalNotFoundError extends ProposalError {
  override readonly errorClass = 'ProposalNotFoundError';
  constructor(detail: string) {
    super(404, detail);
  }
}

export class ProposalValidationError extends ProposalError {
  override readonly errorClass = 'ProposalValidationError';
  constructor(detail: string) {
    super(422, detail);
  }
}

export class ProposalIdempotencyConflictError extends ProposalError {
  override readonly errorClass = 'ProposalIdempotencyConflictError';
  constructor() {
    super(409, 'IDEMPOTENCY_KEY_CONFLICT: request hash mismatch');
  }
}

export class ProposalStateConflictError extends ProposalError {
  override readonly errorClass = 'ProposalStateConflictError';
  constructor(detail: string) {
    super(409, detail);
  }
}

export class ProposalTransitionError extends ProposalError {
  override readonly errorClass = 'ProposalTransitionError';
  constructor(detail: string) {
    super(422, detail);
  }
}

export class ProposalForbiddenError extends ProposalError {
  override readonly errorClass = 'ProposalForbiddenError';
  constructor(detail: string) {
    super(403, detail);
  }
}

export const PROPOSAL_NOT_FOUND = 'PROPOSAL_NOT_FOUND';
export const PROPOSAL_VERSION_NOT_FOUND = 'PROPOSAL_VERSION_NOT_FOUND';
export const SIMULATION_DISABLED =
  'PROPOSAL_SIMULATION_DISABLED: set options.enable_proposal_simulation=true';
export const TERMINAL_STATE = 'PROPOSAL_TERMINAL_STATE: cannot create version';
export const PORTFOLIO_CONTEXT_MISMATCH = 'PORTFOLIO_CONTEXT_MISMATCH';
export const EXPECTED_STATE_REQUIRED = 'STATE_CONFLICT: expected_state is required';
export const EXPECTED_STATE_MISMATCH = 'STATE_CONFLICT: expected_state mismatch';
export const INVALID_TRANSITION = 'INVALID_TRANSITION';
export const INVALID_APPROVAL_STATE = 'INVALID_APPROVAL_STATE';
/** GAP G-P3: approving or executing a proposal whose current version is BLOCKED. */
export const VERSION_BLOCKED =
  'PROPOSAL_VERSION_BLOCKED: the current version is BLOCKED; create a new version before approving or executing';
export const FOUR_EYES_VIOLATION =
  'FOUR_EYES_VIOLATION: the creator of a proposal or of its current version cannot record its RISK or COMPLIANCE approval';
export const recordedByApproval = (event: string) =>
  `INVALID_TRANSITION: ${event} is recorded through POST /rebalance/proposals/{proposal_id}/approvals`;
