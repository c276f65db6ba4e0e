/**
 * Wire forms of the stored lifecycle records (spec 40 §3, §6): timestamps as ISO text with
 * `+00:00`, `_json` columns as documents under their names without the suffix. Stored documents
 * are parsed losslessly, so every number token comes back exactly as it was stored.
 */
import { parse, stringify } from 'lossless-json';
import type {
  ApprovalRecord,
  EventRecord,
  ProposalOperationRecord,
  ProposalRecord,
  VersionHashes,
  VersionRecord,
} from '../../store/proposals.js';
import { isoTimestamp } from '../time.js';

export type Doc = Record<string, unknown>;

/** A stored JSON document. */
export const doc = (text: string): Doc => parse(text) as Doc;

/** JSON text of a response holding stored documents (their number tokens kept). */
export const jsonText = (value: unknown): string => stringify(value)!;

export const proposalSummary = (p: ProposalRecord) => ({
  proposal_id: p.proposal_id,
  portfolio_id: p.portfolio_id,
  mandate_id: p.mandate_id,
  jurisdiction: p.jurisdiction,
  created_by: p.created_by,
  created_at: isoTimestamp(p.created_at),
  last_event_at: isoTimestamp(p.last_event_at),
  current_state: p.current_state,
  current_version_no: p.current_version_no,
  title: p.title,
});

export const versionDetail = (v: VersionRecord, includeEvidence: boolean) => ({
  proposal_version_id: v.proposal_version_id,
  proposal_id: v.proposal_id,
  version_no: v.version_no,
  created_by: v.created_by,
  created_at: isoTimestamp(v.created_at),
  request_hash: v.request_hash,
  artifact_hash: v.artifact_hash,
  simulation_hash: v.simulation_hash,
  status_at_creation: v.status_at_creation,
  proposal_result: doc(v.proposal_result_json),
  artifact: doc(v.artifact_json),
  // QUIRK Q-P13: only this field is blanked; artifact.evidence_bundle stays.
  evidence_bundle: includeEvidence ? doc(v.evidence_bundle_json) : {},
  gate_decision: v.gate_decision_json === null ? null : doc(v.gate_decision_json),
});

export const eventJson = (e: EventRecord) => ({
  event_id: e.event_id,
  proposal_id: e.proposal_id,
  event_type: e.event_type,
  from_state: e.from_state,
  to_state: e.to_state,
  actor_id: e.actor_id,
  occurred_at: isoTimestamp(e.occurred_at),
  reason: doc(e.reason_json),
  related_version_no: e.related_version_no,
});

export const approvalJson = (a: ApprovalRecord) => ({
  approval_id: a.approval_id,
  proposal_id: a.proposal_id,
  approval_type: a.approval_type,
  approved: a.approved,
  actor_id: a.actor_id,
  occurred_at: isoTimestamp(a.occurred_at),
  details: doc(a.details_json),
  related_version_no: a.related_version_no,
});

export const lineageVersion = (v: VersionHashes) => ({
  proposal_version_id: v.proposal_version_id,
  version_no: v.version_no,
  created_at: isoTimestamp(v.created_at),
  status_at_creation: v.status_at_creation,
  request_hash: v.request_hash,
  simulation_hash: v.simulation_hash,
  artifact_hash: v.artifact_hash,
});

export const operationStatus = (op: ProposalOperationRecord) => {
  const at = (d: Date | null) => (d ? isoTimestamp(d) : null);
  return {
    operation_id: op.operation_id,
    operation_type: op.operation_type,
    status: op.status,
    correlation_id: op.correlation_id,
    idempotency_key: op.idempotency_key,
    proposal_id: op.proposal_id,
    created_by: op.created_by,
    created_at: isoTimestamp(op.created_at),
    started_at: at(op.started_at),
    finished_at: at(op.finished_at),
    result: op.result_json === null ? null : doc(op.result_json),
    error: op.error_json === null ? null : doc(op.error_json),
  };
};
