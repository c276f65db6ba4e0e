/**
 * The advisory proposal lifecycle (spec 40 Part A): create (idempotent), versions, transitions,
 * approvals and the reads around them. Each command is one transaction — the aggregate, version,
 * event, approval and idempotency mapping are written together or not at all — and commands on
 * one proposal serialise on its row lock, so a stale `expected_state` is a 409 (GAP G-P10,
 * G-P11). Simulations run before the transaction, never under a lock; a new version is numbered,
 * timed and packaged under the lock.
 */
import { randomUUID } from 'node:crypto';
import { stringify as stringifyLossless } from 'lossless-json';
import { buildProposalArtifact } from '../../advisory/artifact.js';
import {
  allowedActions,
  checkApproval,
  checkTransition,
  FOUR_EYES_APPROVALS,
  stateAfterNewVersion,
  TERMINAL_STATES,
  type VersionStatus,
} from '../../advisory/lifecycle.js';
import { simulateProposal } from '../../advisory/proposal.js';
import type { ProposalResult } from '../../advisory/types.js';
import { proposalJsonText } from '../../advisory/wire.js';
import { canonicalHash } from '../../contracts/canonical.js';
import type {
  ProposalApprovalRequest,
  ProposalCreateRequest,
  ProposalState,
  ProposalTransitionRequest,
  ProposalVersionRequest,
  WorkflowEventType,
} from '../../contracts/proposal-lifecycle.js';
import type { Database, Queryable } from '../../store/database.js';
import { namespaceStatus } from '../../store/migrations.js';
import {
  type ApprovalRecord,
  claimIdempotencyKey,
  type EventRecord,
  findIdempotency,
  findProposal,
  findVersion,
  type IdempotencyRecord,
  insertApproval,
  insertEvent,
  insertProposal,
  insertVersion,
  lastApprovedReview,
  latestEvent,
  listApprovals,
  listEvents,
  listProposals,
  listVersionHashes,
  type ProposalFilters,
  type ProposalRecord,
  updateProposalState,
  versionHeader,
  type VersionRecord,
} from '../../store/proposals.js';
import type { Env } from '../config.js';
import { isoTimestamp } from '../time.js';
import {
  EXPECTED_STATE_MISMATCH,
  EXPECTED_STATE_REQUIRED,
  FOUR_EYES_VIOLATION,
  INVALID_APPROVAL_STATE,
  INVALID_TRANSITION,
  PORTFOLIO_CONTEXT_MISMATCH,
  PROPOSAL_NOT_FOUND,
  PROPOSAL_VERSION_NOT_FOUND,
  ProposalForbiddenError,
  ProposalIdempotencyConflictError,
  ProposalNotFoundError,
  ProposalStateConflictError,
  ProposalTransitionError,
  ProposalValidationError,
  recordedByApproval,
  SIMULATION_DISABLED,
  TERMINAL_STATE,
  VERSION_BLOCKED,
} from './errors.js';
import { type LifecycleSettings, readLifecycleSettings } from './settings.js';
import {
  approvalJson,
  type Doc,
  eventJson,
  lineageVersion,
  proposalSummary,
  versionDetail,
} from './views.js';

/** Ids of spec 40 §1: a prefix and the first 12 hex digits of a random UUIDv4. */
export const lifecycleId = (prefix: 'pp_' | 'ppv_' | 'pwe_' | 'pap_' | 'pop_' | 'corr_') =>
  `${prefix}${randomUUID().replace(/-/g, '').slice(0, 12)}`;

/** Who is acting: the tenant, the resolved actor and (for allowed actions) the permissions. */
export interface Caller {
  tenant: string;
  /** The authenticated user; null without authentication. */
  user: string | null;
  permissions: ReadonlySet<string>;
}

/** Work done inside a command's transaction once its response is known (async operations finish there). */
export type InTransaction = (
  tx: Queryable,
  response: Doc & { proposal: { proposal_id: string } },
) => Promise<void>;

