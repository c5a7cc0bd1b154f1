// One attempt of a delivery: signs it, sends it within its deadline, and answers what happened and
// what becomes of the delivery (the retry policy's word) — the store is not touched here.
import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock.ts';
import { newId } from '../ids.ts';
import { type Metrics, SECONDS_BUCKETS } from '../observability/metrics.ts';
import { isDelivered, whyNotDelivered } from './delivered.ts';
import type { Attempt, AttemptOutcome, DeliveryJob } from './delivery.ts';
import { loggableHeaders } from './response-headers.ts';
import { RETRY_AFTER_STATUSES, nextAfterAttempt, retryAfterMs } from './retry-schedule.ts';
import type { Sender } from './sender.ts';
import { webhookHeaders } from './signature.ts';

export interface AttemptConfig {
  defaultTimeoutMs: number;
  /** No attempt's deadline exceeds this (a fraction of the lease), whatever a webhook asks for. */
  maxTimeoutMs: number;
  defaultRetryScheduleS: readonly number[];
}

export interface Attempts {
  /** The job's deadline for one attempt. */
  timeoutOf(job: DeliveryJob): number;
  /** Makes one attempt; `signal` ends it early (a webhook change), and then it counts as aborted. */
  make(job: DeliveryJob, signal?: AbortSignal): Promise<AttemptOutcome>;
}

export function createAttempts(deps: { sender: Sender; clock: Clock; metrics: Metrics; config: AttemptConfig }): Attempts {
  const { sender, clock, config } = deps;
  const { metrics } = deps;
  const attemptsTotal = metrics.counter('callhook_delivery_attempts_total', 'Delivery attempts by result', ['result']);
  // Per webhook: one series per webhook this process sent for since it started (a few results
  // each) — as many as the webhooks, which an instance counts in hundreds or thousands, not millions.
  const webhookAttemptsTotal = metrics.counter('callhook_webhook_attempts_total', 'Delivery attempts per webhook by result (success: a 2xx within the deadline)', ['webhook_id', 'result']);
  const webhookDeliveriesTotal = metrics.counter('callhook_webhook_deliveries_total', 'Deliveries per webhook that reached their end: succeeded, or failed (retry schedule exhausted)', ['webhook_id', 'outcome']);
  const attemptSeconds = metrics.histogram('callhook_delivery_attempt_duration_seconds', 'Duration of delivery attempts (request sent → answer read, or the error), by result', { buckets: SECONDS_BUCKETS, labelNames: ['result'] });
  const firstAttemptDelaySeconds = metrics.histogram('callhook_delivery_first_attempt_delay_seconds', 'Ingest → first attempt: from the delivery being made (its event accepted) to its first attempt starting', { buckets: SECONDS_BUCKETS });
  const timeoutOf = (job: DeliveryJob) => Math.min(job.target.timeoutMs ?? config.defaultTimeoutMs, config.maxTimeoutMs);

  return {
    timeoutOf,
    async make(job, signal) {
      const startedAt = clock.now();
      const headers = webhookHeaders(job.contentType, job.target.secrets, job.deliveryId, startedAt, job.body);
      const started = performance.now();
      const request = { url: job.target.url, headers, body: job.body, timeoutMs: timeoutOf(job), poolKey: job.webhookId, ...(signal ? { signal } : {}) };
      // Each webhook sends over its own connections, so none waits for another's (sender.ts).
      const result = await sender.send(request).catch((error: unknown) => ({
        kind: 'error' as const,
        error: `internal error while sending: ${String(error)}`,
        durationMs: Math.round(performance.now() - started),
        aborted: false,
      }));
      const response = result.kind === 'response' ? result : null;
      const aborted = result.kind === 'error' && result.aborted === true;
      const succeeded = response !== null && response.bodyError === null && isDelivered(response.status);
      const outcome = succeeded ? 'success' : aborted ? 'aborted' : 'failure';
      attemptsTotal.inc(1, { result: outcome });
      webhookAttemptsTotal.inc(1, { webhook_id: job.webhookId, result: outcome });
      attemptSeconds.observe(result.durationMs / 1_000, { result: outcome });
      if (job.attempts === 0 && !job.manual) firstAttemptDelaySeconds.observe(Math.max(0, startedAt - job.createdAt) / 1_000);
      const attempt: Attempt = {
        id: newId('att'),
        deliveryId: job.deliveryId,
        orgId: job.orgId,
        webhookId: job.webhookId,
        number: job.attempts + 1,
        trigger: job.manual ? 'manual' : 'scheduled',
        startedAt,
        durationMs: result.durationMs,
        url: job.target.url,
        requestHeaders: headers,
        status: response ? response.status : null,
        responseHeaders: response ? loggableHeaders(response.headers) : null,
        responseBody: response ? response.body : null,
        responseBodyTruncated: response !== null && response.bodyTruncated,
        error: result.kind === 'error' ? result.error : (result.bodyError ?? (succeeded ? null : whyNotDelivered(result.status))),
        succeeded,
      };
      if (aborted) return { job, attempt, next: { status: 'aborted' } };
      const now = clock.now();
      const next = nextAfterAttempt({
        succeeded,
        manual: job.manual,
        scheduleAttempts: job.scheduleAttempts + 1,
        scheduleS: job.target.retryScheduleS ?? config.defaultRetryScheduleS,
        now,
        retryAfterMs: response && RETRY_AFTER_STATUSES.has(response.status) ? retryAfterMs(response.headers['retry-after'], now) : null,
      });
      if (next.status === 'succeeded' || next.status === 'failed') webhookDeliveriesTotal.inc(1, { webhook_id: job.webhookId, outcome: next.status });
      return { job, attempt, next };
    },
  };
}
