/**
 * What a database failure means for the caller. PostgreSQL reports SQLSTATE codes (the server
 * through `pg`, the embedded store through PGlite); connection-level failures come as Node
 * errors. Classifying them here lets the HTTP layer answer 503 + Retry-After for an outage, a
 * stall or a full disk instead of a generic 500, and readiness report why writes cannot succeed.
 */

export type StoreFault =
  /** The database cannot be reached or refuses connections (down, restarting, too many clients). */
  | 'unavailable'
  /** A connection, pool acquisition or statement took longer than its configured timeout. */
  | 'timeout'
  /** Out of disk space (or memory) for writes. */
  | 'storage_full'
  /** Corrupted data or an I/O error in the database's files. */
  | 'storage_fault';

const FAULT_CODES: Record<StoreFault, string> = {
  unavailable: 'DATABASE_UNAVAILABLE',
  timeout: 'DATABASE_TIMEOUT',
  storage_full: 'DATABASE_STORAGE_FULL',
  storage_fault: 'DATABASE_STORAGE_FAULT',
};

export const faultCode = (fault: StoreFault) => FAULT_CODES[fault];

const NODE_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

/** The fault behind a database error, or null when it is not a store fault (a bug or bad input). */
export function storeFault(error: unknown): StoreFault | null {
  if (!error || typeof error !== 'object') return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  if (typeof code === 'string') {
    if (NODE_UNAVAILABLE.has(code)) return code === 'ETIMEDOUT' ? 'timeout' : 'unavailable';
    if (code === 'ENOSPC') return 'storage_full';
    if (code === 'EIO') return 'storage_fault';
    if (/^[0-9A-Z]{5}$/.test(code)) {
      if (code === '57014') return 'timeout'; // statement_timeout (query_canceled)
      if (code === '53100' || code === '53200') return 'storage_full'; // disk_full, out_of_memory
      if (code.startsWith('08') || code === '53300' || code.startsWith('57P')) return 'unavailable';
      if (code === '58030' || code === 'XX001' || code === 'XX002') return 'storage_fault';
    }
  }
  // node-postgres reports its own timeouts and lost connections as plain errors.
  if (
    /timeout exceeded when trying to connect|Query read timeout|Connection terminated due to connection timeout/i.test(
      text,
    )
  )
    return 'timeout';
  if (
    /Connection terminated|Client has encountered a connection error|Cannot use a pool after calling end|connect ECONNREFUSED/i.test(
      text,
    )
  )
    return 'unavailable';
  return null;
}

/**
 * A value the database refused (SQLSTATE class 22 data exception, 54000 program limit such as an
 * index row too large). Validation should have caught it; answering 422 keeps it a client error.
 */
export function rejectedValue(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^(22[0-9A-Z]{3}|54000)$/.test(code)) return null;
  return String((error as { message?: unknown }).message ?? 'value rejected');
}
