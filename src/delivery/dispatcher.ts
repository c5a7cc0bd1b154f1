// The dispatcher: sends deliveries and records what happened.
// - Fresh deliveries arrive in memory from the ingest (already leased to us) and go out at once.
// - Due retries and leases left by a crashed process come from the store (`poll`, `tick`).
// - Each webhook has a lane with an in-flight cap, so a dead receiver holds only its own share.
// - Results are written in batches; successors of a finished delivery come back leased and go
//   out at once, which keeps each call's events in order per webhook.
// - A job built from settings older than a change this process was told about is not sent
//   (settingsChanged; the protocol is in webhook-changes.ts).
import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import { type Metrics, SECONDS_BUCKETS } from '../observability/metrics.ts';
import type { Logger } from '../observability/logger.ts';
import type { DeliveryStore, RecordResultsInput, WebhookChange } from '../store/store.ts';
import type { Attempt, AttemptOutcome, DeliveryJob } from './delivery.ts';
import { RETRY_AFTER_STATUSES, nextAfterAttempt, retryAfterMs } from './retry-schedule.ts';
import { loggableHeaders } from './response-headers.ts';
import type { Sender } from './sender.ts';
import { isDelivered, whyNotDelivered } from './delivered.ts';
import { webhookHeaders } from './signature.ts';
import { backgroundLoop } from '../background-loop.ts';
import { isStoreFailure } from '../errors.ts';
import { createLeaseRenewal } from './lease-renewal.ts';

export interface DispatcherConfig {
  defaultTimeoutMs: number;
  /** No attempt's deadline exceeds this (a fraction of the lease), whatever a webhook asks for. */
  maxTimeoutMs: number;
  defaultRetryScheduleS: readonly number[];
  inFlightPerWebhook: number;
  /** Jobs a lane keeps in memory; beyond that, leases are released and the store holds the rest. */
  queuedPerWebhook: number;
  /** LEASE_MS must exceed the longest deadline many times over, so a live worker never loses one. */
  leaseMs: number;
  pollIntervalMs: number;
  claimBatch: number;
}

export interface DispatcherDeps {
  store: DeliveryStore;
  sender: Sender;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  config: DispatcherConfig;
  /** This process's lease owner id. */
  owner: string;
  onExhausted: RecordResultsInput['onExhausted'];
  /** Told when webhooks get disabled, so the e-mail goes out without waiting for a poll. */
  onWebhooksDisabled?: (webhookIds: string[]) => void;
}

export interface Dispatcher {
  /** Takes deliveries leased to this process and sends them as soon as their lane allows. */
  accept(jobs: DeliveryJob[]): void;
  /**
   * A webhook change (webhook-changes.ts): from now on nothing built from older settings of the
   * webhooks it names is sent here; what is queued goes back to the store (it decides again what
   * is due, and with which target). 'all': changes may have been missed, everything queued goes
   * back. Resolves once no attempt with the older settings is in flight here either.
   */
  settingsChanged(change: WebhookChange | 'all'): Promise<void>;
  /** One manual attempt now, outside the schedule; resolves with the recorded attempt. */
  attemptNow(job: DeliveryJob): Promise<Attempt>;
  /** Claims due work and returns without waiting for it (the background loop). */
  poll(): Promise<void>;
  /** Claims due work and waits until everything in flight is sent and recorded (tests, drain). */
  tick(): Promise<void>;
  /** Resolves when nothing is queued, in flight or waiting to be recorded. */
  idle(): Promise<void>;
  /** Starts polling for due work, and claiming at once whenever the store says something is due. */
  start(): void;
  stop(options?: { drainMs?: number }): Promise<void>;
  /**
   * How many dispatching processes share the store (this one included): each webhook's in-flight
   * cap is split among them, so together they keep to it as one process would.
   */
  setPeers(count: number): void;
  stats(): { queued: number; inFlight: number };
}

