/**
 * Advisory suitability scanner (spec 20 §11, RFC-0014D): scans the before- and after-state
 * against the suitability thresholds, adds trade-attempt issues for proposed BUYs of
 * SELL_ONLY/RESTRICTED instruments, classifies every issue key as NEW, PERSISTENT or
 * RESOLVED and recommends a review gate. Pure: plain data in, plain data out; it never changes
 * the proposal status, it only feeds the workflow gate (§12).
 *
 * Decimal notes: every comparison and sum goes through contracts/decimal.ts; `details` carry the
 * decimals' own text (unrounded weights, threshold text as validated).
 */
import type { ProposedTrade } from '../contracts/advisory-request.js';
import type { EngineOptions, ShelfEntry } from '../contracts/dpm-request.js';
import { add, type Dec, dec, gt, lt, mul, quantize, sub, text, ZERO } from '../contracts/decimal.js';
import { compareCodePoints } from '../contracts/ordering.js';
import type { SimulatedState } from '../engine/types.js';
import { cashWeight } from '../engine/valuation.js';

export type SuitabilitySeverity = 'HIGH' | 'MEDIUM' | 'LOW';
export type SuitabilityStatusChange = 'NEW' | 'PERSISTENT' | 'RESOLVED';

export interface SuitabilityIssue {
  issue_id: string;
  issue_key: string;
  dimension: string;
  severity: SuitabilitySeverity;
  status_change: SuitabilityStatusChange;
  summary: string;
  /** Insertion order is the spec's "details (in order)" column. */
  details: Record<string, string>;
  evidence: {
    as_of: string;
    snapshot_ids: { portfolio_snapshot_id: string; market_data_snapshot_id: string };
  };
}

export interface SuitabilityResult {
  summary: {
    new_count: number;
    resolved_count: number;
    persistent_count: number;
    highest_severity_new: SuitabilitySeverity | null;
  };
  issues: SuitabilityIssue[];
  recommended_gate: 'COMPLIANCE_REVIEW' | 'RISK_REVIEW' | 'NONE';
}

export interface SuitabilityInput {
  before: SimulatedState;
  after: SimulatedState;
  /** The request's shelf list; indexed here with the LAST row per id winning (Q-A1). */
  shelfEntries: readonly ShelfEntry[];
  /** The validated input trades, every one, executed or not. */
  proposedTrades: readonly ProposedTrade[];
  options: EngineOptions;
  /** The lineage ids of §9; `as_of` is the market-data snapshot id. */
  snapshotIds: { portfolio_snapshot_id: string; market_data_snapshot_id: string };
}

/** A state-scan or trade-attempt finding before classification. */
interface Candidate {
  issue_key: string;
  issue_id: string;
  dimension: string;
  severity: SuitabilitySeverity;
  summary: string;
  details: Record<string, string>;
}

type Thresholds = EngineOptions['suitability_thresholds'];

const EPSILON = dec('0.0000001');
const HIGH_SEVERITY_FACTOR = dec('1.25');
const HUNDRED = dec('100');

const STATUS_RANK: Record<SuitabilityStatusChange, number> = { NEW: 0, PERSISTENT: 1, RESOLVED: 2 };
const SEVERITY_RANK: Record<SuitabilitySeverity, number> = { HIGH: 0, MEDIUM: 1, LOW: 2 };

/**
 * `W` / `B` of §11: instrument weight per id from `allocation_by_instrument`, keeping only
 * weights > 0. The spec says "instrument weights", a map keyed by id, not a sum: when a
 * duplicated position gives several rows for one id, the LAST row with a positive weight
 * wins, and the id keeps the position of its first positive row (the reference builds a
 * dict from the rows; a JS Map keeps first-insertion order on overwrite in the same way).
 * Only the issuer/tier sum order depends on that position.
 */
function instrumentWeights(state: SimulatedState): Map<string, Dec> {
  const weights = new Map<string, Dec>();
  for (const metric of state.allocation_by_instrument)
    if (gt(metric.weight, ZERO)) weights.set(metric.key, metric.weight);
  return weights;
}

/** Shelf index where the last row per instrument wins (Q-A1; valuation uses the first). */
function lastShelfRowById(entries: readonly ShelfEntry[]): Map<string, ShelfEntry> {
  const index = new Map<string, ShelfEntry>();
  for (const entry of entries) index.set(entry.instrument_id, entry);
  return index;
}

