/** /console/books: the tenant's books, newest first, filtered by status, keyset-paged; all in the URL. */
import { useState } from 'preact/hooks';
import { type Fetcher, query } from '../api';
import { BOOK_STATUSES, listBooks } from '../books-data';
import { when } from '../format';
import { BASE, link, navigate } from '../router';
import { AnySelect, Badge, Columns, Empty, Heading, Loading, Table, useLoad } from '../ui';
import { Pager } from './runs';

const PAGE = 20;

export function BooksPage(props: { api: Fetcher; params: URLSearchParams }) {
  const { api, params } = props;
  const status = params.get('status') ?? '';
  const cursor = params.get('cursor') ?? '';
  const [form, setForm] = useState(status);
  const page = useLoad(() => listBooks(api, { status, cursor, limit: PAGE }), [status, cursor]);
  return (
    <>
      <Heading>Books</Heading>
      <form
        class="filters"
        aria-label="Filter books"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`${BASE}/books${query({ status: form })}`);
        }}
      >
        <AnySelect label="Status" value={form} options={BOOK_STATUSES} onChange={setForm} />
        <button type="submit">Apply filters</button>
      </form>
      <Loading load={page} what="books">
        {(data) =>
          data.items.length === 0 ? (
            <Empty>No books match these filters.</Empty>
          ) : (
            <>
              <Table label="Books table">
                <caption class="visually-hidden">Books, newest first</caption>
                <Columns
                  names={[
                    'Book',
                    'Status',
                    'Portfolios done',
                    'Ready / pending review / blocked',
                    'Failed lines',
                    'Submitted',
                  ]}
                />
                <tbody>
                  {data.items.map((b) => (
                    <tr key={b.book_id}>
                      <td>
                        <a href={link('books', b.book_id)}>{b.book_id}</a>
                      </td>
                      <td>
                        <Badge value={b.status} />
                      </td>
                      <td class="num">
                        {b.progress.portfolios_done} of {b.progress.portfolios_total}
                      </td>
                      <td class="num">
                        {b.progress.by_status.READY} / {b.progress.by_status.PENDING_REVIEW} /{' '}
                        {b.progress.by_status.BLOCKED}
                      </td>
                      <td class="num">{b.progress.failed_lines}</td>
                      <td>
                        {when(b.created_at)}
                        {b.created_by ? ` by ${b.created_by}` : ''}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </Table>
              <Pager base={`${BASE}/books`} filters={{ status }} cursor={cursor} next={data.next_cursor} />
            </>
          )
        }
      </Loading>
    </>
  );
}
