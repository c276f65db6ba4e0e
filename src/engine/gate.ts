/**
 * Workflow gate decision (spec 11 §12), shared by DPM and advisory: reasons from failed
 * rules, new suitability issues and missing data, then the first matching decision row.
 */
import type { EngineOptions } from '../contracts/dpm-request.js';
import { compareCodePoints } from '../contracts/ordering.js';
import type { DataQuality, GateDecision, GateReason, GateSeverity, RuleResult, RunStatus } from './types.js';

/** A suitability issue as the gate sees it (advisory only). */
export interface GateSuitabilityIssue {
  issue_id: string;
  issue_key: string;
  severity: GateSeverity;
  status_change: 'NEW' | 'RESOLVED' | 'PERSISTENT';
}

export interface GateInput {
  status: RunStatus;
  rules: readonly RuleResult[];
  suitabilityIssues?: readonly GateSuitabilityIssue[];
  dataQuality: DataQuality;
  options: Pick<EngineOptions, 'client_consent_already_obtained' | 'workflow_requires_client_consent'>;
  defaultRequiresConsent?: boolean;
}

const SEVERITY_RANK: Record<GateSeverity, number> = { HIGH: 0, MEDIUM: 1, LOW: 2 };

function sortKey(reason: GateReason): string {
  return reason.details.issue_key ?? reason.details.reason_code ?? '';
}

export function decideGate(input: GateInput): GateDecision {
  const reasons: GateReason[] = [];
  let hard = 0;
  let soft = 0;
  for (const r of input.rules) {
    if (r.status !== 'FAIL' || r.severity === 'INFO') continue;
    const isHard = r.severity === 'HARD';
    if (isHard) hard++;
    else soft++;
    reasons.push({
      reason_code: `${isHard ? 'HARD' : 'SOFT'}_RULE_FAIL:${r.rule_id}`,
      severity: isHard ? 'HIGH' : 'MEDIUM',
      source: 'RULE_ENGINE',
      details: { reason_code: r.reason_code },
    });
  }
  let newHigh = 0;
  let newMedium = 0;
  for (const issue of input.suitabilityIssues ?? []) {
    if (issue.status_change !== 'NEW' || issue.severity === 'LOW') continue;
    if (issue.severity === 'HIGH') newHigh++;
    else newMedium++;
    reasons.push({
      reason_code: `NEW_${issue.severity}_SUITABILITY_ISSUE`,
      severity: issue.severity,
      source: 'SUITABILITY',
      details: { issue_id: issue.issue_id, issue_key: issue.issue_key },
    });
  }
  // Q13: reported whatever the block_on_* options say, duplicates counted.
  const { price_missing, fx_missing } = input.dataQuality;
  if (price_missing.length > 0)
    reasons.push({
      reason_code: 'DATA_QUALITY_MISSING_PRICE',
      severity: 'HIGH',
      source: 'DATA_QUALITY',
      details: { count: String(price_missing.length) },
    });
  if (fx_missing.length > 0)
    reasons.push({
      reason_code: 'DATA_QUALITY_MISSING_FX',
      severity: 'HIGH',
      source: 'DATA_QUALITY',
      details: { count: String(fx_missing.length) },
    });
  reasons.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      compareCodePoints(a.source, b.source) ||
      compareCodePoints(a.reason_code, b.reason_code) ||
      compareCodePoints(sortKey(a), sortKey(b)),
  );

  let gate: string;
  let next: string;
  if (input.status === 'BLOCKED' || hard > 0) [gate, next] = ['BLOCKED', 'FIX_INPUT'];
  else if (newHigh > 0) [gate, next] = ['COMPLIANCE_REVIEW_REQUIRED', 'COMPLIANCE_REVIEW'];
  else if (soft > 0 || newMedium > 0) [gate, next] = ['RISK_REVIEW_REQUIRED', 'RISK_REVIEW'];
  else if (input.options.client_consent_already_obtained) [gate, next] = ['EXECUTION_READY', 'EXECUTE'];
  else if (input.options.workflow_requires_client_consent || input.defaultRequiresConsent)
    [gate, next] = ['CLIENT_CONSENT_REQUIRED', 'REQUEST_CLIENT_CONSENT'];
  else [gate, next] = ['EXECUTION_READY', 'EXECUTE'];

  return {
    gate,
    recommended_next_step: next,
    reasons,
    summary: {
      hard_fail_count: hard,
      soft_fail_count: soft,
      new_high_suitability_count: newHigh,
      new_medium_suitability_count: newMedium,
    },
  };
}
