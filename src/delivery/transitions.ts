// How attempt results move deliveries on, as data: a batch of results and the stored state they
// meet in, the row changes to make out. Both stores load that state, call `planResults`, and apply
// the plan as it stands — the decisions live here, once.
//
// One result, against its delivery as stored (the lease is the fencing token):
//   delivery gone (deleted with its webhook)        → stale; no attempt kept
//   lease lost (other owner or older version)        → stale; the attempt is kept, the row untouched
//   held (webhook disabled while in flight)          → success: succeeded; else stays held, no next time
//   succeeded                                        → succeeded; its waiting successor goes next
//   pending (a retry)                                → pending at the next time, Retry-After's skipped steps counted
//   failed (schedule exhausted)                      → failed; the exhaustion policy may disable the webhook
//                                                      (one e-mail); else its successor goes next
//   unchanged (a failed manual attempt)              → status and next time as they were
//   aborted (a webhook change stopped it mid-flight) → as unchanged, and not the receiver's failure
// Every kept result counts one attempt, sets last attempt/status/error, lets the lease go.
// A batch reads as if its results came one after another: once a result disables a webhook, the
// later results of that webhook find it held, and its deliveries the batch left pending are held
// (as the disable holds the rest). The webhook's last success is taken from the whole batch before
// any disable is weighed, since a success anywhere in it shows the receiver works.
import type { NewNotification } from '../notify/notification.ts';
import type { Org } from '../tenancy/org.ts';
import type { Attempt, AttemptOutcome, Delivery, DeliveryStatus } from './delivery.ts';
import { scheduleStepsOf } from './retry-schedule.ts';
import type { Webhook } from './webhook.ts';

/** A delivery as stored when a result meets it (its body is not needed). */
export interface DeliveryState extends Omit<Delivery, 'body'> {
  scheduleAttempts: number;
  leaseOwner: string | null;
  leaseVersion: number;
}

/** What the exhaustion policy is shown: the webhook (its last success as of this batch), the delivery as it now stands. */
export interface ExhaustedContext {
  webhook: Webhook;
  org: Org;
  delivery: Omit<Delivery, 'body'>;
  lastError: string;
  /** The batch's time. */
  now: number;
}

export interface ExhaustionDecision {
  disable: boolean;
  reason: string;
  notification: NewNotification | null;
}

/** Pure: whether to disable an enabled webhook whose delivery exhausted its schedule, and the e-mail to owe. */
export type ExhaustionPolicy = (context: ExhaustedContext) => ExhaustionDecision;

export interface ResultsInput {
  outcomes: readonly AttemptOutcome[];
  /** The deliveries the outcomes name, as stored now (locked); a missing one was deleted. */
  deliveries: ReadonlyMap<string, DeliveryState>;
  /** The webhooks and organizations `toConsult` names, as stored now (the webhooks locked). */
  webhooks: ReadonlyMap<string, Webhook>;
  orgs: ReadonlyMap<string, Org>;
  now: number;
  onExhausted: ExhaustionPolicy;
}

/** A delivery's new state; applying it also lets its lease go and sets `updatedAt` to the batch's time. */
export interface DeliveryChange {
  id: string;
  status: DeliveryStatus;
  attempts: number;
  scheduleAttempts: number;
  nextAttemptAt: number | null;
  firstAttemptAt: number | null;
  lastAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
}

/** What a batch says about a webhook's receiver: its latest success (kept if later), its latest failure. */
export interface WebhookFacts {
  webhookId: string;
  lastSuccessAt: number | null;
  lastError: string | null;
}

export interface ResultsPlan {
  /** Every attempt made, stale ones included: it happened either way. */
  attempts: Attempt[];
  /** At most one per delivery. */
  deliveries: DeliveryChange[];
  webhooks: WebhookFacts[];
  /** Disable each (new settings version, its open deliveries held) and queue its e-mail. */
  disables: Array<{ webhookId: string; reason: string; notification: NewNotification | null }>;
  /** Finished deliveries whose waiting successor is now the head of its call's chain (leased to the recorder). */
  releaseAfter: string[];
  /** Results whose delivery is gone or whose lease was lost. */
  stale: string[];
}

/** Whose state `planResults` may weigh: the webhooks and organizations of results that exhaust a schedule. */
export function toConsult(outcomes: readonly AttemptOutcome[]): { webhookIds: string[]; orgIds: string[] } {
  const exhausting = outcomes.filter((o) => o.next.status === 'failed');
  return {
    webhookIds: [...new Set(exhausting.map((o) => o.job.webhookId))].sort(),
    orgIds: [...new Set(exhausting.map((o) => o.job.orgId))].sort(),
  };
}

