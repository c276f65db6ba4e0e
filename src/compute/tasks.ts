/**
 * The engine's work as named, pure tasks: JSON text in, JSON text out, no I/O, no clock, no
 * randomness (run ids and timestamps arrive in the input). The same functions run inline on
 * the calling thread or in a pool worker (engine-worker.ts), so both give byte-identical output.
 */
import { canonicalHash } from '../contracts/canonical.js';
import { analyzeRequestSchema, type AnalyzeRequest } from '../contracts/dpm-analyze.js';
import {
  engineOptionsSchema,
  portfolioSnapshotSchema,
  simulateRequestSchema,
  type SimulateRequest,
} from '../contracts/dpm-request.js';
import { proposalRequestSchema, type ProposalRequest } from '../contracts/advisory-request.js';
import { parseAndValidate, type Parsed, validate } from '../contracts/parse.js';
import { analyzeBatch } from '../engine/batch.js';
import { simulateRebalance } from '../engine/pipeline.js';
import { batchJsonText, resultJsonText } from '../engine/wire.js';
import { simulateProposal } from '../advisory/proposal.js';
import { proposalJsonText } from '../advisory/wire.js';
import { buildProposalArtifact } from '../advisory/artifact.js';
import { applyPolicyPack } from '../policy/apply.js';
import { packDefinition, type PackForRun } from '../policy/record.js';
import { Market } from '../engine/market.js';
import { compactOutcome, type LineOutcome } from '../book/compact.js';
import { errorText, parseShared, portfolioBodyFromText, type Raw } from '../book/request.js';

/** `POST /rebalance/simulate`: the request body text and the run's identity. */
export interface SimulateTask {
  request: string;
  requestHash: string;
  rebalanceRunId: string;
  correlationId: string;
  /** The policy pack the run applies (spec 40 §17), if any. */
  policy?: PackForRun;
}

/** `POST /rebalance/analyze`: the batch body text, the batch identity and one run id per scenario. */
export interface AnalyzeTask {
  request: string;
  batchRunId: string;
  runAtUtc: string;
  correlationId: string | null;
  runIds: Record<string, string>;
  /** The policy pack every scenario applies (spec 40 §17), if any. */
  policy?: PackForRun;
}

/** `POST /rebalance/proposals/simulate` (and, with `artifactCreatedAt`, the proposal artifact). */
export interface ProposeTask {
  request: string;
  requestHash: string;
  correlationId: string;
  idempotencyKey: string | null;
  /** Set: return `{"result": <result>, "artifact": <artifact built at this time>}`. */
  artifactCreatedAt?: string;
}

function valid<T>(parsed: Parsed<T>, task: string): T {
  // Callers validate before they hand work over; failing here is a bug, not bad input.
  if (!parsed.ok) throw new Error(`${task}: request does not validate: ${parsed.errors[0]?.msg ?? ''}`);
  return parsed.value;
}

export function simulate(task: SimulateTask): string {
  return simulateValue(valid(parseAndValidate(simulateRequestSchema, task.request), 'simulate'), task);
}

/** The simulate task on an already validated request (the inline path). */
export function simulateValue(request: SimulateRequest, task: Omit<SimulateTask, 'request'>): string {
  const options = applyPolicyPack(request.options, packDefinition(task.policy));
  return resultJsonText(
    simulateRebalance(options === request.options ? request : { ...request, options }, {
      requestHash: task.requestHash,
      rebalanceRunId: task.rebalanceRunId,
      correlationId: task.correlationId,
      policyPack: task.policy?.applied ?? null,
    }),
  );
}

export function analyze(task: AnalyzeTask): string {
  return analyzeValue(valid(parseAndValidate(analyzeRequestSchema, task.request), 'analyze'), task);
}

export function analyzeValue(request: AnalyzeRequest, task: Omit<AnalyzeTask, 'request'>): string {
  const pack = packDefinition(task.policy);
  return batchJsonText(
    analyzeBatch(request, {
      batchRunId: task.batchRunId,
      runAtUtc: task.runAtUtc,
      correlationId: task.correlationId,
      runIdFor: (scenario) => {
        const id = task.runIds[scenario];
        if (!id) throw new Error(`analyze: no run id for scenario ${scenario}`);
        return id;
      },
      ...(pack && { effectiveOptions: (options) => applyPolicyPack(options, pack) }),
      policyPack: task.policy?.applied ?? null,
    }),
  );
}

export function propose(task: ProposeTask): string {
  return proposeValue(valid(parseAndValidate(proposalRequestSchema, task.request), 'propose'), task);
}

export function proposeValue(request: ProposalRequest, task: Omit<ProposeTask, 'request'>): string {
  const result = simulateProposal(request, {
    requestHash: task.requestHash,
    correlationId: task.correlationId,
    idempotencyKey: task.idempotencyKey,
  });
  const text = proposalJsonText(result);
  if (task.artifactCreatedAt === undefined) return text;
  const artifact = buildProposalArtifact(request, result, JSON.parse(text), task.artifactCreatedAt);
  return `{"result":${text},"artifact":${JSON.stringify(artifact)}}`;
}

/** One line of `keel simulate --batch` (a request body as JSON text). */
export interface BatchLineTask {
  line: string;
  pretty: boolean;
  /** `keel simulate --batch --correlation-id`: the same correlation id on every line. */
  correlationId?: string;
}