interface Lane {
  queue: DeliveryJob[];
  inFlight: number;
  /** Jobs about to be sent whose leases are being renewed first (they hold their in-flight slot). */
  renewing: number;
  /** Bumped when the lane is forgotten: renewals that come back from before are let go. */
  epoch: number;
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const { store, sender, clock, log, metrics, config, owner } = deps;
  const lanes = new Map<string, Lane>();
  let queued = 0;
  let inFlight = 0;
  let pendingOutcomes: AttemptOutcome[] = [];
  let flushing: Promise<void> | null = null;
  let flushScheduled = false;
  let overflow: string[] = [];
  /** Work went back to the store for want of room: claim it as soon as a lane has room again. */
  let overflowed = false;
  let running = false;
  /** Set by stop(): nothing new starts; leases of what cannot be sent go back. */
  let stopping = false;
  let stopped = false;
  let idleWaiters: Array<() => void> = [];
  let inFlightCap = config.inFlightPerWebhook;
  let unsubscribeDue: (() => void) | null = null;
  let polling: Promise<void> | null = null;
  let pollAgain = false;
  /**
   * The least settings version a job may carry, per webhook ('w:<id>') and per organization
   * ('o:<id>'), from the changes this process was told about. What is queued when a change comes
   * is dropped then; a floor catches the jobs of store calls (claim, ingest, results) that read the
   * old settings and return later — seconds at most, so keeping floors for a lease is plenty.
   */
  const floors = new Map<string, { version: number; at: number }>();
  /** Attempts in flight, with their jobs: a change waits for those it makes stale. */
  const sending = new Map<Promise<unknown>, DeliveryJob>();

  /** Rounds of attempts, each up to the default deadline, that fit in a lease with a second to spare (1 to 8). */
  const defaultDeadlineMs = Math.min(config.defaultTimeoutMs, config.maxTimeoutMs);
  const wavesWithinLease = Math.max(1, Math.min(8, Math.floor((config.leaseMs - defaultDeadlineMs - 1_000) / defaultDeadlineMs)));

  const attemptsTotal = metrics.counter('callhook_delivery_attempts_total', 'Delivery attempts by result', ['result']);
  const staleTotal = metrics.counter('callhook_delivery_stale_results_total', 'Deliveries whose lease was lost (another process took it) before their attempt, or whose result came after');
  // Per webhook: one series per webhook this process sent for since it started (two results
  // each) — as many as the webhooks, which an instance counts in hundreds or thousands, not millions.
  const webhookAttemptsTotal = metrics.counter('callhook_webhook_attempts_total', 'Delivery attempts per webhook by result (success: a 2xx within the deadline)', ['webhook_id', 'result']);
  const webhookDeliveriesTotal = metrics.counter('callhook_webhook_deliveries_total', 'Deliveries per webhook that reached their end: succeeded, or failed (retry schedule exhausted)', ['webhook_id', 'outcome']);
  const attemptSeconds = metrics.histogram('callhook_delivery_attempt_duration_seconds', 'Duration of delivery attempts (request sent → answer read, or the error), by result', { buckets: SECONDS_BUCKETS, labelNames: ['result'] });
  const firstAttemptDelaySeconds = metrics.histogram('callhook_delivery_first_attempt_delay_seconds', 'Ingest → first attempt: from the delivery being made (its event accepted) to its first attempt starting', { buckets: SECONDS_BUCKETS });
  const renewalsTotal = metrics.counter('callhook_delivery_lease_renewals_total', 'Leases renewed for deliveries that waited in their lane until too little of the lease was left');
  /** The epoch of its lane when each job asked for a renewal. */
  const renewalEpochs = new Map<DeliveryJob, number>();
  const renewal = createLeaseRenewal({
    store,
    owner,
    leaseMs: config.leaseMs,
    clock,
    onRenewed(jobs) {
      renewalsTotal.inc(jobs.length);
      const letGo: string[] = [];
      for (const job of [...jobs].reverse()) {
        const lane = laneOf(job.webhookId);
        lane.renewing--;
        const epoch = renewalEpochs.get(job);
        renewalEpochs.delete(job);
        if (stopping || epoch !== lane.epoch) letGo.push(job.deliveryId);
        else {
          lane.queue.unshift(job); // first in line again: it has waited longest
          queued++;
        }
      }
      release(letGo);
      for (const job of jobs) pumpLane(job.webhookId);
    },
    onLost(jobs, error) {
      if (error) logFailure(error, 'could not renew leases; those deliveries are attempted once claimed again', { count: jobs.length });
      staleTotal.inc(jobs.length);
      for (const job of jobs) {
        renewalEpochs.delete(job);
        laneOf(job.webhookId).renewing--;
      }
      for (const job of jobs) pumpLane(job.webhookId);
    },
  });
  metrics.gauge('callhook_dispatcher_queued', 'Deliveries waiting in memory for their lane', () => queued);
  metrics.gauge('callhook_dispatcher_in_flight', 'Requests in flight', () => inFlight);

