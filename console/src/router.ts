/** Client-side routing: every page has its own /console/… URL (shareable, bookmarkable, Back works). */
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/console';

export interface Location {
  path: string;
  params: URLSearchParams;
}

function current(): Location {
  const path = window.location.pathname.replace(/\/+$/, '') || BASE;
  return { path, params: new URLSearchParams(window.location.search) };
}

const listeners = new Set<() => void>();

export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listeners.forEach((l) => l());
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = () => setLoc(current());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return loc;
}

/** Same-tab clicks on /console links stay in the page (modified clicks open tabs as usual). */
export function interceptLinks(): void {
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const a = (event.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download')) return;
    const href = a.getAttribute('href');
    if (!href || !href.startsWith(`${BASE}/`)) return;
    event.preventDefault();
    navigate(href);
  });
}

/** `/console/runs/{id}` → ['runs', id] (ids decoded). */
export function segments(path: string): string[] {
  return path
    .slice(BASE.length)
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
}

export const link = (...parts: string[]) => `${BASE}/${parts.map(encodeURIComponent).join('/')}`;
