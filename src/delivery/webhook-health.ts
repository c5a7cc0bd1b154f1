// A webhook's health, the one every screen shows (pure). States:
//   healthy   enabled, and its latest attempt (if any) succeeded
//   failing   enabled, and every attempt since the first failed one of the current run failed —
//             from that first failure until an attempt (scheduled or manual) succeeds
//   disabled  disabled, whatever its attempts did (the run of failures is still told)
// The stores keep the run (count, start, latest failure) in the write that records attempt results;
// `healthUpdates` is what one batch of results does to it.
import type { Attempt } from './delivery.ts';
import type { Webhook } from './webhook.ts';

export const HEALTH_STATES = ['healthy', 'failing', 'disabled'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

export interface WebhookHealth {
  state: HealthState;
  /** The first failed attempt of the current run of failures; null when the latest attempt succeeded. */
  failingSince: number | null;
  consecutiveFailures: number;
  /** The error of the latest failed attempt, while the failures go on; null once an attempt succeeded. */
  lastError: string | null;
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
  /** The earliest scheduled attempt of its pending deliveries (a retry, or one due now). */
  nextAttemptAt: number | null;
}

export type HealthFacts = Pick<Webhook, 'enabled' | 'consecutiveFailures' | 'failingSince' | 'lastFailureAt' | 'lastSuccessAt' | 'lastError'>;

export function healthOf(webhook: HealthFacts, nextAttemptAt: number | null): WebhookHealth {
  const failing = webhook.consecutiveFailures > 0;
  const lastAttemptAt = Math.max(webhook.lastSuccessAt ?? -1, webhook.lastFailureAt ?? -1);
  return {
    state: !webhook.enabled ? 'disabled' : failing ? 'failing' : 'healthy',
    failingSince: failing ? webhook.failingSince : null,
    consecutiveFailures: webhook.consecutiveFailures,
    lastError: failing ? webhook.lastError : null,
    lastAttemptAt: lastAttemptAt < 0 ? null : lastAttemptAt,
    lastSuccessAt: webhook.lastSuccessAt,
    nextAttemptAt,
  };
}

/**
 * What one batch of attempt results does to a webhook's run of failures. The store applies it to
 * the stored run: a success at `successAt` no earlier than the run's start ends it, and the run is
 * then `failuresAfterSuccess` long from `firstFailureAfterSuccess`; otherwise (no success, or one
 * that started before the run did — a slow success reported after a quicker failure) the run grows
 * by `failures` and starts at `firstFailureAt` if it had not started.
 */
export interface HealthUpdate {
  webhookId: string;
  /** The latest successful attempt's start; null when none succeeded. */
  successAt: number | null;
  failures: number;
  firstFailureAt: number | null;
  failuresAfterSuccess: number;
  firstFailureAfterSuccess: number | null;
  lastFailureAt: number | null;
}

/** One update per webhook that had attempts, ordered by webhook id (the order rows are locked in). */
export function healthUpdates(attempts: ReadonlyArray<Pick<Attempt, 'webhookId' | 'startedAt' | 'succeeded'>>): HealthUpdate[] {
  const byWebhook = new Map<string, Array<Pick<Attempt, 'startedAt' | 'succeeded'>>>();
  for (const attempt of attempts) {
    const list = byWebhook.get(attempt.webhookId) ?? [];
    list.push(attempt);
    byWebhook.set(attempt.webhookId, list);
  }
  return [...byWebhook.keys()].sort().map((webhookId) => {
    // By start time; attempts that started in the same millisecond in the order their results came.
    const list = byWebhook.get(webhookId)!.toSorted((a, b) => a.startedAt - b.startedAt);
    const lastSuccess = list.findLastIndex((a) => a.succeeded);
    const failures = list.filter((a) => !a.succeeded).map((a) => a.startedAt);
    const after = list.slice(lastSuccess + 1).map((a) => a.startedAt); // all failures
    return {
      webhookId,
      successAt: lastSuccess < 0 ? null : list[lastSuccess]!.startedAt,
      failures: failures.length,
      firstFailureAt: failures[0] ?? null,
      failuresAfterSuccess: after.length,
      firstFailureAfterSuccess: after[0] ?? null,
      lastFailureAt: failures.at(-1) ?? null,
    };
  });
}