  function laneOf(webhookId: string): Lane {
    let lane = lanes.get(webhookId);
    if (!lane) {
      lane = { queue: [], inFlight: 0, renewing: 0, epoch: 0 };
      lanes.set(webhookId, lane);
    }
    return lane;
  }

  function pumpLane(webhookId: string): void {
    const lane = lanes.get(webhookId);
    if (lane) pump(webhookId, lane);
  }

  /** `first`: successors of finished deliveries go ahead of fresh work; their call has waited already. */
  function accept(jobs: DeliveryJob[], first = false): void {
    if (stopping) {
      release(jobs.map((job) => job.deliveryId));
      return;
    }
    const stale: string[] = [];
    for (const job of jobs) {
      if (isStale(job)) {
        stale.push(job.deliveryId); // built before a change: back to the store, to be built again
        continue;
      }
      const lane = laneOf(job.webhookId);
      if (lane.queue.length >= config.queuedPerWebhook) {
        overflow.push(job.deliveryId);
        continue;
      }
      if (first) lane.queue.unshift(job);
      else lane.queue.push(job);
      queued++;
      pump(job.webhookId, lane);
    }
    release(stale);
    if (overflow.length > 0) {
      const ids = overflow;
      overflow = [];
      overflowed = true;
      release(ids);
    }
  }

  function release(deliveryIds: string[]): void {
    if (deliveryIds.length === 0) return;
    store.releaseLeases(owner, deliveryIds).catch((error) => logFailure(error, 'could not release leases; they run out by themselves'));
  }

  /** The store being away is expected now and then (warn); anything else is a bug (error). */
  function logFailure(error: unknown, message: string, fields: Record<string, unknown> = {}): void {
    if (isStoreFailure(error)) log.warn({ err: error, ...fields }, message);
    else log.error({ err: error, ...fields }, message);
  }

  function forgetLane(webhookId: string): void {
    const lane = lanes.get(webhookId);
    if (!lane) return;
    const ids = lane.queue.map((job) => job.deliveryId);
    queued -= lane.queue.length;
    lane.queue = [];
    lane.epoch++;
    if (lane.inFlight === 0 && lane.renewing === 0) lanes.delete(webhookId);
    release(ids);
    notifyIfIdle();
  }

  function isStale(job: DeliveryJob): boolean {
    const version = job.target.settingsVersion;
    return version < (floors.get(`w:${job.webhookId}`)?.version ?? 0) || version < (floors.get(`o:${job.orgId}`)?.version ?? 0);
  }

  function raiseFloor(key: string, version: number, now: number): void {
    if ((floors.get(key)?.version ?? 0) < version) floors.set(key, { version, at: now });
  }

  async function settingsChanged(change: WebhookChange | 'all'): Promise<void> {
    const now = clock.now();
    for (const [key, floor] of floors) if (now - floor.at > config.leaseMs) floors.delete(key);
    if (change !== 'all') {
      for (const webhookId of change.webhookIds) raiseFloor(`w:${webhookId}`, change.version, now);
      for (const orgId of change.orgIds) raiseFloor(`o:${orgId}`, change.version, now);
    }
    const stale = (job: DeliveryJob) => change === 'all' || isStale(job);
    const dropped: string[] = [];
    for (const [webhookId, lane] of [...lanes]) {
      const [gone, kept] = [lane.queue.filter(stale), lane.queue.filter((job) => !stale(job))];
      if (gone.length === 0) continue;
      dropped.push(...gone.map((job) => job.deliveryId));
      queued -= gone.length;
      lane.queue = kept;
      if (kept.length === 0 && lane.inFlight === 0) lanes.delete(webhookId);
    }
    release(dropped);
    notifyIfIdle();
    await Promise.allSettled([...sending].filter(([, job]) => stale(job)).map(([sent]) => sent));
  }

