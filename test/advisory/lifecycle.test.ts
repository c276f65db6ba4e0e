/** The proposal state machine (spec 40 §4) and Keel's rules on it (GAP G-P1, G-P3, G-P4). */
import { describe, expect, it } from 'vitest';
import {
  allowedActions,
  checkApproval,
  checkTransition,
  referenceTransition,
  stateAfterNewVersion,
  TERMINAL_STATES,
} from '../../src/advisory/lifecycle.js';
import {
  APPROVAL_TYPES,
  PROPOSAL_STATES,
  type ProposalState,
  WORKFLOW_EVENT_TYPES,
  type WorkflowEventType,
} from '../../src/contracts/proposal-lifecycle.js';

/** §4.1 written out once more, independently of the implementation. */
const REFERENCE: [ProposalState, WorkflowEventType, ProposalState][] = [
  ['DRAFT', 'SUBMITTED_FOR_RISK_REVIEW', 'RISK_REVIEW'],
  ['DRAFT', 'SUBMITTED_FOR_COMPLIANCE_REVIEW', 'COMPLIANCE_REVIEW'],
  ['RISK_REVIEW', 'RISK_APPROVED', 'AWAITING_CLIENT_CONSENT'],
  ['RISK_REVIEW', 'REJECTED', 'REJECTED'],
  ['COMPLIANCE_REVIEW', 'COMPLIANCE_APPROVED', 'AWAITING_CLIENT_CONSENT'],
  ['COMPLIANCE_REVIEW', 'REJECTED', 'REJECTED'],
  ['AWAITING_CLIENT_CONSENT', 'CLIENT_CONSENT_RECORDED', 'EXECUTION_READY'],
  ['AWAITING_CLIENT_CONSENT', 'REJECTED', 'REJECTED'],
  ['EXECUTION_READY', 'EXECUTED', 'EXECUTED'],
  ['EXECUTION_READY', 'EXPIRED', 'EXPIRED'],
];
const NON_TERMINAL = PROPOSAL_STATES.filter((s) => !TERMINAL_STATES.has(s));

describe('reference transition table (§4.1)', () => {
  it('accepts exactly the listed pairs and CANCELLED from every non-terminal state', () => {
    for (const state of PROPOSAL_STATES)
      for (const event of WORKFLOW_EVENT_TYPES) {
        const listed = REFERENCE.find(([s, e]) => s === state && e === event)?.[2] ?? null;
        const expected = event === 'CANCELLED' ? (NON_TERMINAL.includes(state) ? 'CANCELLED' : null) : listed;
        expect(referenceTransition(state, event), `${state} + ${event}`).toBe(expected);
      }
  });

  it('never uses CREATED, NEW_VERSION_CREATED or EXECUTION_REQUESTED (QUIRK Q-P6)', () => {
    for (const state of PROPOSAL_STATES)
      for (const event of ['CREATED', 'NEW_VERSION_CREATED', 'EXECUTION_REQUESTED'] as const)
        expect(referenceTransition(state, event)).toBeNull();
  });
});

describe('transitions endpoint rules', () => {
  it('keeps INVALID_TRANSITION for every pair the reference refuses', () => {
    expect(checkTransition('DRAFT', 'EXECUTED', 'READY')).toEqual({
      ok: false,
      reason: 'INVALID_TRANSITION',
    });
    expect(checkTransition('DRAFT', 'RISK_APPROVED', 'READY')).toEqual({
      ok: false,
      reason: 'INVALID_TRANSITION',
    });
    expect(checkTransition('EXECUTED', 'CANCELLED', 'READY')).toEqual({
      ok: false,
      reason: 'INVALID_TRANSITION',
    });
  });

  it('sends approval, consent and rejection events to the approvals endpoint (GAP G-P1)', () => {
    for (const [state, event] of REFERENCE.filter(([, e]) =>
      ['RISK_APPROVED', 'COMPLIANCE_APPROVED', 'CLIENT_CONSENT_RECORDED', 'REJECTED'].includes(e),
    ))
      expect(checkTransition(state, event, 'READY'), `${state} + ${event}`).toEqual({
        ok: false,
        reason: 'RECORDED_BY_APPROVAL',
      });
  });

  it('accepts submissions, execution, expiry and cancellation', () => {
    expect(checkTransition('DRAFT', 'SUBMITTED_FOR_RISK_REVIEW', 'BLOCKED')).toEqual({
      ok: true,
      to: 'RISK_REVIEW',
    });
    expect(checkTransition('EXECUTION_READY', 'EXECUTED', 'READY')).toEqual({ ok: true, to: 'EXECUTED' });
    expect(checkTransition('EXECUTION_READY', 'EXPIRED', 'BLOCKED')).toEqual({ ok: true, to: 'EXPIRED' });
    for (const state of NON_TERMINAL)
      expect(checkTransition(state, 'CANCELLED', 'BLOCKED')).toEqual({ ok: true, to: 'CANCELLED' });
  });

  it('refuses to execute a BLOCKED current version (GAP G-P3)', () => {
    expect(checkTransition('EXECUTION_READY', 'EXECUTED', 'BLOCKED')).toEqual({
      ok: false,
      reason: 'VERSION_BLOCKED',
    });
    expect(checkTransition('EXECUTION_READY', 'EXECUTED', 'PENDING_REVIEW')).toEqual({
      ok: true,
      to: 'EXECUTED',
    });
  });
});

