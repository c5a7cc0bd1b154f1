// Contract: webhooks — CRUD, enable/disable (holding what is owed), secret rotation, deletion;
// settings versions and the change feed every process acts on (delivery/webhook-changes.ts).
import { describe, expect, it } from 'vitest';
import type { ContractContext } from './index.ts';
import type { WebhookChange } from '../store.ts';
import {
  DAY, HOUR, T0, allPages, answered, claim, createTenant, createWebhook, disableAndNotify, disableWebhook, enableWebhook, giveUp, ingest, only,
  record, retryAt, started, success,
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

    it('changes the given fields only, with a greater settings version, and answers null for an unknown webhook or another organization', async () => {
      const { org } = await createTenant(ctx.store);
      const other = await createTenant(ctx.store);
      const webhook = await createWebhook(ctx.store, org.id);
      const patch = { url: 'https://crm.example/in', events: ['call.ended' as const], retryScheduleS: [1, 2, 3], description: 'CRM' };
      const changed = await ctx.store.webhooks.change(org.id, webhook.id, { settings: patch }, T0 + HOUR);
      const version = changed!.value.settingsVersion;
      expect(version).toBeGreaterThan(webhook.settingsVersion);
      expect(changed).toEqual({ value: { ...webhook, ...patch, updatedAt: T0 + HOUR, settingsVersion: version }, change: { version, webhookIds: [webhook.id], orgIds: [] } });
      expect(await ctx.store.webhooks.get(org.id, webhook.id)).toEqual(changed!.value);
      expect(await ctx.store.webhooks.change(org.id, 'wh_missing', { settings: { description: 'x' } }, T0)).toBeNull();
      expect(await ctx.store.webhooks.change(other.org.id, webhook.id, { settings: { description: 'x' } }, T0)).toBeNull();
      expect(await ctx.store.webhooks.get(org.id, webhook.id)).toEqual(changed!.value);
    });

    it('treats a patch key set to undefined as not given', async () => {
      // The Rinkel API's PUT passes { url, contentType, description } with the ones not sent undefined.
      const { org } = await createTenant(ctx.store);
      const webhook = await createWebhook(ctx.store, org.id, { description: 'CRM' });
      const changed = await ctx.store.webhooks.change(org.id, webhook.id, { settings: { url: undefined, contentType: undefined, description: 'New' } }, T0 + HOUR);
      expect(changed?.value).toEqual({ ...webhook, description: 'New', updatedAt: T0 + HOUR, settingsVersion: changed!.value.settingsVersion });
      expect(await ctx.store.webhooks.get(org.id, webhook.id)).toEqual(changed?.value);
    });

    it('gives every webhook a settings version of its own that only grows, also past deleted webhooks', async () => {
      const { store } = ctx;
      const { org } = await createTenant(store);
      const first = await createWebhook(store, org.id);
      const second = await createWebhook(store, org.id);
      expect(second.settingsVersion).toBeGreaterThan(first.settingsVersion);
      expect(await store.webhooks.get(org.id, second.id)).toEqual(second);
      const deleted = await store.webhooks.delete(org.id, second.id);
      expect(deleted).toEqual({ version: expect.any(Number), webhookIds: [second.id], orgIds: [] });
      expect(deleted!.version).toBeGreaterThan(second.settingsVersion);
      const third = await createWebhook(store, org.id);
      expect(third.settingsVersion).toBeGreaterThan(deleted!.version);
      const changed = await store.webhooks.change(org.id, first.id, {}, T0 + HOUR);
      expect(changed!.change.version).toBeGreaterThan(third.settingsVersion);
    });

    it('changes settings, state and secret in one transaction, as one change', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const a = await ingest(store, tenant, [started('a', T0)]);
      const changed = await store.webhooks.change(
        tenant.org.id,
        webhook.id,
        { settings: { url: 'https://crm.example/new' }, state: { enabled: false, reason: 'deactivated' }, secret: { secret: 'whsec_bmV3LXNlY3JldA==', previousExpiresAt: T0 + DAY } },
        T0 + HOUR,
      );
      expect(changed?.value).toMatchObject({
        url: 'https://crm.example/new', enabled: false, disabledReason: 'deactivated', disabledAt: T0 + HOUR, secret: 'whsec_bmV3LXNlY3JldA==',
        previousSecret: webhook.secret, previousSecretExpiresAt: T0 + DAY, updatedAt: T0 + HOUR,
      });
      expect(changed?.change).toEqual({ version: changed!.value.settingsVersion, webhookIds: [webhook.id], orgIds: [] });
      expect((await store.deliveries.get(tenant.org.id, a.plan.deliveries[0]!.id))?.status).toBe('held');
      // A webhook already disabled keeps the reason it was disabled for.
      const again = await store.webhooks.change(tenant.org.id, webhook.id, { state: { enabled: false, reason: 'other' } }, T0 + 2 * HOUR);
      expect(again?.value).toMatchObject({ disabledReason: 'deactivated', disabledAt: T0 + HOUR });
    });

    it('tells subscribers of every change once committed, and delivery jobs carry the version they were built from', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const heard: Array<WebhookChange | 'all'> = [];
      const unsubscribe = store.changes.subscribe((change) => heard.push(change));
      try {
        const before = only((await ingest(store, tenant, [started('a', T0)])).fresh);
        expect(before.target.settingsVersion).toBe(webhook.settingsVersion);
        const changed = await store.webhooks.change(tenant.org.id, webhook.id, { settings: { url: 'https://crm.example/new' } }, T0 + HOUR);
        expect(heard.filter((c) => c !== 'all')).toEqual([changed!.change]);
        await record(store, [retryAt(before, T0, T0 + HOUR)], T0);
        const after = only(await claim(store, T0 + HOUR));
        expect(after.target).toMatchObject({ url: 'https://crm.example/new', settingsVersion: changed!.change.version });

        // A webhook disabled by the disable rule changes too, so other processes stop sending for it.
        const [doomed] = (await ingest(store, tenant, [started('b', T0 + HOUR)], { now: T0 + HOUR })).fresh;
        const out = await record(store, [giveUp(doomed!, T0 + HOUR)], T0 + HOUR, { onExhausted: disableAndNotify() });
        expect(out.disabledWebhooks).toEqual([webhook.id]);
        const disabledAt = (await store.webhooks.get(tenant.org.id, webhook.id))!.settingsVersion;
        expect(heard.filter((c) => c !== 'all').at(-1)).toEqual({ version: disabledAt, webhookIds: [webhook.id], orgIds: [] });
        expect(disabledAt).toBeGreaterThan(changed!.change.version);

        const deleted = await store.webhooks.delete(tenant.org.id, webhook.id);
        expect(heard.filter((c) => c !== 'all').at(-1)).toEqual(deleted);
        expect(await store.webhooks.delete(tenant.org.id, webhook.id)).toBeNull();
      } finally {
        unsubscribe();
      }
    });

    it("an organization's plan losing webhooks: its open deliveries are held and all its webhooks change, with the plan, in one transaction", async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const other = await createTenant(store);
      const w1 = await createWebhook(store, tenant.org.id);
      const w2 = await createWebhook(store, tenant.org.id);
      const otherWebhook = await createWebhook(store, other.org.id);
      const a = await ingest(store, tenant, [started('a', T0), answered('a', T0 + 5_000)]);
      const heard: Array<WebhookChange | 'all'> = [];
      const unsubscribe = store.changes.subscribe((change) => heard.push(change));
      try {
        const seen: Array<[string, string]> = [];
        const renamed = await store.orgs.update(tenant.org.id, { name: 'Renamed' }, T0, (before, after) => (seen.push([before.name, after.name]), false));
        expect(renamed).toEqual({ org: { ...tenant.org, name: 'Renamed', updatedAt: T0 }, change: null });
        expect(seen).toEqual([['Acme', 'Renamed']]);

        const updated = await store.orgs.update(tenant.org.id, { plan: 'basic' }, T0 + HOUR, (before, after) => before.plan !== after.plan);
        const change = updated!.change!;
        expect(updated!.org.plan).toBe('basic');
        expect(change).toEqual({ version: expect.any(Number), webhookIds: [], orgIds: [tenant.org.id] });
        expect(change.version).toBeGreaterThan(w2.settingsVersion);
        expect(heard.filter((c) => c !== 'all')).toEqual([change]);
        for (const w of [w1, w2]) expect((await store.webhooks.get(tenant.org.id, w.id))?.settingsVersion).toBe(change.version);
        expect((await store.webhooks.get(other.org.id, otherWebhook.id))?.settingsVersion).toBe(otherWebhook.settingsVersion);
        for (const d of a.plan.deliveries) expect((await store.deliveries.get(tenant.org.id, d.id))?.status).toBe('held');
        expect(await claim(store, T0 + 48 * HOUR)).toEqual([]);
        expect(await store.orgs.update('org_missing', { plan: 'basic' }, T0, () => true)).toBeNull();
      } finally {
        unsubscribe();
      }
    });

    it('acknowledgements: answers once this process acknowledged, names it when it did not in time', async () => {
      const { store } = ctx;
      const { org } = await createTenant(store);
      const webhook = await createWebhook(store, org.id);
      const { change } = (await store.webhooks.change(org.id, webhook.id, {}, T0))!;
      const wait = (timeoutMs: number) => store.changes.awaitAcknowledged({ version: change.version, self: 'proc-self', now: T0, staleAfterMs: HOUR, timeoutMs });
      expect(await wait(50)).toEqual(['proc-self']);
      const waiting = wait(5_000);
      await store.changes.acknowledge(change.version, 'proc-self');
      expect(await waiting).toEqual([]);
      expect(await wait(50)).toEqual([]); // acknowledged before anyone waits counts too
    });

    it('disables: holds pending and waiting deliveries, leaves finished ones alone', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const a = await ingest(store, tenant, [started('a', T0), answered('a', T0 + 5_000)]);
      const b = only((await ingest(store, tenant, [started('b', T0)])).fresh);
      const c = only((await ingest(store, tenant, [started('c', T0)])).fresh);
      await record(store, [success(b, T0), giveUp(c, T0)], T0);

      const disabled = await disableWebhook(store, tenant.org.id, webhook.id, 'paused by the customer', T0 + HOUR);
      expect(disabled).toMatchObject({ enabled: false, disabledReason: 'paused by the customer', disabledAt: T0 + HOUR });
      expect(await store.webhooks.get(tenant.org.id, webhook.id)).toEqual(disabled);

      const status = async (id: string) => (await store.deliveries.get(tenant.org.id, id))?.status;
      const [a1, a2] = a.plan.deliveries;
      expect(await status(a1!.id)).toBe('held');
      expect(await status(a2!.id)).toBe('held');
      expect(await status(b.deliveryId)).toBe('succeeded');
      expect(await status(c.deliveryId)).toBe('failed');
      expect(await claim(store, T0 + 48 * HOUR)).toEqual([]);
      expect(await disableWebhook(store, tenant.org.id, 'wh_missing', 'x', T0)).toBeNull();
    });

    it('keeps a delivery held when the attempt that was in flight at disabling fails with a retry', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const job = only((await ingest(store, tenant, [started('a', T0)])).fresh);
      await disableWebhook(store, tenant.org.id, webhook.id, 'paused', T0 + 1_000);

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
      await disableWebhook(store, tenant.org.id, webhook.id, 'paused', T0);
      const held = await ingest(store, tenant, [started('a', T0 + 1_000)], { now: T0 + 1_000 });
      expect(held.fresh).toEqual([]);

      const enabled = await enableWebhook(store, tenant.org.id, webhook.id, T0 + HOUR);
      expect(enabled).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
      expect(await store.webhooks.get(tenant.org.id, webhook.id)).toEqual(enabled);
      expect((await store.deliveries.get(tenant.org.id, held.plan.deliveries[0]!.id))?.status).toBe('held');
      expect(await claim(store, T0 + 2 * HOUR)).toEqual([]);

      const fresh = only((await ingest(store, tenant, [started('b', T0 + 2 * HOUR)], { now: T0 + 2 * HOUR })).fresh);
      expect(fresh.webhookId).toBe(webhook.id);
      expect(await enableWebhook(store, tenant.org.id, 'wh_missing', T0)).toBeNull();
    });

    it('rotates the secret: the previous one keeps signing until it expires', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const before = only((await ingest(store, tenant, [started('a', T0)])).fresh);
      expect(before.target.secrets).toEqual([webhook.secret]);

      const rotated = (await store.webhooks.change(tenant.org.id, webhook.id, { secret: { secret: 'whsec_bmV3LXNlY3JldA==', previousExpiresAt: T0 + 25 * HOUR } }, T0 + HOUR))?.value;
      expect(rotated).toEqual({
        ...webhook, secret: 'whsec_bmV3LXNlY3JldA==', previousSecret: webhook.secret, previousSecretExpiresAt: T0 + 25 * HOUR, updatedAt: T0 + HOUR,
        settingsVersion: rotated!.settingsVersion,
      });
      expect(await store.webhooks.get(tenant.org.id, webhook.id)).toEqual(rotated);
      await record(store, [success(before, T0 + HOUR)], T0 + HOUR);

      const during = only((await ingest(store, tenant, [started('b', T0 + 2 * HOUR)], { now: T0 + 2 * HOUR })).fresh);
      expect(during.target.secrets).toEqual(['whsec_bmV3LXNlY3JldA==', webhook.secret]);
      await record(store, [retryAt(during, T0 + 2 * HOUR, T0 + 26 * HOUR)], T0 + 2 * HOUR);
      const after = only(await claim(store, T0 + 26 * HOUR));
      expect(after.target.secrets).toEqual(['whsec_bmV3LXNlY3JldA==']);
      expect(await store.webhooks.change(tenant.org.id, 'wh_missing', { secret: { secret: 'whsec_x', previousExpiresAt: T0 } }, T0)).toBeNull();
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

      expect(await store.webhooks.delete(other.org.id, doomed.id)).toBeNull();
      expect(await store.webhooks.delete(tenant.org.id, doomed.id)).not.toBeNull();
      expect(await store.webhooks.delete(tenant.org.id, doomed.id)).toBeNull();
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
