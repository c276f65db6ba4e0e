/**
 * Contracts of the advisory proposal lifecycle (spec 40 §3, §5, §6): the request bodies, which
 * validate, and the response documents, which describe what the service returns (OpenAPI). The
 * simulation result, the artifact and the gate decision are opaque documents here (spec 20).
 */
import { z } from 'zod';
import { proposalRequestSchema } from './advisory-request.js';
import { boolean, integer, nullable, oneOf } from './primitives.js';

export const PROPOSAL_STATES = [
  'DRAFT',
  'RISK_REVIEW',
  'COMPLIANCE_REVIEW',
  'AWAITING_CLIENT_CONSENT',
  'EXECUTION_READY',
  'EXECUTED',
  'REJECTED',
  'CANCELLED',
  'EXPIRED',
] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

export const WORKFLOW_EVENT_TYPES = [
  'CREATED',
  'NEW_VERSION_CREATED',
  'SUBMITTED_FOR_RISK_REVIEW',
  'RISK_APPROVED',
  'SUBMITTED_FOR_COMPLIANCE_REVIEW',
  'COMPLIANCE_APPROVED',
  'CLIENT_CONSENT_RECORDED',
  'EXECUTION_REQUESTED',
  'EXECUTED',
  'REJECTED',
  'EXPIRED',
  'CANCELLED',
] as const;
export type WorkflowEventType = (typeof WORKFLOW_EVENT_TYPES)[number];

export const APPROVAL_TYPES = ['RISK', 'COMPLIANCE', 'CLIENT_CONSENT'] as const;
export type ApprovalType = (typeof APPROVAL_TYPES)[number];

const NUL = '\u0000';
const NO_NUL = 'String should not contain NUL characters';

/** Text with an upper bound on its length, storable in a PostgreSQL text column (no NUL). */
export const boundedText = (max: number) =>
  z
    .string({ error: 'Input should be a valid string' })
    .max(max, { error: `String should have at most ${max} characters` })
    .refine((value) => !value.includes(NUL), { error: NO_NUL });

/** The largest version number a PostgreSQL integer holds. */
export const MAX_VERSION_NO = 2_147_483_647;

export const MAX_ACTOR_LENGTH = 256;

const actorField = (who: string, example: string) =>
  boundedText(MAX_ACTOR_LENGTH)
    .optional()
    .meta({
      description:
        `${who}. With authentication on it is the authenticated user: omit it (it is filled from the token) or send the ` +
        'same value (another value is 403 ACTOR_MISMATCH). Without authentication it is required.',
      examples: [example],
    });

/** A free JSON object (reason, details): stored and returned exactly as sent. */
const jsonObject = (description: string, example: Record<string, unknown>) =>
  z
    .record(z.string(), z.unknown())
    .default(() => ({}))
    .meta({ description, examples: [example] });

export const proposalMetadataSchema = z
  .object({
    title: boundedText(1000)
      .nullable()
      .default(null)
      .meta({
        description: 'Title shown to advisors and reviewers.',
        examples: ['Demo lifecycle proposal'],
      }),
    advisor_notes: boundedText(20_000)
      .nullable()
      .default(null)
      .meta({
        description:
          'Advisor notes; stored, and returned only by GET /rebalance/proposals/{proposal_id} (QUIRK Q-P5).',
        examples: ['Client approved tactical equity rotation under suitability limits.'],
      }),
    jurisdiction: boundedText(256)
      .nullable()
      .default(null)
      .meta({
        description: 'Jurisdiction code; stored and echoed, influences nothing.',
        examples: ['SG'],
      }),
    mandate_id: boundedText(256)
      .nullable()
      .default(null)
      .meta({
        description: 'Mandate identifier; stored and echoed, influences nothing.',
        examples: ['mandate_demo_1'],
      }),
  })
  .meta({ id: 'ProposalMetadata', description: 'Descriptive metadata of a proposal, fixed at create.' });

const simulateRequest = proposalRequestSchema
  .check((payload) => {
    const portfolioId = payload.value.portfolio_snapshot.portfolio_id;
    if (portfolioId.includes(NUL))
      payload.issues.push({
        code: 'custom',
        message: NO_NUL,
        input: portfolioId,
        path: ['portfolio_snapshot', 'portfolio_id'],
      });
  })
  .meta({
    description:
      'A full advisory simulate request (the body of POST /rebalance/proposals/simulate); ' +
      'options.enable_proposal_simulation must be true unless PROPOSAL_REQUIRE_SIMULATION_FLAG is false.',
  });

