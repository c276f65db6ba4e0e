/**
 * Response contracts of the DPM run, operation and workflow endpoints (spec 30 §5–§11), each a
 * named schema in the OpenAPI document. The bodies themselves are built in views.ts.
 */
import { z } from 'zod';
import { batchResultSchema, rebalanceResultSchema } from '../../contracts/dpm-result.js';

const s = (description: string, example: string) => z.string().meta({ description, examples: [example] });
const ts = (description: string) => s(description, '2026-02-20T12:00:00.123000+00:00');
const int = (description: string, example: number) =>
  z
    .number()
    .int()
    .meta({ description, examples: [example] });
/** Occurrences per key (status, action, reason code). */
const counts = (description: string, example: Record<string, number>) =>
  z.record(z.string(), z.number().int()).meta({ description, examples: [example] });
const cursor = () =>
  s('Pass as `cursor` for the next page; null on the last page.', 'rr_1e8f3c1c2a9b4d6e').nullable();

const runId = () => s('Rebalance run id.', 'rr_1e8f3c1c2a9b4d6e');
const correlation = () => s('Correlation id.', 'demo-corr-27-supportability');
const requestHash = () =>
  s('Canonical request hash.', 'sha256:829d64b707572692658c17262262d0fd6a5a1ae5b83870332a9eadf942a7f43e');

/** What a stored run's summary and its look-up both show of it. */
const storedRunFields = () => ({
  rebalance_run_id: runId(),
  correlation_id: correlation(),
  request_hash: requestHash(),
  idempotency_key: s(
    'Idempotency-Key of the simulate, null for batch runs.',
    'demo-27-supportability',
  ).nullable(),
  portfolio_id: s('Portfolio id.', 'pf_demo_support_27'),
});

export const runSummarySchema = z
  .object({
    ...storedRunFields(),
    status: s('Run status.', 'READY'),
    created_at: ts('When the run was recorded.'),
  })
  .meta({ id: 'RunSummary', description: 'A stored run, without its result.' });

export const runPageSchema = z
  .object({
    items: z.array(runSummarySchema).meta({ description: 'Runs, newest first.' }),
    next_cursor: cursor(),
  })
  .meta({ id: 'RunPage', description: 'A page of runs.' });

export const runLookupSchema = z
  .object({
    ...storedRunFields(),
    created_at: ts('When the run was recorded.'),
    result: rebalanceResultSchema,
  })
  .meta({ id: 'RunLookup', description: 'A stored run and its full result.' });

export const idempotencyMappingSchema = z
  .object({
    idempotency_key: s('The key.', 'demo-27-supportability'),
    request_hash: requestHash(),
    rebalance_run_id: runId(),
    created_at: ts('When the mapping was written.'),
  })
  .meta({ id: 'IdempotencyMapping', description: 'The run an idempotency key maps to.' });

export const idempotencyHistorySchema = z
  .object({
    idempotency_key: s('The key.', 'demo-30-history'),
    history: z
      .array(
        z
          .object({
            rebalance_run_id: runId(),
            correlation_id: correlation(),
            request_hash: requestHash(),
            created_at: ts('When the run was recorded.'),
          })
          .meta({ id: 'IdempotencyHistoryEntry', description: 'One run recorded under the key.' }),
      )
      .meta({ description: 'Oldest first.' }),
  })
  .meta({ id: 'IdempotencyHistory', description: 'Every run recorded under an idempotency key.' });

