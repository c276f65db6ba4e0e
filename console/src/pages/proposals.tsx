/** /console/proposals: proposals by state, newest first, with paging. */
import { useState } from 'preact/hooks';
import { type Fetcher, query } from '../api';
import { when, words } from '../format';
import { BASE, link, navigate } from '../router';
import { AnySelect, Badge, Columns, Empty, Heading, Loading, Table, useLoad } from '../ui';
import { Pager } from './runs';

export const PROPOSAL_STATES = [
  'DRAFT',
  'RISK_REVIEW',
  'COMPLIANCE_REVIEW',
  'AWAITING_CLIENT_CONSENT',
  'EXECUTION_READY',
  'EXECUTED',
  'REJECTED',
  'EXPIRED',
  'CANCELLED',
];

interface ProposalSummary {
  proposal_id: string;
  portfolio_id: string;
  title: string | null;
  current_state: string;
  current_version_no: number;
  created_by: string;
  last_event_at: string;
}

export function ProposalsPage(props: { api: Fetcher; params: URLSearchParams }) {
  const { api, params } = props;
  const state = params.get('state') ?? '';
  const cursor = params.get('cursor') ?? '';
  const [form, setForm] = useState(state);
  const page = useLoad(
    () =>
      api<{ items: ProposalSummary[]; next_cursor: string | null }>(
        'GET',
        `/rebalance/proposals${query({ state, limit: 20, cursor })}`,
      ),
    [state, cursor],
  );
  return (
    <>
      <Heading>Proposals</Heading>
      <form
        class="filters"
        aria-label="Filter proposals"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`${BASE}/proposals${query({ state: form })}`);
        }}
      >
        <AnySelect label="State" value={form} options={PROPOSAL_STATES} show={words} onChange={setForm} />
        <button type="submit">Apply filter</button>
      </form>
      <Loading load={page} what="proposals">
        {(data) =>
          data.items.length === 0 ? (
            <Empty>No proposals{state ? ` in state ${words(state)}` : ''}.</Empty>
          ) : (
            <>
              <Table label="Proposals table">
                <caption class="visually-hidden">Proposals, newest first</caption>
                <Columns
                  names={['Proposal', 'Title', 'Portfolio', 'State', 'Version', 'Created by', 'Last event']}
                />
                <tbody>
                  {data.items.map((p) => (
                    <tr key={p.proposal_id}>
                      <td>
                        <a href={link('proposals', p.proposal_id)}>{p.proposal_id}</a>
                      </td>
                      <td>{p.title ?? '–'}</td>
                      <td>{p.portfolio_id}</td>
                      <td>
                        <Badge value={p.current_state} />
                      </td>
                      <td class="num">{p.current_version_no}</td>
                      <td>{p.created_by}</td>
                      <td>{when(p.last_event_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </Table>
              <Pager base={`${BASE}/proposals`} filters={{ state }} cursor={cursor} next={data.next_cursor} />
            </>
          )
        }
      </Loading>
    </>
  );
}
