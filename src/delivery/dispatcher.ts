// The dispatcher: sends deliveries and records what happened.
// - Fresh deliveries arrive in memory from the ingest (already leased to us) and go out at once.
// - Due retries and leases left by a crashed process come from the store (claims.ts).
// - Each webhook has a lane with an in-flight cap, so a dead receiver holds only its own share (lanes.ts).
// - Results are written in batches (result-batches.ts); successors of a finished delivery come back
//   leased and go out at once, which keeps each call's events in order per webhook.
// - A job built from settings older than a change this process was told about is not sent, and
//   one in flight is aborted, so the change is answered at once (settingsChanged; the protocol is
//   in webhook-changes.ts). The abort is recorded as such: not the receiver's failure, due again.
//
// Modes. Three machines, each a table in dispatcher-modes.ts; a move the table lacks throws.
//   lifecycle  created ──start()──► running ──stop()──► draining ──► stopped
//                 └──────────────stop()─────────────────┘
//     created   sends what it is given and claims when asked (poll, tick), nothing by itself
//     running   also claims every pollIntervalMs and whenever the store says something is due
//     draining  starts nothing: jobs given or renewed now go back; waits up to drainMs for what
//               is in flight, writes the results, lets go of the leases it holds
//     stopped   a result that comes later is dropped (its lease runs out; it is attempted again)
//   claims     resting ⇄ claiming ⇄ claiming-again   (claims.ts: one claim at a time)
//   writes     resting → gathering → writing → resting | gathering   (result-batches.ts)
// Besides the modes: what claims owe (webhooks that may have due work left in the store: claimed
// again once their lane is down to half a share), and counters (queued, in flight, renewing per
// lane) that say how much, not what mode.
import type { Clock } from '../clock.ts';
import { AppError, isStoreFailure } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Logger } from '../observability/logger.ts';
import type { DeliveryStore, ExhaustionPolicy, WebhookChange } from '../store/store.ts';
import { backgroundLoop } from '../background-loop.ts';
import { type AttemptConfig, createAttempts } from './attempt.ts';
import { createClaims } from './claims.ts';
import type { Attempt, AttemptOutcome, DeliveryJob } from './delivery.ts';
import { LIFECYCLE, modes } from './dispatcher-modes.ts';
import { createLanes } from './lanes.ts';
import { createResultBatches } from './result-batches.ts';
import type { Sender } from './sender.ts';
import { createSettingsFloors } from './settings-floors.ts';

export interface DispatcherConfig extends AttemptConfig {
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
  /** Weighs the exhaustions the store meets (disable-rule.ts `disableOnExhaustion`). */
  onExhausted: ExhaustionPolicy;
  /** Told when webhooks get disabled, so the e-mail goes out without waiting for a poll. */
  onWebhooksDisabled?: (webhookIds: string[]) => void;
}

export interface Dispatcher {
  /** Takes deliveries leased to this process and sends them as soon as their lane allows. */
  accept(jobs: DeliveryJob[]): void;
  /**
   * A webhook change (webhook-changes.ts): from now on nothing built from older settings of the
   * webhooks it names is sent here; what is queued goes back to the store (it decides again what
   * is due, and with which target), and what is in flight is aborted (recorded as aborted, not as
   * the receiver's failure). 'all': changes may have been missed, everything queued goes back.
   * Resolves once no attempt with the older settings is in flight here.
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
  /** The current modes (dispatcher-modes.ts), for tests and diagnostics. */
  modes(): { lifecycle: string; claims: string; writes: string };
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const { store, clock, log, metrics, config, owner } = deps;
  const lifecycle = modes('lifecycle', LIFECYCLE, 'created');
  const starting = () => lifecycle.is('created', 'running');
  let idleWaiters: Array<() => void> = [];
  let unsubscribeDue: (() => void) | null = null;
  let stopping: Promise<void> | null = null;

  const staleTotal = metrics.counter('callhook_delivery_stale_results_total', 'Deliveries whose lease was lost (another process took it) before their attempt, or whose result came after');
  const renewalsTotal = metrics.counter('callhook_delivery_lease_renewals_total', 'Leases renewed for deliveries that waited in their lane until too little of the lease was left');
  const attempts = createAttempts({ sender: deps.sender, clock, metrics, config });
  const floors = createSettingsFloors(config.leaseMs);
  const lanes = createLanes({
    store, owner, clock, attempts, floors, config,
    counters: { stale: staleTotal, renewals: renewalsTotal },
    starting,
    onOutcome(outcome) {
      if (!lifecycle.is('stopped')) writes.add(outcome); // after the drain: the lease runs out and it is attempted again
    },
    release,
    onOverflow: (webhookIds) => claims.owe(webhookIds),
    onRoom(webhookId, queued) {
      if (claims.roomAgain(lifecycle.is('running'), webhookId, queued)) setImmediate(wake);
    },
    onSettled: notifyIfIdle,
    logFailure,
  });
  const writes = createResultBatches({ write: record, onResting: notifyIfIdle });
  const claims = createClaims({ store, owner, clock, lanes, config, claiming: starting, accept });
  const polls = backgroundLoop({ everyMs: config.pollIntervalMs, run: () => claims.claim(), log, what: 'claiming due deliveries' });
  metrics.gauge('callhook_dispatcher_queued', 'Deliveries waiting in memory for their lane', () => lanes.queued);
  metrics.gauge('callhook_dispatcher_in_flight', 'Requests in flight', () => lanes.inFlight);

