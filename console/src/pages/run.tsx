/**
 * /console/runs/{id}: one run — before/after allocation charts (asset class, instrument) with
 * targets and tolerance bands where set, trade and FX intents, rule results, diagnostics and the
 * review workflow panel.
 */
import { useMemo, useState } from 'preact/hooks';
import { ApiError, type Fetcher, type Identity, type Session } from '../api';
import { bandFor, bandOptions, complement, sumWeights } from '../bands';
import { AllocationChart, type AllocationSeries } from '../charts';
import { money, type Money, when } from '../format';
import { Badge, Columns, Empty, Heading, Loading, Section, Table, useLoad } from '../ui';

type Obj = Record<string, unknown>;
interface Alloc {
  key: string;
  weight: string;
}
interface State {
  allocation_by_asset_class?: Alloc[];
  allocation_by_instrument?: Alloc[];
  positions?: { instrument_id: string; asset_class?: string }[];
  total_value?: Money;
}
interface Target {
  instrument_id: string;
  final_weight: string;
  model_weight?: string;
}
interface Intent {
  intent_type: string;
  intent_id: string;
  instrument_id?: string;
  side?: string;
  quantity?: string;
  notional?: Money;
  notional_base?: Money;
  pair?: string;
  buy_currency?: string;
  buy_amount?: string;
  sell_currency?: string;
  sell_amount_estimated?: string;
  rationale?: { code: string; message: string };
}
interface Rule {
  rule_id: string;
  severity: string;
  status: string;
  measured: string;
  threshold: Record<string, string>;
  reason_code: string;
  remediation_hint: string | null;
}
export interface RunResult {
  rebalance_run_id: string;
  status: string;
  before: State;
  after_simulated: State;
  target?: { targets: Target[] };
  intents: Intent[];
  rule_results: Rule[];
  diagnostics: Obj & { warnings?: unknown[] };
  gate_decision?: { gate: string; recommended_next_step: string; reasons: unknown[] } | null;
}
interface RunLookup {
  rebalance_run_id: string;
  portfolio_id: string;
  created_at: string;
  correlation_id: string;
  result: RunResult;
}

/** The two chart series of a result: by asset class and by instrument. */
export function allocationSeries(result: RunResult): {
  assetClass: AllocationSeries;
  instrument: AllocationSeries;
} {
  const targets = result.target?.targets ?? [];
  const opts = (row?: Target) => bandOptions(result as unknown as Obj, row as unknown as Obj);
  const keysOf = (...lists: (Alloc[] | undefined)[]) => {
    const keys: string[] = [];
    for (const l of lists) for (const a of l ?? []) if (!keys.includes(a.key)) keys.push(a.key);
    return keys;
  };
  const weightIn = (list: Alloc[] | undefined, key: string) =>
    list?.find((a) => a.key === key)?.weight ?? null;

  // Instrument targets: the final weights.
  const instrumentKeys = keysOf(
    result.before.allocation_by_instrument,
    result.after_simulated.allocation_by_instrument,
    targets.map((t) => ({ key: t.instrument_id, weight: t.final_weight })),
  );
  const instrumentTarget = instrumentKeys.map(
    (k) => targets.find((t) => t.instrument_id === k)?.final_weight ?? null,
  );
  const instrument: AllocationSeries = {
    keys: instrumentKeys,
    before: instrumentKeys.map((k) => weightIn(result.before.allocation_by_instrument, k)),
    after: instrumentKeys.map((k) => weightIn(result.after_simulated.allocation_by_instrument, k)),
    target: targets.length > 0 ? instrumentTarget : undefined,
    bands: instrumentKeys.map((k, i) => {
      const t = instrumentTarget[i];
      return t == null ? null : bandFor(t, opts(targets.find((x) => x.instrument_id === k)));
    }),
  };

  // Asset-class targets: the instruments' targets summed by class; cash is the rest.
  const classOf = new Map<string, string>();
  for (const p of [...(result.before.positions ?? []), ...(result.after_simulated.positions ?? [])])
    if (p.asset_class) classOf.set(p.instrument_id, p.asset_class);
  const mapped = targets.length > 0 && targets.every((t) => classOf.has(t.instrument_id));
  const classKeys = keysOf(
    result.before.allocation_by_asset_class,
    result.after_simulated.allocation_by_asset_class,
  );
  const classTarget = classKeys.map((k) => {
    if (!mapped) return null;
    if (k === 'CASH') return complement(sumWeights(targets.map((t) => t.final_weight)));
    const inClass = targets.filter((t) => classOf.get(t.instrument_id) === k);
    return inClass.length > 0 ? sumWeights(inClass.map((t) => t.final_weight)) : '0';
  });
  const assetClass: AllocationSeries = {
    keys: classKeys,
    before: classKeys.map((k) => weightIn(result.before.allocation_by_asset_class, k)),
    after: classKeys.map((k) => weightIn(result.after_simulated.allocation_by_asset_class, k)),
    target: mapped ? classTarget : undefined,
    bands: classKeys.map((_, i) => (classTarget[i] == null ? null : bandFor(classTarget[i]!, opts()))),
  };
  return { assetClass, instrument };
}

