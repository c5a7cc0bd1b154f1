// Renews the leases of deliveries that waited in their lane (a slow or hanging receiver) until too
// little of the lease was left for an attempt. Only jobs about to be sent ask, so a delivery is
// renewed at most once per wait however long its lane is; those that ask at about the same time
// share one write. A lease another process took meanwhile (an expired one may be) stays theirs.
import type { Clock } from '../clock.ts';
import type { DeliveryStore } from '../store/store.ts';
import type { DeliveryJob } from './delivery.ts';

export interface LeaseRenewal {
  /** Renews the job's lease soon; `onRenewed` or `onLost` hears of it once. */
  renew(job: DeliveryJob): void;
  /** Something is waiting to be written, or being written. */
  readonly busy: boolean;
  /** Takes back what has not been written yet (a stop): those jobs are neither renewed nor lost. */
  takeWaiting(): DeliveryJob[];
}

export function createLeaseRenewal(deps: {
  store: DeliveryStore;
  owner: string;
  leaseMs: number;
  clock: Clock;
  /** Renewed: their `lease.until` is already extended. */
  onRenewed(jobs: DeliveryJob[]): void;
  /** Not renewed: taken by another process, no longer pending, or the write failed (then `error`). */
  onLost(jobs: DeliveryJob[], error?: unknown): void;
}): LeaseRenewal {
  let waiting: DeliveryJob[] = [];
  let writing = false;
  let scheduled = false;

  function schedule(): void {
    if (scheduled || writing || waiting.length === 0) return;
    scheduled = true;
    setImmediate(() => void write());
  }

  async function write(): Promise<void> {
    scheduled = false;
    const jobs = waiting;
    waiting = [];
    if (jobs.length === 0) return;
    writing = true;
    const until = deps.clock.now() + deps.leaseMs;
    let renewedIds: Set<string>;
    try {
      renewedIds = new Set(await deps.store.renewLeases({ owner: deps.owner, leases: jobs.map((job) => ({ deliveryId: job.deliveryId, version: job.lease.version })), until }));
    } catch (error) {
      writing = false;
      deps.onLost(jobs, error);
      schedule();
      return;
    }
    writing = false;
    const renewed: DeliveryJob[] = [];
    const lost: DeliveryJob[] = [];
    for (const job of jobs) {
      if (renewedIds.has(job.deliveryId)) {
        job.lease.until = until;
        renewed.push(job);
      } else lost.push(job);
    }
    if (lost.length > 0) deps.onLost(lost);
    if (renewed.length > 0) deps.onRenewed(renewed);
    schedule();
  }

  return {
    renew(job) {
      waiting.push(job);
      schedule();
    },
    get busy() {
      return writing || scheduled || waiting.length > 0;
    },
    takeWaiting() {
      const jobs = waiting;
      waiting = [];
      return jobs;
    },
  };
}
