/** /console/books/{id}: a book's progress (polled while it runs), its exceptions and block orders. */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Fetcher, type Identity } from '../api';
import { type BookData, cancelBook, isLive, percentDone, pollBook } from '../books-data';
import { when } from '../format';
import { Badge, Empty, Heading, Section, Table } from '../ui';

export function BookPage(props: { api: Fetcher; me: Identity; id: string }) {
  const { api, me, id } = props;
  const [data, setData] = useState<BookData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [restart, setRestart] = useState(0);
  const [outcome, setOutcome] = useState<string | null>(null);
  useEffect(() => {
    setError(null);
    return pollBook(
      api,
      id,
      (d) => {
        setData(d);
        setError(null);
      },
      (e) => setError(e instanceof ApiError ? e.message : String(e)),
    );
  }, [api, id, restart]);
  const cancel = async () => {
    try {
      await cancelBook(api, id);
      setOutcome('Cancellation requested.');
      setRestart((n) => n + 1);
    } catch (e) {
      setOutcome(`Refused: ${e instanceof ApiError ? e.detail : String(e)}`);
    }
  };
  const canCancel = me.permissions.includes('rebalance:simulate');
  return (
    <>
      <Heading>Book {id}</Heading>
      {error && (
        <p class="error" role="alert">
          Could not load the book: {error}
        </p>
      )}
      {!data && !error && (
        <p class="muted" role="status">
          Loading the book…
        </p>
      )}
      {data && (
        <>
          <Section id="progress" title="Progress">
            <dl class="facts">
              <div>
                <dt>Status</dt>
                <dd>
                  <Badge value={data.book.status} />
                </dd>
              </div>
              <div>
                <dt>Created</dt>
                <dd>{when(data.book.created_at)}</dd>
              </div>
              <div>
                <dt>Portfolios</dt>
                <dd>
                  {data.book.progress.portfolios_done} of {data.book.progress.portfolios_total}
                </dd>
              </div>
              <div>
                <dt>Ready / pending review / blocked</dt>
                <dd>
                  {data.book.progress.by_status.READY} / {data.book.progress.by_status.PENDING_REVIEW} /{' '}
                  {data.book.progress.by_status.BLOCKED}
                </dd>
              </div>
              <div>
                <dt>Failed lines</dt>
                <dd>{data.book.progress.failed_lines}</dd>
              </div>
              <div>
                <dt>Rate, time left</dt>
                <dd>
                  {data.book.progress.rate_per_second ?? '–'} per second, ETA{' '}
                  {data.book.progress.eta_seconds ?? '–'} s
                </dd>
              </div>
            </dl>
            <label class="progress-label">
              Done
              <progress
                max={100}
                value={percentDone(data.book)}
                aria-valuetext={`${percentDone(data.book)}% done`}
              >
                {percentDone(data.book)}%
              </progress>
              {percentDone(data.book)}%
            </label>
            {isLive(data.book.status) && (
              <p class="muted" aria-live="polite">
                Updating every 2 seconds while the book runs.
              </p>
            )}
            {isLive(data.book.status) && canCancel && (
              <button type="button" class="secondary" onClick={() => void cancel()}>
                Cancel book
              </button>
            )}
            {outcome && <p role="status">{outcome}</p>}
          </Section>
          <Section id="exceptions" title="Exceptions">
            {data.exceptions.length === 0 ? (
              <Empty>No exceptions.</Empty>
            ) : (
              <Table label="Exceptions table">
                <thead>
                  <tr>
                    <th scope="col">Line</th>
                    <th scope="col">Portfolio</th>
                    <th scope="col">Status</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Detail</th>
                  </tr>
                </thead>
                <tbody>
                  {data.exceptions.map((e) => (
                    <tr key={`${e.line}-${e.portfolio_id}`}>
                      <th scope="row">{e.line}</th>
                      <td>{e.portfolio_id}</td>
                      <td>
                        <Badge value={e.status} />
                      </td>
                      <td>{e.reason}</td>
                      <td>
                        <code>{typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail)}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            )}
          </Section>
          <Section id="blocks" title="Block orders">
            {data.blocks.length === 0 ? (
              <Empty>No block orders.</Empty>
            ) : (
              <Table label="Block orders table">
                <thead>
                  <tr>
                    <th scope="col">Instrument</th>
                    <th scope="col">Side</th>
                    <th scope="col">Quantity</th>
                    <th scope="col">Allocations</th>
                  </tr>
                </thead>
                <tbody>
                  {data.blocks.map((b) => (
                    <tr key={`${b.instrument_id}-${b.side}`}>
                      <th scope="row">{b.instrument_id}</th>
                      <td>{b.side}</td>
                      <td class="num">{b.quantity}</td>
                      <td>{b.allocations.map((a) => `${a.portfolio_id}: ${a.quantity}`).join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            )}
            {data.fx_blocks.length > 0 && (
              <>
                <h3>FX blocks</h3>
                <ul>
                  {data.fx_blocks.map((f) => (
                    <li>
                      <code>{JSON.stringify(f)}</code>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </Section>
        </>
      )}
    </>
  );
}
