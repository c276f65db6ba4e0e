/**
 * The book rebalance contracts (issue 16). A book is JSON Lines: line 1 is the shared part
 * (market data, shelf, named models, common options), every further line one portfolio naming
 * its model and, optionally, option overrides merged over the shared ones key by key. Options
 * are the engine's own (`engineOptionsFields`), so any engine option flows through unchanged.
 * The response documents of the book operation are declared here too.
 */
import { z } from 'zod';
import {
  engineOptionsFields,
  marketDataSnapshotSchema,
  modelPortfolioSchema,
  portfolioSnapshotSchema,
  shelfEntrySchema,
} from './dpm-request.js';
import { appliedPolicyPackSchema } from './dpm-result.js';
import { list, object, record, string } from './primitives.js';

/**
 * Options on a book line, kept as written: shared and per-portfolio options are merged key by
 * key (per-portfolio wins) into each portfolio's simulate body, which validates them exactly as
 * /rebalance/simulate does (`engineOptionsFields`, defaults applied once, after the merge). The
 * shared options are also checked on their own at submission (`bookOptionsSchema`).
 */
const optionOverrides = () =>
  z
    .record(z.string(), z.unknown())
    .meta({ description: 'Engine options (EngineOptions fields); validated after merging.', examples: [{}] });

/** Line 1 of a book. */
export const bookSharedLineSchema = object({
  market_data_snapshot: marketDataSnapshotSchema,
  shelf_entries: list(shelfEntrySchema),
  models: record(modelPortfolioSchema).check((payload) => {
    if (Object.keys(payload.value).length === 0)
      payload.issues.push({
        code: 'custom',
        message: 'Value error, models must name at least one model',
        input: payload.value,
        params: { type: 'value_error' },
      });
  }),
  options: optionOverrides().default(() => ({})),
}).meta({
  id: 'BookSharedLine',
  description:
    'Line 1 of a book: one market-data snapshot, one shelf, the named models (id → {targets}) and the options every portfolio starts from.',
});

/** Lines 2…n of a book. */
export const bookPortfolioLineSchema = object({
  portfolio_snapshot: portfolioSnapshotSchema,
  model_id: string(),
  options: optionOverrides().optional(),
}).meta({
  id: 'BookPortfolioLine',
  description: 'One portfolio of a book: its snapshot, the model it follows, optional option overrides.',
});

/** The engine option rules, for documentation and for checking shared options at submission. */
export const bookOptionsSchema = object(engineOptionsFields);

export const BOOK_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type BookStatus = (typeof BOOK_STATUSES)[number];

const text = (description: string, example: string) => z.string().meta({ description, examples: [example] });
const int = (description: string, example: number) =>
  z
    .number()
    .int()
    .meta({ description, examples: [example] });
const status = z
  .enum(['READY', 'PENDING_REVIEW', 'BLOCKED'])
  .meta({ description: 'The portfolio’s run status.' });

export const failedLineSchema = z
  .object({
    line: int('Line number in the submitted body (1-based; line 1 is the shared part).', 7),
    error: text(
      'Why the line was not run: field and message.',
      'portfolio_snapshot.base_currency: Field required',
    ),
  })
  .meta({ id: 'BookFailedLine', description: 'A portfolio line that could not be run.' });

const byStatusSchema = z
  .object({
    READY: int('Portfolios READY.', 9120),
    PENDING_REVIEW: int('Portfolios PENDING_REVIEW.', 850),
    BLOCKED: int('Portfolios BLOCKED.', 28),
  })
  .meta({ id: 'BookStatusCounts', description: 'Portfolios per run status.' });

const sums = z
  .object({
    turnover_base: text('Buys plus sells.', '812345.10'),
    buy_base: text('Security buys.', '406172.55'),
    sell_base: text('Security sells.', '406172.55'),
    fx_base: text('FX spot amounts.', '120000.00'),
  })
  .meta({ id: 'BookCurrencyTotals', description: 'Sums in one base currency.' });