describe('approval table (§4.2)', () => {
  const required = {
    RISK: 'RISK_REVIEW',
    COMPLIANCE: 'COMPLIANCE_REVIEW',
    CLIENT_CONSENT: 'AWAITING_CLIENT_CONSENT',
  };
  it('needs the state of its type; approving advances, declining rejects', () => {
    expect(checkApproval('RISK', true, 'RISK_REVIEW', 'READY')).toEqual({
      ok: true,
      event: 'RISK_APPROVED',
      to: 'AWAITING_CLIENT_CONSENT',
    });
    expect(checkApproval('COMPLIANCE', true, 'COMPLIANCE_REVIEW', 'READY')).toEqual({
      ok: true,
      event: 'COMPLIANCE_APPROVED',
      to: 'AWAITING_CLIENT_CONSENT',
    });
    expect(checkApproval('CLIENT_CONSENT', true, 'AWAITING_CLIENT_CONSENT', 'READY')).toEqual({
      ok: true,
      event: 'CLIENT_CONSENT_RECORDED',
      to: 'EXECUTION_READY',
    });
    for (const type of APPROVAL_TYPES) {
      expect(checkApproval(type, false, required[type] as ProposalState, 'READY')).toEqual({
        ok: true,
        event: 'REJECTED',
        to: 'REJECTED',
      });
      for (const state of PROPOSAL_STATES.filter((s) => s !== required[type]))
        for (const approved of [true, false])
          expect(checkApproval(type, approved, state, 'READY')).toEqual({
            ok: false,
            reason: 'INVALID_APPROVAL_STATE',
          });
    }
  });

  it('cannot approve a BLOCKED current version, but can decline it (GAP G-P3)', () => {
    for (const type of APPROVAL_TYPES) {
      expect(checkApproval(type, true, required[type] as ProposalState, 'BLOCKED')).toEqual({
        ok: false,
        reason: 'VERSION_BLOCKED',
      });
      expect(checkApproval(type, false, required[type] as ProposalState, 'BLOCKED')).toMatchObject({
        ok: true,
      });
    }
  });
});

describe('new versions (§4.3, GAP G-P4)', () => {
  it('keep the state before any approval', () => {
    for (const state of ['DRAFT', 'RISK_REVIEW', 'COMPLIANCE_REVIEW'] as const)
      expect(stateAfterNewVersion(state, null)).toBe(state);
  });
  it('send an approved or consented proposal back to the review that approved it', () => {
    expect(stateAfterNewVersion('AWAITING_CLIENT_CONSENT', 'COMPLIANCE')).toBe('COMPLIANCE_REVIEW');
    expect(stateAfterNewVersion('EXECUTION_READY', 'RISK')).toBe('RISK_REVIEW');
    expect(stateAfterNewVersion('EXECUTION_READY', null)).toBe('DRAFT');
  });
});

describe('allowed actions', () => {
  const all = new Set(['proposals:write', 'proposals:approve', 'runs:read']);
  const base = {
    currentVersionStatus: 'READY' as const,
    lastApprovedReview: null,
    creators: ['advisor_1', 'advisor_2'],
    actor: 'reviewer_1',
    permissions: all,
  };
  const names = (list: ReturnType<typeof allowedActions>) =>
    list.map(
      (a) => `${a.endpoint}:${a.event_type}${a.approved === null ? '' : `:${a.approved}`}->${a.to_state}`,
    );

  it('lists the transitions, approvals and new version a caller may take', () => {
    expect(names(allowedActions({ ...base, state: 'DRAFT' }))).toEqual([
      'transitions:SUBMITTED_FOR_RISK_REVIEW->RISK_REVIEW',
      'transitions:SUBMITTED_FOR_COMPLIANCE_REVIEW->COMPLIANCE_REVIEW',
      'transitions:CANCELLED->CANCELLED',
      'versions:NEW_VERSION_CREATED->DRAFT',
    ]);
    expect(names(allowedActions({ ...base, state: 'COMPLIANCE_REVIEW' }))).toEqual([
      'transitions:CANCELLED->CANCELLED',
      'approvals:COMPLIANCE_APPROVED:true->AWAITING_CLIENT_CONSENT',
      'approvals:REJECTED:false->REJECTED',
      'versions:NEW_VERSION_CREATED->COMPLIANCE_REVIEW',
    ]);
    expect(
      names(allowedActions({ ...base, state: 'EXECUTION_READY', lastApprovedReview: 'COMPLIANCE' })),
    ).toEqual([
      'transitions:EXECUTED->EXECUTED',
      'transitions:EXPIRED->EXPIRED',
      'transitions:CANCELLED->CANCELLED',
      'versions:NEW_VERSION_CREATED->COMPLIANCE_REVIEW',
    ]);
    expect(allowedActions({ ...base, state: 'EXECUTED' })).toEqual([]);
  });

  it('applies permissions, four eyes and BLOCKED versions', () => {
    const reviewerOnly = new Set(['proposals:approve', 'runs:read']);
    expect(names(allowedActions({ ...base, state: 'RISK_REVIEW', permissions: reviewerOnly }))).toEqual([
      'approvals:RISK_APPROVED:true->AWAITING_CLIENT_CONSENT',
      'approvals:REJECTED:false->REJECTED',
    ]);
    expect(
      allowedActions({ ...base, state: 'RISK_REVIEW', permissions: reviewerOnly, actor: 'advisor_2' }),
    ).toEqual([]);
    expect(
      names(
        allowedActions({
          ...base,
          state: 'RISK_REVIEW',
          permissions: reviewerOnly,
          currentVersionStatus: 'BLOCKED',
        }),
      ),
    ).toEqual(['approvals:REJECTED:false->REJECTED']);
    expect(
      names(allowedActions({ ...base, state: 'EXECUTION_READY', currentVersionStatus: 'BLOCKED' })).filter(
        (n) => n.startsWith('transitions:EXECUTED'),
      ),
    ).toEqual([]);
    expect(allowedActions({ ...base, state: 'DRAFT', permissions: new Set(['runs:read']) })).toEqual([]);
  });
});
