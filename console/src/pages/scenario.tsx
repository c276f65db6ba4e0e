/** /console/scenarios/{id}: a scenario, its runs and a chart of one metric over the runs. */
import { useState } from 'preact/hooks';
import { type Fetcher, query } from '../api';
import { MetricChart } from '../charts';
import { when } from '../format';
import { link } from '../router';
import { Badge, Empty, Heading, Loading, Section, Table, useLoad } from '../ui';

interface Scenario {
  id: string;
  name: string;
  description: string | null;
  status: string;
  version: number;
  tags: string[];
}
type MetricValue = { value: string; unit: string } | string;
interface ScenarioRun {
  id: string;
  state: string;
  created_at: string;
  finished_at: string | null;
  scenario_version: number;
  rebalance_run_id: string | null;
  metrics: Record<string, MetricValue> | null;
}

const valueOf = (m: MetricValue | undefined): string | null =>
  m === undefined ? null : typeof m === 'string' ? m : m.value;
const unitOf = (m: MetricValue | undefined): string => (m && typeof m === 'object' ? m.unit : '');

export function ScenarioPage(props: { api: Fetcher; id: string }) {
  const { api, id } = props;
  const base = `/v1/scenarios/${encodeURIComponent(id)}`;
  const scenario = useLoad(async () => {
    const body = await api<Scenario | { data: Scenario }>('GET', base);
    return 'data' in body ? body.data : body;
  }, [id]);
  const runs = useLoad(
    () => api<{ data: ScenarioRun[] }>('GET', `${base}/runs${query({ limit: 100 })}`).then((b) => b.data),
    [id],
  );
  return (
    <>
      <Heading>Scenario {id}</Heading>
      <Loading load={scenario} what="the scenario">
        {(s) => (
          <dl class="facts">
            <div>
              <dt>Name</dt>
              <dd>{s.name}</dd>
            </div>
            <div>
              <dt>Status</dt>
              <dd>
                <Badge value={s.status} />
              </dd>
            </div>
            <div>
              <dt>Version</dt>
              <dd>{s.version}</dd>
            </div>
            <div>
              <dt>Tags</dt>
              <dd>{s.tags.join(', ') || '–'}</dd>
            </div>
          </dl>
        )}
      </Loading>
      <Loading load={runs} what="the runs">
        {(list) => <Runs runs={list} />}
      </Loading>
    </>
  );
}

function Runs(props: { runs: ScenarioRun[] }) {
  const oldestFirst = [...props.runs].reverse();
  const names: string[] = [];
  for (const r of oldestFirst)
    for (const k of Object.keys(r.metrics ?? {})) if (!names.includes(k)) names.push(k);
  const [metric, setMetric] = useState(names.includes('turnover_pct') ? 'turnover_pct' : (names[0] ?? ''));
  const withMetrics = oldestFirst.filter((r) => r.metrics);
  const unit = unitOf(withMetrics.find((r) => r.metrics?.[metric])?.metrics?.[metric]);
  return (
    <>
      <Section id="metrics" title="Metrics over runs">
        {names.length === 0 ? (
          <Empty>No run has finished with metrics yet.</Empty>
        ) : (
          <>
            <div class="filters">
              <label>
                Metric
                <select value={metric} onChange={(e) => setMetric(e.currentTarget.value)}>
                  {names.map((n) => (
                    <option value={n}>{n}</option>
                  ))}
                </select>
              </label>
            </div>
            <MetricChart
              id="chart-metric"
              title={`${metric} by run`}
              labels={withMetrics.map((r) => r.id)}
              values={withMetrics.map((r) => valueOf(r.metrics?.[metric]))}
              unit={unit}
            />
          </>
        )}
      </Section>
      <Section id="runs" title="Runs">
        {props.runs.length === 0 ? (
          <Empty>No runs yet.</Empty>
        ) : (
          <Table label="Scenario runs table">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">State</th>
                <th scope="col">Version</th>
                <th scope="col">Created</th>
                <th scope="col">Finished</th>
                <th scope="col">{metric || 'Metric'}</th>
                <th scope="col">Engine run</th>
              </tr>
            </thead>
            <tbody>
              {props.runs.map((r) => (
                <tr key={r.id}>
                  <th scope="row">{r.id}</th>
                  <td>
                    <Badge value={r.state} />
                  </td>
                  <td class="num">{r.scenario_version}</td>
                  <td>{when(r.created_at)}</td>
                  <td>{when(r.finished_at)}</td>
                  <td class="num">{valueOf(r.metrics?.[metric]) ?? '–'}</td>
                  <td>
                    {r.rebalance_run_id ? (
                      <a href={link('runs', r.rebalance_run_id)}>{r.rebalance_run_id}</a>
                    ) : (
                      '–'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Section>
    </>
  );
}