export interface CorrelationInput {
  /** X-Correlation-Id as sent (recorded in the event reason only when sent). */
  header?: string;
  /** For async work: the operation's resolved id, used and recorded in place of the header. */
  resolved?: string;
}

type ActorBody<T> = Omit<T, 'created_by' | 'actor_id'>;
type CreateBody = ActorBody<ProposalCreateRequest> & { created_by: string };
type VersionBody = ActorBody<ProposalVersionRequest> & { created_by: string };
type TransitionBody = ActorBody<ProposalTransitionRequest> & { actor_id: string };
type ApprovalBody = ActorBody<ProposalApprovalRequest> & { actor_id: string };

interface Simulation {
  result: ProposalResult;
  text: string;
  json: Doc;
}

/** JSON text of a free object from a request (reason, details), number tokens as sent. */
const freeJson = (value: Record<string, unknown>) => stringifyLossless(value)!;

export class ProposalLifecycleService {
  readonly settings: LifecycleSettings;

  constructor(
    readonly db: Database,
    env: Env,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.settings = readLifecycleSettings(env);
  }

  now(): Date {
    return this.clock();
  }

  /** Whether the store answers and carries the proposal migrations (spec 40 §6.1, §11.1). */
  async storeStatus(): Promise<{ ready: boolean; error: string | null }> {
    try {
      const error = await namespaceStatus(this.db, 'proposals');
      return error ? { ready: false, error } : { ready: true, error: null };
    } catch {
      return { ready: false, error: 'PROPOSAL_POSTGRES_CONNECTION_FAILED' };
    }
  }

  // --- commands --------------------------------------------------------------------------------

  /** §6.2 and §7: create a proposal with version 1, or replay the one the key already made. */
  async create(
    tenant: string,
    body: CreateBody,
    idempotencyKey: string,
    correlation: CorrelationInput,
    inTransaction?: InTransaction,
  ): Promise<Doc> {
    const requestHash = canonicalHash(body);
    const known = await findIdempotency(this.db, tenant, idempotencyKey);
    if (known) {
      const response = await this.replay(this.db, tenant, known, requestHash);
      if (inTransaction) await this.db.transaction((tx) => inTransaction(tx, response));
      return response;
    }
    this.requireSimulationFlag(body.simulate_request);

    const now = this.now();
    const proposalId = lifecycleId('pp_');
    const correlationId = correlation.resolved ?? (correlation.header || lifecycleId('corr_'));
    const simulation = this.simulate(body.simulate_request, { requestHash, correlationId, idempotencyKey });
    const version = this.buildVersion(body.simulate_request, simulation, {
      proposalId,
      versionNo: 1,
      createdBy: body.created_by,
      requestHash,
      now,
    });
    const proposal: ProposalRecord = {
      proposal_id: proposalId,
      portfolio_id: body.simulate_request.portfolio_snapshot.portfolio_id,
      mandate_id: body.metadata.mandate_id,
      jurisdiction: body.metadata.jurisdiction,
      created_by: body.created_by,
      created_at: now,
      last_event_at: now,
      current_state: 'DRAFT',
      current_version_no: 1,
      title: body.metadata.title,
      advisor_notes: body.metadata.advisor_notes,
    };
    const event = this.event(
      proposalId,
      'CREATED',
      null,
      'DRAFT',
      body.created_by,
      now,
      1,
      reasonOf(correlation),
    );
    return this.db.transaction(async (tx) => {
      // The key is claimed first: a concurrent create with the same key waits here and then
      // answers from the winner's proposal (GAP G-P10).
      const claimed = await claimIdempotencyKey(tx, tenant, {
        idempotency_key: idempotencyKey,
        request_hash: requestHash,
        proposal_id: proposalId,
        proposal_version_no: 1,
        created_at: now,
      });
      let response: Doc & { proposal: { proposal_id: string } };
      if (claimed) {
        await insertProposal(tx, tenant, proposal);
        await insertVersion(tx, tenant, version);
        await insertEvent(tx, tenant, event);
        response = {
          proposal: proposalSummary(proposal),
          version: versionDetail(version, true),
          latest_workflow_event: eventJson(event),
        };
      } else {
        const winner = await findIdempotency(tx, tenant, idempotencyKey);
        if (!winner) throw new Error('proposal idempotency key claimed but not readable');
        response = await this.replay(tx, tenant, winner, requestHash);
      }
      await inTransaction?.(tx, response);
      return response;
    });
  }

