// Contract: webhook health kept by recordResults (delivery/webhook-health.ts) — the run of failed
// attempts (count, start, latest failure) across batches, manual attempts and lost leases; the next
// scheduled attempt per webhook; and each organization's count of failing and disabled webhooks.
import { describe, expect, it } from 'vitest';
import type { DeliveryJob } from '../../delivery/delivery.ts';
import type { ContractContext } from './index.ts';
import {
  HOUR, LEASE_MS, MINUTE, OTHER, OWNER, SECOND, T0, claim, createTenant, createWebhook, disableWebhook, enableWebhook, giveUp, ingest,
  manualFailure, only, outcome, record, retryAt, started, success,
} from './fixtures.ts';

const runOf = (w: { consecutiveFailures: number; failingSince: number | null; lastFailureAt: number | null } | null) =>
  w && { consecutiveFailures: w.consecutiveFailures, failingSince: w.failingSince, lastFailureAt: w.lastFailureAt };

export function healthContract(ctx: ContractContext): void {
  describe('webhooks: health kept with the attempt results', () => {
    it('counts a run of failures across batches from its first failure, and ends it with a success', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const bystander = await createWebhook(store, tenant.org.id, { url: 'https://other.example/hook' });
      const get = async () => store.webhooks.get(tenant.org.id, webhook.id);
      expect(runOf(await get())).toEqual({ consecutiveFailures: 0, failingSince: null, lastFailureAt: null });

      const jobs = (await ingest(store, tenant, [started('a', T0), started('b', T0)])).fresh.filter((j) => j.webhookId === webhook.id);
      const [a, b] = jobs as [DeliveryJob, DeliveryJob];
      // Two failures in one batch, the later listed first: the run starts at the earlier one.
      await record(store, [retryAt(b, T0 + 2 * SECOND, T0 + HOUR), retryAt(a, T0 + SECOND, T0 + HOUR)], T0 + 3 * SECOND);
      expect(runOf(await get())).toEqual({ consecutiveFailures: 2, failingSince: T0 + SECOND, lastFailureAt: T0 + 2 * SECOND });
      expect((await get())?.lastError).toBe('HTTP 500');

      const retries = (await claim(store, T0 + HOUR)).filter((j) => j.webhookId === webhook.id);
      expect(retries).toHaveLength(2);
      await record(store, [retryAt(retries[0]!, T0 + HOUR, T0 + 2 * HOUR)], T0 + HOUR + SECOND, { owner: OTHER });
      expect(runOf(await get())).toEqual({ consecutiveFailures: 3, failingSince: T0 + SECOND, lastFailureAt: T0 + HOUR });

      await record(store, [success(retries[1]!, T0 + HOUR + MINUTE)], T0 + HOUR + MINUTE + SECOND, { owner: OTHER });
      expect(runOf(await get())).toEqual({ consecutiveFailures: 0, failingSince: null, lastFailureAt: T0 + HOUR });
      expect((await get())?.lastSuccessAt).toBe(T0 + HOUR + MINUTE);
      // Another webhook of the organization saw none of it.
      expect(runOf(await store.webhooks.get(tenant.org.id, bystander.id))).toEqual({ consecutiveFailures: 0, failingSince: null, lastFailureAt: null });
    });

    it('reads a batch in time order: failures after its last success start a new run, earlier ones are over', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const [a, b, c, d] = (await ingest(store, tenant, ['a', 'b', 'c', 'd'].map((id) => started(id, T0)))).fresh as [DeliveryJob, DeliveryJob, DeliveryJob, DeliveryJob];
      await record(store, [retryAt(a, T0, T0 + HOUR)], T0 + SECOND);

      // The failing run (since T0) ends with the success at T0 + 2 s; the failures after it begin another.
      await record(store, [retryAt(d, T0 + 4 * SECOND, T0 + HOUR), success(b, T0 + 2 * SECOND), retryAt(c, T0 + 3 * SECOND, T0 + HOUR)], T0 + 5 * SECOND);
      expect(runOf(await store.webhooks.get(tenant.org.id, webhook.id))).toEqual({ consecutiveFailures: 2, failingSince: T0 + 3 * SECOND, lastFailureAt: T0 + 4 * SECOND });
    });

    it('does not let a success that started before the current run end it (a slow answer reported late)', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const [slow, quick] = (await ingest(store, tenant, [started('a', T0), started('b', T0)])).fresh as [DeliveryJob, DeliveryJob];
      await record(store, [retryAt(quick, T0 + 10 * SECOND, T0 + HOUR)], T0 + 11 * SECOND);
      await record(store, [success(slow, T0 + 9 * SECOND)], T0 + 12 * SECOND);
      expect(runOf(await store.webhooks.get(tenant.org.id, webhook.id))).toEqual({ consecutiveFailures: 1, failingSince: T0 + 10 * SECOND, lastFailureAt: T0 + 10 * SECOND });
    });

    it('counts manual attempts and attempts whose lease was lost: each tells how the receiver is', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const job = only((await ingest(store, tenant, [started('a', T0)])).fresh);
      await record(store, [giveUp(job, T0 + SECOND)], T0 + 2 * SECOND);
      const get = async () => runOf(await store.webhooks.get(tenant.org.id, webhook.id));
      expect(await get()).toMatchObject({ consecutiveFailures: 1, failingSince: T0 + SECOND });

      const manual = await store.deliveries.beginManualAttempt({ orgId: tenant.org.id, deliveryId: job.deliveryId, owner: OWNER, leaseMs: LEASE_MS, now: T0 + HOUR });
      await record(store, [manualFailure(manual, T0 + HOUR)], T0 + HOUR + SECOND);
      expect(await get()).toEqual({ consecutiveFailures: 2, failingSince: T0 + SECOND, lastFailureAt: T0 + HOUR });

      // A result from a lease since taken over: the delivery does not move, the attempt counts.
      const again = await store.deliveries.beginManualAttempt({ orgId: tenant.org.id, deliveryId: job.deliveryId, owner: OWNER, leaseMs: LEASE_MS, now: T0 + 2 * HOUR });
      await store.deliveries.beginManualAttempt({ orgId: tenant.org.id, deliveryId: job.deliveryId, owner: OTHER, leaseMs: LEASE_MS, now: T0 + 2 * HOUR + LEASE_MS });
      const stale = await record(store, [outcome(again, T0 + 2 * HOUR, { status: 502, next: { status: 'unchanged' } })], T0 + 2 * HOUR + LEASE_MS + SECOND);
      expect(stale.stale).toEqual([job.deliveryId]);
      expect(await get()).toEqual({ consecutiveFailures: 3, failingSince: T0 + SECOND, lastFailureAt: T0 + 2 * HOUR });

      const last = await store.deliveries.beginManualAttempt({ orgId: tenant.org.id, deliveryId: job.deliveryId, owner: OWNER, leaseMs: LEASE_MS, now: T0 + 3 * HOUR });
      await record(store, [success(last, T0 + 3 * HOUR)], T0 + 3 * HOUR + SECOND);
      expect(await get()).toEqual({ consecutiveFailures: 0, failingSince: null, lastFailureAt: T0 + 2 * HOUR });
    });

    it('answers the earliest scheduled attempt of each webhook’s pending deliveries', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const retrying = await createWebhook(store, tenant.org.id);
      const idle = await createWebhook(store, tenant.org.id, { url: 'https://idle.example/hook', events: ['call.recording'] });
      const [a, b, c] = (await ingest(store, tenant, ['a', 'b', 'c'].map((id) => started(id, T0)))).fresh.filter((j) => j.webhookId === retrying.id) as [DeliveryJob, DeliveryJob, DeliveryJob];
      await record(store, [retryAt(a, T0, T0 + 2 * HOUR), retryAt(b, T0, T0 + HOUR), success(c, T0)], T0 + SECOND);

      expect(await store.webhooks.nextAttemptTimes([retrying.id, idle.id, 'wh_unknown'])).toEqual(new Map([[retrying.id, T0 + HOUR]]));
      expect(await store.webhooks.nextAttemptTimes([])).toEqual(new Map());
      // Disabled: what it owes is held, not scheduled.
      await disableWebhook(store, tenant.org.id, retrying.id, 'paused', T0 + 2 * SECOND);
      expect(await store.webhooks.nextAttemptTimes([retrying.id])).toEqual(new Map());
    });

    it('counts each organization’s failing and disabled webhooks (a disabled one is not also failing)', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const quiet = await createTenant(store);
      const failing = await createWebhook(store, tenant.org.id);
      const failingThenDisabled = await createWebhook(store, tenant.org.id, { url: 'https://two.example/hook' });
      await createWebhook(store, tenant.org.id, { url: 'https://off.example/hook', enabled: false });
      await createWebhook(store, tenant.org.id, { url: 'https://fine.example/hook', events: ['call.recording'] });
      const jobs = (await ingest(store, tenant, [started('a', T0)])).fresh;
      await record(store, jobs.map((job) => retryAt(job, T0, T0 + HOUR)), T0 + SECOND);
      expect(jobs.map((j) => j.webhookId).sort()).toEqual([failing.id, failingThenDisabled.id].sort());

      const counts = () => store.webhooks.healthCounts([tenant.org.id, quiet.org.id, 'org_unknown']);
      expect(await counts()).toEqual(new Map([[tenant.org.id, { failing: 2, disabled: 1 }], [quiet.org.id, { failing: 0, disabled: 0 }], ['org_unknown', { failing: 0, disabled: 0 }]]));
      await disableWebhook(store, tenant.org.id, failingThenDisabled.id, 'paused', T0 + 2 * SECOND);
      expect((await counts()).get(tenant.org.id)).toEqual({ failing: 1, disabled: 2 });
      // Enabled again it is failing again: nothing has succeeded since.
      await enableWebhook(store, tenant.org.id, failingThenDisabled.id, T0 + 3 * SECOND);
      expect((await counts()).get(tenant.org.id)).toEqual({ failing: 2, disabled: 1 });
      expect(runOf(await store.webhooks.get(tenant.org.id, failingThenDisabled.id))).toMatchObject({ consecutiveFailures: 1, failingSince: T0 });
    });
  });
}
