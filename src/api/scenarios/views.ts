/** JSON and CSV views of stored scenario records (spec 50 §2): timestamps as ISO text, decimals as exact text. */
import type {
  OutputRecord,
  ScenarioContentRecord,
  ScenarioRecord,
  ScenarioRunRecord,
} from '../../store/scenarios.js';
import { isoTimestamp } from '../time.js';

const ts = (d: Date | null) => (d ? isoTimestamp(d) : null);

/** `{"k": <raw JSON>, …}` from already-serialised values, keeping their text (stored decimals). */
function rawObject(entries: [string, string][]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

/** The scenario resource; `withBase: false` for list items. */
export function scenarioJson(s: ScenarioRecord, content: ScenarioContentRecord, withBase = true): string {
  const j = JSON.stringify;
  const entries: [string, string][] = [
    ['id', j(s.scenario_id)],
    ['tenant_id', j(s.tenant_id)],
    ['name', j(s.name)],
    ['description', j(s.description)],
    ['status', j(s.status)],
    ['tags', j(s.tags)],
    ['version', j(content.version)],
    ['latest_version', j(s.version)],
  ];
  if (withBase) entries.push(['base', content.base_json]);
  entries.push(
    ['assumptions', content.assumptions_json],
    ['parameters', content.parameters_json],
    ['created_by', j(s.created_by)],
    ['created_at', j(isoTimestamp(s.created_at))],
    ['updated_at', j(isoTimestamp(s.updated_at))],
  );
  return rawObject(entries);
}

export function runJson(run: ScenarioRunRecord) {
  return {
    id: run.run_id,
    tenant_id: run.tenant_id,
    scenario_id: run.scenario_id,
    scenario_version: run.scenario_version,
    state: run.state,
    priority: run.priority,
    code_version: run.code_version,
    options: JSON.parse(run.options_json) as unknown,
    created_by: run.created_by,
    created_at: isoTimestamp(run.created_at),
    started_at: ts(run.started_at),
    finished_at: ts(run.finished_at),
    attempts: run.attempts,
    error: run.error_json ? (JSON.parse(run.error_json) as unknown) : null,
    rebalance_run_id: run.rebalance_run_id,
    policy: run.policy_pack_id
      ? {
          policy_pack_id: run.policy_pack_id,
          applied: run.policy_pack_status === null ? null : run.policy_pack_status === 'APPLIED',
          reason: run.policy_pack_status === 'APPLIED' ? null : run.policy_pack_status,
        }
      : null,
    metrics: run.metrics_json ? (JSON.parse(run.metrics_json) as unknown) : null,
    status_url: `/v1/scenarios/${run.scenario_id}/runs/${run.run_id}`,
  };
}

export function outputJson(o: OutputRecord) {
  return {
    id: o.output_id,
    tenant_id: o.tenant_id,
    scenario_id: o.scenario_id,
    run_id: o.run_id,
    metric_name: o.metric_name,
    asof_date: o.asof_date,
    value: o.value,
    unit: o.unit,
    dimensions: o.dimensions,
  };
}

export function latestMetricJson(o: OutputRecord & { finished_at: Date }) {
  const { id: _id, ...rest } = outputJson(o);
  return { ...rest, run_finished_at: isoTimestamp(o.finished_at) };
}

export const OUTPUT_CSV_COLUMNS = [
  'tenant_id',
  'scenario_id',
  'run_id',
  'metric_name',
  'asof_date',
  'value',
  'unit',
  'dimensions',
] as const;

export function outputCsvRecord(o: OutputRecord): Record<(typeof OUTPUT_CSV_COLUMNS)[number], string> {
  const { id: _id, ...rest } = outputJson(o);
  return { ...rest, dimensions: JSON.stringify(o.dimensions) };
}