  /** §6.7: version N+1 (its state per G-P4). */
  async createVersion(
    tenant: string,
    proposalId: string,
    body: VersionBody,
    correlation: CorrelationInput,
    inTransaction?: InTransaction,
  ): Promise<Doc> {
    const existing = await findProposal(this.db, tenant, proposalId);
    if (!existing) throw new ProposalNotFoundError(PROPOSAL_NOT_FOUND);
    this.requireVersionable(existing);
    this.requireSimulationFlag(body.simulate_request);
    this.requireSamePortfolio(existing, body);

    const requestHash = canonicalHash(body);
    const correlationId = correlation.resolved ?? (correlation.header || lifecycleId('corr_'));
    // The simulation runs outside the lock; the number and the time are taken under it, so
    // versions racing each other get dense numbers and events stay in the order they were recorded.
    const simulation = this.simulate(body.simulate_request, {
      requestHash,
      correlationId,
      idempotencyKey: null,
    });
    return this.db.transaction(async (tx) => {
      const locked = await findProposal(tx, tenant, proposalId, { lock: true });
      if (!locked) throw new ProposalNotFoundError(PROPOSAL_NOT_FOUND);
      this.requireVersionable(locked);
      const now = this.now();
      const versionNo = locked.current_version_no + 1;
      const version = this.buildVersion(body.simulate_request, simulation, {
        proposalId,
        versionNo,
        createdBy: body.created_by,
        requestHash,
        now,
      });
      const from = locked.current_state as ProposalState;
      const review =
        from === 'AWAITING_CLIENT_CONSENT' || from === 'EXECUTION_READY'
          ? await lastApprovedReview(tx, tenant, proposalId)
          : null;
      const to = stateAfterNewVersion(from, review);
      const event = this.event(
        proposalId,
        'NEW_VERSION_CREATED',
        from,
        to,
        body.created_by,
        now,
        versionNo,
        reasonOf(correlation),
      );
      await insertVersion(tx, tenant, version);
      await advance(tx, tenant, event, versionNo);
      const response = {
        proposal: proposalSummary({
          ...locked,
          current_state: to,
          current_version_no: versionNo,
          last_event_at: now,
        }),
        version: versionDetail(version, true),
        latest_workflow_event: eventJson(event),
      };
      await inTransaction?.(tx, response);
      return response;
    });
  }

  /** §6.9: a workflow transition (approval events go through approvals, G-P1). */
  async transition(tenant: string, proposalId: string, body: TransitionBody): Promise<Doc> {
    return this.db.transaction(async (tx) => {
      const proposal = await this.lockForAction(tx, tenant, proposalId, body.expected_state);
      const state = proposal.current_state as ProposalState;
      const current = await versionHeader(tx, tenant, proposalId, proposal.current_version_no);
      const check = checkTransition(state, body.event_type, versionStatus(current?.status_at_creation));
      if (!check.ok)
        throw new ProposalTransitionError(
          check.reason === 'RECORDED_BY_APPROVAL'
            ? recordedByApproval(body.event_type)
            : check.reason === 'VERSION_BLOCKED'
              ? VERSION_BLOCKED
              : INVALID_TRANSITION,
        );
      const now = this.now();
      const event = this.event(
        proposalId,
        body.event_type,
        state,
        check.to,
        body.actor_id,
        now,
        body.related_version_no,
        freeJson(body.reason),
      );
      await advance(tx, tenant, event, proposal.current_version_no);
      return stepResponse(event, null);
    });
  }

