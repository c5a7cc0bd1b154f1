// Claiming due work from the store: retries that came due and leases a crashed process left.
// One claim at a time; whoever asks while one runs (the poll loop, the store's "something is due",
// a lane with room again) gets one more claim right after it. Modes (dispatcher-modes.ts CLAIMS):
//   resting         no claim running
//   claiming        a claim is running
//   claiming-again  a claim is running, and another follows it
// Besides the modes, what is owed: webhooks that may have due work in the store we did not take
// (their lane overflowed, a claim skipped their full lane or took a whole share for them), or any
// webhook at all (a claim filled its batch). A lane of an owed webhook that is down to half a
// share claims at once, so a backlog goes out share by share as lanes empty; the poll is only the
// fallback (before, a backlog bigger than one claim went out a share per poll interval).
import type { Clock } from '../clock.ts';
import type { DeliveryStore } from '../store/store.ts';
import type { DeliveryJob } from './delivery.ts';
import { CLAIMS, modes } from './dispatcher-modes.ts';
import type { Lanes } from './lanes.ts';

export interface ClaimsDeps {
  store: DeliveryStore;
  owner: string;
  clock: Clock;
  lanes: Lanes;
  config: { leaseMs: number; claimBatch: number; queuedPerWebhook: number; defaultTimeoutMs: number; maxTimeoutMs: number };
  /** Whether claiming makes sense (not draining). */
  claiming(): boolean;
  accept(jobs: DeliveryJob[]): void;
}

export interface Claims {
  /** Claims due work (after the claim running, if one is): resolves once claimed and handed to the lanes. */
  claim(): Promise<void>;
  /** Work of these webhooks went back to the store for want of room: `roomAgain` claims it once their lane has room. */
  owe(webhookIds: Iterable<string>): void;
  /** A webhook's lane is down to `queued` jobs: whether to claim now (work is owed it, its lane has room for half a share, and `allowed`). */
  roomAgain(allowed: boolean, webhookId: string, queued: number): boolean;
  readonly mode: string;
}

export function createClaims(deps: ClaimsDeps): Claims {
  const { store, owner, clock, lanes, config } = deps;
  const mode = modes('claims', CLAIMS, 'resting');
  /** Webhooks that may have due work left in the store (state: nothing else remembers it). */
  const owed = new Set<string>();
  /** A claim filled its batch: any webhook may have due work left. */
  let owedAny = false;

  /** Rounds of attempts, each up to the default deadline, that fit in a lease with a second to spare (1 to 8). */
  const defaultDeadlineMs = Math.min(config.defaultTimeoutMs, config.maxTimeoutMs);
  const wavesWithinLease = Math.max(1, Math.min(8, Math.floor((config.leaseMs - defaultDeadlineMs - 1_000) / defaultDeadlineMs)));

  // A lane's share of a claim: enough to keep it busy, few enough to be sent within the lease even
  // when every attempt takes its whole deadline (a hanging receiver). A lane that has that much
  // already is skipped, so a dead receiver's backlog never holds up other webhooks; so is one
  // holding a job whose lease ran out while it waited, or renewing one (it is renewed when its turn
  // comes), lest it be claimed twice here (lanes.full).
  const perLane = () => Math.min(config.queuedPerWebhook, lanes.cap * wavesWithinLease);

  async function claimOnce(): Promise<void> {
    if (!deps.claiming()) return;
    const share = perLane();
    const now = clock.now();
    const skipped = lanes.full(share, now);
    // Owed before the store answers, not after: a skipped lane may drain while the claim runs, and
    // its room then claims again only if it is already owed (else nothing would until the poll).
    for (const webhookId of skipped) owed.add(webhookId);
    const jobs = await store.claimDue({ owner, now, leaseMs: config.leaseMs, limit: config.claimBatch, perWebhookLimit: share, skipWebhookIds: skipped });
    // What this claim may have left behind.
    if (jobs.length >= config.claimBatch) owedAny = true;
    const perWebhook = new Map<string, number>();
    for (const { webhookId } of jobs) {
      const count = (perWebhook.get(webhookId) ?? 0) + 1;
      perWebhook.set(webhookId, count);
      if (count >= share) owed.add(webhookId);
    }
    deps.accept(jobs);
  }

  /** The claim that follows the running one, shared by all who asked meanwhile. */
  let following: { claimed: Promise<void>; start(): void } | null = null;

  function start(): Promise<void> {
    mode.to('claiming');
    const claimed = claimOnce();
    const after = () => {
      if (!mode.is('claiming-again')) return mode.to('resting');
      const then = following!;
      following = null;
      then.start();
    };
    void claimed.then(after, after);
    return claimed;
  }

  return {
    claim() {
      if (mode.is('resting')) return start();
      if (mode.is('claiming')) {
        mode.to('claiming-again');
        let startFollowing!: () => void;
        const claimed = new Promise<void>((resolve, reject) => (startFollowing = () => start().then(resolve, reject)));
        following = { claimed, start: startFollowing };
      }
      return following!.claimed;
    },
    owe(webhookIds) {
      for (const webhookId of webhookIds) owed.add(webhookId);
    },
    roomAgain(allowed, webhookId, queued) {
      // Below half a share, so the claim finds the lane not full and takes for it too. If it is
      // full again by then, the claim skips it and owes it again: a lane that does not move
      // claims no more.
      if (!(owedAny || owed.has(webhookId)) || !allowed || queued >= perLane() / 2) return false;
      owedAny = false;
      owed.delete(webhookId);
      return true;
    },
    get mode() {
      return mode.current;
    },
  };
}
