// A delivery is one event for one webhook; an attempt is one HTTP request of a delivery.
// Statuses:
//   pending    due at nextAttemptAt (first attempt: at once); the head of its call's chain
//   waiting    behind an earlier delivery of the same call to the same webhook (per-call order)
//   succeeded  a 2xx was received
//   failed     the retry schedule is exhausted
//   held       the webhook is disabled; kept to replay after re-enabling
import type { EventType } from '../events/catalogue.ts';
import type { ContentType } from '../formats/format.ts';

export const DELIVERY_STATUSES = ['pending', 'waiting', 'succeeded', 'failed', 'held'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
/** What a replay can re-queue: deliveries that gave up (failed) or that a disabled webhook held. */
export const REPLAYABLE_STATUSES = ['failed', 'held'] as const satisfies readonly DeliveryStatus[];
export type ReplayableStatus = (typeof REPLAYABLE_STATUSES)[number];

export interface Delivery {
  id: string;
  orgId: string;
  webhookId: string;
  eventId: string;
  eventType: EventType;
  callId: string;
  status: DeliveryStatus;
  /** Attempts made, manual ones included. */
  attempts: number;
  nextAttemptAt: number | null;
  firstAttemptAt: number | null;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  contentType: ContentType;
  /** Rendered once at fan-out; every attempt sends these bytes. */
  body: string;
  createdAt: number;
  updatedAt: number;
}

/** A delivery to create at fan-out (the store decides pending / waiting / held). */
export interface NewDelivery {
  id: string;
  orgId: string;
  webhookId: string;
  eventId: string;
  eventType: EventType;
  callId: string;
  contentType: ContentType;
  body: string;
}

export interface Lease {
  owner: string;
  /** Fencing token: bumped on every claim, so a late result from a lost lease is recognised. */
  version: number;
  until: number;
}

/** Everything needed to make one attempt, carried with the delivery so the sender reads nothing. */
export interface DeliveryJob {
  deliveryId: string;
  orgId: string;
  webhookId: string;
  eventType: EventType;
  callId: string;
  contentType: ContentType;
  body: string;
  attempts: number;
  /** Attempts made since the schedule (re)started; replay resets it. */
  scheduleAttempts: number;
  firstAttemptAt: number | null;
  /** When the delivery was made (its event ingested): where ingest → first attempt is measured from. */
  createdAt: number;
  lease: Lease;
  /** A manual retry: one attempt outside the schedule. */
  manual: boolean;
  target: {
    url: string;
    secrets: string[];
    timeoutMs: number | null;
    retryScheduleS: number[] | null;
    /** The webhook's settings version these were read at (delivery/webhook-changes.ts). */
    settingsVersion: number;
  };
}

export interface Attempt {
  id: string;
  deliveryId: string;
  orgId: string;
  webhookId: string;
  /** 1-based, across the delivery's life. */
  number: number;
  trigger: 'scheduled' | 'manual';
  startedAt: number;
  durationMs: number;
  url: string;
  requestHeaders: Record<string, string>;
  status: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  responseBodyTruncated: boolean;
  error: string | null;
  succeeded: boolean;
}

/** What becomes of a delivery after an attempt (decided by the retry policy, applied by the store). */
export type NextState =
  | { status: 'succeeded' }
  /**
   * `scheduleSteps`: how many scheduled attempts this next one stands in for (a receiver's
   * Retry-After can pass over some); 1 when absent.
   */
  | { status: 'pending'; nextAttemptAt: number; scheduleSteps?: number }
  | { status: 'failed' }
  /** A failed manual attempt leaves the delivery as it was. */
  | { status: 'unchanged' }
  /** Stopped by a webhook change while in flight (built from older settings): as it was, due again. */
  | { status: 'aborted' };

export interface AttemptOutcome {
  job: DeliveryJob;
  attempt: Attempt;
  next: NextState;
}
