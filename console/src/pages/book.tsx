/**
 * /console/books/{id}: a book's progress (polled while it runs), its summary and failed lines,
 * its exception queue, its block orders (gross, with allocations; FX blocks) and the CSV / FIX
 * exports, all from the book API.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, download, type Fetcher, type Identity, type Session } from '../api';
import { type BookData, bookDownloads, cancelBook, isLive, pace, percentDone, pollBook } from '../books-data';
import { when } from '../format';
import { link } from '../router';
import { Badge, Columns, Empty, Heading, Section, Table } from '../ui';

const errorMessage = (e: unknown) => (e instanceof ApiError ? e.message : String(e));

export function BookPage(props: { api: Fetcher; me: Identity; session: Session; id: string }) {
  const { api, me, session, id } = props;
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
      (e) => setError(errorMessage(e)),
    );
  }, [api, id, restart]);
  const cancel = async () => {
    try {
      const book = await cancelBook(api, id);
      setOutcome(`Cancelled: the book is now ${book.status}.`);
    } catch (e) {
      setOutcome(`Refused: ${e instanceof ApiError ? e.detail : String(e)}`);
    }
    setRestart((n) => n + 1);
  };
  const save = async (path: string, filename: string) => {
    try {
      await download(session, path, filename);
    } catch (e) {
      setOutcome(`Download refused: ${errorMessage(e)}`);
    }
  };
  // The permission the book API asks for POST …/cancel (the one that submits books).
  const canCancel = me.permissions.includes('rebalance:simulate');
  const book = data?.book;
  return (
    <>
      <Heading>Book {id}</Heading>
      <p>
        <a href={link('books')}>All books</a>
      </p>
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
      {data && book && (
        <>
          <Section id="progress" title="Progress">
            <dl class="facts">
              <div>
                <dt>Status</dt>
                <dd>
                  <Badge value={book.status} />
                </dd>
              </div>
              <div>
                <dt>Submitted</dt>
                <dd>
                  {when(book.created_at)}
                  {book.created_by ? ` by ${book.created_by}` : ''}
                </dd>
              </div>
              <div>
                <dt>Finished</dt>
                <dd>{when(book.finished_at)}</dd>
              </div>
              <div>
                <dt>Portfolios</dt>
                <dd>
                  {book.progress.portfolios_done} of {book.progress.portfolios_total}
                </dd>
              </div>
              <div>
                <dt>Ready / pending review / blocked</dt>
                <dd>
                  {book.progress.by_status.READY} / {book.progress.by_status.PENDING_REVIEW} /{' '}
                  {book.progress.by_status.BLOCKED}
                </dd>
              </div>
              <div>
                <dt>Failed lines</dt>
                <dd>{book.progress.failed_lines}</dd>
              </div>
              <div>
                <dt>Pace</dt>
                <dd>{pace(book)}</dd>
              </div>
            </dl>
            <label class="progress-label">
              Done
              <progress max={100} value={percentDone(book)} aria-valuetext={`${percentDone(book)}% done`}>
                {percentDone(book)}%
              </progress>
              {percentDone(book)}%
            </label>
            {book.error && (
              <p class="error" role="alert">
                The book failed: {book.error}
              </p>
            )}
            {isLive(book.status) && (
              <p class="muted" aria-live="polite">
                Updating every 2 seconds while the book runs.
              </p>
            )}
            {isLive(book.status) && canCancel && (
              <button type="button" class="secondary" onClick={() => void cancel()}>
                Cancel book
              </button>
            )}
            {outcome && <p role="status">{outcome}</p>}
          </Section>
          {book.summary && (
            <Section id="summary" title="Summary">
              <dl class="facts">
                <div>
                  <dt>Portfolio lines</dt>
                  <dd>{book.summary.portfolios}</dd>
                </div>
                <div>
                  <dt>Intents</dt>
                  <dd>{book.summary.totals.intents}</dd>
                </div>
                {Object.entries(book.summary.totals.by_base_currency).map(([ccy, t]) => (
                  <div key={ccy}>
                    <dt>Turnover ({ccy} portfolios)</dt>
                    <dd>
                      buys {t.buy_base} + sells {t.sell_base} = {t.turnover_base} {ccy}; FX {t.fx_base} {ccy}
                    </dd>
                  </div>
                ))}
              </dl>
              {book.summary.failed_lines.length > 0 && (
                <Table label="Failed lines table">
                  <Columns names={['Line', 'Why it was not run']} />
                  <tbody>
                    {book.summary.failed_lines.map((f) => (
                      <tr key={f.line}>
                        <th scope="row">{f.line}</th>
                        <td>{f.error}</td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              )}
            </Section>
          )}
          <Section id="exceptions" title="Exceptions">
            {isLive(book.status) && <p class="muted">Partial while the book runs.</p>}
            {data.exceptions.length === 0 ? (
              <Empty>No exceptions.</Empty>
            ) : (
              <Table label="Exceptions table">
                <Columns names={['Line', 'Portfolio', 'Status', 'Reason', 'Detail']} />
                <tbody>
                  {data.exceptions.map((e) => (
                    <tr key={`${e.line}-${e.reason}`}>
                      <th scope="row">{e.line}</th>
                      <td>{e.portfolio_id}</td>
                      <td>
                        <Badge value={e.status} />
                      </td>
                      <td>{e.reason}</td>
                      <td>
                        <code>{e.detail}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            )}
          </Section>
          <Section id="blocks" title="Block orders">
            {data.blocks === null ? (
              <Empty>
                {isLive(book.status)
                  ? 'Block orders are made once the book has finished.'
                  : `No block orders: the book ${book.status === 'FAILED' ? 'failed' : 'was cancelled'}.`}
              </Empty>
            ) : (
              <>
                <div class="downloads">
                  {bookDownloads(book).map((d) => (
                    <button
                      key={d.path}
                      type="button"
                      class="secondary"
                      onClick={() => void save(d.path, d.filename)}
                    >
                      Download {d.label}
                    </button>
                  ))}
                </div>
                {data.blocks.blocks.length === 0 ? (
                  <Empty>No security block orders.</Empty>
                ) : (
                  <Table label="Block orders table">
                    <Columns names={['Instrument', 'Side', 'Quantity', 'Allocations']} />
                    <tbody>
                      {data.blocks.blocks.map((b) => (
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
                {data.blocks.fx_blocks.length > 0 && <h3>FX block orders</h3>}
                {data.blocks.fx_blocks.length > 0 && (
                  <Table label="FX block orders table">
                    <Columns names={['Pair', 'Buy', 'Amount', 'Sell (estimated)', 'Allocations']} />
                    <tbody>
                      {data.blocks.fx_blocks.map((f) => (
                        <tr key={`${f.buy_currency}-${f.sell_currency}`}>
                          <th scope="row">{f.pair}</th>
                          <td>{f.buy_currency}</td>
                          <td class="num">{f.amount}</td>
                          <td class="num">
                            {f.sell_amount_estimated} {f.sell_currency}
                          </td>
                          <td>{f.allocations.map((a) => `${a.portfolio_id}: ${a.amount}`).join(', ')}</td>
                        </tr>
                      ))}
                    </tbody>
                  </Table>
                )}
              </>
            )}
          </Section>
        </>
      )}
    </>
  );
}