/** `HIGH` if measured > cap × 1.25, else `MEDIUM`. */
function concentrationSeverity(measured: Dec, cap: Dec): SuitabilitySeverity {
  return gt(measured, mul(cap, HIGH_SEVERITY_FACTOR)) ? 'HIGH' : 'MEDIUM';
}

/** A cap as a percentage with 2 decimals, half-even: 0.10 → "10.00%", 0.12345 → "12.34%". */
export function formatCapPercent(cap: Dec): string {
  // Fixed notation: the quantised value has exponent −2, printed without an exponent.
  return `${quantize(mul(cap, HUNDRED), 2).toPlainString()}%`;
}

const exceeds = (measured: Dec, cap: Dec): boolean => gt(measured, add(cap, EPSILON));

function dataQualityCandidate(
  kind: 'MISSING_SHELF' | 'MISSING_ISSUER' | 'MISSING_LIQUIDITY_TIER',
  instrumentId: string,
  severity: SuitabilitySeverity,
): Candidate {
  const wording = {
    MISSING_SHELF: ['Shelf', 'shelf_entry'],
    MISSING_ISSUER: ['Issuer', 'issuer_id'],
    MISSING_LIQUIDITY_TIER: ['Liquidity tier', 'liquidity_tier'],
  } as const;
  const [label, field] = wording[kind];
  return {
    issue_key: `DQ|${kind}|${instrumentId}`,
    issue_id: 'SUIT_DATA_QUALITY',
    dimension: 'DATA_QUALITY',
    severity,
    summary: `${label} enrichment missing for ${instrumentId}.`,
    details: { instrument_id: instrumentId, missing_fields: field },
  };
}

const governanceKey = (instrumentId: string, status: string): string =>
  `GOVERNANCE|${instrumentId}|${status}`;

function sellOnlyIncrease(instrumentId: string, before: Dec, after: Dec, summary: string): Candidate {
  return {
    issue_key: governanceKey(instrumentId, 'SELL_ONLY'),
    issue_id: 'SUIT_GOVERNANCE_SELL_ONLY_INCREASE',
    dimension: 'GOVERNANCE',
    severity: 'HIGH',
    summary,
    details: {
      instrument_id: instrumentId,
      shelf_status: 'SELL_ONLY',
      measured_before: text(before),
      measured_after: text(after),
    },
  };
}

function restrictedIncrease(
  instrumentId: string,
  before: Dec,
  after: Dec,
  allowRestricted: boolean,
  summary: string,
): Candidate {
  return {
    issue_key: governanceKey(instrumentId, 'RESTRICTED'),
    issue_id: 'SUIT_GOVERNANCE_RESTRICTED_INCREASE',
    dimension: 'GOVERNANCE',
    severity: allowRestricted ? 'MEDIUM' : 'HIGH',
    summary,
    details: {
      instrument_id: instrumentId,
      shelf_status: 'RESTRICTED',
      allow_restricted: allowRestricted ? 'true' : 'false',
      measured_before: text(before),
      measured_after: text(after),
    },
  };
}