  /** §6.10: record an approval, rejection or consent and its event. */
  async approve(tenant: string, proposalId: string, body: ApprovalBody): Promise<Doc> {
    return this.db.transaction(async (tx) => {
      const proposal = await this.lockForAction(tx, tenant, proposalId, body.expected_state);
      const state = proposal.current_state as ProposalState;
      const current = await versionHeader(tx, tenant, proposalId, proposal.current_version_no);
      const check = checkApproval(
        body.approval_type,
        body.approved,
        state,
        versionStatus(current?.status_at_creation),
      );
      if (!check.ok && check.reason === 'INVALID_APPROVAL_STATE')
        throw new ProposalTransitionError(INVALID_APPROVAL_STATE);
      if (
        FOUR_EYES_APPROVALS.has(body.approval_type) &&
        (body.actor_id === proposal.created_by || body.actor_id === current?.created_by)
      )
        throw new ProposalForbiddenError(FOUR_EYES_VIOLATION);
      if (!check.ok) throw new ProposalTransitionError(VERSION_BLOCKED);

      const now = this.now();
      const details = freeJson(body.details);
      const approval: ApprovalRecord = {
        approval_id: lifecycleId('pap_'),
        proposal_id: proposalId,
        approval_type: body.approval_type,
        approved: body.approved,
        actor_id: body.actor_id,
        occurred_at: now,
        details_json: details,
        related_version_no: body.related_version_no,
      };
      const event = this.event(
        proposalId,
        check.event,
        state,
        check.to,
        body.actor_id,
        now,
        body.related_version_no,
        details,
      );
      await insertApproval(tx, tenant, approval);
      await advance(tx, tenant, event, proposal.current_version_no);
      return stepResponse(event, approval);
    });
  }

  // --- reads -------------------------------------------------------------------------------------

  /** §6.4, with the caller's allowed actions and the advisor notes (Keel additions). */
  async get(caller: Caller, proposalId: string, includeEvidence: boolean): Promise<Doc> {
    const proposal = await this.proposal(caller.tenant, proposalId);
    const version = await findVersion(this.db, caller.tenant, proposalId, proposal.current_version_no);
    if (!version) throw new ProposalNotFoundError(PROPOSAL_VERSION_NOT_FOUND);
    const state = proposal.current_state as ProposalState;
    const review =
      state === 'AWAITING_CLIENT_CONSENT' || state === 'EXECUTION_READY'
        ? await lastApprovedReview(this.db, caller.tenant, proposalId)
        : null;
    const detail = versionDetail(version, includeEvidence);
    return {
      proposal: proposalSummary(proposal),
      current_version: detail,
      last_gate_decision: detail.gate_decision,
      advisor_notes: proposal.advisor_notes,
      allowed_actions: allowedActions({
        state,
        currentVersionStatus: versionStatus(version.status_at_creation),
        lastApprovedReview: review,
        creators: [proposal.created_by, version.created_by],
        actor: caller.user,
        permissions: caller.permissions,
      }),
    };
  }

  async list(tenant: string, filters: ProposalFilters, limit: number, cursor?: string): Promise<Doc> {
    const page = await listProposals(this.db, tenant, filters, limit, cursor);
    return { items: page.items.map(proposalSummary), next_cursor: page.next_cursor };
  }

  /** §6.6: a missing proposal and a missing version are both PROPOSAL_VERSION_NOT_FOUND. */
  async version(
    tenant: string,
    proposalId: string,
    versionNo: number,
    includeEvidence: boolean,
  ): Promise<Doc> {
    const version = await findVersion(this.db, tenant, proposalId, versionNo);
    if (!version) throw new ProposalNotFoundError(PROPOSAL_VERSION_NOT_FOUND);
    return versionDetail(version, includeEvidence);
  }

