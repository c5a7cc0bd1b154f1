// How a recording URL may be fetched, decided before any connection: from an origin the operator
// listed on the connection (a PBX on a private network: no address guard, the listed credentials),
// or like any webhook target — https and public addresses only (delivery/target-guard.ts, checked
// again at connect time) — and retried on a schedule until the fetch's deadline.
import { checkTargetUrl, type TargetPolicy } from '../delivery/target-guard.ts';
import type { RecordingSource } from '../tenancy/org.ts';

export type FetchPlan =
  | { kind: 'listed'; url: URL; headers: Record<string, string> }
  | { kind: 'guarded'; url: URL }
  | { kind: 'refused'; reason: string };

export function planFetch(raw: string, sources: readonly RecordingSource[], policy: TargetPolicy): FetchPlan {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { kind: 'refused', reason: 'the recording URL is not a valid absolute URL' };
  }
  const listed = sources.find((source) => sameOrigin(source.origin, url));
  if (listed && (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password) {
    return { kind: 'listed', url, headers: authHeaders(listed.auth) };
  }
  const check = checkTargetUrl(raw, policy);
  if (!check.ok) return { kind: 'refused', reason: `the recording URL ${check.reason}; a private PBX origin must be listed on the connection (recordingSources)` };
  return { kind: 'guarded', url: check.url };
}

/** A listed origin in a normal form (`http://pbx.lan:8088`), or null when it is not one. */
export function normalOrigin(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return null;
    return url.origin;
  } catch {
    return null;
  }
}

function sameOrigin(origin: string, url: URL): boolean {
  return normalOrigin(origin) === url.origin;
}

function authHeaders(auth: RecordingSource['auth']): Record<string, string> {
  if (auth === null) return {};
  if (auth.kind === 'bearer') return { authorization: `Bearer ${auth.token}` };
  return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
}

/** Seconds between attempts: quick at first (the PBX may still be writing the file), then hourly. */
const RETRY_DELAYS_S = [30, 120, 300, 900, 1_800];
const LATER_DELAY_S = 3_600;

/** When to try again after `attempts` failed attempts, or null when that is past the deadline. */
export function nextFetchAt(attempts: number, now: number, deadlineAt: number): number | null {
  const next = now + (RETRY_DELAYS_S[attempts - 1] ?? LATER_DELAY_S) * 1_000;
  return next <= deadlineAt ? next : null;
}
