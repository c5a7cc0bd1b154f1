// One attempt of a delivery: signs it, sends it within its deadline, and answers what happened and
// what becomes of the delivery (the retry policy's word) — the store is not touched here.
import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock.ts';
import { newId } from '../ids.ts';
import type { Metrics } from '../observability/metrics.ts';
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
  const attemptsTotal = deps.metrics.counter('callhook_delivery_attempts_total', 'Delivery attempts by result');
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
      attemptsTotal.inc(1, { result: succeeded ? 'success' : aborted ? 'aborted' : 'failure' });
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
      return { job, attempt, next };
    },
  };
}
