/**
 * The `books` namespace (issue 16): book rebalance operations, their input lines (kept as sent,
 * so every result can be recomputed), the chunks the queue works on, and one compact result row
 * per portfolio line. A chunk's result rows and its DONE mark are written in one transaction,
 * so a chunk is recorded exactly once however often it runs (docs/decisions/0071).
 */
import type { Migration } from '../migrations.js';

const BASELINE = `
CREATE TABLE rebalance_books (
  book_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  status TEXT NOT NULL,
  idempotency_key TEXT,
  body_hash TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  created_by TEXT,
  started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ,
  shared_json TEXT NOT NULL,
  portfolios_total INTEGER NOT NULL DEFAULT 0,
  portfolios_done INTEGER NOT NULL DEFAULT 0,
  ready INTEGER NOT NULL DEFAULT 0,
  pending_review INTEGER NOT NULL DEFAULT 0,
  blocked INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  chunks_total INTEGER NOT NULL DEFAULT 0,
  chunks_done INTEGER NOT NULL DEFAULT 0,
  summary_json TEXT,
  error_json TEXT
);
CREATE UNIQUE INDEX rebalance_books_idempotency ON rebalance_books (tenant_id, idempotency_key);
CREATE INDEX rebalance_books_created ON rebalance_books (tenant_id, created_at DESC, book_id DESC);

CREATE TABLE rebalance_book_lines (
  book_id TEXT NOT NULL REFERENCES rebalance_books (book_id) ON DELETE CASCADE,
  line_no INTEGER NOT NULL,
  line_json TEXT NOT NULL,
  PRIMARY KEY (book_id, line_no)
);

CREATE TABLE rebalance_book_chunks (
  book_id TEXT NOT NULL REFERENCES rebalance_books (book_id) ON DELETE CASCADE,
  chunk_no INTEGER NOT NULL,
  first_line INTEGER NOT NULL,
  last_line INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  done_at TIMESTAMPTZ,
  PRIMARY KEY (book_id, chunk_no)
);

CREATE TABLE rebalance_book_results (
  book_id TEXT NOT NULL REFERENCES rebalance_books (book_id) ON DELETE CASCADE,
  line_no INTEGER NOT NULL,
  portfolio_id TEXT,
  status TEXT NOT NULL,
  request_hash TEXT,
  outcome_json TEXT NOT NULL,
  PRIMARY KEY (book_id, line_no)
);
`;

/**
 * The policy pack resolved when the book was submitted (PackForRun JSON: the definition and the
 * lineage record); null when none was selected (docs/decisions/0073).
 */
const POLICY_PACK = `ALTER TABLE rebalance_books ADD COLUMN policy_pack_json TEXT;`;

export const BOOK_MIGRATIONS: readonly Migration[] = [
  { namespace: 'books', version: '0001', name: 'book rebalance', sql: BASELINE },
  { namespace: 'books', version: '0002', name: 'policy pack', sql: POLICY_PACK },
];