/** The last error a failed attempt leaves on its delivery and webhook. */
export function describeFailure(attempt: Pick<Attempt, 'error' | 'status'>): string {
  return attempt.error ?? `HTTP ${attempt.status}`;
}

export function planResults(input: ResultsInput): ResultsPlan {
  const { now } = input;
  const current = new Map(input.deliveries);
  const plan: ResultsPlan = { attempts: [], deliveries: [], webhooks: [], disables: [], releaseAfter: [], stale: [] };
  const changes = new Map<string, { change: DeliveryChange; webhookId: string; finished: boolean }>();
  const disabled = new Set<string>();
  const facts = factsOf(input);
  plan.webhooks = [...facts.values()];

  for (const { job, attempt, next } of input.outcomes) {
    const stored = current.get(job.deliveryId);
    if (!stored) {
      plan.stale.push(job.deliveryId);
      continue;
    }
    plan.attempts.push({ ...attempt, deliveryId: job.deliveryId, orgId: job.orgId, webhookId: job.webhookId });
    if (stored.leaseOwner !== job.lease.owner || stored.leaseVersion !== job.lease.version) {
      plan.stale.push(job.deliveryId);
      continue;
    }
    const held = stored.status === 'held' || disabled.has(job.webhookId);
    const keep = next.status === 'unchanged' || next.status === 'aborted';
    const status: DeliveryStatus = held && next.status !== 'succeeded' ? 'held' : keep ? stored.status : next.status;
    const change: DeliveryChange = {
      id: job.deliveryId,
      status,
      attempts: stored.attempts + 1,
      scheduleAttempts: stored.scheduleAttempts + scheduleStepsOf(next),
      nextAttemptAt: status === 'held' ? null : next.status === 'pending' ? next.nextAttemptAt : keep ? stored.nextAttemptAt : null,
      firstAttemptAt: stored.firstAttemptAt ?? attempt.startedAt,
      lastAttemptAt: attempt.startedAt,
      lastStatus: attempt.status,
      lastError: attempt.error,
    };
    // The lease is let go with the change: a second result for the delivery in this batch is stale.
    current.set(job.deliveryId, { ...stored, ...change, leaseOwner: null, updatedAt: now });
    const finished = !held && (next.status === 'succeeded' || next.status === 'failed');
    changes.set(job.deliveryId, { change, webhookId: job.webhookId, finished });
    if (held || next.status !== 'failed') continue;

    const webhook = input.webhooks.get(job.webhookId);
    const org = input.orgs.get(job.orgId);
    if (!webhook || !org || !webhook.enabled) continue;
    const batchSuccess = facts.get(webhook.id)?.lastSuccessAt ?? null;
    const lastSuccessAt = batchSuccess === null ? webhook.lastSuccessAt : Math.max(webhook.lastSuccessAt ?? 0, batchSuccess);
    const { scheduleAttempts: _s, leaseOwner: _o, leaseVersion: _v, ...delivery } = current.get(job.deliveryId)!;
    const decision = input.onExhausted({ webhook: { ...webhook, lastSuccessAt }, org, delivery, lastError: describeFailure(attempt), now });
    if (!decision.disable) continue;
    disabled.add(webhook.id);
    plan.disables.push({ webhookId: webhook.id, reason: decision.reason, notification: decision.notification });
  }

  for (const { change, webhookId, finished } of changes.values()) {
    const disabledNow = disabled.has(webhookId);
    // Left pending before the disable came in the batch: held with the webhook's other open deliveries.
    if (disabledNow && change.status === 'pending') plan.deliveries.push({ ...change, status: 'held', nextAttemptAt: null });
    else plan.deliveries.push(change);
    if (finished && !disabledNow) plan.releaseAfter.push(change.id);
  }
  return plan;
}

/** Per webhook: the latest success and the last failure (in batch order) of every attempt kept. */
function factsOf(input: ResultsInput): Map<string, WebhookFacts> {
  const facts = new Map<string, WebhookFacts>();
  for (const { job, attempt, next } of input.outcomes) {
    if (!input.deliveries.has(job.deliveryId)) continue;
    if (next.status === 'aborted') continue; // our doing, not the receiver's
    const entry = facts.get(job.webhookId) ?? { webhookId: job.webhookId, lastSuccessAt: null, lastError: null };
    if (attempt.succeeded) entry.lastSuccessAt = Math.max(entry.lastSuccessAt ?? 0, attempt.startedAt);
    else entry.lastError = describeFailure(attempt);
    facts.set(job.webhookId, entry);
  }
  return facts;
}
