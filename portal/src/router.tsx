// A tiny History-API router: the portal lives under Vite's base (/portal/), paths inside it are
// written without it ('/orgs/org_1/calls'). Links are real <a href> (open in new tab, keyboard,
// screen readers); a plain left click is kept in the page. Each history entry remembers its scroll
// position and what a screen keeps there (usePageState), so Back returns to the list as it was.
import { useCallback, useEffect, useState, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

const BASE = import.meta.env.BASE_URL.replace(/\/$/, ''); // '/portal'
const CHANGE = 'callhook:navigate';

export interface Location {
  /** Path inside the portal, starting with '/'. */
  path: string;
  query: URLSearchParams;
}

type EntryState = Record<string, unknown> & { scrollY?: number };
const entryState = (): EntryState => (window.history.state && typeof window.history.state === 'object' ? (window.history.state as EntryState) : {});
/** The scroll position to go back to, set on Back/Forward until the screen is ready for it. */
let pendingScroll: number | null = null;

if (typeof window !== 'undefined') {
  // The screens load their data after a Back, so the browser's own restoring would come too early.
  window.history.scrollRestoration = 'manual';
  window.addEventListener('popstate', () => {
    pendingScroll = entryState().scrollY ?? 0;
    window.scrollTo(0, pendingScroll);
  });
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(CHANGE, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(CHANGE, onChange);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, snapshot);
  const url = new URL(href, window.location.origin);
  let path = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length) : url.pathname;
  if (!path.startsWith('/')) path = `/${path}`;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return { path, query: url.searchParams };
}

export function hrefOf(to: string): string {
  return BASE + (to.startsWith('/') ? to : `/${to}`);
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const href = hrefOf(to);
  if (href === snapshot()) return;
  pendingScroll = null;
  // Replacing (a filter changed) keeps what the entry remembered; a new entry starts afresh.
  if (options.replace) window.history.replaceState(entryState(), '', href);
  else {
    window.history.replaceState({ ...entryState(), scrollY: window.scrollY }, '');
    window.history.pushState({}, '', href);
  }
  window.dispatchEvent(new Event(CHANGE));
  if (!options.replace) window.scrollTo(0, 0);
}

/** A value kept in this history entry: after going elsewhere and Back, the screen finds it again. */
export function usePageState<T>(key: string, initial: T): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(() => (key in entryState() ? (entryState()[key] as T) : initial));
  const set = useCallback(
    (next: T) => {
      setValue(next);
      window.history.replaceState({ ...entryState(), [key]: next }, '');
    },
    [key],
  );
  return [value, set];
}

/** Once `ready` (the screen's data is shown), scrolls back to where this entry was left, after Back. */
export function useRestoreScroll(ready: boolean): void {
  useEffect(() => {
    if (!ready || pendingScroll === null) return;
    window.scrollTo(0, pendingScroll);
    pendingScroll = null;
  }, [ready]);
}

/** Params of `pattern` ('/orgs/:orgId/calls') in `path`, or null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return null;
  }
  return params;
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string; children: ReactNode };

export function Link({ to, onClick, ...rest }: LinkProps) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={hrefOf(to)} onClick={handle} {...rest} />;
}

/** An id segment safe in a path. */
export const seg = (id: string) => encodeURIComponent(id);
