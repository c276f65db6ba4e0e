/**
 * /console/proposals/{id}: versions with a diff of trades and after-state between two of them,
 * suitability issues, the timeline of events and approvals, and the actions the caller may take.
 */
import { useState } from 'preact/hooks';
import { ApiError, type Fetcher, type Identity, type Session } from '../api';
import { weightDelta } from '../bands';
import { pct, when, words } from '../format';
import { Badge, Columns, Empty, Heading, Loading, Section, Table, useLoad } from '../ui';
import { IntentsTable } from './run';

type Obj = Record<string, unknown>;
interface Intent {
  intent_type: string;
  intent_id: string;
  instrument_id?: string;
  pair?: string;
  currency?: string;
  side?: string;
  quantity?: string;
  amount?: string;
  buy_amount?: string;
}
interface Alloc {
  key: string;
  weight: string;
}
interface ProposalResult {
  status: string;
  intents: Intent[];
  after_simulated: { allocation_by_instrument?: Alloc[]; allocation_by_asset_class?: Alloc[] };
  suitability?: {
    summary?: Obj;
    issues: {
      issue_key: string;
      dimension: string;
      severity: string;
      status_change: string;
      summary: string;
    }[];
  };
}
interface Version {
  version_no: number;
  created_by: string;
  created_at: string;
  status_at_creation: string;
  proposal_result: ProposalResult;
}
interface AllowedAction {
  endpoint: 'transitions' | 'approvals' | 'versions';
  event_type: string | null;
  approval_type: string | null;
  approved: boolean | null;
  to_state: string;
}
interface Detail {
  proposal: {
    proposal_id: string;
    portfolio_id: string;
    title: string | null;
    created_by: string;
    created_at: string;
    current_state: string;
    current_version_no: number;
  };
  current_version: Version;
  advisor_notes: string | null;
  allowed_actions: AllowedAction[];
}
interface Event {
  event_id: string;
  event_type: string;
  from_state: string | null;
  to_state: string;
  actor_id: string;
  occurred_at: string;
  reason: Obj;
  related_version_no: number | null;
}
interface Approval {
  approval_id: string;
  approval_type: string;
  approved: boolean;
  actor_id: string;
  occurred_at: string;
  details: Obj;
}

export function ProposalPage(props: { api: Fetcher; me: Identity; session: Session; id: string }) {
  const { api, id } = props;
  const base = `/rebalance/proposals/${encodeURIComponent(id)}`;
  const detail = useLoad(() => api<Detail>('GET', `${base}?include_evidence=false`), [id]);
  return (
    <>
      <Heading>Proposal {id}</Heading>
      <Loading load={detail} what="the proposal">
        {(d) => <ProposalBody {...props} base={base} detail={d} reload={detail.reload} />}
      </Loading>
    </>
  );
}

