// Contract: claiming due deliveries under a lease, releasing leases, manual attempts, replay, and
// reading deliveries and attempts back.
import { describe, expect, it } from 'vitest';
import type { DeliveryJob } from '../../delivery/delivery.ts';
import type { ContractContext } from './index.ts';
import {
  HOUR, LEASE_MS, MINUTE, OTHER, OWNER, SECOND, T0, type Tenant, allPages, answered, claim, createTenant, createWebhook, disableWebhook, enableWebhook, ended,
  expectAppError, giveUp, ingest, manualFailure, only, record, retryAt, started, success,
} from './fixtures.ts';

const idsOf = (jobs: DeliveryJob[]) => jobs.map((j) => j.deliveryId).sort();

export function deliveriesContract(ctx: ContractContext): void {
  /** `count` calls with one delivery each for every webhook, their leases let go: all claimable at T0. */
  async function claimable(tenant: Tenant, count: number, prefix = 'c'): Promise<string[]> {
    const calls = Array.from({ length: count }, (_, i) => started(`${prefix}${i}`, T0));
    const { fresh } = await ingest(ctx.store, tenant, calls);
    await ctx.store.deliveries.releaseLeases(OWNER, fresh.map((j) => j.deliveryId));
    return idsOf(fresh);
  }

  describe('deliveries: claiming and leases', () => {
    it('claims only pending deliveries that are due and whose lease is free', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      await createWebhook(store, tenant.org.id, { enabled: false }); // held copies of everything
      const leased = await ingest(store, tenant, [started('a', T0), answered('a', T0 + SECOND)]); // a1 leased, a2 waiting
      const later = only((await ingest(store, tenant, [started('b', T0)])).fresh);
      const done = only((await ingest(store, tenant, [started('c', T0)])).fresh);
      const dead = only((await ingest(store, tenant, [started('d', T0)])).fresh);
      const free = only((await ingest(store, tenant, [started('f', T0)])).fresh);
      await record(store, [retryAt(later, T0, T0 + HOUR), success(done, T0), giveUp(dead, T0)], T0);
      await store.deliveries.releaseLeases(OWNER, [free.deliveryId]);

      const now = only(await claim(store, T0 + SECOND, { owner: OTHER }));
      expect(now.deliveryId).toBe(free.deliveryId);
      expect(now.lease).toEqual({ owner: OTHER, version: expect.any(Number), until: T0 + SECOND + LEASE_MS });
      expect(now.lease.version).toBeGreaterThan(free.lease.version);

      const a1 = only(leased.fresh);
      const atHour = await claim(store, T0 + HOUR, { owner: OTHER });
      expect(idsOf(atHour)).toEqual([a1.deliveryId, later.deliveryId, free.deliveryId].sort());
      expect(await claim(store, T0 + HOUR + SECOND)).toEqual([]);
    });

    it('claims at most limit deliveries, and at most perWebhookLimit of each webhook', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const w1 = await createWebhook(store, tenant.org.id);
      const w2 = await createWebhook(store, tenant.org.id);
      const all = await claimable(tenant, 3);
      expect(all).toHaveLength(6);

      const first = await claim(store, T0, { limit: 10, perWebhookLimit: 2 });
      expect(first.filter((j) => j.webhookId === w1.id)).toHaveLength(2);
      expect(first.filter((j) => j.webhookId === w2.id)).toHaveLength(2);
      const second = await claim(store, T0, { limit: 1, perWebhookLimit: 2 });
      expect(second).toHaveLength(1);
      const third = await claim(store, T0, { limit: 10, perWebhookLimit: 2 });
      expect(idsOf([...first, ...second, ...third])).toEqual(all);
    });

    it('claims the longest due of each webhook, and the longest due across them, none of a webhook it skips', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const hooks = [await createWebhook(store, tenant.org.id), await createWebhook(store, tenant.org.id), await createWebhook(store, tenant.org.id)];
      const { fresh } = await ingest(store, tenant, Array.from({ length: 5 }, (_, i) => started(`due-${i}`, T0)));
      expect(fresh).toHaveLength(15);
      // Each delivery due a second apart from the others, in no order of arrival, webhook or call.
      const dueAt = new Map(fresh.map((job, i) => [job.deliveryId, T0 + HOUR + ((i * 7) % 15) * SECOND]));
      await record(store, fresh.map((job) => retryAt(job, T0, dueAt.get(job.deliveryId)!)), T0);
      const now = T0 + HOUR + 12 * SECOND; // two are not due yet
      const longestDue = (jobs: DeliveryJob[]) => jobs.filter((job) => dueAt.get(job.deliveryId)! <= now).sort((a, b) => dueAt.get(a.deliveryId)! - dueAt.get(b.deliveryId)!);

      // Room for more than two webhooks' share: the two longest due of each webhook not skipped.
      const shares = await claim(store, now, { limit: 10, perWebhookLimit: 2, skipWebhookIds: [hooks[2]!.id] });
      expect(idsOf(shares)).toEqual(idsOf(hooks.slice(0, 2).flatMap((hook) => longestDue(fresh.filter((job) => job.webhookId === hook.id)).slice(0, 2))));
      // No share to fill: the three longest due of all that are left, whatever their webhook.
      const claimedFirst = new Set(shares.map((job) => job.deliveryId));
      const three = await claim(store, now, { limit: 3, perWebhookLimit: 10 });
      expect(idsOf(three)).toEqual(idsOf(longestDue(fresh.filter((job) => !claimedFirst.has(job.deliveryId))).slice(0, 3)));
    });

    it('never gives the same delivery to two claimers at once', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      await createWebhook(store, tenant.org.id);
      const all = await claimable(tenant, 5);
      const [a, b] = await Promise.all([claim(store, T0, { owner: OWNER, limit: 7 }), claim(store, T0, { owner: OTHER, limit: 7 })]);
      expect(a.every((j) => j.lease.owner === OWNER) && b.every((j) => j.lease.owner === OTHER)).toBe(true);
      const taken = [...idsOf(a), ...idsOf(b)];
      expect(new Set(taken).size).toBe(taken.length);
      expect(taken.sort()).toEqual(all);
    });

    it('lets another owner claim an expired lease, with a higher version', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      const job = only((await ingest(store, tenant, [started('a', T0)])).fresh);
      expect(await claim(store, T0 + LEASE_MS - 1)).toEqual([]);
      const again = only(await claim(store, T0 + LEASE_MS, { owner: OTHER }));
      expect(again.deliveryId).toBe(job.deliveryId);
      expect(again.lease.version).toBeGreaterThan(job.lease.version);
      const third = only(await claim(store, T0 + 3 * LEASE_MS, { owner: OWNER }));
      expect(third.lease.version).toBeGreaterThan(again.lease.version);
    });

    it('renews only leases the owner still holds, of deliveries still pending, even once run out', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      const fresh = (await ingest(store, tenant, [started('a', T0), started('b', T0), started('c', T0), started('d', T0)])).fresh;
      const [first, second, done, fourth] = fresh as [DeliveryJob, DeliveryJob, DeliveryJob, DeliveryJob];
      await record(store, [success(done, T0)], T0);
      // The leases have run out; another owner takes the oldest.
      expect(only(await claim(store, T0 + LEASE_MS, { owner: OTHER, limit: 1 })).deliveryId).toBe(first.deliveryId);
      const until = T0 + 2 * LEASE_MS - 1; // just before the other owner's lease runs out
      const renewed = await store.deliveries.renewLeases({
        owner: OWNER,
        leases: fresh.map((job) => ({ deliveryId: job.deliveryId, version: job.lease.version })),
        until,
      });
      expect(renewed.sort()).toEqual(idsOf([second, fourth]));
      expect(await claim(store, until - 1, { owner: OTHER })).toEqual([]);
      expect(idsOf(await claim(store, until, { owner: OTHER }))).toEqual(idsOf([second, fourth]));
      expect(await store.deliveries.renewLeases({ owner: OWNER, leases: [], until })).toEqual([]);
    });

    it('releases only the leases the owner holds, claimable at once', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      const job = only((await ingest(store, tenant, [started('a', T0)])).fresh);
      await store.deliveries.releaseLeases(OTHER, [job.deliveryId]);
      expect(await claim(store, T0 + SECOND)).toEqual([]);
      await store.deliveries.releaseLeases(OWNER, []);
      await store.deliveries.releaseLeases(OWNER, [job.deliveryId]);
      expect(only(await claim(store, T0 + SECOND)).deliveryId).toBe(job.deliveryId);
    });
  });

  describe('deliveries: manual attempts', () => {
    it('refuses an unknown delivery, a disabled webhook, a delivery in flight and one waiting its turn', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const other = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const { fresh, plan } = await ingest(store, tenant, [started('a', T0), answered('a', T0 + SECOND)]);
      const inFlight = only(fresh);
      const waiting = plan.deliveries[1]!.id;
      const begin = (orgId: string, deliveryId: string, now = T0 + SECOND) =>
        store.deliveries.beginManualAttempt({ orgId, deliveryId, owner: OTHER, leaseMs: LEASE_MS, now });

      await expectAppError(begin(tenant.org.id, 'dlv_missing'), 'NOT_FOUND');
      await expectAppError(begin(other.org.id, inFlight.deliveryId), 'NOT_FOUND');
      await expectAppError(begin(tenant.org.id, inFlight.deliveryId), 'DELIVERY_BUSY');
      await expectAppError(begin(tenant.org.id, waiting), 'CONFLICT');

      await record(store, [giveUp(inFlight, T0)], T0 + SECOND);
      await disableWebhook(store, tenant.org.id, webhook.id, 'paused', T0 + 2 * SECOND);
      await expectAppError(begin(tenant.org.id, inFlight.deliveryId, T0 + 3 * SECOND), 'WEBHOOK_DISABLED');
    });

    it('leases a failed delivery for one manual attempt; its success finishes the delivery', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const job = only((await ingest(store, tenant, [started('a', T0)])).fresh);
      await record(store, [giveUp(job, T0)], T0);

      const now = T0 + HOUR;
      const manual = await store.deliveries.beginManualAttempt({ orgId: tenant.org.id, deliveryId: job.deliveryId, owner: OTHER, leaseMs: LEASE_MS, now });
      expect(manual).toMatchObject({ deliveryId: job.deliveryId, manual: true, attempts: 1, target: { url: webhook.url, secrets: [webhook.secret] } });
      expect(manual.lease).toEqual({ owner: OTHER, version: expect.any(Number), until: now + LEASE_MS });
      expect(manual.lease.version).toBeGreaterThan(job.lease.version);
      await expectAppError(
        store.deliveries.beginManualAttempt({ orgId: tenant.org.id, deliveryId: job.deliveryId, owner: OWNER, leaseMs: LEASE_MS, now: now + SECOND }),
        'DELIVERY_BUSY',
      );

      const out = await record(store, [success(manual, now)], now + SECOND, { owner: OTHER });
      expect(out.stale).toEqual([]);
      expect(await store.deliveries.get(tenant.org.id, job.deliveryId)).toMatchObject({ status: 'succeeded', attempts: 2, lastAttemptAt: now, lastStatus: 200 });
      expect((await store.deliveries.attempts(tenant.org.id, job.deliveryId)).map((a) => a.trigger)).toEqual(['scheduled', 'manual']);
    });

    it('leaves status and next attempt time as they were after a failed manual attempt', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      const { fresh } = await ingest(store, tenant, [started('a', T0), started('b', T0)]);
      const [retrying, failed] = fresh as [DeliveryJob, DeliveryJob];
      await record(store, [retryAt(retrying, T0, T0 + HOUR), giveUp(failed, T0)], T0);

      const at = T0 + 10 * MINUTE;
      for (const id of [retrying.deliveryId, failed.deliveryId]) {
        const manual = await store.deliveries.beginManualAttempt({ orgId: tenant.org.id, deliveryId: id, owner: OWNER, leaseMs: LEASE_MS, now: at });
        await record(store, [manualFailure(manual, at)], at + SECOND);
      }
      expect(await store.deliveries.get(tenant.org.id, retrying.deliveryId)).toMatchObject({
        status: 'pending', nextAttemptAt: T0 + HOUR, attempts: 2, lastAttemptAt: at, lastStatus: 503,
      });
      expect(await store.deliveries.get(tenant.org.id, failed.deliveryId)).toMatchObject({ status: 'failed', nextAttemptAt: null, attempts: 2 });
      expect(await claim(store, T0 + HOUR - 1)).toEqual([]);
      expect(only(await claim(store, T0 + HOUR)).deliveryId).toBe(retrying.deliveryId);
    });
  });

  describe('deliveries: replay', () => {
    it('re-queues failed and held deliveries since a time, in per-call order, with a fresh schedule', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const old = only((await ingest(store, tenant, [started('z', T0 - 24 * HOUR)], { now: T0 - 24 * HOUR })).fresh);
      const c1 = only((await ingest(store, tenant, [started('c', T0)])).fresh);
      await record(store, [giveUp(old, T0 - 24 * HOUR), giveUp(c1, T0)], T0);
      const a = await ingest(store, tenant, [started('a', T0), answered('a', T0 + SECOND), ended('a', T0 + 9 * SECOND)]);
      const b = await ingest(store, tenant, [started('b', T0)]);
      await disableWebhook(store, tenant.org.id, webhook.id, 'paused', T0 + HOUR);
      await enableWebhook(store, tenant.org.id, webhook.id, T0 + 2 * HOUR);

      const now = T0 + 3 * HOUR;
      const count = await store.deliveries.replay({ orgId: tenant.org.id, webhookId: webhook.id, since: T0 - HOUR, statuses: ['failed', 'held'], now });
      expect(count).toBe(5);
      const [a1, a2, a3] = a.plan.deliveries.map((d) => d.id) as [string, string, string];
      const b1 = b.plan.deliveries[0]!.id;
      const get = (id: string) => store.deliveries.get(tenant.org.id, id);
      expect(await get(a1)).toMatchObject({ status: 'pending', nextAttemptAt: now });
      expect(await get(a2)).toMatchObject({ status: 'waiting' });
      expect(await get(a3)).toMatchObject({ status: 'waiting' });
      expect(await get(old.deliveryId)).toMatchObject({ status: 'failed' });

      const jobs = await claim(store, now);
      expect(idsOf(jobs)).toEqual([a1, b1, c1.deliveryId].sort());
      const c1Job = jobs.find((j) => j.deliveryId === c1.deliveryId)!;
      expect(c1Job).toMatchObject({ attempts: 1, scheduleAttempts: 0, firstAttemptAt: null });

      const first = await record(store, [success(jobs.find((j) => j.deliveryId === a1)!, now)], now, { owner: OTHER });
      expect(first.promoted.map((j) => j.deliveryId)).toEqual([a2]);
      const second = await record(store, [success(first.promoted[0]!, now)], now, { owner: OTHER });
      expect(second.promoted.map((j) => j.deliveryId)).toEqual([a3]);
    });

    it('replays only the statuses asked for, of that webhook and organization', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const other = await createTenant(store);
      const w1 = await createWebhook(store, tenant.org.id);
      const w2 = await createWebhook(store, tenant.org.id);
      const { fresh } = await ingest(store, tenant, [started('a', T0)]);
      await record(store, fresh.map((j) => giveUp(j, T0)), T0);
      const held = (await ingest(store, tenant, [started('b', T0)])).fresh;
      await disableWebhook(store, tenant.org.id, w1.id, 'paused', T0);
      await enableWebhook(store, tenant.org.id, w1.id, T0);

      const replay = (orgId: string) => store.deliveries.replay({ orgId, webhookId: w1.id, since: T0 - HOUR, statuses: ['failed'], now: T0 + HOUR });
      expect(await replay(other.org.id)).toBe(0);
      expect(await replay(tenant.org.id)).toBe(1);
      const status = async (job: DeliveryJob) => (await store.deliveries.get(tenant.org.id, job.deliveryId))?.status;
      const byWebhook = (jobs: DeliveryJob[], id: string) => jobs.find((j) => j.webhookId === id)!;
      expect(await status(byWebhook(fresh, w1.id))).toBe('pending');
      expect(await status(byWebhook(fresh, w2.id))).toBe('failed');
      expect(await status(byWebhook(held, w1.id))).toBe('held');
    });
  });

  describe('deliveries: reading', () => {
    it('lists newest first across pages, with every filter', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const other = await createTenant(store);
      const w1 = await createWebhook(store, tenant.org.id);
      const w2 = await createWebhook(store, tenant.org.id);
      await createWebhook(store, other.org.id);
      const one = await ingest(store, tenant, [started('a', T0)]);
      const two = await ingest(store, tenant, [answered('a', T0 + HOUR), started('b', T0 + HOUR)], { now: T0 + HOUR });
      await ingest(store, other, [started('a', T0)]);
      const newestFirst = [...one.plan.deliveries, ...two.plan.deliveries].reverse();
      const list = (filter: Parameters<typeof store.deliveries.list>[1], limit = 100) =>
        allPages((after) => store.deliveries.list(tenant.org.id, filter, { limit, after }));
      const pick = (keep: (d: (typeof newestFirst)[number]) => boolean) => newestFirst.filter(keep).map((d) => d.id);

      const pages = await list({}, 4);
      expect(pages.map((p) => p.length)).toEqual([4, 2]);
      expect(pages.flat().map((d) => d.id)).toEqual(newestFirst.map((d) => d.id));

      const byW1 = await list({ webhookId: w1.id }, 2);
      expect(byW1.map((p) => p.length)).toEqual([2, 1]);
      expect(byW1.flat().map((d) => d.id)).toEqual(pick((d) => d.webhookId === w1.id));
      expect((await list({ eventType: 'call.answered' })).flat().map((d) => d.id)).toEqual(pick((d) => d.eventType === 'call.answered'));
      expect((await list({ callId: 'b' })).flat().map((d) => d.id)).toEqual(pick((d) => d.callId === 'b'));
      expect((await list({ status: 'waiting' })).flat().map((d) => d.id)).toEqual(pick((d) => d.callId === 'a' && d.eventType === 'call.answered'));
      expect((await list({ since: T0 + HOUR })).flat().map((d) => d.id)).toEqual(two.plan.deliveries.map((d) => d.id).reverse());
      const combined = await list({ webhookId: w2.id, status: 'pending', callId: 'a' });
      expect(combined.flat().map((d) => d.id)).toEqual(pick((d) => d.webhookId === w2.id && d.eventType === 'call.incoming' && d.callId === 'a'));
    });

    it('gives a delivery’s attempts in order, as recorded, to its organization only', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const other = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      const job = only((await ingest(store, tenant, [started('a', T0)])).fresh);
      const first = retryAt(job, T0, T0 + MINUTE);
      await record(store, [first], T0);
      const second = retryAt(only(await claim(store, T0 + MINUTE)), T0 + MINUTE, T0 + HOUR);
      await record(store, [second], T0 + MINUTE, { owner: OTHER });
      const third = success(only(await claim(store, T0 + HOUR)), T0 + HOUR);
      await record(store, [third], T0 + HOUR, { owner: OTHER });

      const attempts = await store.deliveries.attempts(tenant.org.id, job.deliveryId);
      expect(attempts).toEqual([first.attempt, second.attempt, third.attempt]);
      expect(attempts.map((a) => a.number)).toEqual([1, 2, 3]);
      expect(await store.deliveries.attempts(other.org.id, job.deliveryId)).toEqual([]);
      expect(await store.deliveries.get(other.org.id, job.deliveryId)).toBeNull();
    });
  });
}
