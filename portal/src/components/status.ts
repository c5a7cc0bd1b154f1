// What the status colours mean, on every screen: green (ok) delivered or healthy; red (bad) failed,
// failing or switched off; amber (warn) still trying after a failure, or held; blue (info) under way
// with nothing wrong; grey (muted) not in play. Deliveries and webhooks are both coloured here.
import type { WebhookHealth } from '../api/types';

export type Tone = 'ok' | 'bad' | 'warn' | 'info' | 'muted';

export interface Shown {
  tone: Tone;
  label: string;
}

/** A delivery's state as a person reads it: a pending delivery whose attempt failed is retrying (a warning), not pending. */
export function deliveryState(d: { status: string; attempts: number }): Shown {
  switch (d.status) {
    case 'succeeded':
      return { tone: 'ok', label: 'Succeeded' };
    case 'failed':
      return { tone: 'bad', label: 'Failed' };
    case 'held':
      return { tone: 'warn', label: 'Held' };
    case 'pending':
      return d.attempts > 0 ? { tone: 'warn', label: 'Retrying' } : { tone: 'info', label: 'Pending' };
    case 'waiting':
      return { tone: 'muted', label: 'Waiting' };
    default:
      return { tone: 'muted', label: d.status };
  }
}

export function healthState(state: WebhookHealth['state']): Shown {
  if (state === 'healthy') return { tone: 'ok', label: 'Healthy' };
  if (state === 'failing') return { tone: 'bad', label: 'Failing' };
  return { tone: 'bad', label: 'Disabled' };
}

/**
 * The receiver's last answer in one line. callhook's error for a non-2xx answer already starts with
 * the status ("HTTP 500: only a 2xx answer counts…"), so the status is not said twice.
 */
export function lastAnswer(d: { lastStatus: number | null; lastError: string | null }): string {
  if (d.lastStatus === null) return d.lastError ?? '—';
  const status = `HTTP ${d.lastStatus}`;
  if (!d.lastError) return status;
  return d.lastError.startsWith(status) ? d.lastError : `${status} · ${d.lastError}`;
}