export const bookTotalsSchema = z
  .object({
    base_currency: text(
      'The base currency of every portfolio; null when the book mixes base currencies.',
      'USD',
    ).nullable(),
    turnover_base: text(
      'Buys plus sells in base currency (null when base currencies are mixed).',
      '812345.10',
    ).nullable(),
    buy_base: text('Security buys in base currency (null when mixed).', '406172.55').nullable(),
    sell_base: text('Security sells in base currency (null when mixed).', '406172.55').nullable(),
    fx_base: text('FX spot amounts in base currency (null when mixed).', '120000.00').nullable(),
    intents: int('Security and FX intents of the book.', 412),
    by_base_currency: z
      .record(z.string(), sums)
      .meta({ description: 'The same sums per portfolio base currency.', examples: [{}] }),
  })
  .meta({ id: 'BookTotals', description: 'Turnover and FX totals of the book.' });

export const bookSummarySchema = z
  .object({
    portfolios: int('Portfolio lines in the book (failed ones included).', 10000),
    by_status: byStatusSchema,
    failed_lines: z.array(failedLineSchema).meta({ description: 'Lines not run, in line order.' }),
    totals: bookTotalsSchema,
  })
  .meta({ id: 'BookSummary', description: 'The outcome of a finished book.' });

export const bookProgressSchema = z
  .object({
    portfolios_total: int('Portfolio lines in the book.', 10000),
    portfolios_done: int('Portfolios run or failed so far.', 4500),
    by_status: byStatusSchema,
    failed_lines: int('Lines that failed so far.', 2),
    rate_per_second: z
      .number()
      .nullable()
      .meta({ description: 'Portfolios per second since the book started.', examples: [1250.5] }),
    eta_seconds: z
      .number()
      .nullable()
      .meta({ description: 'Estimated seconds left at that rate (null when not running).', examples: [4.4] }),
  })
  .meta({ id: 'BookProgress', description: 'Where a book stands.' });

export const bookLinksSchema = z
  .object({
    self: text('This book.', '/rebalance/books/bk_3f9a0c1d2e4b5a6c'),
    exceptions: text('Its exception queue.', '/rebalance/books/bk_3f9a0c1d2e4b5a6c/exceptions'),
    blocks: text('Its block orders.', '/rebalance/books/bk_3f9a0c1d2e4b5a6c/blocks'),
    results: text('Per-portfolio results (JSON Lines).', '/rebalance/books/bk_3f9a0c1d2e4b5a6c/results'),
    orders_csv: text('Block orders as CSV.', '/rebalance/books/bk_3f9a0c1d2e4b5a6c/orders.csv'),
    orders_fix: text('Block orders as FIX 4.4.', '/rebalance/books/bk_3f9a0c1d2e4b5a6c/orders.fix'),
    cancel: text('Cancel it.', '/rebalance/books/bk_3f9a0c1d2e4b5a6c/cancel'),
  })
  .meta({ id: 'BookLinks', description: 'Where to read the book’s documents.' });

const bookStatus = z.enum(BOOK_STATUSES).meta({ description: 'Where the book is in its life.' });

export const bookSchema = z
  .object({
    book_id: text('The book’s id.', 'bk_3f9a0c1d2e4b5a6c'),
    status: bookStatus,
    created_at: text('When the book was accepted.', '2026-12-01T07:00:00.000Z'),
    created_by: text('Who submitted it (the token’s actor).', 'pm-anna').nullable(),
    started_at: text('When the first chunk started.', '2026-12-01T07:00:00.150Z').nullable(),
    finished_at: text('When it ended (any final status).', '2026-12-01T07:00:08.020Z').nullable(),
    progress: bookProgressSchema,
    summary: bookSummarySchema.nullable().meta({ description: 'The outcome, once SUCCEEDED.' }),
    error: text('Why the book FAILED.', 'a chunk failed 4 times').nullable(),
    policy_pack: appliedPolicyPackSchema.meta({
      description:
        'The DPM policy pack resolved when the book was submitted and applied to every portfolio (as ' +
        '/rebalance/simulate applies it; each result’s lineage.policy_pack names it); null when none was selected.',
    }),
    links: bookLinksSchema,
  })
  .meta({ id: 'Book', description: 'A book rebalance operation.' });