  async timeline(tenant: string, proposalId: string): Promise<Doc> {
    const proposal = await this.proposal(tenant, proposalId);
    const events = await listEvents(this.db, tenant, proposalId);
    return { proposal_id: proposalId, current_state: proposal.current_state, events: events.map(eventJson) };
  }

  async approvals(tenant: string, proposalId: string): Promise<Doc> {
    await this.proposal(tenant, proposalId);
    const approvals = await listApprovals(this.db, tenant, proposalId);
    return { proposal_id: proposalId, approvals: approvals.map(approvalJson) };
  }

  async lineage(tenant: string, proposalId: string): Promise<Doc> {
    const proposal = await this.proposal(tenant, proposalId);
    const versions = await listVersionHashes(this.db, tenant, proposalId, proposal.current_version_no);
    return { proposal: proposalSummary(proposal), versions: versions.map(lineageVersion) };
  }

  async idempotency(tenant: string, key: string): Promise<Doc> {
    const mapping = await findIdempotency(this.db, tenant, key);
    if (!mapping) throw new ProposalNotFoundError('PROPOSAL_IDEMPOTENCY_KEY_NOT_FOUND');
    return {
      idempotency_key: mapping.idempotency_key,
      request_hash: mapping.request_hash,
      proposal_id: mapping.proposal_id,
      proposal_version_no: mapping.proposal_version_no,
      created_at: isoTimestamp(mapping.created_at),
    };
  }

  // --- internals ---------------------------------------------------------------------------------

  private async proposal(tenant: string, proposalId: string): Promise<ProposalRecord> {
    const proposal = await findProposal(this.db, tenant, proposalId);
    if (!proposal) throw new ProposalNotFoundError(PROPOSAL_NOT_FOUND);
    return proposal;
  }

  /** The proposal locked for a transition or approval, after the expected-state rule (§8). */
  private async lockForAction(
    tx: Queryable,
    tenant: string,
    proposalId: string,
    expected: ProposalState | undefined,
  ): Promise<ProposalRecord> {
    const proposal = await findProposal(tx, tenant, proposalId, { lock: true });
    if (!proposal) throw new ProposalNotFoundError(PROPOSAL_NOT_FOUND);
    if (expected === undefined) {
      if (this.settings.requireExpectedState) throw new ProposalStateConflictError(EXPECTED_STATE_REQUIRED);
    } else if (expected !== proposal.current_state)
      throw new ProposalStateConflictError(EXPECTED_STATE_MISMATCH);
    return proposal;
  }

  /**
   * Replay of a create (§7): the proposal as it is now, version 1 with evidence, the latest
   * event (QUIRK Q-P12 kept); a mapping whose records are gone is a 404, not a 500.
   */
  private async replay(
    q: Queryable,
    tenant: string,
    mapping: IdempotencyRecord,
    requestHash: string,
  ): Promise<Doc & { proposal: { proposal_id: string } }> {
    if (mapping.request_hash !== requestHash) throw new ProposalIdempotencyConflictError();
    const proposal = await findProposal(q, tenant, mapping.proposal_id);
    const version =
      proposal && (await findVersion(q, tenant, mapping.proposal_id, mapping.proposal_version_no));
    const event = proposal && (await latestEvent(q, tenant, mapping.proposal_id));
    if (!proposal || !version || !event)
      throw new ProposalNotFoundError('PROPOSAL_IDEMPOTENCY_REFERENT_NOT_FOUND');
    return {
      proposal: proposalSummary(proposal),
      version: versionDetail(version, true),
      latest_workflow_event: eventJson(event),
    };
  }

  private requireSimulationFlag(request: CreateBody['simulate_request']): void {
    if (this.settings.requireSimulationFlag && !request.options.enable_proposal_simulation)
      throw new ProposalValidationError(SIMULATION_DISABLED);
  }

