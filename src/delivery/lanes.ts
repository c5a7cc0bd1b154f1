// Per-webhook lanes: each webhook's jobs wait in its own queue and go out up to its in-flight cap,
// so a dead receiver holds only its own share of the dispatcher. A job that waited until too
// little of its lease is left is renewed first (lease-renewal.ts), keeping its place and its slot.
// A lane holds at most `queuedPerWebhook` jobs; the leases of the rest go back to the store.
import type { Clock } from '../clock.ts';
import type { Counter } from '../observability/metrics.ts';
import type { DeliveryStore } from '../store/store.ts';
import type { Attempts } from './attempt.ts';
import type { AttemptOutcome, DeliveryJob } from './delivery.ts';
import { createLeaseRenewal } from './lease-renewal.ts';
import type { SettingsFloors } from './settings-floors.ts';

interface Lane {
  queue: DeliveryJob[];
  inFlight: number;
  /** Jobs about to be sent whose leases are being renewed first (they hold their in-flight slot). */
  renewing: number;
  /** Bumped when the lane is forgotten: renewals that come back from before are let go. */
  epoch: number;
}

export interface LanesDeps {
  store: DeliveryStore;
  owner: string;
  clock: Clock;
  attempts: Attempts;
  floors: SettingsFloors;
  config: { inFlightPerWebhook: number; queuedPerWebhook: number; leaseMs: number };
  counters: { stale: Counter; renewals: Counter };
  /** Whether attempts may start (false once the dispatcher drains). */
  starting(): boolean;
  /** An attempt is over: its result, to record. */
  onOutcome(outcome: AttemptOutcome): void;
  /** Lets go of leases of jobs not sent here; the store gives them out again. */
  release(deliveryIds: string[]): void;
  /** Jobs of these webhooks went back to the store for want of room in their lane. */
  onOverflow(webhookIds: Set<string>): void;
  /** A webhook's lane moved on and holds `queued` jobs now (the dispatcher decides whether that is room for a claim). */
  onRoom(webhookId: string, queued: number): void;
  /** Something was queued, started or finished: the dispatcher may have become idle. */
  onSettled(): void;
  logFailure(error: unknown, message: string, fields?: Record<string, unknown>): void;
}

export interface Lanes {
  /** Queues leased jobs; `first`: ahead of what waits (successors: their call has waited already). */
  add(jobs: DeliveryJob[], first?: boolean): void;
  /** Drops what is queued for a webhook (disabled); what is in flight finishes. */
  forget(webhookId: string): void;
  /** Drops the queued jobs `stale` picks, and aborts those in flight with `abortReason` (none: waits for them); resolves once those in flight are over. */
  dropStale(stale: (job: DeliveryJob) => boolean, abortReason: string | null): Promise<void>;
  /** The deliveries of one attempt outside the lanes (a manual one), so changes see it in flight too. */
  track(sent: Promise<unknown>, job: DeliveryJob, controller: AbortController): void;
  /** Webhooks whose lane needs nothing more now: `perLane` queued, a job whose lease ran out while it waited, or one being renewed. */
  full(perLane: number, now: number): string[];
  setCap(inFlight: number): void;
  readonly cap: number;
  /** Takes every queued job and every one waiting for its renewal (a stop): their leases are to go back. */
  takeAll(): DeliveryJob[];
  readonly queued: number;
  readonly inFlight: number;
  /** Renewals are waiting to be written or being written. */
  readonly renewing: boolean;
}