export const bookAcceptedSchema = z
  .object({
    book_id: text('The book’s id.', 'bk_3f9a0c1d2e4b5a6c'),
    status: bookStatus,
    progress: bookProgressSchema,
    links: bookLinksSchema,
  })
  .meta({ id: 'BookAccepted', description: 'A book was accepted and queued.' });

export const bookPageSchema = z
  .object({
    items: z.array(bookSchema).meta({ description: 'Books, newest first.' }),
    next_cursor: text(
      'Pass as `cursor` for the next page; null on the last.',
      'bk_1a2b3c4d5e6f7a8b',
    ).nullable(),
  })
  .meta({ id: 'BookPage', description: 'A page of books, newest first.' });

export const EXCEPTION_REASONS = [
  'BLOCKED',
  'PENDING_REVIEW',
  'NOT_TRADED_OUTSIDE_TOLERANCE',
  'HIGH_CASH',
  'LOW_CASH',
] as const;

export const bookExceptionSchema = z
  .object({
    portfolio_id: text('The portfolio.', 'pf_000123'),
    line: int('Its line in the submitted body.', 124),
    status,
    reason: z.enum(EXCEPTION_REASONS).meta({ description: 'Why it is listed.' }),
    detail: text('Failed rules, reason codes or figures.', 'CASH_BAND:CASH_BAND_BREACH'),
  })
  .meta({ id: 'BookException', description: 'A portfolio that needs a look.' });

export const bookExceptionsSchema = z
  .object({ items: z.array(bookExceptionSchema).meta({ description: 'In input order.' }) })
  .meta({ id: 'BookExceptions', description: 'The exception queue of a book.' });

const allocationSchema = z
  .object({
    portfolio_id: text('The portfolio.', 'pf_000123'),
    quantity: text('Its quantity (negative: crossed against the block in a netted block).', '120'),
  })
  .meta({ id: 'BookAllocation', description: 'One portfolio’s share of a block.' });

export const blockSchema = z
  .object({
    instrument_id: text('The instrument.', 'INS_00012'),
    side: z.enum(['BUY', 'SELL']).meta({ description: 'Side of the block.' }),
    quantity: text('Sum of the allocations, exactly.', '4820'),
    allocations: z.array(allocationSchema).meta({ description: 'Per portfolio, in input order.' }),
  })
  .meta({ id: 'BookBlock', description: 'One block order.' });

const fxAllocationSchema = z
  .object({
    portfolio_id: text('The portfolio.', 'pf_000123'),
    amount: text('Its buy-currency amount.', '15000.00'),
    sell_amount_estimated: text('Its estimated sell-currency amount.', '13824.88'),
  })
  .meta({ id: 'BookFxAllocation', description: 'One portfolio’s share of an FX block.' });

export const fxBlockSchema = z
  .object({
    pair: text('The pair as the engine quoted it.', 'EUR/USD'),
    buy_currency: text('Currency bought.', 'EUR'),
    sell_currency: text('Currency sold.', 'USD'),
    amount: text('Buy-currency amount: the sum of the allocations, exactly.', '250000.00'),
    sell_amount_estimated: text('Estimated sell-currency amount.', '271250.00'),
    allocations: z.array(fxAllocationSchema).meta({ description: 'Per portfolio, in input order.' }),
  })
  .meta({ id: 'BookFxBlock', description: 'FX spot aggregated per currency pair and direction.' });

export const bookBlocksSchema = z
  .object({
    net: z
      .boolean()
      .meta({ description: 'Whether security blocks are netted per instrument.', examples: [false] }),
    blocks: z.array(blockSchema).meta({ description: 'Security blocks, by instrument then side.' }),
    fx_blocks: z.array(fxBlockSchema).meta({ description: 'FX blocks, by buy then sell currency.' }),
  })
  .meta({ id: 'BookBlocks', description: 'Block orders with their allocations.' });

export type BookShared = z.output<typeof bookSharedLineSchema>;
export type BookSummary = z.output<typeof bookSummarySchema>;
export type BookException = z.output<typeof bookExceptionSchema>;
export type Block = z.output<typeof blockSchema>;
export type FxBlock = z.output<typeof fxBlockSchema>;
