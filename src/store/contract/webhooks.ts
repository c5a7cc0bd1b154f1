// Contract: webhooks — CRUD, enable/disable (holding what is owed), secret rotation, deletion.
import { describe, expect, it } from 'vitest';
import type { ContractContext } from './index.ts';
import {
  HOUR, T0, allPages, answered, claim, createTenant, createWebhook, giveUp, ingest, only, record, retryAt, started,
  success,
} from './fixtures.ts';

export function webhooksContract(ctx: ContractContext): void {
  describe('webhooks', () => {
    it('creates, gets and lists the webhooks of one organization across pages', async () => {
      const { org } = await createTenant(ctx.store);
      const other = await createTenant(ctx.store);
      const created = [
        await createWebhook(ctx.store, org.id, { events: ['call.incoming', 'call.ended'], retryScheduleS: [5, 60], timeoutMs: 5_000 }),
        await createWebhook(ctx.store, org.id, { format: 'ringotel', contentType: 'application/x-www-form-urlencoded', apiToken: 'tok', description: 'CRM' }),
        await createWebhook(ctx.store, org.id, { enabled: false }),
      ];
      await createWebhook(ctx.store, other.org.id);
      for (const webhook of created) expect(await ctx.store.webhooks.get(org.id, webhook.id)).toEqual(webhook);
      expect(await ctx.store.webhooks.get(other.org.id, created[0]!.id)).toBeNull();

      const pages = await allPages((after) => ctx.store.webhooks.list(org.id, { limit: 2, after }));
      expect(pages).toHaveLength(2);
      expect(pages.flat()).toEqual(created);
    });

    it('updates the given fields only, and answers null for an unknown webhook or another organization', async () => {
      const { org } = await createTenant(ctx.store);
      const other = await createTenant(ctx.store);
      const webhook = await createWebhook(ctx.store, org.id);
      const patch = { url: 'https://crm.example/in', events: ['call.ended' as const], retryScheduleS: [1, 2, 3], description: 'CRM' };
      const updated = await ctx.store.webhooks.update(org.id, webhook.id, patch, T0 + HOUR);
      expect(updated).toEqual({ ...webhook, ...patch, updatedAt: T0 + HOUR });
      expect(await ctx.store.webhooks.get(org.id, webhook.id)).toEqual(updated);
      expect(await ctx.store.webhooks.update(org.id, 'wh_missing', { description: 'x' }, T0)).toBeNull();
      expect(await ctx.store.webhooks.update(other.org.id, webhook.id, { description: 'x' }, T0)).toBeNull();
      expect((await ctx.store.webhooks.get(org.id, webhook.id))?.description).toBe('CRM');
    });

    it('treats a patch key set to undefined as not given', async () => {
      // The Rinkel API's PUT passes { url, contentType, description } with the ones not sent undefined.
      const { org } = await createTenant(ctx.store);
      const webhook = await createWebhook(ctx.store, org.id, { description: 'CRM' });
      const updated = await ctx.store.webhooks.update(org.id, webhook.id, { url: undefined, contentType: undefined, description: 'New' }, T0 + HOUR);
      expect(updated).toEqual({ ...webhook, description: 'New', updatedAt: T0 + HOUR });
      expect(await ctx.store.webhooks.get(org.id, webhook.id)).toEqual(updated);
    });

    it('disables: holds pending and waiting deliveries, leaves finished ones alone', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const a = await ingest(store, tenant, [started('a', T0), answered('a', T0 + 5_000)]);
      const b = only((await ingest(store, tenant, [started('b', T0)])).fresh);
      const c = only((await ingest(store, tenant, [started('c', T0)])).fresh);
      await record(store, [success(b, T0), giveUp(c, T0)], T0);

      const disabled = await store.webhooks.disable(tenant.org.id, webhook.id, 'paused by the customer', T0 + HOUR);
      expect(disabled).toMatchObject({ enabled: false, disabledReason: 'paused by the customer', disabledAt: T0 + HOUR });
      expect(await store.webhooks.get(tenant.org.id, webhook.id)).toEqual(disabled);

      const status = async (id: string) => (await store.deliveries.get(tenant.org.id, id))?.status;
      const [a1, a2] = a.plan.deliveries;
      expect(await status(a1!.id)).toBe('held');
      expect(await status(a2!.id)).toBe('held');
      expect(await status(b.deliveryId)).toBe('succeeded');
      expect(await status(c.deliveryId)).toBe('failed');
      expect(await claim(store, T0 + 48 * HOUR)).toEqual([]);
      expect(await store.webhooks.disable(tenant.org.id, 'wh_missing', 'x', T0)).toBeNull();
    });

    it('keeps a delivery held when the attempt that was in flight at disabling fails with a retry', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const job = only((await ingest(store, tenant, [started('a', T0)])).fresh);
      await store.webhooks.disable(tenant.org.id, webhook.id, 'paused', T0 + 1_000);

      await record(store, [retryAt(job, T0, T0 + HOUR)], T0 + 2_000);
      const delivery = await store.deliveries.get(tenant.org.id, job.deliveryId);
      expect(delivery?.attempts).toBe(1);
      expect(delivery?.status).toBe('held');
      expect(await claim(store, T0 + 2 * HOUR)).toEqual([]);
    });

    it('enables: clears the reason; held deliveries stay held (for replay) and new events flow again', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      await store.webhooks.disable(tenant.org.id, webhook.id, 'paused', T0);
      const held = await ingest(store, tenant, [started('a', T0 + 1_000)], { now: T0 + 1_000 });
      expect(held.fresh).toEqual([]);

      const enabled = await store.webhooks.enable(tenant.org.id, webhook.id, T0 + HOUR);
      expect(enabled).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
      expect(await store.webhooks.get(tenant.org.id, webhook.id)).toEqual(enabled);
      expect((await store.deliveries.get(tenant.org.id, held.plan.deliveries[0]!.id))?.status).toBe('held');
      expect(await claim(store, T0 + 2 * HOUR)).toEqual([]);

      const fresh = only((await ingest(store, tenant, [started('b', T0 + 2 * HOUR)], { now: T0 + 2 * HOUR })).fresh);
      expect(fresh.webhookId).toBe(webhook.id);
      expect(await store.webhooks.enable(tenant.org.id, 'wh_missing', T0)).toBeNull();
    });

    it('rotates the secret: the previous one keeps signing until it expires', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const before = only((await ingest(store, tenant, [started('a', T0)])).fresh);
      expect(before.target.secrets).toEqual([webhook.secret]);

      const rotated = await store.webhooks.rotateSecret(tenant.org.id, webhook.id, 'whsec_bmV3LXNlY3JldA==', T0 + 25 * HOUR, T0 + HOUR);
      expect(rotated).toEqual({
        ...webhook, secret: 'whsec_bmV3LXNlY3JldA==', previousSecret: webhook.secret, previousSecretExpiresAt: T0 + 25 * HOUR, updatedAt: T0 + HOUR,
      });
      expect(await store.webhooks.get(tenant.org.id, webhook.id)).toEqual(rotated);
      await record(store, [success(before, T0 + HOUR)], T0 + HOUR);

      const during = only((await ingest(store, tenant, [started('b', T0 + 2 * HOUR)], { now: T0 + 2 * HOUR })).fresh);
      expect(during.target.secrets).toEqual(['whsec_bmV3LXNlY3JldA==', webhook.secret]);
      await record(store, [retryAt(during, T0 + 2 * HOUR, T0 + 26 * HOUR)], T0 + 2 * HOUR);
      const after = only(await claim(store, T0 + 26 * HOUR));
      expect(after.target.secrets).toEqual(['whsec_bmV3LXNlY3JldA==']);
      expect(await store.webhooks.rotateSecret(tenant.org.id, 'wh_missing', 'whsec_x', T0, T0)).toBeNull();
    });

    it('deletes a webhook with its deliveries and attempts, and nothing of another webhook', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const other = await createTenant(store);
      const doomed = await createWebhook(store, tenant.org.id);
      const kept = await createWebhook(store, tenant.org.id);
      const { fresh } = await ingest(store, tenant, [started('a', T0), answered('a', T0 + 5_000)]);
      expect(fresh).toHaveLength(2);
      const doomedJob = fresh.find((j) => j.webhookId === doomed.id)!;
      const keptJob = fresh.find((j) => j.webhookId === kept.id)!;
      await record(store, [retryAt(doomedJob, T0, T0 + HOUR), retryAt(keptJob, T0, T0 + HOUR)], T0);

      expect(await store.webhooks.delete(other.org.id, doomed.id)).toBe(false);
      expect(await store.webhooks.delete(tenant.org.id, doomed.id)).toBe(true);
      expect(await store.webhooks.delete(tenant.org.id, doomed.id)).toBe(false);
      expect(await store.webhooks.get(tenant.org.id, doomed.id)).toBeNull();

      const left = (await store.deliveries.list(tenant.org.id, {}, { limit: 10 })).data;
      expect(left.every((d) => d.webhookId === kept.id)).toBe(true);
      expect(left).toHaveLength(2);
      expect(await store.deliveries.get(tenant.org.id, doomedJob.deliveryId)).toBeNull();
      expect(await store.deliveries.attempts(tenant.org.id, doomedJob.deliveryId)).toEqual([]);
      expect(await store.deliveries.attempts(tenant.org.id, keptJob.deliveryId)).toHaveLength(1);
      expect((await claim(store, T0 + HOUR)).map((j) => j.deliveryId)).toEqual([keptJob.deliveryId]);
      // A result arriving for a delivery deleted meanwhile is reported stale, not an error.
      const late = await record(store, [success(doomedJob, T0 + HOUR)], T0 + HOUR);
      expect(late.stale).toEqual([doomedJob.deliveryId]);
    });
  });
}