  function timeoutOf(job: DeliveryJob): number {
    return Math.min(job.target.timeoutMs ?? config.defaultTimeoutMs, config.maxTimeoutMs);
  }

  function pump(webhookId: string, lane: Lane): void {
    while (!stopping && lane.inFlight + lane.renewing < inFlightCap && lane.queue.length > 0) {
      const job = lane.queue.shift()!;
      queued--;
      const timeoutMs = timeoutOf(job);
      // It waited until too little of its lease is left for an attempt: renewed first (unless
      // another process took it meanwhile), keeping its place and its slot.
      if (job.lease.until - clock.now() < timeoutMs + 1_000) {
        lane.renewing++;
        renewalEpochs.set(job, lane.epoch);
        renewal.renew(job);
        continue;
      }
      if (isStale(job)) {
        release([job.deliveryId]);
        continue;
      }
      lane.inFlight++;
      inFlight++;
      const sent = attempt(job).then((outcome) => {
        sending.delete(sent);
        lane.inFlight--;
        inFlight--;
        if (stopped) return; // drained past its deadline: the lease runs out and it is attempted again
        pendingOutcomes.push(outcome);
        scheduleFlush();
        pump(webhookId, lane);
      });
      sending.set(sent, job);
    }
    if (overflowed && running && lane.queue.length < config.queuedPerWebhook / 2) {
      overflowed = false;
      setImmediate(wake);
    }
    if (lane.queue.length === 0 && lane.inFlight === 0 && lane.renewing === 0) lanes.delete(webhookId);
    notifyIfIdle();
  }