/** The output line for it (without its newline), and whether the input was invalid. */
export interface BatchLineOutcome {
  text: string;
  invalid: boolean;
}

/**
 * Everything `keel simulate --batch` does for one line: parse, validate, hash, run, serialise —
 * or the error line for invalid input. The serial path and the worker threads both call this,
 * so the output is the same bytes either way.
 */
export function simulateBatchLine(task: BatchLineTask): BatchLineOutcome {
  const parsed = parseAndValidate(simulateRequestSchema, task.line);
  const indent = task.pretty ? 2 : undefined;
  if (!parsed.ok) {
    const error = parsed.errors.some((e) => e.type === 'json_invalid') ? 'INVALID_JSON' : 'VALIDATION_ERROR';
    return { text: JSON.stringify({ error, details: parsed.errors }, null, indent), invalid: true };
  }
  const json = resultJsonText(
    simulateRebalance(parsed.value, {
      requestHash: canonicalHash(parsed.value),
      ...(task.correlationId !== undefined ? { correlationId: task.correlationId } : {}),
    }),
  );
  return { text: task.pretty ? JSON.stringify(JSON.parse(json), null, indent) : json, invalid: false };
}

/** A chunk of a book (issue 16): the shared line's text and some portfolio lines. */
export interface BookChunkTask {
  shared: string;
  lines: { line: number; text: string }[];
  /** Also return each portfolio's simulate result text (null for a failed line). */
  results?: boolean;
  /**
   * The policy pack resolved when the book was submitted (docs/decisions/0073): applied to every
   * portfolio's merged options as simulate applies it to a request's, and named in each lineage.
   */
  policy?: PackForRun;
}

export interface BookChunkOutput {
  outcomes: LineOutcome[];
  results?: (string | null)[];
}

let sharedCache: { text: string; shared: SharedParsed } | null = null;

type SharedParsed = Extract<ReturnType<typeof parseShared>, { ok: true }>;

function sharedOf(text: string): SharedParsed {
  if (sharedCache?.text === text) return sharedCache.shared;
  const parsed = parseShared(text);
  if (!parsed.ok) throw new Error(`bookChunk: shared line does not validate: ${errorText(parsed.errors)}`);
  sharedCache = { text, shared: parsed };
  return parsed;
}

/**
 * A portfolio's simulate request. The shared parts (market data, shelf, model) were validated
 * once with the very schemas the simulate request uses, and a request's fields are validated
 * independently of each other, so only the portfolio snapshot and the merged options are
 * validated here: the value (and so the hash and the result) is what validating the whole
 * simulate body gives, field for field and in the same key order.
 */
function portfolioRequest(shared: SharedParsed, body: Raw, modelId: string): Parsed<SimulateRequest> {
  const portfolio = validate(portfolioSnapshotSchema, body.portfolio_snapshot, ['portfolio_snapshot']);
  const options = validate(engineOptionsSchema, body.options, ['options']);
  if (!portfolio.ok || !options.ok)
    return {
      ok: false,
      errors: [...(portfolio.ok ? [] : portfolio.errors), ...(options.ok ? [] : options.errors)],
    };
  return {
    ok: true,
    value: {
      portfolio_snapshot: portfolio.value,
      market_data_snapshot: shared.value.market_data_snapshot,
      model_portfolio: shared.value.models[modelId]!,
      shelf_entries: shared.value.shelf_entries,
      options: options.value,
    },
  };
}

/**
 * Run every portfolio of a chunk as `keel simulate` runs its body alone (run id and hash from
 * the canonical request); a line that does not validate or whose run throws is a failed outcome.
 */
export function bookChunk(task: BookChunkTask): BookChunkOutput {
  const shared = sharedOf(task.shared);
  const pack = packDefinition(task.policy);
  const policyPack = task.policy?.applied ?? null;
  const outcomes: LineOutcome[] = [];
  const results: (string | null)[] = [];
  for (const { line, text } of task.lines) {
    const body = portfolioBodyFromText(shared.raw, text);
    if (!body.ok) {
      outcomes.push({ ok: false, line, portfolio_id: body.portfolioId, error: body.error });
      results.push(null);
      continue;
    }
    const parsed = portfolioRequest(shared, body.body, body.modelId);
    if (!parsed.ok) {
      outcomes.push({
        ok: false,
        line,
        portfolio_id: body.portfolioId || null,
        error: errorText(parsed.errors),
      });
      results.push(null);
      continue;
    }
    try {
      // As simulate under a pack: the hash is of the request as sent (shared and portfolio
      // options merged), the run uses the pack's options over it (spec 40 §17, Q-B8).
      const options = applyPolicyPack(parsed.value.options, pack);
      const request = options === parsed.value.options ? parsed.value : { ...parsed.value, options };
      const result = simulateRebalance(request, { requestHash: canonicalHash(parsed.value), policyPack });
      const market = new Market(request.market_data_snapshot);
      outcomes.push({
        ok: true,
        ...compactOutcome(result, market, {
          line,
          model_id: body.modelId,
          bands: options.drift_band_abs != null || options.drift_band_rel != null,
        }),
      });
      results.push(task.results ? resultJsonText(result) : null);
    } catch (error) {
      const name = error instanceof Error ? error.constructor.name : 'Error';
      outcomes.push({
        ok: false,
        line,
        portfolio_id: body.portfolioId || null,
        error: `engine error (${name})`,
      });
      results.push(null);
    }
  }
  return task.results ? { outcomes, results } : { outcomes };
}