function ProposalBody(props: {
  api: Fetcher;
  me: Identity;
  session: Session;
  base: string;
  detail: Detail;
  reload: () => void;
}) {
  const { api, base, detail } = props;
  const p = detail.proposal;
  const n = p.current_version_no;
  const versions = useLoad(
    () =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          i + 1 === n
            ? Promise.resolve(detail.current_version)
            : api<Version>('GET', `${base}/versions/${i + 1}?include_evidence=false`),
        ),
      ),
    [base, n, detail],
  );
  const timeline = useLoad(
    () =>
      Promise.all([
        api<{ events: Event[] }>('GET', `${base}/workflow-events`),
        api<{ approvals: Approval[] }>('GET', `${base}/approvals`),
      ]),
    [base, detail],
  );
  const issues = detail.current_version.proposal_result.suitability?.issues ?? [];
  return (
    <>
      <dl class="facts">
        <div>
          <dt>State</dt>
          <dd>
            <Badge value={p.current_state} />
          </dd>
        </div>
        <div>
          <dt>Title</dt>
          <dd>{p.title ?? '–'}</dd>
        </div>
        <div>
          <dt>Portfolio</dt>
          <dd>{p.portfolio_id}</dd>
        </div>
        <div>
          <dt>Current version</dt>
          <dd>
            {n} ({detail.current_version.status_at_creation})
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            {when(p.created_at)} by {p.created_by}
          </dd>
        </div>
      </dl>
      {detail.advisor_notes && <p class="notes">Advisor notes: {detail.advisor_notes}</p>}
      <Actions {...props} />
      <Section id="versions" title="Versions">
        <Loading load={versions} what="the versions">
          {(vs) => <Versions versions={vs} />}
        </Loading>
      </Section>
      <Section id="suitability" title="Suitability issues (current version)">
        {issues.length === 0 ? (
          <Empty>No suitability issues.</Empty>
        ) : (
          <Table label="Suitability issues table">
            <Columns names={['Issue', 'Dimension', 'Severity', 'Change', 'Summary']} />
            <tbody>
              {issues.map((i) => (
                <tr key={i.issue_key}>
                  <th scope="row">{i.issue_key}</th>
                  <td>{i.dimension}</td>
                  <td>
                    <Badge value={i.severity} />
                  </td>
                  <td>{i.status_change}</td>
                  <td>{i.summary}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Section>
      <Section id="timeline" title="Timeline">
        <Loading load={timeline} what="the timeline">
          {([ev, ap]) => (
            <div class="two-col">
              <div>
                <h3>Events</h3>
                <ol class="timeline">
                  {ev.events.map((e) => (
                    <li key={e.event_id}>
                      <strong>{words(e.event_type)}</strong>: {e.from_state ?? '–'} → {e.to_state}, by{' '}
                      {e.actor_id} at {when(e.occurred_at)}
                      {typeof e.reason.comment === 'string' ? ` — ${e.reason.comment}` : ''}
                    </li>
                  ))}
                </ol>
              </div>
              <div>
                <h3>Approvals</h3>
                {ap.approvals.length === 0 ? (
                  <Empty>No approvals yet.</Empty>
                ) : (
                  <ol class="timeline">
                    {ap.approvals.map((a) => (
                      <li key={a.approval_id}>
                        <strong>
                          {words(a.approval_type)} {a.approved ? 'given' : 'declined'}
                        </strong>{' '}
                        by {a.actor_id} at {when(a.occurred_at)}
                        {typeof a.details.comment === 'string' ? ` — ${a.details.comment}` : ''}
                      </li>
                    ))}
                  </ol>
                )}
              </div>
            </div>
          )}
        </Loading>
      </Section>
    </>
  );
}

export function actionLabel(a: AllowedAction): string {
  if (a.endpoint === 'approvals')
    return a.approval_type === 'CLIENT_CONSENT'
      ? a.approved
        ? 'Record client consent'
        : 'Record consent declined'
      : `${a.approved ? 'Approve' : 'Reject'} (${words(a.approval_type ?? '')})`;
  const labels: Record<string, string> = {
    SUBMITTED_FOR_RISK_REVIEW: 'Submit for risk review',
    SUBMITTED_FOR_COMPLIANCE_REVIEW: 'Submit for compliance review',
    EXECUTED: 'Mark executed',
    EXPIRED: 'Mark expired',
    CANCELLED: 'Cancel proposal',
  };
  return labels[a.event_type ?? ''] ?? words(a.event_type ?? a.endpoint);
}

function Actions(props: {
  api: Fetcher;
  me: Identity;
  session: Session;
  base: string;
  detail: Detail;
  reload: () => void;
}) {
  const { api, me, session, base, detail } = props;
  const [note, setNote] = useState('');
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const actions = detail.allowed_actions.filter((a) => a.endpoint !== 'versions');
  const state = detail.proposal.current_state;
  const run = async (a: AllowedAction) => {
    setBusy(true);
    setOutcome(null);
    const actor = me.user_id ? undefined : session.actor || undefined;
    const text = note.trim();
    try {
      const body =
        a.endpoint === 'transitions'
          ? { event_type: a.event_type, expected_state: state, reason: text ? { comment: text } : {} }
          : {
              approval_type: a.approval_type,
              approved: a.approved,
              expected_state: state,
              details: text ? { comment: text } : {},
            };
      const res = await api<{ current_state: string }>('POST', `${base}/${a.endpoint}`, {
        ...body,
        related_version_no: detail.proposal.current_version_no,
        ...(actor ? { actor_id: actor } : {}),
      });
      setOutcome({ ok: true, text: `Done: the proposal is now ${words(res.current_state)}.` });
      setNote('');
      props.reload();
    } catch (err) {
      setOutcome({ ok: false, text: `Refused: ${err instanceof ApiError ? err.detail : String(err)}` });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section id="actions" title="Actions">
      {actions.length === 0 ? (
        <Empty>
          {['EXECUTED', 'REJECTED', 'EXPIRED', 'CANCELLED'].includes(state)
            ? 'The proposal is closed: no further actions.'
            : 'You may take no action on this proposal in its current state.'}
        </Empty>
      ) : (
        <div class="actions">
          <label>
            Reason or note (stored with the action)
            <textarea
              rows={2}
              maxLength={2000}
              value={note}
              onInput={(e) => setNote(e.currentTarget.value)}
            />
          </label>
          <div class="buttons">
            {actions.map((a) => (
              <button
                type="button"
                class={a.approved === false || a.event_type === 'CANCELLED' ? 'secondary' : ''}
                disabled={busy}
                onClick={() => void run(a)}
              >
                {actionLabel(a)}
              </button>
            ))}
          </div>
          {!me.user_id && (
            <p class="muted">Without authentication the service judges four eyes when the action is sent.</p>
          )}
        </div>
      )}
      {outcome && (
        <p class={outcome.ok ? 'ok' : 'error'} role={outcome.ok ? 'status' : 'alert'}>
          {outcome.text}
        </p>
      )}
    </Section>
  );
}

function tradeKey(i: Intent): string {
  return [i.intent_type, i.instrument_id ?? i.pair ?? i.currency ?? i.intent_id, i.side ?? '']
    .join(' ')
    .trim();
}
function tradeSize(i: Intent | undefined): string {
  return i ? (i.quantity ?? i.amount ?? i.buy_amount ?? '–') : '–';
}

/** Rows of a diff between two versions' trades: key, size in A, size in B, change. */
export function diffTrades(
  a: Intent[],
  b: Intent[],
): { key: string; a: string; b: string; change: string }[] {
  const keys: string[] = [];
  for (const i of [...a, ...b]) if (!keys.includes(tradeKey(i))) keys.push(tradeKey(i));
  return keys.map((k) => {
    const x = a.find((i) => tradeKey(i) === k);
    const y = b.find((i) => tradeKey(i) === k);
    const change = !x ? 'Added' : !y ? 'Removed' : tradeSize(x) === tradeSize(y) ? 'Same' : 'Changed';
    return { key: k, a: tradeSize(x), b: tradeSize(y), change };
  });
}

function VersionSelect(props: {
  label: string;
  versions: Version[];
  value: number;
  onChange: (versionNo: number) => void;
}) {
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(Number(e.currentTarget.value))}>
        {props.versions.map((v) => (
          <option value={v.version_no}>{v.version_no}</option>
        ))}
      </select>
    </label>
  );
}

/** The head of a version-difference table: what is compared, both versions, the change. */
function DiffHead(props: { first: string; pair: [number, number] }) {
  return (
    <thead>
      <tr>
        <th scope="col">{props.first}</th>
        <th scope="col">Version {props.pair[0]}</th>
        <th scope="col">Version {props.pair[1]}</th>
        <th scope="col">Change</th>
      </tr>
    </thead>
  );
}

function Versions(props: { versions: Version[] }) {
  const vs = props.versions;
  const last = vs.length;
  const [pair, setPair] = useState<[number, number]>([Math.max(1, last - 1), last]);
  const va = vs[pair[0] - 1]!;
  const vb = vs[pair[1] - 1]!;
  const trades = diffTrades(va.proposal_result.intents, vb.proposal_result.intents);
  const allocKeys = (k: 'allocation_by_instrument' | 'allocation_by_asset_class') => {
    const keys: string[] = [];
    for (const l of [
      va.proposal_result.after_simulated[k] ?? [],
      vb.proposal_result.after_simulated[k] ?? [],
    ])
      for (const x of l) if (!keys.includes(x.key)) keys.push(x.key);
    return keys.map((key) => {
      const wa = va.proposal_result.after_simulated[k]?.find((x) => x.key === key)?.weight ?? null;
      const wb = vb.proposal_result.after_simulated[k]?.find((x) => x.key === key)?.weight ?? null;
      return { key, wa, wb, delta: weightDelta(wa, wb) };
    });
  };
  return (
    <>
      <Table label="Versions table">
        <Columns names={['Version', 'Status at creation', 'Created by', 'Created', 'Intents']} />
        <tbody>
          {vs.map((v) => (
            <tr key={v.version_no}>
              <th scope="row">{v.version_no}</th>
              <td>
                <Badge value={v.status_at_creation} />
              </td>
              <td>{v.created_by}</td>
              <td>{when(v.created_at)}</td>
              <td class="num">{v.proposal_result.intents.length}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      {last < 2 ? (
        <Empty>Only one version so far: nothing to compare.</Empty>
      ) : (
        <>
          <div class="filters" role="group" aria-label="Versions to compare">
            <VersionSelect
              label="Compare version"
              versions={vs}
              value={pair[0]}
              onChange={(a) => setPair([a, pair[1]])}
            />
            <VersionSelect
              label="with version"
              versions={vs}
              value={pair[1]}
              onChange={(b) => setPair([pair[0], b])}
            />
          </div>
          <h3>
            Trades: version {pair[0]} → {pair[1]}
          </h3>
          <Table label="Trade differences table">
            <DiffHead first="Trade" pair={pair} />
            <tbody>
              {trades.map((t) => (
                <tr key={t.key} class={`diff-${t.change.toLowerCase()}`}>
                  <th scope="row">{t.key}</th>
                  <td class="num">{t.a}</td>
                  <td class="num">{t.b}</td>
                  <td>{t.change}</td>
                </tr>
              ))}
            </tbody>
          </Table>
          {(['allocation_by_asset_class', 'allocation_by_instrument'] as const).map((k) => (
            <>
              <h3>
                After-state {k === 'allocation_by_asset_class' ? 'by asset class' : 'by instrument'}: version{' '}
                {pair[0]} → {pair[1]}
              </h3>
              <Table
                label={`After-state differences ${k === 'allocation_by_asset_class' ? 'by asset class' : 'by instrument'} table`}
              >
                <DiffHead first="Key" pair={pair} />
                <tbody>
                  {allocKeys(k).map((r) => (
                    <tr key={r.key}>
                      <th scope="row">{r.key}</th>
                      <td class="num">{pct(r.wa ?? '0')}</td>
                      <td class="num">{pct(r.wb ?? '0')}</td>
                      <td class="num">{r.delta === '0' ? '–' : pct(r.delta)}</td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            </>
          ))}
          <details>
            <summary>All intents of version {pair[1]}</summary>
            <IntentsTable intents={vb.proposal_result.intents as never} />
          </details>
        </>
      )}
    </>
  );
}