  async function attempt(job: DeliveryJob): Promise<AttemptOutcome> {
    const startedAt = clock.now();
    const timeoutMs = timeoutOf(job);
    const headers = webhookHeaders(job.contentType, job.target.secrets, job.deliveryId, startedAt, job.body);
    const started = performance.now();
    // Each webhook sends over its own connections, so none waits for another's (sender.ts).
    const result = await sender.send({ url: job.target.url, headers, body: job.body, timeoutMs, poolKey: job.webhookId }).catch((error: unknown) => ({
      kind: 'error' as const,
      error: `internal error while sending: ${String(error)}`,
      durationMs: Math.round(performance.now() - started),
    }));
    const response = result.kind === 'response' ? result : null;
    const succeeded = response !== null && response.bodyError === null && isDelivered(response.status);
    const outcome = succeeded ? 'success' : 'failure';
    attemptsTotal.inc(1, { result: outcome });
    webhookAttemptsTotal.inc(1, { webhook_id: job.webhookId, result: outcome });
    attemptSeconds.observe(result.durationMs / 1_000, { result: outcome });
    if (job.attempts === 0 && !job.manual) firstAttemptDelaySeconds.observe(Math.max(0, startedAt - job.createdAt) / 1_000);
    const record: Attempt = {
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
    return { job, attempt: record, next };
  }

  function scheduleFlush(): void {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      void flush();
    });
  }

  /** Writes gathered results in one batch; one flush at a time, later results wait for the next. */
  async function flush(): Promise<void> {
    if (flushing) return flushing.then(() => (pendingOutcomes.length > 0 ? flush() : undefined));
    if (pendingOutcomes.length === 0) return;
    const outcomes = pendingOutcomes;
    pendingOutcomes = [];
    flushing = record(outcomes).finally(() => {
      flushing = null;
      if (pendingOutcomes.length > 0) scheduleFlush();
      notifyIfIdle();
    });
    return flushing;
  }

  async function record(outcomes: AttemptOutcome[]): Promise<void> {
    const now = clock.now();
    try {
      const result = await store.recordResults({ outcomes, now, lease: { owner, until: now + config.leaseMs }, onExhausted: deps.onExhausted });
      if (result.stale.length > 0) staleTotal.inc(result.stale.length);
      if (result.disabledWebhooks.length > 0) {
        for (const webhookId of result.disabledWebhooks) forgetLane(webhookId);
        log.warn({ webhooks: result.disabledWebhooks }, 'webhooks disabled after exhausting their retry schedule');
        deps.onWebhooksDisabled?.(result.disabledWebhooks);
      }
      accept(result.promoted, true);
    } catch (error) {
      // Leases expire and the store still has every delivery: nothing is lost, some may repeat.
      logFailure(error, 'could not record attempt results; they will be retried when their leases expire', { count: outcomes.length });
    }
  }

  function isIdle(): boolean {
    return queued === 0 && inFlight === 0 && pendingOutcomes.length === 0 && flushing === null && !flushScheduled && !renewal.busy;
  }

  function notifyIfIdle(): void {
    if (!isIdle() || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function idle(): Promise<void> {
    if (isIdle()) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  async function poll(): Promise<void> {
    if (stopping) return;
    // Enough to keep a lane busy, few enough to be sent within the lease even when every attempt
    // takes its whole deadline (a hanging receiver). A lane that has that much already is skipped,
    // so a dead receiver's backlog never holds up other webhooks; so is one holding a job whose lease
    // ran out while it waited (it is renewed when its turn comes), lest it be claimed twice here.
    const perLane = Math.min(config.queuedPerWebhook, inFlightCap * wavesWithinLease);
    const now = clock.now();
    const full = [...lanes].filter(([, lane]) => lane.queue.length >= perLane || lane.queue.some((job) => job.lease.until <= now)).map(([webhookId]) => webhookId);
    const jobs = await store.claimDue({
      owner,
      now,
      leaseMs: config.leaseMs,
      limit: config.claimBatch,
      perWebhookLimit: perLane,
      skipWebhookIds: full,
    });
    accept(jobs);
  }

  /** Claims soon; wake-ups that arrive while a claim runs fold into one more claim after it. */
  function wake(): void {
    if (!running) return;
    if (polling) {
      pollAgain = true;
      return;
    }
    polling = poll()
      .catch((error) => logFailure(error, 'could not claim due deliveries'))
      .finally(() => {
        polling = null;
        if (pollAgain) {
          pollAgain = false;
          wake();
        }
      });
  }

  const polls = backgroundLoop({ everyMs: config.pollIntervalMs, run: poll, log, what: 'claiming due deliveries' });

  return {
    accept,
    settingsChanged,
    async attemptNow(job) {
      if (isStale(job)) {
        release([job.deliveryId]);
        throw new AppError('CONFLICT', `Webhook ${job.webhookId} changed while the attempt was being prepared; retry the delivery again`);
      }
      const sent = attempt(job);
      sending.set(sent, job);
      const outcome = await sent.finally(() => sending.delete(sent));
      await record([outcome]);
      return outcome.attempt;
    },
    poll,
    async tick() {
      await poll();
      await idle();
    },
    idle,
    start() {
      if (running) return;
      running = true;
      unsubscribeDue = store.onDue(wake);
      polls.start();
    },
    setPeers(count) {
      inFlightCap = Math.max(1, Math.ceil(config.inFlightPerWebhook / Math.max(1, count)));
      for (const [webhookId, lane] of lanes) pump(webhookId, lane);
    },
    async stop({ drainMs = 5_000 } = {}) {
      running = false;
      stopping = true;
      polls.stop();
      unsubscribeDue?.();
      // Queued jobs are not started; their leases go back so another process (or the next start) takes them.
      const unstarted: string[] = renewal.takeWaiting().map((job) => {
        laneOf(job.webhookId).renewing--;
        renewalEpochs.delete(job);
        return job.deliveryId;
      });
      for (const [webhookId, lane] of lanes) {
        unstarted.push(...lane.queue.map((job) => job.deliveryId));
        queued -= lane.queue.length;
        lane.queue = [];
        if (lane.inFlight === 0 && lane.renewing === 0) lanes.delete(webhookId);
      }
      await Promise.race([idle(), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
      await flush();
      // With the store away, the leases run out by themselves: stopping must not wait for it.
      await store.releaseLeases(owner, unstarted).catch((error) => logFailure(error, 'could not release leases on stop; they run out by themselves'));
      stopped = true;
    },
    stats: () => ({ queued, inFlight }),
  };
}
