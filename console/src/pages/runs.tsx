/** /console/runs: stored runs with filters (status, portfolio, date) and keyset paging; all in the URL. */
import { useState } from 'preact/hooks';
import { type Fetcher, query } from '../api';
import { when } from '../format';
import { BASE, link, navigate } from '../router';
import { AnySelect, Badge, Columns, Empty, Heading, Loading, Table, useLoad } from '../ui';

interface RunSummary {
  rebalance_run_id: string;
  portfolio_id: string;
  status: string;
  created_at: string;
  correlation_id: string;
}

export const RUN_STATUSES = ['READY', 'PENDING_REVIEW', 'BLOCKED'];
const PAGE = 20;

export function RunsPage(props: { api: Fetcher; params: URLSearchParams }) {
  const { api, params } = props;
  const status = params.get('status') ?? '';
  const portfolio = params.get('portfolio_id') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const cursor = params.get('cursor') ?? '';
  const [form, setForm] = useState({ status, portfolio, from, to });
  const page = useLoad(
    () =>
      api<{ items: RunSummary[]; next_cursor: string | null }>(
        'GET',
        `/rebalance/runs${query({
          status,
          portfolio_id: portfolio,
          from: from ? `${from}T00:00:00Z` : '',
          to: to ? `${to}T23:59:59.999Z` : '',
          limit: PAGE,
          cursor,
        })}`,
      ),
    [status, portfolio, from, to, cursor],
  );
  const filters = { status, portfolio_id: portfolio, from, to };
  const apply = (e: Event) => {
    e.preventDefault();
    navigate(
      `${BASE}/runs${query({ status: form.status, portfolio_id: form.portfolio.trim(), from: form.from, to: form.to })}`,
    );
  };
  return (
    <>
      <Heading>Runs</Heading>
      <form class="filters" onSubmit={apply} aria-label="Filter runs">
        <AnySelect
          label="Status"
          value={form.status}
          options={RUN_STATUSES}
          onChange={(value) => setForm({ ...form, status: value })}
        />
        <label>
          Portfolio
          <input
            type="text"
            value={form.portfolio}
            placeholder="portfolio id"
            onInput={(e) => setForm({ ...form, portfolio: e.currentTarget.value })}
          />
        </label>
        <label>
          From date
          <input
            type="date"
            value={form.from}
            onInput={(e) => setForm({ ...form, from: e.currentTarget.value })}
          />
        </label>
        <label>
          To date
          <input
            type="date"
            value={form.to}
            onInput={(e) => setForm({ ...form, to: e.currentTarget.value })}
          />
        </label>
        <button type="submit">Apply filters</button>
      </form>
      <Loading load={page} what="runs">
        {(data) =>
          data.items.length === 0 ? (
            <Empty>No runs match these filters.</Empty>
          ) : (
            <>
              <Table label="Runs table">
                <caption class="visually-hidden">Runs, newest first</caption>
                <Columns names={['Run', 'Portfolio', 'Status', 'Created']} />
                <tbody>
                  {data.items.map((r) => (
                    <tr key={r.rebalance_run_id}>
                      <td>
                        <a href={link('runs', r.rebalance_run_id)}>{r.rebalance_run_id}</a>
                      </td>
                      <td>{r.portfolio_id}</td>
                      <td>
                        <Badge value={r.status} />
                      </td>
                      <td>{when(r.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </Table>
              <Pager base={`${BASE}/runs`} filters={filters} cursor={cursor} next={data.next_cursor} />
            </>
          )
        }
      </Loading>
    </>
  );
}

export function Pager(props: {
  base: string;
  filters: Record<string, string>;
  cursor: string;
  next: string | null;
}) {
  return (
    <nav class="pager" aria-label="Pages">
      {props.cursor && <a href={`${props.base}${query(props.filters)}`}>First page</a>}
      {props.next && (
        <a href={`${props.base}${query({ ...props.filters, cursor: props.next })}`}>Next page</a>
      )}
    </nav>
  );
}