  /** `first`: successors of finished deliveries go ahead of fresh work; their call has waited already. */
  function accept(jobs: DeliveryJob[], first = false): void {
    if (!starting()) return release(jobs.map((job) => job.deliveryId));
    lanes.add(jobs, first);
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

  /** Claims soon, in the background (the store said something is due, or a lane has room). */
  function wake(): void {
    if (lifecycle.is('running')) claims.claim().catch((error) => logFailure(error, 'could not claim due deliveries'));
  }

  async function record(outcomes: AttemptOutcome[]): Promise<void> {
    const now = clock.now();
    try {
      const result = await store.recordResults({ outcomes, now, lease: { owner, until: now + config.leaseMs }, onExhausted: deps.onExhausted });
      if (result.stale.length > 0) staleTotal.inc(result.stale.length);
      if (result.disabledWebhooks.length > 0) {
        for (const webhookId of result.disabledWebhooks) lanes.forget(webhookId);
        log.warn({ webhooks: result.disabledWebhooks }, 'webhooks disabled after exhausting their retry schedule');
        deps.onWebhooksDisabled?.(result.disabledWebhooks);
      }
      accept(result.promoted, true);
      // Aborted ones are due again at once, with the settings of the change that stopped them.
      if (outcomes.some((o) => o.next.status === 'aborted')) wake();
    } catch (error) {
      // Leases expire and the store still has every delivery: nothing is lost, some may repeat.
      logFailure(error, 'could not record attempt results; they will be retried when their leases expire', { count: outcomes.length });
    }
  }

  const isIdle = () => lanes.queued === 0 && lanes.inFlight === 0 && writes.resting && !lanes.renewing;

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

  async function drain(drainMs: number): Promise<void> {
    lifecycle.to('draining');
    polls.stop();
    unsubscribeDue?.();
    // Queued jobs are not started; their leases go back so another process (or the next start) takes them.
    const unstarted = lanes.takeAll().map((job) => job.deliveryId);
    notifyIfIdle();
    await Promise.race([idle(), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
    await writes.flush();
    // With the store away, the leases run out by themselves: stopping must not wait for it.
    await store.releaseLeases(owner, unstarted).catch((error) => logFailure(error, 'could not release leases on stop; they run out by themselves'));
    lifecycle.to('stopped');
  }

  return {
    accept,
    async settingsChanged(change) {
      const stale = floors.raise(change, clock.now());
      // After a missed change ('all') nothing in flight is cut short: no change may concern it.
      await lanes.dropStale(stale, change === 'all' ? null : abortedBy(change));
    },
    async attemptNow(job) {
      if (floors.isStale(job)) {
        release([job.deliveryId]);
        throw new AppError('CONFLICT', `Webhook ${job.webhookId} changed while the attempt was being prepared; retry the delivery again`);
      }
      const controller = new AbortController();
      const sent = attempts.make(job, controller.signal);
      lanes.track(sent, job, controller);
      const outcome = await sent;
      await record([outcome]);
      return outcome.attempt;
    },
    poll: () => claims.claim(),
    async tick() {
      await claims.claim();
      await idle();
    },
    idle,
    start() {
      if (lifecycle.is('running')) return;
      lifecycle.to('running');
      unsubscribeDue = store.onDue(wake);
      polls.start();
    },
    setPeers(count) {
      lanes.setCap(Math.max(1, Math.ceil(config.inFlightPerWebhook / Math.max(1, count))));
    },
    stop({ drainMs = 5_000 } = {}) {
      stopping ??= drain(drainMs);
      return stopping;
    },
    stats: () => ({ queued: lanes.queued, inFlight: lanes.inFlight }),
    modes: () => ({ lifecycle: lifecycle.current, claims: claims.mode, writes: writes.mode }),
  };
}

/** The error an attempt aborted by a change is recorded with. */
export function abortedBy(change: WebhookChange): string {
  return `aborted: the webhook changed (settings version ${change.version}) while the request was in flight; the delivery goes on with the new settings`;
}