export const proposalCreateRequestSchema = z
  .object({
    created_by: actorField('Who creates the proposal', 'advisor_demo_1'),
    simulate_request: simulateRequest,
    metadata: proposalMetadataSchema
      .default(() => ({ title: null, advisor_notes: null, jurisdiction: null, mandate_id: null }))
      .meta({ description: 'Title, notes, jurisdiction and mandate; all null when omitted.' }),
  })
  .meta({
    id: 'ProposalCreateRequest',
    description: 'Create a proposal: the first version is simulated from simulate_request.',
  });

export const proposalVersionRequestSchema = z
  .object({
    created_by: actorField('Who creates the version', 'advisor_demo_2'),
    simulate_request: simulateRequest,
  })
  .meta({
    id: 'ProposalVersionRequest',
    description: 'Create version N+1 of a proposal from a new simulate request (metadata cannot change).',
  });

const stateEnum = (description: string) => oneOf(PROPOSAL_STATES).meta({ description });

const relatedVersionNo = () =>
  nullable(integer({ ge: 1, le: MAX_VERSION_NO })).meta({
    description:
      'The version this action refers to; stored as sent (GAP G-P8: not checked against the versions).',
    examples: [1],
  });

export const proposalTransitionRequestSchema = z
  .object({
    event_type: oneOf(WORKFLOW_EVENT_TYPES).meta({
      description:
        'The workflow event. Accepted here: SUBMITTED_FOR_RISK_REVIEW and SUBMITTED_FOR_COMPLIANCE_REVIEW (from DRAFT), ' +
        'EXECUTED and EXPIRED (from EXECUTION_READY), CANCELLED (from any non-terminal state). RISK_APPROVED, ' +
        'COMPLIANCE_APPROVED, CLIENT_CONSENT_RECORDED and REJECTED are recorded through the approvals endpoint.',
    }),
    actor_id: actorField('Who performs the transition', 'advisor_demo_1'),
    related_version_no: relatedVersionNo(),
    reason: jsonObject('Why: a free JSON object, stored with the event.', {
      comment: 'High issuer concentration candidate; submit compliance review',
    }),
    expected_state: stateEnum(
      'The state the caller believes the proposal is in; a different current state is 409 STATE_CONFLICT: ' +
        'expected_state mismatch. Required unless PROPOSAL_REQUIRE_EXPECTED_STATE is false.',
    ).optional(),
  })
  .meta({ id: 'ProposalStateTransitionRequest', description: 'Move a proposal through its workflow.' });

export const proposalApprovalRequestSchema = z
  .object({
    approval_type: oneOf(APPROVAL_TYPES).meta({
      description:
        'RISK (in RISK_REVIEW) and COMPLIANCE (in COMPLIANCE_REVIEW) need permission proposals:approve and someone other ' +
        'than the creators of the proposal and of its current version; CLIENT_CONSENT (in AWAITING_CLIENT_CONSENT) needs ' +
        'proposals:write.',
    }),
    approved: boolean().meta({
      description: 'true approves (or records consent); false rejects, which ends the proposal REJECTED.',
      examples: [true],
    }),
    actor_id: actorField('Who approves, or records the consent', 'compliance_demo_1'),
    related_version_no: relatedVersionNo(),
    details: jsonObject(
      'Evidence of the decision: a free JSON object, stored with the approval and its event.',
      {
        comment: 'Compliance approved for client presentation',
      },
    ),
    expected_state: stateEnum(
      'The state the caller believes the proposal is in; a different current state is 409 STATE_CONFLICT: ' +
        'expected_state mismatch. Required unless PROPOSAL_REQUIRE_EXPECTED_STATE is false.',
    ).optional(),
  })
  .meta({
    id: 'ProposalApprovalRequest',
    description: 'Record a risk or compliance decision or the client’s consent (with its workflow event).',
  });

