/**
 * `/rebalance/books` (issue 16): submit a book as JSON Lines, follow its progress, read its
 * exception queue, block orders (JSON, CSV, FIX 4.4) and per-portfolio results, cancel it.
 * `rebalance:simulate` submits and cancels; `runs:read` reads. Every look-up is per tenant.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  bookAcceptedSchema,
  bookBlocksSchema,
  bookExceptionsSchema,
  bookPageSchema,
  bookPortfolioLineSchema,
  bookSchema,
  bookSharedLineSchema,
  BOOK_STATUSES,
} from '../../contracts/book.js';
import { boolean, integer } from '../../contracts/primitives.js';
import { bookCsv } from '../../book/csv.js';
import { bookFix, fixTimes } from '../../book/fix.js';
import { findBook, listBooks, cancelBook, type BookRow } from '../../store/books.js';
import { addAuditDetail } from '../audit.js';
import { type Env, envText } from '../config.js';
import { conflict, found, HttpError } from '../errors.js';
import { route } from '../route.js';
import { errorBody, idText, idempotencyKey, optionalText, validationOrDomainErrorBody } from '../schemas.js';
import { tenantOf } from '../tenancy.js';
import { policyPackIdHeader, tenantIdHeader } from '../dpm/schemas.js';
import type { PolicyPackService } from '../policies/service.js';
import type { BookService } from './service.js';
import { bookView } from './views.js';

const TAG = ['Books'];
export const BOOK_CONTENT_TYPES = ['application/x-ndjson', 'application/jsonl'];

const params = z.object({ book_id: idText('The book’s id.', 'bk_3f9a0c1d2e4b5a6c') });
const submitHeaders = z.object({
  'Idempotency-Key': idempotencyKey().optional(),
  'X-Policy-Pack-Id': policyPackIdHeader(),
  'X-Tenant-Id': tenantIdHeader(),
});
const listQuery = z.object({
  limit: integer({ ge: 1, le: 200 })
    .default(50)
    .meta({ description: 'Page size, 1–200.', examples: [50] }),
  cursor: optionalText('`next_cursor` of the previous page.', 'bk_3f9a0c1d2e4b5a6c').optional(),
  status: z.enum(BOOK_STATUSES).optional().meta({ description: 'Only books in this status.' }),
});
const blocksQuery = z.object({
  net: boolean()
    .default(false)
    .meta({ description: 'Net buys and sells per instrument (default: gross, per side).', examples: [true] }),
});

const bookLineDoc = z.union([bookSharedLineSchema, bookPortfolioLineSchema]).meta({
  id: 'BookLine',
  description:
    'One line of a book body (JSON Lines): line 1 a BookSharedLine, every further line a BookPortfolioLine.',
  examples: [
    {
      market_data_snapshot: {
        prices: [{ instrument_id: 'EQ_1', price: '100', currency: 'USD' }],
        fx_rates: [],
      },
      shelf_entries: [{ instrument_id: 'EQ_1', status: 'APPROVED' }],
      models: { balanced: { targets: [{ instrument_id: 'EQ_1', weight: '0.95' }] } },
      options: { cash_band_max_weight: '0.10' },
    },
    {
      portfolio_snapshot: {
        portfolio_id: 'pf_1',
        base_currency: 'USD',
        positions: [],
        cash_balances: [{ currency: 'USD', amount: '100000' }],
      },
      model_id: 'balanced',
    },
  ],
});

const notFound = { description: 'BOOK_NOT_FOUND.', schema: errorBody };
const notFinished = { description: 'BOOK_NOT_FINISHED: the book has not SUCCEEDED.', schema: errorBody };

export function bookRoutes(
  app: FastifyInstance,
  books: BookService,
  policies: PolicyPackService,
  env: Env,
): void {
  // The body is handed to the route as the raw stream: the service reads it line by line.
  app.addContentTypeParser(BOOK_CONTENT_TYPES, (_request, payload, done) => done(null, payload));

  const load = async (tenant: string, id: string) =>
    found(await findBook(books.db, tenant, id), 'BOOK_NOT_FOUND');
  const finished = (book: BookRow) => {
    if (book.status !== 'SUCCEEDED') throw conflict('BOOK_NOT_FINISHED');
    return book;
  };
  const now = () => new Date();

  route(app, {
    method: 'POST',
    permission: 'rebalance:simulate',
    url: '/rebalance/books',
    recordsActor: true,
    tags: TAG,
    summary: 'Submit a book rebalance',
    description:
      'The body is JSON Lines (Content-Type application/x-ndjson or application/jsonl), read as it streams in: line 1 ' +
      'the shared part (market_data_snapshot, shelf_entries, models id → {targets}, options), then one portfolio per ' +
      'line (portfolio_snapshot, model_id, optional options merged over the shared ones). A bad line 1 is a 422 and ' +
      'nothing is stored; a bad portfolio line is recorded in summary.failed_lines and the rest run. The book is cut ' +
      'into chunks run by every serve and worker process on the database. With DPM_POLICY_PACKS_ENABLED, the pack ' +
      'selected by X-Policy-Pack-Id, the tenant default or DPM_DEFAULT_POLICY_PACK_ID is resolved now, stored with ' +
      'the book and applied to every portfolio’s merged options exactly as POST /rebalance/simulate applies it ' +
      '(later catalog changes do not affect the book); the book’s policy_pack names it. The same Idempotency-Key ' +
      'with the same body (and pack) returns the first book (200); with another body or pack, 409.',
    headers: submitHeaders,
    streamedBody: { contentTypes: BOOK_CONTENT_TYPES, schema: bookLineDoc },
    responses: {
      202: {
        description: 'Accepted and queued.',
        schema: bookAcceptedSchema,
        headers: {
          Location: {
            description: 'The book’s URL.',
            schema: z.string().meta({ examples: ['/rebalance/books/bk_3f9a0c1d2e4b5a6c'] }),
          },
        },
      },
      200: {
        description: 'Idempotent replay: the book this key created from the same body.',
        schema: bookAcceptedSchema,
      },
      409: {
        description:
          'IDEMPOTENCY_KEY_CONFLICT: the key was used with another body, or IDEMPOTENCY_KEY_CONFLICT: policy pack ' +
          'mismatch (under another policy pack or pack version).',
        schema: errorBody,
      },
      403: { description: 'FORBIDDEN: missing permission …, or TENANT_MISMATCH.', schema: errorBody },
      415: {
        description: 'UNSUPPORTED_MEDIA_TYPE: send application/x-ndjson or application/jsonl.',
        schema: errorBody,
      },
      422: {
        description: 'Invalid headers or shared line (field list), or no portfolio line.',
        schema: validationOrDomainErrorBody,
      },
    },
    handler: async ({ request, reply, headers }) => {
      const body = request.body as unknown;
      if (!(body instanceof Readable)) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE');
      // Resolved at submission, as an async operation's pack (docs/decisions/0034, 0073).
      const policy = await policies.forRequest(request, headers);
      const { book, created } = await books.submit(
        tenantOf(request),
        request.actor ?? null,
        headers['Idempotency-Key'],
        body,
        policy,
      );
      const view = bookView(book, now());
      addAuditDetail(request, {
        book_id: book.book_id,
        portfolios: book.portfolios_total,
        policy_pack: view.policy_pack,
      });
      reply.status(created ? 202 : 200).header('Location', view.links.self);
      return { book_id: view.book_id, status: view.status, progress: view.progress, links: view.links };
    },
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/books',
    tags: TAG,
    summary: 'List books',
    description: 'Newest first, keyset-paged; optionally one status only.',
    query: listQuery,
    responses: { 200: { description: 'A page of books.', schema: bookPageSchema } },
    handler: async ({ request, query }) => {
      const page = await listBooks(books.db, tenantOf(request), {
        status: query.status,
        cursor: query.cursor || undefined,
        limit: query.limit,
      });
      return { items: page.items.map((b) => bookView(b, now())), next_cursor: page.next_cursor };
    },
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/books/:book_id',
    tags: TAG,
    summary: 'Get a book: status, progress, summary',
    params,
    responses: { 200: { description: 'The book.', schema: bookSchema }, 404: notFound },
    handler: async ({ request, params: p }) => bookView(await load(tenantOf(request), p.book_id), now()),
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/books/:book_id/exceptions',
    tags: TAG,
    summary: 'The book’s exception queue',
    description:
      'Portfolios BLOCKED or PENDING_REVIEW, not traded although the engine wanted to (trades suppressed or dropped), ' +
      'or with cash above or below the cash band; in input order. Partial while the book runs.',
    params,
    responses: { 200: { description: 'The exceptions.', schema: bookExceptionsSchema }, 404: notFound },
    handler: async ({ request, params: p }) =>
      books.exceptions((await load(tenantOf(request), p.book_id)).book_id),
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/books/:book_id/blocks',
    tags: TAG,
    summary: 'Block orders with allocations',
    description:
      'Security intents aggregated per instrument and side (net=true: per instrument, opposite sides crossed), FX per ' +
      'pair and direction; every block is the exact sum of its allocations.',
    params,
    query: blocksQuery,
    responses: {
      200: { description: 'The blocks.', schema: bookBlocksSchema },
      404: notFound,
      409: notFinished,
    },
    handler: async ({ request, params: p, query }) =>
      books.blocks(finished(await load(tenantOf(request), p.book_id)).book_id, query.net),
  });

  const fixOptions = (book: BookRow) => ({
    senderCompId: envText(env, 'KEEL_FIX_SENDER_COMP_ID') ?? 'KEEL',
    targetCompId: envText(env, 'KEEL_FIX_TARGET_COMP_ID') ?? 'BROKER',
    ...fixTimes((book.finished_at ?? book.created_at).toISOString()),
    idPrefix: book.book_id,
  });
  /** A finished book's gross blocks as a download named `<book_id>.<extension>`. */
  const sendOrders = async (
    request: FastifyRequest,
    reply: FastifyReply,
    bookId: string,
    file: { contentType: string; extension: string },
    render: (book: BookRow, orders: Awaited<ReturnType<BookService['blocks']>>) => string,
  ) => {
    const book = finished(await load(tenantOf(request), bookId));
    const orders = await books.blocks(book.book_id, false);
    return reply
      .type(`${file.contentType}; charset=utf-8`)
      .header('Content-Disposition', `attachment; filename="${book.book_id}.${file.extension}"`)
      .send(render(book, orders));
  };

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/books/:book_id/orders.csv',
    tags: TAG,
    summary: 'Block orders as CSV',
    description:
      'One row per allocation: block_id, kind (SECURITY or FX), instrument_id (or pair), side, block_quantity, currency, ' +
      'portfolio_id, allocation_quantity. Gross blocks.',
    params,
    responses: {
      200: {
        description: 'The CSV file.',
        media: {
          contentType: 'text/csv',
          example:
            'block_id,kind,instrument_id,side,block_quantity,currency,portfolio_id,allocation_quantity\nbk_1-S1,SECURITY,EQ_1,BUY,30,,pf_1,10\n',
        },
      },
      404: notFound,
      409: notFinished,
    },
    handler: ({ request, reply, params: p }) =>
      sendOrders(request, reply, p.book_id, { contentType: 'text/csv', extension: 'csv' }, (book, o) =>
        bookCsv(o.blocks, o.fx_blocks, book.book_id),
      ),
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/books/:book_id/orders.fix',
    tags: TAG,
    summary: 'Block orders as FIX 4.4',
    description:
      'Per gross block a NewOrderSingle (35=D) and an AllocationInstruction (35=J, preliminary) with its allocations; ' +
      'one message per line, SOH-delimited, BodyLength and CheckSum computed. SenderCompID/TargetCompID from ' +
      'KEEL_FIX_SENDER_COMP_ID / KEEL_FIX_TARGET_COMP_ID.',
    params,
    responses: {
      200: {
        description: 'The FIX messages.',
        media: {
          contentType: 'text/plain',
          example: '8=FIX.4.4\u00019=99\u000135=D\u000149=KEEL\u000156=BROKER\u000134=1\u0001…10=123\u0001\n',
        },
      },
      404: notFound,
      409: notFinished,
    },
    handler: ({ request, reply, params: p }) =>
      sendOrders(request, reply, p.book_id, { contentType: 'text/plain', extension: 'fix' }, (book, o) =>
        bookFix(o.blocks, o.fx_blocks, fixOptions(book)),
      ),
  });

  route(app, {
    method: 'GET',
    permission: 'runs:read',
    url: '/rebalance/books/:book_id/results',
    tags: TAG,
    summary: 'Per-portfolio simulate results (JSON Lines)',
    description:
      'One line per portfolio line, in input order: the simulate result recomputed from the stored inputs, identical ' +
      'to `keel simulate` of that portfolio’s body alone (run id and hash derived from the request), or ' +
      '{"line", "error"} for a failed line. Streamed.',
    params,
    responses: {
      200: {
        description: 'JSON Lines.',
        media: {
          contentType: 'application/x-ndjson',
          example: '{"rebalance_run_id":"rr_…","status":"READY",…}\n',
        },
      },
      404: notFound,
      409: notFinished,
    },
    handler: async ({ request, reply, params: p }) => {
      const book = finished(await load(tenantOf(request), p.book_id));
      const source = books.results(book);
      const lines = Readable.from(
        (async function* () {
          for await (const text of source) yield `${text}\n`;
        })(),
      );
      return reply.type('application/x-ndjson; charset=utf-8').send(lines);
    },
  });

  route(app, {
    method: 'POST',
    permission: 'rebalance:simulate',
    url: '/rebalance/books/:book_id/cancel',
    recordsActor: true,
    tags: TAG,
    summary: 'Cancel a book',
    description:
      'QUEUED or RUNNING → CANCELLED: no further chunk is recorded (a chunk already running finishes and is discarded). ' +
      'Cancelling a CANCELLED book again returns it unchanged; a SUCCEEDED or FAILED book is 409.',
    params,
    responses: {
      200: { description: 'The cancelled book.', schema: bookSchema },
      404: notFound,
      409: { description: 'BOOK_NOT_CANCELLABLE: it already SUCCEEDED or FAILED.', schema: errorBody },
    },
    handler: async ({ request, params: p }) => {
      const tenant = tenantOf(request);
      const book = await load(tenant, p.book_id);
      addAuditDetail(request, { book_id: book.book_id });
      if (book.status === 'CANCELLED') return bookView(book, now());
      if (!(await cancelBook(books.db, tenant, book.book_id, now()))) {
        const current = await load(tenant, p.book_id);
        if (current.status !== 'CANCELLED') throw conflict('BOOK_NOT_CANCELLABLE');
        return bookView(current, now());
      }
      return bookView(await load(tenant, p.book_id), now());
    },
  });
}
