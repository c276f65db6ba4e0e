/**
 * Calls to Keel's own API (same origin only; the CSP forbids anything else) with the session's
 * bearer token. The session lives in sessionStorage: this tab only, gone when it closes.
 */
import type { Fetcher } from './fetcher.js';

export interface Session {
  /** Bearer token pasted by the user (null: none, for a service with authentication off). */
  token: string | null;
  /** Without authentication: the tenant to send as X-Tenant-Id. */
  tenant: string | null;
  /** Without authentication: who acts (actor_id of decisions), since no token names the user. */
  actor: string | null;
}

export interface Identity {
  tenant_id: string;
  user_id: string | null;
  authenticated: boolean;
  roles: string[];
  permissions: string[];
}

const KEY = 'keel.console.session';

export function loadSession(): Session {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (raw) {
      const s = JSON.parse(raw) as Partial<Session>;
      return { token: s.token ?? null, tenant: s.tenant ?? null, actor: s.actor ?? null };
    }
  } catch {
    // storage unavailable or corrupt: start signed out
  }
  return { token: null, tenant: null, actor: null };
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(`${status}: ${detail}`);
  }
}

/** One readable line from any of Keel's error bodies. */
export function errorText(body: unknown, status: number): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.detail === 'string') return b.detail;
    if (Array.isArray(b.detail))
      return b.detail
        .map((e: { loc?: unknown[]; msg?: string }) => `${(e.loc ?? []).join('.')}: ${e.msg ?? 'invalid'}`)
        .join('; ');
    const err = b.error as { code?: string; message?: string } | undefined;
    if (err?.code) return `${err.code}${err.message ? `: ${err.message}` : ''}`;
  }
  return `HTTP ${status}`;
}

export type { Fetcher } from './fetcher.js';

/** A fetcher bound to a session. */
function headersFor(session: Session, accept: string): Record<string, string> {
  const headers: Record<string, string> = { Accept: accept };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  else if (session.tenant) headers['X-Tenant-Id'] = session.tenant;
  return headers;
}

export function apiFor(session: Session): Fetcher {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers = headersFor(session, 'application/json');
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) throw new ApiError(res.status, errorText(parsed, res.status));
    return parsed as T;
  };
}

/**
 * Saves a file the API serves (e.g. a book's orders.csv) under `filename`. A plain link cannot
 * carry the bearer token, so the file is fetched like any API call and handed to the browser as
 * a blob: URL (same document, nothing the CSP forbids).
 */
export async function download(session: Session, path: string, filename: string): Promise<void> {
  const res = await fetch(path, {
    headers: headersFor(session, '*/*'),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (!res.ok) {
    let parsed: unknown = undefined;
    try {
      parsed = await res.json();
    } catch {
      parsed = undefined;
    }
    throw new ApiError(res.status, errorText(parsed, res.status));
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `?a=1&b=2` from the non-empty values. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