export const proposalListQuerySchema = z.object({
  portfolio_id: boundedText(256)
    .optional()
    .meta({ description: 'Only proposals of this portfolio.', examples: ['pf_demo_lifecycle_1'] }),
  state: boundedText(64)
    .optional()
    .meta({
      description: 'Only proposals in this state (an unknown value matches nothing).',
      examples: ['DRAFT'],
    }),
  created_by: boundedText(MAX_ACTOR_LENGTH)
    .optional()
    .meta({ description: 'Only proposals created by this user.', examples: ['advisor_demo_1'] }),
  limit: integer({ ge: 1, le: 100 })
    .default(20)
    .meta({ description: 'Page size, 1–100.', examples: [20] }),
  cursor: boundedText(256)
    .optional()
    .meta({
      description: '`next_cursor` of the previous page (a proposal id).',
      examples: ['pp_0d3b1c9e5a7f'],
    }),
});

export const includeEvidenceQuerySchema = z.object({
  include_evidence: boolean()
    .default(true)
    .meta({
      description:
        'false returns the version’s evidence_bundle as {} (the copy inside artifact.evidence_bundle stays, QUIRK Q-P13).',
      examples: [true],
    }),
});

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

const ts = (description: string) =>
  z.string().meta({
    description: `${description} (UTC, ISO-8601, +00:00).`,
    examples: ['2026-02-19T12:00:00.123000+00:00'],
  });
const id = (description: string, example: string) => z.string().meta({ description, examples: [example] });
const nullableText = (description: string, example: string) =>
  z
    .string()
    .nullable()
    .meta({ description, examples: [example] });
const stateOut = (description: string) => z.enum(PROPOSAL_STATES).meta({ description });
const opaque = (description: string) => z.record(z.string(), z.unknown()).meta({ description });

export const proposalSummarySchema = z
  .object({
    proposal_id: id('Proposal identifier.', 'pp_0d3b1c9e5a7f'),
    portfolio_id: id(
      'Portfolio of the first version (kept even when later versions change it, QUIRK Q-P11).',
      'pf_demo_lifecycle_1',
    ),
    mandate_id: nullableText('Mandate identifier from the create metadata.', 'mandate_demo_1'),
    jurisdiction: nullableText('Jurisdiction from the create metadata.', 'SG'),
    created_by: id('Who created the proposal.', 'advisor_demo_1'),
    created_at: ts('When it was created'),
    last_event_at: ts('When its latest workflow event happened'),
    current_state: stateOut('Workflow state.'),
    current_version_no: z
      .number()
      .int()
      .meta({ description: 'Number of the newest version.', examples: [2] }),
    title: nullableText('Title from the create metadata.', 'Demo lifecycle proposal'),
  })
  .meta({ id: 'ProposalSummary', description: 'A proposal aggregate.' });

export const proposalVersionDetailSchema = z
  .object({
    proposal_version_id: id('Version identifier.', 'ppv_4be1f0a2c3d9'),
    proposal_id: id('Proposal identifier.', 'pp_0d3b1c9e5a7f'),
    version_no: z
      .number()
      .int()
      .meta({ description: 'Version number, 1, 2, … per proposal.', examples: [1] }),
    created_by: id('Who created this version (Keel addition, used for four eyes).', 'advisor_demo_1'),
    created_at: ts('When the version was created'),
    request_hash: id(
      'Canonical hash of the create body (version 1) or the version body.',
      'sha256:3f2b9c0d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9',
    ),
    artifact_hash: id(
      'The artifact’s evidence_bundle.hashes.artifact_hash.',
      'sha256:af51a8a125be956b12bd0f28b273ad78425e8b1cf54d078c43348d85c227c6a5',
    ),
    simulation_hash: id(
      'Canonical hash of proposal_result.',
      'sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9',
    ),
    status_at_creation: z.enum(['READY', 'PENDING_REVIEW', 'BLOCKED']).meta({
      description: 'Status of the simulation; a BLOCKED current version cannot be approved or executed.',
    }),
    proposal_result: opaque(
      'The full simulation result (spec 20 §9), as returned by /rebalance/proposals/simulate.',
    ),
    artifact: opaque(
      'The full proposal artifact (spec 20 §13), as returned by /rebalance/proposals/artifact.',
    ),
    evidence_bundle: opaque(
      'The artifact’s evidence bundle (inputs, engine outputs, hashes, engine version); {} when not stored or not requested.',
    ),
    gate_decision: opaque(
      'The simulation’s workflow gate decision; null when gates were disabled.',
    ).nullable(),
  })
  .meta({ id: 'ProposalVersionDetail', description: 'One immutable version of a proposal.' });