export function createLanes(deps: LanesDeps): Lanes {
  const { clock, config, attempts, floors } = deps;
  const lanes = new Map<string, Lane>();
  let queued = 0;
  let inFlight = 0;
  let cap = config.inFlightPerWebhook;
  /** Attempts in flight, with their jobs: a change waits for (or aborts) those it makes stale. */
  const sending = new Map<Promise<unknown>, { job: DeliveryJob; controller: AbortController }>();
  /** The epoch of its lane when each job asked for a renewal. */
  const renewalEpochs = new Map<DeliveryJob, number>();

  const renewal = createLeaseRenewal({
    store: deps.store,
    owner: deps.owner,
    leaseMs: config.leaseMs,
    clock,
    onRenewed(jobs) {
      deps.counters.renewals.inc(jobs.length);
      const letGo: string[] = [];
      for (const job of [...jobs].reverse()) {
        const lane = laneOf(job.webhookId);
        lane.renewing--;
        const epoch = renewalEpochs.get(job);
        renewalEpochs.delete(job);
        if (!deps.starting() || epoch !== lane.epoch) letGo.push(job.deliveryId);
        else {
          lane.queue.unshift(job); // first in line again: it has waited longest
          queued++;
        }
      }
      deps.release(letGo);
      for (const job of jobs) pumpLane(job.webhookId);
    },
    onLost(jobs, error) {
      if (error) deps.logFailure(error, 'could not renew leases; those deliveries are attempted once claimed again', { count: jobs.length });
      deps.counters.stale.inc(jobs.length);
      for (const job of jobs) {
        renewalEpochs.delete(job);
        laneOf(job.webhookId).renewing--;
      }
      for (const job of jobs) pumpLane(job.webhookId);
    },
  });

  function laneOf(webhookId: string): Lane {
    let lane = lanes.get(webhookId);
    if (!lane) {
      lane = { queue: [], inFlight: 0, renewing: 0, epoch: 0 };
      lanes.set(webhookId, lane);
    }
    return lane;
  }

  const isEmpty = (lane: Lane) => lane.queue.length === 0 && lane.inFlight === 0 && lane.renewing === 0;

  function pumpLane(webhookId: string): void {
    const lane = lanes.get(webhookId);
    if (lane) pump(webhookId, lane);
  }

  function pump(webhookId: string, lane: Lane): void {
    while (deps.starting() && lane.inFlight + lane.renewing < cap && lane.queue.length > 0) {
      const job = lane.queue.shift()!;
      queued--;
      // It waited until too little of its lease is left for an attempt: renewed first (unless
      // another process took it meanwhile), keeping its place and its slot.
      if (job.lease.until - clock.now() < attempts.timeoutOf(job) + 1_000) {
        lane.renewing++;
        renewalEpochs.set(job, lane.epoch);
        renewal.renew(job);
        continue;
      }
      if (floors.isStale(job)) {
        deps.release([job.deliveryId]);
        continue;
      }
      lane.inFlight++;
      inFlight++;
      const controller = new AbortController();
      const sent = attempts.make(job, controller.signal).then((outcome) => {
        sending.delete(sent);
        lane.inFlight--;
        inFlight--;
        deps.onOutcome(outcome);
        pump(webhookId, lane);
      });
      sending.set(sent, { job, controller });
    }
    deps.onRoom(webhookId, lane.queue.length);
    if (isEmpty(lane)) lanes.delete(webhookId);
    deps.onSettled();
  }

  return {
    add(jobs, first = false) {
      const stale: string[] = [];
      const overflow: string[] = [];
      const overflowing = new Set<string>();
      for (const job of jobs) {
        if (floors.isStale(job)) {
          stale.push(job.deliveryId); // built before a change: back to the store, to be built again
          continue;
        }
        const lane = laneOf(job.webhookId);
        if (lane.queue.length >= config.queuedPerWebhook) {
          overflow.push(job.deliveryId);
          overflowing.add(job.webhookId);
          continue;
        }
        if (first) lane.queue.unshift(job);
        else lane.queue.push(job);
        queued++;
        pump(job.webhookId, lane);
      }
      deps.release(stale);
      if (overflow.length > 0) {
        deps.onOverflow(overflowing);
        deps.release(overflow);
      }
    },

    forget(webhookId) {
      const lane = lanes.get(webhookId);
      if (!lane) return;
      const ids = lane.queue.map((job) => job.deliveryId);
      queued -= lane.queue.length;
      lane.queue = [];
      lane.epoch++;
      if (isEmpty(lane)) lanes.delete(webhookId);
      deps.release(ids);
      deps.onSettled();
    },

    async dropStale(stale, abortReason) {
      const dropped: string[] = [];
      for (const [webhookId, lane] of [...lanes]) {
        const gone = lane.queue.filter(stale);
        if (gone.length === 0) continue;
        dropped.push(...gone.map((job) => job.deliveryId));
        queued -= gone.length;
        lane.queue = lane.queue.filter((job) => !stale(job));
        if (isEmpty(lane)) lanes.delete(webhookId);
      }
      deps.release(dropped);
      deps.onSettled();
      const over = [...sending].filter(([, { job }]) => stale(job));
      if (abortReason !== null) for (const [, { controller }] of over) controller.abort(abortReason);
      await Promise.allSettled(over.map(([sent]) => sent));
    },

    track(sent, job, controller) {
      sending.set(sent, { job, controller });
      const forget = () => sending.delete(sent);
      sent.then(forget, forget);
    },

    full(perLane, now) {
      // A job being renewed has left the queue but may hold a lease that ran out while it waited:
      // a claim now could take it from under the renewal (which then finds it lost).
      return [...lanes]
        .filter(([, lane]) => lane.queue.length >= perLane || lane.renewing > 0 || lane.queue.some((job) => job.lease.until <= now))
        .map(([webhookId]) => webhookId);
    },

    setCap(inFlightCap) {
      cap = inFlightCap;
      for (const [webhookId, lane] of lanes) pump(webhookId, lane);
    },

    get cap() {
      return cap;
    },

    takeAll() {
      const taken = renewal.takeWaiting().map((job) => {
        laneOf(job.webhookId).renewing--;
        renewalEpochs.delete(job);
        return job;
      });
      for (const [webhookId, lane] of lanes) {
        taken.push(...lane.queue);
        queued -= lane.queue.length;
        lane.queue = [];
        if (isEmpty(lane)) lanes.delete(webhookId);
      }
      return taken;
    },

    get queued() {
      return queued;
    },
    get inFlight() {
      return inFlight;
    },
    get renewing() {
      return renewal.busy;
    },
  };
}