/** The state scan `scan(target, beforeState)` of §11: issue_key → candidate. */
function scanState(
  target: SimulatedState,
  beforeState: SimulatedState,
  shelf: ReadonlyMap<string, ShelfEntry>,
  options: EngineOptions,
): Map<string, Candidate> {
  const thresholds: Thresholds = options.suitability_thresholds;
  const dqSeverity = thresholds.data_quality_issue_severity;
  const found = new Map<string, Candidate>();
  const put = (c: Candidate) => found.set(c.issue_key, c);
  const W = instrumentWeights(target);
  const B = instrumentWeights(beforeState);

  // 1. Single position cap.
  const singleCap = thresholds.single_position_max_weight;
  for (const [id, weight] of W)
    if (exceeds(weight, singleCap))
      put({
        issue_key: `SINGLE_POSITION_MAX|${id}`,
        issue_id: 'SUIT_SINGLE_POSITION_MAX',
        dimension: 'CONCENTRATION',
        severity: concentrationSeverity(weight, singleCap),
        summary: `Single position ${id} exceeds ${formatCapPercent(singleCap)} cap.`,
        details: { instrument_id: id, threshold: text(singleCap), measured: text(weight) },
      });

  // 2–3. Missing shelf entry / issuer; issuer sums (in W order, each from the integer 0).
  const issuerWeights = new Map<string, Dec>();
  for (const [id, weight] of W) {
    const entry = shelf.get(id);
    if (!entry) {
      put(dataQualityCandidate('MISSING_SHELF', id, dqSeverity));
      continue;
    }
    if (!entry.issuer_id) put(dataQualityCandidate('MISSING_ISSUER', id, dqSeverity));
    else issuerWeights.set(entry.issuer_id, add(issuerWeights.get(entry.issuer_id) ?? ZERO, weight));
  }

  // 4. Issuer cap.
  const issuerCap = thresholds.issuer_max_weight;
  for (const [issuer, measured] of issuerWeights)
    if (exceeds(measured, issuerCap))
      put({
        issue_key: `ISSUER_MAX|${issuer}`,
        issue_id: 'SUIT_ISSUER_MAX',
        dimension: 'ISSUER',
        severity: concentrationSeverity(measured, issuerCap),
        summary: `Issuer ${issuer} exceeds ${formatCapPercent(issuerCap)} exposure cap.`,
        details: { issuer_id: issuer, threshold: text(issuerCap), measured: text(measured) },
      });

  // 5. Missing liquidity tier; tier sums (instruments without a shelf entry are skipped).
  const tierWeights = new Map<string, Dec>();
  for (const [id, weight] of W) {
    const entry = shelf.get(id);
    if (!entry) continue;
    if (!entry.liquidity_tier) {
      put(dataQualityCandidate('MISSING_LIQUIDITY_TIER', id, dqSeverity));
      continue;
    }
    tierWeights.set(entry.liquidity_tier, add(tierWeights.get(entry.liquidity_tier) ?? ZERO, weight));
  }

  // 6. Each configured tier cap. Keys are unique, so the (sorted) order only makes the walk
  // deterministic; it cannot change the result.
  const tierCaps = thresholds.max_weight_by_liquidity_tier;
  for (const tier of Object.keys(tierCaps).sort(compareCodePoints)) {
    const cap = tierCaps[tier as keyof typeof tierCaps];
    if (cap === undefined) continue;
    const measured = tierWeights.get(tier) ?? ZERO;
    if (exceeds(measured, cap))
      put({
        issue_key: `LIQUIDITY_MAX|${tier}`,
        issue_id: 'SUIT_LIQUIDITY_MAX',
        dimension: 'LIQUIDITY',
        severity: concentrationSeverity(measured, cap),
        summary: `Liquidity tier ${tier} exceeds ${formatCapPercent(cap)} exposure cap.`,
        details: { liquidity_tier: tier, threshold: text(cap), measured: text(measured) },
      });
  }

  // 7–10. Governance over the sorted union of B and W ids that have a shelf entry.
  const ids = [...new Set([...B.keys(), ...W.keys()])].sort(compareCodePoints);
  for (const id of ids) {
    const entry = shelf.get(id);
    if (!entry) continue;
    const before = B.get(id) ?? ZERO;
    const after = W.get(id) ?? ZERO;
    const status = entry.status;
    if ((status === 'BANNED' || status === 'SUSPENDED') && gt(after, EPSILON))
      put({
        issue_key: governanceKey(id, status),
        issue_id: `SUIT_GOVERNANCE_${status}`,
        dimension: 'GOVERNANCE',
        severity: 'HIGH',
        summary: `${status} instrument ${id} is present in the portfolio.`,
        details: { instrument_id: id, shelf_status: status, measured: text(after) },
      });
    if (status === 'SELL_ONLY' && exceeds(after, before))
      put(sellOnlyIncrease(id, before, after, `SELL_ONLY instrument ${id} increased in proposed state.`));
    if (status === 'RESTRICTED' && exceeds(after, before)) {
      // No final period on either wording (Q-A11).
      const summary = options.allow_restricted
        ? `RESTRICTED instrument ${id} increased under allow_restricted`
        : `RESTRICTED instrument ${id} increased in proposed state`;
      put(restrictedIncrease(id, before, after, options.allow_restricted, summary));
    }
  }

  // 11. Cash band on the unrounded CASH row (0 when absent).
  const cash = cashWeight(target);
  const minCash = thresholds.cash_band_min_weight;
  const maxCash = thresholds.cash_band_max_weight;
  if (lt(cash, sub(minCash, EPSILON)) || exceeds(cash, maxCash))
    put({
      issue_key: 'CASH_BAND',
      issue_id: 'SUIT_CASH_BAND',
      dimension: 'CASH',
      severity: 'MEDIUM',
      summary: 'Cash weight is outside advisory suitability band.',
      details: { threshold_min: text(minCash), threshold_max: text(maxCash), measured: text(cash) },
    });

  return found;
}