export const runArtifactSchema = z
  .object({
    artifact_id: s('The run id with rr_ replaced by dra_.', 'dra_1e8f3c1c2a9b4d6e'),
    artifact_version: s('Always 1.0.', '1.0'),
    rebalance_run_id: runId(),
    correlation_id: correlation(),
    idempotency_key: s('Idempotency-Key of the run.', 'demo-27-supportability').nullable(),
    portfolio_id: s('Portfolio id.', 'pf_demo_support_27'),
    status: s('Run status.', 'READY'),
    request_snapshot: z
      .object({ portfolio_id: s('Portfolio id.', 'pf_demo_support_27'), request_hash: requestHash() })
      .meta({ description: 'What was asked.' }),
    before_summary: rebalanceResultSchema.shape.before,
    after_summary: rebalanceResultSchema.shape.after_simulated,
    order_intents: rebalanceResultSchema.shape.intents,
    rule_outcomes: rebalanceResultSchema.shape.rule_results,
    diagnostics: rebalanceResultSchema.shape.diagnostics,
    result: rebalanceResultSchema,
    evidence: z
      .object({
        engine_version: s('Always "unknown" (QUIRK Q-S6).', 'unknown'),
        run_created_at: ts('When the run was recorded.'),
        hashes: z
          .object({
            request_hash: requestHash(),
            artifact_hash: s(
              'SHA-256 of the canonical artifact with every artifact_hash removed.',
              'sha256:5d1f0c2a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817060f5e',
            ),
          })
          .meta({ description: 'Verifiable hashes.' }),
      })
      .meta({ description: 'Evidence for verification.' }),
  })
  .meta({ id: 'RunArtifact', description: 'The deterministic artifact of a run.' });