export const proposalWorkflowEventSchema = z
  .object({
    event_id: id('Event identifier.', 'pwe_7a8b9c0d1e2f'),
    proposal_id: id('Proposal identifier.', 'pp_0d3b1c9e5a7f'),
    event_type: z.enum(WORKFLOW_EVENT_TYPES).meta({ description: 'What happened.' }),
    from_state: z
      .enum(PROPOSAL_STATES)
      .nullable()
      .meta({ description: 'State before; null only for CREATED.', examples: ['DRAFT'] }),
    to_state: stateOut('State after.'),
    actor_id: id('Who did it.', 'advisor_demo_1'),
    occurred_at: ts('When it happened'),
    reason: opaque(
      'Why: the transition reason, the approval details, or {"correlation_id": …} for versions.',
    ),
    related_version_no: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'The version the event refers to.', examples: [1] }),
  })
  .meta({ id: 'ProposalWorkflowEvent', description: 'An append-only workflow event.' });

export const proposalApprovalRecordSchema = z
  .object({
    approval_id: id('Approval identifier.', 'pap_1c2d3e4f5a6b'),
    proposal_id: id('Proposal identifier.', 'pp_0d3b1c9e5a7f'),
    approval_type: z.enum(APPROVAL_TYPES).meta({ description: 'Kind of approval.' }),
    approved: z.boolean().meta({ description: 'true approved; false rejected.', examples: [true] }),
    actor_id: id('Who decided (or recorded the consent).', 'compliance_demo_1'),
    occurred_at: ts('When it was recorded'),
    details: opaque('Evidence of the decision, as sent.'),
    related_version_no: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'The version the approval refers to, as sent.', examples: [1] }),
  })
  .meta({ id: 'ProposalApprovalRecord', description: 'A recorded approval, rejection or consent.' });

export const proposalCreateResponseSchema = z
  .object({
    proposal: proposalSummarySchema,
    version: proposalVersionDetailSchema,
    latest_workflow_event: proposalWorkflowEventSchema,
  })
  .meta({
    id: 'ProposalCreateResponse',
    description: 'The proposal, the version just created (evidence included) and the latest workflow event.',
  });

export const allowedActionSchema = z
  .object({
    endpoint: z.enum(['transitions', 'approvals', 'versions']).meta({
      description: 'POST /rebalance/proposals/{proposal_id}/<endpoint> performs it.',
    }),
    event_type: z
      .enum(WORKFLOW_EVENT_TYPES)
      .nullable()
      .meta({ description: 'The event it records.', examples: ['COMPLIANCE_APPROVED'] }),
    approval_type: z
      .enum(APPROVAL_TYPES)
      .nullable()
      .meta({ description: 'For approvals: the approval type.', examples: ['COMPLIANCE'] }),
    approved: z
      .boolean()
      .nullable()
      .meta({ description: 'For approvals: the value of `approved`.', examples: [true] }),
    to_state: stateOut('The state afterwards.'),
  })
  .meta({ id: 'ProposalAllowedAction', description: 'An action the caller may take now.' });

export const proposalDetailResponseSchema = z
  .object({
    proposal: proposalSummarySchema,
    current_version: proposalVersionDetailSchema,
    last_gate_decision: opaque(
      'The current version’s gate decision (null when gates were disabled).',
    ).nullable(),
    advisor_notes: nullableText(
      'The advisor notes given at create (Keel addition, QUIRK Q-P5).',
      'Tactical rotation.',
    ),
    allowed_actions: z.array(allowedActionSchema).meta({
      description:
        'What the caller may do next given the state, the current version’s status, its permissions and four eyes ' +
        '(Keel addition; without authentication the caller is unknown and four eyes is judged when the action is sent).',
    }),
  })
  .meta({ id: 'ProposalDetailResponse', description: 'A proposal with its current version.' });

export const proposalListResponseSchema = z
  .object({
    items: z
      .array(proposalSummarySchema)
      .meta({ description: 'Newest first (created_at, then proposal_id).' }),
    next_cursor: nullableText(
      'Pass as `cursor` for the next page; null on the last page.',
      'pp_0d3b1c9e5a7f',
    ),
  })
  .meta({ id: 'ProposalListResponse', description: 'A page of proposals.' });