/**
 * Trade attempts (Q-A11): every proposed BUY of a SELL_ONLY or RESTRICTED instrument, executed
 * or blocked by the shelf guard, replaces the state candidate with the same key.
 */
function addTradeAttempts(
  found: Map<string, Candidate>,
  input: SuitabilityInput,
  shelf: ReadonlyMap<string, ShelfEntry>,
) {
  const B = instrumentWeights(input.before);
  const A = instrumentWeights(input.after);
  const allowRestricted = input.options.allow_restricted;
  for (const trade of input.proposedTrades) {
    if (trade.side !== 'BUY') continue;
    const id = trade.instrument_id;
    const status = shelf.get(id)?.status;
    const before = B.get(id) ?? ZERO;
    const after = A.get(id) ?? ZERO;
    if (status === 'SELL_ONLY') {
      const candidate = sellOnlyIncrease(
        id,
        before,
        after,
        `Proposal BUY attempts to increase SELL_ONLY instrument ${id}.`,
      );
      found.set(candidate.issue_key, candidate);
    } else if (status === 'RESTRICTED') {
      const candidate = restrictedIncrease(
        id,
        before,
        after,
        allowRestricted,
        `Proposal BUY attempts to increase RESTRICTED instrument ${id}.`,
      );
      found.set(candidate.issue_key, candidate);
    }
  }
}

function compareIssues(a: SuitabilityIssue, b: SuitabilityIssue): number {
  return (
    STATUS_RANK[a.status_change] - STATUS_RANK[b.status_change] ||
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    compareCodePoints(a.dimension, b.dimension) ||
    compareCodePoints(a.issue_key, b.issue_key)
  );
}

export function scanSuitability(input: SuitabilityInput): SuitabilityResult {
  const shelf = lastShelfRowById(input.shelfEntries);
  const beforeIssues = scanState(input.before, input.before, shelf, input.options);
  const afterIssues = scanState(input.after, input.before, shelf, input.options);
  addTradeAttempts(afterIssues, input, shelf);

  const { portfolio_snapshot_id, market_data_snapshot_id } = input.snapshotIds;
  const issue = (candidate: Candidate, status_change: SuitabilityStatusChange): SuitabilityIssue => ({
    issue_id: candidate.issue_id,
    issue_key: candidate.issue_key,
    dimension: candidate.dimension,
    severity: candidate.severity,
    status_change,
    summary: candidate.summary,
    details: { ...candidate.details },
    evidence: {
      as_of: market_data_snapshot_id,
      snapshot_ids: { portfolio_snapshot_id, market_data_snapshot_id },
    },
  });

  const issues: SuitabilityIssue[] = [];
  for (const [key, candidate] of afterIssues)
    issues.push(issue(candidate, beforeIssues.has(key) ? 'PERSISTENT' : 'NEW'));
  for (const [key, candidate] of beforeIssues)
    if (!afterIssues.has(key)) issues.push(issue(candidate, 'RESOLVED'));
  issues.sort(compareIssues);

  const newIssues = issues.filter((i) => i.status_change === 'NEW');
  const highest =
    (['HIGH', 'MEDIUM', 'LOW'] as const).find((s) => newIssues.some((i) => i.severity === s)) ?? null;
  return {
    summary: {
      new_count: newIssues.length,
      resolved_count: issues.filter((i) => i.status_change === 'RESOLVED').length,
      persistent_count: issues.filter((i) => i.status_change === 'PERSISTENT').length,
      highest_severity_new: highest,
    },
    issues,
    recommended_gate:
      highest === 'HIGH' ? 'COMPLIANCE_REVIEW' : highest === 'MEDIUM' ? 'RISK_REVIEW' : 'NONE',
  };
}