  private requireVersionable(proposal: ProposalRecord): void {
    if (TERMINAL_STATES.has(proposal.current_state as ProposalState))
      throw new ProposalValidationError(TERMINAL_STATE);
  }

  private requireSamePortfolio(proposal: ProposalRecord, body: VersionBody): void {
    if (
      !this.settings.allowPortfolioChange &&
      body.simulate_request.portfolio_snapshot.portfolio_id !== proposal.portfolio_id
    )
      throw new ProposalValidationError(PORTFOLIO_CONTEXT_MISMATCH);
  }

  /** The advisory simulation of a version, and its result as served (spec 20 §9). */
  private simulate(
    request: CreateBody['simulate_request'],
    lineage: { requestHash: string; correlationId: string; idempotencyKey: string | null },
  ): Simulation {
    const result = simulateProposal(request, lineage);
    const text = proposalJsonText(result);
    return { result, text, json: JSON.parse(text) as Doc };
  }

  /** Package a simulation as a version: artifact, evidence and hashes (§9). */
  private buildVersion(
    request: CreateBody['simulate_request'],
    simulation: Simulation,
    v: { proposalId: string; versionNo: number; createdBy: string; requestHash: string; now: Date },
  ): VersionRecord {
    const { result, text, json } = simulation;
    const artifact = buildProposalArtifact(request, result, json as never, isoTimestamp(v.now));
    const evidence = artifact.evidence_bundle as { hashes: { artifact_hash: string } };
    return {
      proposal_version_id: lifecycleId('ppv_'),
      proposal_id: v.proposalId,
      version_no: v.versionNo,
      created_by: v.createdBy,
      created_at: v.now,
      request_hash: v.requestHash,
      artifact_hash: evidence.hashes.artifact_hash,
      simulation_hash: canonicalHash(json),
      status_at_creation: result.status,
      proposal_result_json: text,
      artifact_json: JSON.stringify(artifact),
      evidence_bundle_json: this.settings.storeEvidenceBundle ? JSON.stringify(evidence) : '{}',
      gate_decision_json: json.gate_decision ? JSON.stringify(json.gate_decision) : null,
    };
  }

  private event(
    proposalId: string,
    type: WorkflowEventType,
    from: ProposalState | null,
    to: ProposalState,
    actor: string,
    at: Date,
    relatedVersionNo: number | null,
    reasonJson: string,
  ): EventRecord {
    return {
      event_id: lifecycleId('pwe_'),
      proposal_id: proposalId,
      event_type: type,
      from_state: from,
      to_state: to,
      actor_id: actor,
      occurred_at: at,
      reason_json: reasonJson,
      related_version_no: relatedVersionNo,
    };
  }
}

/** Record a workflow event and move its proposal to the event's to-state, at the event's time. */
async function advance(
  tx: Queryable,
  tenant: string,
  event: EventRecord,
  currentVersionNo: number,
): Promise<void> {
  await insertEvent(tx, tenant, event);
  await updateProposalState(tx, tenant, event.proposal_id, {
    current_state: event.to_state,
    current_version_no: currentVersionNo,
    last_event_at: event.occurred_at,
  });
}

/** The answer to a transition or approval: the new state, its event and the approval recorded with it. */
function stepResponse(event: EventRecord, approval: ApprovalRecord | null): Doc {
  return {
    proposal_id: event.proposal_id,
    current_state: event.to_state,
    latest_workflow_event: eventJson(event),
    approval: approval ? approvalJson(approval) : null,
  };
}

/** The reason of CREATED / NEW_VERSION_CREATED: the correlation id when one was given. */
function reasonOf(correlation: CorrelationInput): string {
  const id = correlation.resolved ?? correlation.header;
  return JSON.stringify(id ? { correlation_id: id } : {});
}

/** A version's status; a missing version (never the case after create) counts as not blocked. */
const versionStatus = (status: string | undefined): VersionStatus => (status as VersionStatus) ?? 'READY';
