// Contract: what lets several processes share the work — deliveries left for any worker, wake-ups
// when work becomes claimable, presence, and retention that never touches what is still owed.
import { describe, expect, it } from 'vitest';
import type { Store } from '../store.ts';
import type { ContractContext } from './index.ts';
import { DAY, HOUR, OTHER, OWNER, SECOND, T0, claim, createTenant, createWebhook, giveUp, ingest, only, record, retryAt, started, success } from './fixtures.ts';

/** Counts wake-ups from `onDue` that arrive after `action`, waiting briefly for them (PostgreSQL sends them over NOTIFY). */
async function wakeUpsAfter(store: Store, action: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const off = store.deliveries.onDue(() => count++);
  try {
    await new Promise((resolve) => setTimeout(resolve, 200)); // let a fresh listener settle
    count = 0;
    await action();
    for (let waited = 0; count === 0 && waited < 2_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    return count;
  } finally {
    off();
  }
}

export function sharedWorkContract(ctx: ContractContext): void {
  describe('shared work', () => {
    it('leaves fresh deliveries unleased for any worker when ingest takes no lease, and says so', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      let fresh: unknown[] = [];
      const wakeUps = await wakeUpsAfter(store, async () => {
        fresh = (await ingest(store, tenant, [started('a', T0)], { unleased: true })).fresh;
      });
      expect(fresh).toEqual([]);
      expect(wakeUps).toBeGreaterThan(0);
      const jobs = await claim(store, T0, { owner: OTHER });
      expect(jobs).toHaveLength(1);
      expect(jobs[0]!.lease.owner).toBe(OTHER);
    });

    it('wakes workers when leases are released and when deliveries are replayed', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id, { retryScheduleS: [] });
      const { fresh } = await ingest(store, tenant, [started('a', T0)]);
      expect(await wakeUpsAfter(store, () => store.deliveries.releaseLeases(OWNER, [only(fresh).deliveryId]))).toBeGreaterThan(0);
      const [job] = await claim(store, T0);
      await record(store, [giveUp(job!, T0)], T0);
      expect(await wakeUpsAfter(store, () => store.deliveries.replay({ orgId: tenant.org.id, webhookId: webhook.id, since: 0, statuses: ['failed'], now: T0 + HOUR }))).toBeGreaterThan(0);
    });

    it('counts the dispatching processes seen recently, and forgets those that left', async () => {
      const { store } = ctx;
      const staleAfterMs = 15 * SECOND;
      expect(await store.workers.beat({ owner: 'p1', dispatches: true, now: T0, staleAfterMs })).toBe(1);
      expect(await store.workers.beat({ owner: 'api', dispatches: false, now: T0, staleAfterMs })).toBe(1);
      expect(await store.workers.beat({ owner: 'p2', dispatches: true, now: T0 + SECOND, staleAfterMs })).toBe(2);
      // p1 falls silent; p2 keeps beating.
      expect(await store.workers.beat({ owner: 'p2', dispatches: true, now: T0 + 20 * SECOND, staleAfterMs })).toBe(1);
      await store.workers.beat({ owner: 'p1', dispatches: true, now: T0 + 21 * SECOND, staleAfterMs });
      await store.workers.leave('p1');
      expect(await store.workers.beat({ owner: 'p2', dispatches: true, now: T0 + 22 * SECOND, staleAfterMs })).toBe(1);
    });

    it('purges what is old and finished, in batches, and never what is still owed', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id, { retryScheduleS: [60] });
      const old = await ingest(store, tenant, [started('old-1', T0), started('old-2', T0), started('owed', T0)], { now: T0 });
      const jobs = old.fresh;
      await record(store, [success(jobs[0]!, T0), success(jobs[1]!, T0), retryAt(jobs[2]!, T0, T0 + 20 * DAY)], T0); // 'owed' retries later
      const recent = await ingest(store, tenant, [started('recent', T0 + 10 * DAY)], { now: T0 + 10 * DAY });
      await record(store, [success(only(recent.fresh), T0 + 10 * DAY)], T0 + 10 * DAY);

      const before = T0 + 5 * DAY;
      const first = await store.retention.purge({ before, limit: 1 });
      expect(first).toMatchObject({ attempts: 1, deliveries: 1 });
      let total = { ...first };
      for (let i = 0; i < 10; i++) {
        const batch = await store.retention.purge({ before, limit: 1 });
        for (const key of Object.keys(total) as Array<keyof typeof total>) total[key] += batch[key];
      }
      expect(total).toEqual({ attempts: 3, deliveries: 2, events: 2, calls: 2 });
      const left = (await store.deliveries.list(tenant.org.id, {}, { limit: 10 })).data;
      expect(left.map((d) => [d.callId, d.status]).sort()).toEqual([['owed', 'pending'], ['recent', 'succeeded']]);
      expect(await store.calls.get(tenant.org.id, 'old-1')).toBeNull();
      expect(await store.calls.get(tenant.org.id, 'owed')).not.toBeNull();
      expect(await store.calls.events(tenant.org.id, 'owed')).toHaveLength(1);
    });
  });
}