export function RunPage(props: { api: Fetcher; me: Identity; session: Session; id: string }) {
  const { api, id } = props;
  const run = useLoad(() => api<RunLookup>('GET', `/rebalance/runs/${encodeURIComponent(id)}`), [id]);
  return (
    <>
      <Heading>Run {id}</Heading>
      <Loading load={run} what="the run">
        {(data) => <RunBody {...props} run={data} />}
      </Loading>
    </>
  );
}

function RunBody(props: { api: Fetcher; me: Identity; session: Session; id: string; run: RunLookup }) {
  const { run } = props;
  const r = run.result;
  const series = useMemo(() => allocationSeries(r), [r]);
  const warnings = (r.diagnostics.warnings ?? []) as unknown[];
  const otherDiagnostics = Object.entries(r.diagnostics).filter(
    ([k, v]) =>
      k !== 'warnings' &&
      (Array.isArray(v)
        ? v.length > 0
        : v && typeof v === 'object' && Object.values(v).some((x) => Array.isArray(x) && x.length > 0)),
  );
  return (
    <>
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <Badge value={r.status} />
          </dd>
        </div>
        <div>
          <dt>Portfolio</dt>
          <dd>{run.portfolio_id}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{when(run.created_at)}</dd>
        </div>
        <div>
          <dt>Value before / after</dt>
          <dd>
            {money(r.before.total_value)} / {money(r.after_simulated.total_value)}
          </dd>
        </div>
        {r.gate_decision && (
          <div>
            <dt>Gate</dt>
            <dd>
              {r.gate_decision.gate} (next: {r.gate_decision.recommended_next_step})
            </dd>
          </div>
        )}
      </dl>
      <WorkflowPanel {...props} />
      <Section id="allocation" title="Allocation before and after">
        <div class="charts">
          <AllocationChart
            id="chart-asset-class"
            title="Allocation by asset class"
            series={series.assetClass}
          />
          <AllocationChart
            id="chart-instrument"
            title="Allocation by instrument"
            series={series.instrument}
          />
        </div>
      </Section>
      <Section id="intents" title="Trade and FX intents">
        <IntentsTable intents={r.intents} />
      </Section>
      <Section id="rules" title="Rule results">
        <Table label="Rule results table">
          <Columns names={['Rule', 'Severity', 'Result', 'Measured', 'Threshold', 'Reason']} />
          <tbody>
            {r.rule_results.map((rule) => (
              <tr key={rule.rule_id}>
                <th scope="row">{rule.rule_id}</th>
                <td>{rule.severity}</td>
                <td>
                  <Badge value={rule.status} />
                </td>
                <td class="num">{rule.measured}</td>
                <td class="num">
                  {Object.entries(rule.threshold)
                    .map(([k, v]) => `${k} ${v}`)
                    .join(', ')}
                </td>
                <td>
                  {rule.reason_code}
                  {rule.remediation_hint ? ` — ${rule.remediation_hint}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      </Section>
      <Section id="diagnostics" title="Diagnostics and warnings">
        {warnings.length === 0 ? (
          <Empty>No warnings.</Empty>
        ) : (
          <ul class="warnings">
            {warnings.map((w) => (
              <li>{typeof w === 'string' ? w : JSON.stringify(w)}</li>
            ))}
          </ul>
        )}
        {otherDiagnostics.length === 0 ? (
          <Empty>No other diagnostics.</Empty>
        ) : (
          <dl class="diagnostics">
            {otherDiagnostics.map(([k, v]) => (
              <div>
                <dt>{k}</dt>
                <dd>
                  <code>{JSON.stringify(v)}</code>
                </dd>
              </div>
            ))}
          </dl>
        )}
      </Section>
    </>
  );
}

export function IntentsTable(props: { intents: Intent[] }) {
  if (props.intents.length === 0) return <Empty>No intents.</Empty>;
  return (
    <Table label="Intents table">
      <Columns
        names={[
          'Intent',
          'Type',
          'Instrument or pair',
          'Side',
          'Quantity or amount',
          'Notional',
          'Rationale',
        ]}
      />
      <tbody>
        {props.intents.map((i) => (
          <tr key={i.intent_id}>
            <th scope="row">{i.intent_id}</th>
            <td>{i.intent_type}</td>
            <td>{i.instrument_id ?? i.pair ?? '–'}</td>
            <td>{i.side ?? (i.buy_currency ? `BUY ${i.buy_currency} / SELL ${i.sell_currency}` : '–')}</td>
            <td class="num">{i.quantity ?? (i.buy_amount ? `${i.buy_amount} ${i.buy_currency}` : '–')}</td>
            <td class="num">
              {i.notional
                ? money(i.notional)
                : i.sell_amount_estimated
                  ? `${i.sell_amount_estimated} ${i.sell_currency} (est.)`
                  : '–'}
            </td>
            <td>{i.rationale ? `${i.rationale.code}: ${i.rationale.message}` : '–'}</td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

type Action = 'APPROVE' | 'REJECT' | 'REQUEST_CHANGES';
const TRANSITIONS: Record<string, Action[]> = {
  PENDING_REVIEW: ['APPROVE', 'REJECT', 'REQUEST_CHANGES'],
  APPROVED: ['REJECT', 'REQUEST_CHANGES'],
  REJECTED: ['REQUEST_CHANGES'],
};
const REASON: Record<Action, string> = {
  APPROVE: 'REVIEW_APPROVED',
  REJECT: 'REVIEW_REJECTED',
  REQUEST_CHANGES: 'CHANGES_REQUESTED',
};
const LABEL: Record<Action, string> = {
  APPROVE: 'Approve',
  REJECT: 'Reject',
  REQUEST_CHANGES: 'Request changes',
};

interface WorkflowState {
  workflow_status: string;
  requires_review: boolean;
  run_status: string;
  latest_decision: { action: string; actor_id: string; decided_at: string; comment: string | null } | null;
}
interface Decision {
  decision_id: string;
  action: string;
  reason_code: string;
  comment: string | null;
  actor_id: string;
  decided_at: string;
}

function WorkflowPanel(props: { api: Fetcher; me: Identity; session: Session; id: string }) {
  const { api, me, session, id } = props;
  const base = `/rebalance/runs/${encodeURIComponent(id)}/workflow`;
  const state = useLoad(
    () =>
      api<WorkflowState>('GET', base).catch((e: unknown) => {
        if (e instanceof ApiError && e.detail === 'DPM_WORKFLOW_DISABLED') return null;
        throw e;
      }),
    [id],
  );
  const history = useLoad(
    () =>
      api<{ decisions: Decision[] }>('GET', `${base}/history`).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return { decisions: [] };
        throw e;
      }),
    [id],
  );
  const [action, setAction] = useState<Action | ''>('');
  const [reason, setReason] = useState('');
  const [comment, setComment] = useState('');
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const canDecide = me.permissions.includes('workflow:decide');

  if (state.error)
    return (
      <Section id="workflow" title="Review">
        <p class="error" role="alert">
          Could not load the review state: {state.error}
        </p>
      </Section>
    );
  if (state.loading && !state.data) return null;
  const s = state.data;
  const allowed = s && s.requires_review ? (TRANSITIONS[s.workflow_status] ?? []) : [];
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!action) return;
    setBusy(true);
    setOutcome(null);
    try {
      const actor = me.user_id ? undefined : session.actor || undefined;
      const next = await api<WorkflowState>('POST', `${base}/actions`, {
        action,
        reason_code: reason || REASON[action],
        comment: comment || null,
        ...(actor ? { actor_id: actor } : {}),
      });
      setOutcome({ ok: true, text: `Decision recorded: the run is now ${next.workflow_status}.` });
      setAction('');
      setComment('');
      state.reload();
      history.reload();
    } catch (err) {
      setOutcome({ ok: false, text: `Refused: ${err instanceof ApiError ? err.detail : String(err)}` });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section id="workflow" title="Review">
      {!s ? (
        <Empty>The review workflow is off on this service (DPM_WORKFLOW_ENABLED).</Empty>
      ) : (
        <>
          <p>
            Review state: <Badge value={s.workflow_status} />{' '}
            {!s.requires_review && <span class="muted">(a {s.run_status} run needs no review)</span>}
          </p>
          {canDecide && allowed.length > 0 && (
            <form class="decide" onSubmit={submit} aria-label="Review decision">
              <fieldset>
                <legend>Decision</legend>
                {allowed.map((a) => (
                  <label class="choice">
                    <input
                      type="radio"
                      name="action"
                      value={a}
                      checked={action === a}
                      onChange={() => {
                        setAction(a);
                        setReason(REASON[a]);
                      }}
                    />
                    {LABEL[a]}
                  </label>
                ))}
              </fieldset>
              <label>
                Reason code
                <input
                  type="text"
                  name="reason_code"
                  value={reason}
                  pattern="[A-Z][A-Z0-9_]*"
                  maxLength={128}
                  required
                  aria-describedby="reason-help"
                  onInput={(e) => setReason(e.currentTarget.value)}
                />
              </label>
              <small id="reason-help">Upper case, digits and underscores, e.g. REVIEW_APPROVED.</small>
              <label>
                Reason (comment)
                <textarea
                  name="comment"
                  rows={2}
                  maxLength={4000}
                  value={comment}
                  onInput={(e) => setComment(e.currentTarget.value)}
                />
              </label>
              <p class="muted">
                Four eyes: whoever created the run cannot approve it; the service refuses it.
              </p>
              <button type="submit" disabled={!action || busy}>
                {action ? `${LABEL[action]} run` : 'Choose a decision'}
              </button>
            </form>
          )}
          {!canDecide && s.requires_review && (
            <p class="muted">You can see this review but not decide it (no workflow:decide permission).</p>
          )}
          {outcome && (
            <p class={outcome.ok ? 'ok' : 'error'} role={outcome.ok ? 'status' : 'alert'}>
              {outcome.text}
            </p>
          )}
          <h3>Decisions</h3>
          {history.data && history.data.decisions.length > 0 ? (
            <ol class="timeline">
              {history.data.decisions.map((d) => (
                <li key={d.decision_id}>
                  <strong>{d.action}</strong> by {d.actor_id} at {when(d.decided_at)} ({d.reason_code})
                  {d.comment ? `: ${d.comment}` : ''}
                </li>
              ))}
            </ol>
          ) : (
            <Empty>No decisions yet.</Empty>
          )}
        </>
      )}
    </Section>
  );
}