export const proposalTransitionResponseSchema = z
  .object({
    proposal_id: id('Proposal identifier.', 'pp_0d3b1c9e5a7f'),
    current_state: stateOut('State after the action.'),
    latest_workflow_event: proposalWorkflowEventSchema,
    approval: proposalApprovalRecordSchema
      .nullable()
      .meta({ description: 'The approval recorded; null for transitions.' }),
  })
  .meta({ id: 'ProposalStateTransitionResponse', description: 'The outcome of a transition or approval.' });

export const proposalTimelineResponseSchema = z
  .object({
    proposal_id: id('Proposal identifier.', 'pp_0d3b1c9e5a7f'),
    current_state: stateOut('Current state.'),
    events: z.array(proposalWorkflowEventSchema).meta({ description: 'Every event, oldest first.' }),
  })
  .meta({ id: 'ProposalWorkflowTimelineResponse', description: 'The workflow history of a proposal.' });

export const proposalApprovalsResponseSchema = z
  .object({
    proposal_id: id('Proposal identifier.', 'pp_0d3b1c9e5a7f'),
    approvals: z.array(proposalApprovalRecordSchema).meta({ description: 'Every approval, oldest first.' }),
  })
  .meta({ id: 'ProposalApprovalsResponse', description: 'The approvals of a proposal.' });

export const proposalLineageVersionSchema = z
  .object({
    proposal_version_id: id('Version identifier.', 'ppv_4be1f0a2c3d9'),
    version_no: z
      .number()
      .int()
      .meta({ description: 'Version number.', examples: [1] }),
    created_at: ts('When the version was created'),
    status_at_creation: z
      .enum(['READY', 'PENDING_REVIEW', 'BLOCKED'])
      .meta({ description: 'Simulation status.' }),
    request_hash: id('Request hash of the version.', 'sha256:3f2b9c0d…'),
    simulation_hash: id('Hash of the simulation result.', 'sha256:0a1b2c3d…'),
    artifact_hash: id('Hash of the artifact.', 'sha256:af51a8a1…'),
  })
  .meta({ id: 'ProposalLineageVersion', description: 'The hashes of one version.' });

export const proposalLineageResponseSchema = z
  .object({
    proposal: proposalSummarySchema,
    versions: z.array(proposalLineageVersionSchema).meta({ description: 'Every version, oldest first.' }),
  })
  .meta({ id: 'ProposalLineageResponse', description: 'A proposal and the hashes of all its versions.' });

export const proposalIdempotencyResponseSchema = z
  .object({
    idempotency_key: id('The key sent with the create.', 'demo-proposal-persist-01'),
    request_hash: id('Canonical hash of the create body.', 'sha256:3f2b9c0d…'),
    proposal_id: id('The proposal it created.', 'pp_0d3b1c9e5a7f'),
    proposal_version_no: z
      .number()
      .int()
      .meta({ description: 'Always 1.', examples: [1] }),
    created_at: ts('When the key was first used'),
  })
  .meta({ id: 'ProposalIdempotencyLookupResponse', description: 'What a create idempotency key maps to.' });

const OPERATION_TYPES = ['CREATE_PROPOSAL', 'CREATE_PROPOSAL_VERSION'] as const;

export const proposalAsyncAcceptedSchema = z
  .object({
    operation_id: id('Operation identifier.', 'pop_5e6f7a8b9c0d'),
    operation_type: z.enum(OPERATION_TYPES).meta({ description: 'What the operation does.' }),
    status: z.literal('PENDING').meta({ description: 'Always PENDING on acceptance.' }),
    correlation_id: id('The X-Correlation-Id sent, or a generated corr_… id.', 'corr_1a2b3c4d5e6f'),
    created_at: ts('When it was accepted'),
    status_url: id('Where to poll it.', '/rebalance/proposals/operations/pop_5e6f7a8b9c0d'),
  })
  .meta({ id: 'ProposalAsyncAcceptedResponse', description: 'An accepted asynchronous proposal operation.' });

