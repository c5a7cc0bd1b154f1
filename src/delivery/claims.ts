// Claiming due work from the store: retries that came due and leases a crashed process left.
// One claim at a time; whoever asks while one runs (the poll loop, the store's "something is due",
// a lane with room again) gets one more claim right after it. Modes (dispatcher-modes.ts CLAIMS):
//   resting         no claim running
//   claiming        a claim is running
//   claiming-again  a claim is running, and another follows it
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
  /** Work went back to the store for want of room: `roomAgain` claims it once a lane has room. */
  owe(): void;
  /** A lane has room: claims now if work is owed (and `allowed`). */
  roomAgain(allowed: boolean): boolean;
  readonly mode: string;
}

export function createClaims(deps: ClaimsDeps): Claims {
  const { store, owner, clock, lanes, config } = deps;
  const mode = modes('claims', CLAIMS, 'resting');
  /** Work went back to the store for want of room (state: nothing else remembers it). */
  let owed = false;

  /** Rounds of attempts, each up to the default deadline, that fit in a lease with a second to spare (1 to 8). */
  const defaultDeadlineMs = Math.min(config.defaultTimeoutMs, config.maxTimeoutMs);
  const wavesWithinLease = Math.max(1, Math.min(8, Math.floor((config.leaseMs - defaultDeadlineMs - 1_000) / defaultDeadlineMs)));

  async function claimOnce(): Promise<void> {
    if (!deps.claiming()) return;
    // Enough to keep a lane busy, few enough to be sent within the lease even when every attempt
    // takes its whole deadline (a hanging receiver). A lane that has that much already is skipped,
    // so a dead receiver's backlog never holds up other webhooks; so is one holding a job whose lease
    // ran out while it waited (it is renewed when its turn comes), lest it be claimed twice here.
    const perLane = Math.min(config.queuedPerWebhook, lanes.cap * wavesWithinLease);
    const now = clock.now();
    const jobs = await store.claimDue({ owner, now, leaseMs: config.leaseMs, limit: config.claimBatch, perWebhookLimit: perLane, skipWebhookIds: lanes.full(perLane, now) });
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
    owe() {
      owed = true;
    },
    roomAgain(allowed) {
      if (!owed || !allowed) return false;
      owed = false;
      return true;
    },
    get mode() {
      return mode.current;
    },
  };
}
