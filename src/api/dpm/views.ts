/** JSON views of stored records (spec 30 §5.5, §6, §9, §11): timestamps as ISO text. */
import type { LineageEdge, RunRecord } from '../../store/dpm-runs.js';
import type { DecisionRecord, OperationRecord } from '../../store/dpm-operations.js';
import { isoTimestamp } from '../time.js';

export const runSummary = (run: RunRecord) => ({
  rebalance_run_id: run.rebalance_run_id,
  correlation_id: run.correlation_id,
  request_hash: run.request_hash,
  idempotency_key: run.idempotency_key,
  portfolio_id: run.portfolio_id,
  status: run.status,
  created_at: isoTimestamp(run.created_at),
});

/** The look-up body, with the stored result text embedded verbatim. */
export function runLookup(run: RunRecord): string {
  const { status: _status, ...head } = runSummary(run);
  const prefix = JSON.stringify({
    rebalance_run_id: head.rebalance_run_id,
    correlation_id: head.correlation_id,
    request_hash: head.request_hash,
    idempotency_key: head.idempotency_key,
    portfolio_id: head.portfolio_id,
    created_at: head.created_at,
  });
  return `${prefix.slice(0, -1)},"result":${run.result_json}}`;
}

export const edgeJson = (e: LineageEdge) => ({
  source_entity_id: e.source_entity_id,
  edge_type: e.edge_type,
  target_entity_id: e.target_entity_id,
  created_at: isoTimestamp(e.created_at),
  metadata: JSON.parse(e.metadata_json) as unknown,
});

/** Status body of spec 30 §5.5. */
export function operationStatusBody(op: OperationRecord) {
  const ts = (d: Date | null) => (d ? isoTimestamp(d) : null);
  return {
    operation_id: op.operation_id,
    operation_type: op.operation_type,
    status: op.status,
    is_executable: op.status === 'PENDING' && op.request_json !== null,
    correlation_id: op.correlation_id,
    created_at: isoTimestamp(op.created_at),
    started_at: ts(op.started_at),
    finished_at: ts(op.finished_at),
    result: op.result_json ? (JSON.parse(op.result_json) as unknown) : null,
    error: op.error_json ? (JSON.parse(op.error_json) as unknown) : null,
  };
}

export const decisionJson = (d: DecisionRecord) => ({
  decision_id: d.decision_id,
  run_id: d.run_id,
  action: d.action,
  reason_code: d.reason_code,
  comment: d.comment,
  actor_id: d.actor_id,
  decided_at: isoTimestamp(d.decided_at),
  correlation_id: d.correlation_id,
});