export const operationStatusSchema = z
  .object({
    operation_id: s('Operation id.', 'dop_ba89b3cb7d0b'),
    operation_type: z
      .literal('ANALYZE_SCENARIOS')
      .meta({ description: 'What the operation does.', examples: ['ANALYZE_SCENARIOS'] }),
    status: z
      .enum(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED'])
      .meta({ description: 'State.', examples: ['SUCCEEDED'] }),
    is_executable: z.boolean().meta({ description: 'PENDING with a stored request.', examples: [false] }),
    correlation_id: s('Correlation id.', 'demo-corr-26-async'),
    created_at: ts('When it was accepted.'),
    started_at: ts('When execution started.').nullable(),
    finished_at: ts('When it finished.').nullable(),
    result: batchResultSchema.nullable(),
    error: z
      .object({
        code: s('Error class.', 'OperationInterrupted'),
        message: s('What happened, without internals.', 'The analysis failed (Error); …'),
      })
      .nullable()
      .meta({ description: 'Why it FAILED.' }),
  })
  .meta({ id: 'OperationStatus', description: 'An async operation.' });

export const operationAcceptedSchema = z
  .object({
    operation_id: s('Operation id.', 'dop_ba89b3cb7d0b'),
    operation_type: s('What the operation does.', 'ANALYZE_SCENARIOS'),
    status: z.literal('PENDING').meta({
      description: 'The acceptance snapshot: PENDING even when INLINE already finished it (QUIRK Q-S9).',
      examples: ['PENDING'],
    }),
    correlation_id: s('Resolved correlation id.', 'demo-corr-26-async'),
    created_at: ts('When it was accepted.'),
    status_url: s('Where to poll.', '/rebalance/operations/dop_ba89b3cb7d0b'),
    execute_url: s('Manual execute (ACCEPT_ONLY).', '/rebalance/operations/dop_ba89b3cb7d0b/execute'),
  })
  .meta({ id: 'OperationAccepted', description: 'An accepted async analysis.' });

export const operationPageSchema = z
  .object({
    items: z
      .array(
        operationStatusSchema
          .omit({ result: true, error: true })
          .meta({ id: 'OperationSummary', description: 'An operation without result or error.' }),
      )
      .meta({ description: 'Operations, newest first.' }),
    next_cursor: cursor(),
  })
  .meta({ id: 'OperationPage', description: 'A page of operations.' });

export const lineageEdgeSchema = z
  .object({
    source_entity_id: s('From.', 'demo-corr-27-supportability'),
    edge_type: s('CORRELATION_TO_RUN, IDEMPOTENCY_TO_RUN or OPERATION_TO_CORRELATION.', 'CORRELATION_TO_RUN'),
    target_entity_id: s('To.', 'rr_1e8f3c1c2a9b4d6e'),
    created_at: ts('When the edge was written.'),
    metadata: z
      .record(z.string(), z.unknown())
      .meta({ description: 'Edge metadata.', examples: [{ request_hash: 'sha256:…' }] }),
  })
  .meta({ id: 'LineageEdge', description: 'One lineage edge.' });

export const lineagePageSchema = z
  .object({
    entity_id: s('The entity asked about.', 'rr_1e8f3c1c2a9b4d6e'),
    edges: z.array(lineageEdgeSchema).meta({ description: 'Edges, oldest first.' }),
    next_cursor: s(
      'Cursor of the next page (percent-encode it).',
      '2026-02-20T12:00:00+00:00|c|CORRELATION_TO_RUN|rr_1',
    ).nullable(),
  })
  .meta({ id: 'LineagePage', description: 'Lineage edges of an entity.' });

export const decisionSchema = z
  .object({
    decision_id: s('Decision id.', 'dwd_0a1b2c3d4e5f'),
    run_id: runId(),
    action: z
      .enum(['APPROVE', 'REJECT', 'REQUEST_CHANGES'])
      .meta({ description: 'What was decided.', examples: ['APPROVE'] }),
    reason_code: s('Reason code.', 'REVIEW_APPROVED'),
    comment: s('Free text.', 'Checked the cash drift.').nullable(),
    actor_id: s('Who decided.', 'reviewer_001'),
    decided_at: ts('When.'),
    correlation_id: s('X-Correlation-Id of the action, c_none when absent.', 'demo-corr-workflow-1'),
  })
  .meta({ id: 'WorkflowDecision', description: 'A workflow decision.' });

export const workflowHistorySchema = z
  .object({ run_id: runId(), decisions: z.array(decisionSchema).meta({ description: 'Oldest first.' }) })
  .meta({ id: 'WorkflowHistory', description: 'The decisions of a run.' });

export const workflowStateSchema = z
  .object({
    run_id: runId(),
    run_status: s('Run status.', 'PENDING_REVIEW'),
    workflow_status: z
      .enum(['NOT_REQUIRED', 'PENDING_REVIEW', 'APPROVED', 'REJECTED'])
      .meta({ description: 'Review state.', examples: ['PENDING_REVIEW'] }),
    requires_review: z
      .boolean()
      .meta({ description: 'Whether the run status needs review.', examples: [true] }),
    latest_decision: decisionSchema.nullable(),
  })
  .meta({ id: 'WorkflowState', description: 'Review state of a run.' });

export const decisionPageSchema = z
  .object({ items: z.array(decisionSchema).meta({ description: 'Newest first.' }), next_cursor: cursor() })
  .meta({ id: 'WorkflowDecisionPage', description: 'A page of decisions.' });

export const supportBundleSchema = z
  .object({
    run: runLookupSchema,
    artifact: runArtifactSchema.nullable(),
    async_operation: operationStatusSchema.nullable(),
    workflow_history: workflowHistorySchema,
    lineage: z
      .object({
        entity_id: runId(),
        edges: z.array(lineageEdgeSchema).meta({ description: 'Edges of the run.' }),
        next_cursor: z.null().meta({ description: 'Always null.' }),
      })
      .meta({ description: 'Lineage of the run.' }),
    idempotency_history: idempotencyHistorySchema.nullable(),
  })
  .meta({ id: 'SupportBundle', description: 'Everything support needs about one run.' });

export const summarySchema = z
  .object({
    store_backend: s('POSTGRES or EMBEDDED_POSTGRES.', 'EMBEDDED_POSTGRES'),
    retention_days: int('DPM_SUPPORTABILITY_RETENTION_DAYS (0: keep everything).', 0),
    run_count: int('Runs.', 2),
    operation_count: int('Async operations.', 0),
    operation_status_counts: counts('Operations per status.', { SUCCEEDED: 1 }),
    run_status_counts: counts('Runs per status.', { READY: 2 }),
    workflow_decision_count: int('Workflow decisions.', 0),
    workflow_action_counts: counts('Decisions per action.', { APPROVE: 1 }),
    workflow_reason_code_counts: counts('Decisions per reason code.', { REVIEW_APPROVED: 1 }),
    lineage_edge_count: int('Lineage edges.', 4),
    oldest_run_created_at: ts('Oldest run.').nullable(),
    newest_run_created_at: ts('Newest run.').nullable(),
    oldest_operation_created_at: ts('Oldest operation.').nullable(),
    newest_operation_created_at: ts('Newest operation.').nullable(),
  })
  .meta({ id: 'SupportabilitySummary', description: 'Counts and time spans of what the store holds.' });