export const proposalOperationStatusSchema = z
  .object({
    operation_id: id('Operation identifier.', 'pop_5e6f7a8b9c0d'),
    operation_type: z.enum(OPERATION_TYPES).meta({ description: 'What the operation does.' }),
    status: z.enum(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED']).meta({ description: 'Progress.' }),
    correlation_id: id('Correlation identifier.', 'corr_1a2b3c4d5e6f'),
    idempotency_key: nullableText(
      'The create Idempotency-Key (null for versions).',
      'demo-proposal-async-01',
    ),
    proposal_id: nullableText('The proposal created or versioned (null until known).', 'pp_0d3b1c9e5a7f'),
    created_by: id('Who submitted it.', 'advisor_demo_1'),
    created_at: ts('When it was accepted'),
    started_at: z
      .string()
      .nullable()
      .meta({ description: 'When execution started.', examples: ['2026-02-19T12:00:01+00:00'] }),
    finished_at: z
      .string()
      .nullable()
      .meta({ description: 'When it finished.', examples: ['2026-02-19T12:00:02+00:00'] }),
    result: proposalCreateResponseSchema
      .nullable()
      .meta({ description: 'The create/version response when SUCCEEDED.' }),
    error: z
      .object({
        code: id('Error class (QUIRK Q-P15).', 'ProposalNotFoundError'),
        message: id('The error detail.', 'PROPOSAL_NOT_FOUND'),
      })
      .nullable()
      .meta({ description: 'Why it FAILED.' }),
  })
  .meta({ id: 'ProposalAsyncOperationStatusResponse', description: 'An asynchronous proposal operation.' });

export const proposalLifecycleConfigSchema = z
  .object({
    store_backend: z.enum(['POSTGRES', 'EMBEDDED_POSTGRES']).meta({
      description:
        'The store in use: a PostgreSQL server (DATABASE_URL) or embedded PostgreSQL (PGlite); never IN_MEMORY in Keel.',
    }),
    backend_ready: z.boolean().meta({
      description: 'The database answers and the proposal migrations are applied.',
      examples: [true],
    }),
    backend_init_error: nullableText(
      'Why it is not ready: PROPOSAL_POSTGRES_CONNECTION_FAILED or POSTGRES_MIGRATION_CHECKSUM_MISMATCH:proposals:<version>.',
      'PROPOSAL_POSTGRES_CONNECTION_FAILED',
    ),
    lifecycle_enabled: z
      .boolean()
      .meta({ description: 'PROPOSAL_WORKFLOW_LIFECYCLE_ENABLED (read per request).', examples: [true] }),
    support_apis_enabled: z
      .boolean()
      .meta({ description: 'PROPOSAL_SUPPORT_APIS_ENABLED (read per request).', examples: [true] }),
    async_operations_enabled: z
      .boolean()
      .meta({ description: 'PROPOSAL_ASYNC_OPERATIONS_ENABLED (read per request).', examples: [true] }),
    store_evidence_bundle: z
      .boolean()
      .meta({ description: 'PROPOSAL_STORE_EVIDENCE_BUNDLE in force (read at start-up).', examples: [true] }),
    require_expected_state: z.boolean().meta({
      description: 'PROPOSAL_REQUIRE_EXPECTED_STATE in force (read at start-up).',
      examples: [true],
    }),
    allow_portfolio_id_change_on_new_version: z.boolean().meta({
      description: 'PROPOSAL_ALLOW_PORTFOLIO_CHANGE_ON_NEW_VERSION in force (read at start-up).',
      examples: [false],
    }),
    require_proposal_simulation_flag: z.boolean().meta({
      description: 'PROPOSAL_REQUIRE_SIMULATION_FLAG in force (read at start-up).',
      examples: [true],
    }),
  })
  .meta({
    id: 'ProposalLifecycleConfigResponse',
    description: 'Store readiness and the lifecycle settings in force.',
  });

export type ProposalCreateRequest = z.output<typeof proposalCreateRequestSchema>;
export type ProposalVersionRequest = z.output<typeof proposalVersionRequestSchema>;
export type ProposalTransitionRequest = z.output<typeof proposalTransitionRequestSchema>;
export type ProposalApprovalRequest = z.output<typeof proposalApprovalRequestSchema>;
export type ProposalListQuery = z.output<typeof proposalListQuerySchema>;
export type ProposalSummary = z.output<typeof proposalSummarySchema>;
export type ProposalVersionDetail = z.output<typeof proposalVersionDetailSchema>;
export type ProposalWorkflowEvent = z.output<typeof proposalWorkflowEventSchema>;
export type ProposalApprovalRecord = z.output<typeof proposalApprovalRecordSchema>;
export type ProposalCreateResponse = z.output<typeof proposalCreateResponseSchema>;
export type ProposalOperationStatus = z.output<typeof proposalOperationStatusSchema>;
