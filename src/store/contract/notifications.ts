// Contract: the e-mail outbox (notifications) — claiming under a lease, sent / logged / failed
// with a retry time or for good, and listing newest first.
import { describe, expect, it } from 'vitest';
import type { Notification } from '../../notify/notification.ts';
import type { ContractContext } from './index.ts';
import { MINUTE, OTHER, OWNER, SECOND, T0, type Tenant, allPages, createTenant, createWebhook, disableAndNotify, giveUp, ingest, record, started } from './fixtures.ts';

const LEASE = 5 * MINUTE;

export function notificationsContract(ctx: ContractContext): void {
  /** Owes `count` e-mails (one per webhook disabled), the i-th created at T0 + i minutes. Oldest first. */
  async function owe(tenant: Tenant, count: number): Promise<Notification[]> {
    const { store } = ctx;
    for (let i = 0; i < count; i++) await createWebhook(store, tenant.org.id);
    const { fresh } = await ingest(store, tenant, [started(`call-${tenant.org.id}`, T0)]);
    for (const [i, job] of fresh.entries()) {
      await record(store, [giveUp(job, T0)], T0 + i * MINUTE, { onExhausted: disableAndNotify([], T0 + i * MINUTE) });
    }
    const all = (await store.notifications.list(tenant.org.id, { limit: 100 })).data;
    expect(all).toHaveLength(count);
    return all.reverse();
  }

  const claimDue = (now: number, owner = OWNER, limit = 100) => ctx.store.notifications.claimDue({ owner, now, leaseMs: LEASE, limit });
  const idsOf = (items: Notification[]) => items.map((n) => n.id).sort();

  describe('notifications', () => {
    it('claims due pending notifications under a lease, at most limit', async () => {
      const tenant = await createTenant(ctx.store);
      const owed = await owe(tenant, 3);
      expect(owed[0]).toMatchObject({
        orgId: tenant.org.id, kind: 'webhook-disabled', to: tenant.org.notificationEmails, status: 'pending', attempts: 0, sentAt: null, createdAt: T0,
      });

      const now = T0 + 3 * MINUTE;
      const first = await claimDue(now, OWNER, 2);
      expect(first).toHaveLength(2);
      const rest = await claimDue(now + SECOND, OTHER);
      expect(idsOf([...first, ...rest])).toEqual(idsOf(owed));
      expect(await claimDue(now + 2 * SECOND, OTHER)).toEqual([]);
      // Nobody reported back: once the leases run out they are claimable again.
      expect(idsOf(await claimDue(now + SECOND + LEASE, OTHER))).toEqual(idsOf(owed));
    });

    it('marks a notification sent or logged; either way it is not claimed again', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const [sent, logged] = (await owe(tenant, 2)) as [Notification, Notification];
      await claimDue(T0 + MINUTE);
      await store.notifications.markSent(sent.id, T0 + MINUTE + SECOND);
      await store.notifications.markLogged(logged.id, T0 + MINUTE + 2 * SECOND);

      const listed = new Map((await store.notifications.list(tenant.org.id, { limit: 10 })).data.map((n) => [n.id, n]));
      expect(listed.get(sent.id)).toMatchObject({ status: 'sent', sentAt: T0 + MINUTE + SECOND, attempts: 1 });
      expect(listed.get(logged.id)).toMatchObject({ status: 'logged', sentAt: T0 + MINUTE + 2 * SECOND });
      expect(await claimDue(T0 + 24 * 60 * MINUTE)).toEqual([]);
    });

    it('after a failure, retries at the given time, or gives up when there is none', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const [retried, abandoned] = (await owe(tenant, 2)) as [Notification, Notification];
      await claimDue(T0 + MINUTE);
      await store.notifications.markFailed(retried.id, '451 try later', T0 + 60 * MINUTE);
      await store.notifications.markFailed(abandoned.id, '550 no such user', null);

      const listed = new Map((await store.notifications.list(tenant.org.id, { limit: 10 })).data.map((n) => [n.id, n]));
      expect(listed.get(retried.id)).toMatchObject({ status: 'pending', attempts: 1, lastError: '451 try later', nextAttemptAt: T0 + 60 * MINUTE });
      expect(listed.get(abandoned.id)).toMatchObject({ status: 'failed', attempts: 1, lastError: '550 no such user' });

      // Not before the retry time, even though its lease was let go.
      expect(await claimDue(T0 + 60 * MINUTE - 1)).toEqual([]);
      const again = await claimDue(T0 + 60 * MINUTE);
      expect(again.map((n) => n.id)).toEqual([retried.id]);
      expect(again[0]).toMatchObject({ attempts: 1, lastError: '451 try later' });
      // The given-up one never comes back; the retried one only when its new lease runs out unreported.
      expect((await claimDue(T0 + 48 * 60 * MINUTE, OTHER)).map((n) => n.id)).toEqual([retried.id]);
    });

    it('lists an organization’s notifications newest first across pages', async () => {
      const tenant = await createTenant(ctx.store);
      const other = await createTenant(ctx.store);
      const owed = await owe(tenant, 3);
      await owe(other, 1);
      const pages = await allPages((after) => ctx.store.notifications.list(tenant.org.id, { limit: 2, after }));
      expect(pages.map((p) => p.length)).toEqual([2, 1]);
      expect(pages.flat().map((n) => n.createdAt)).toEqual([T0 + 2 * MINUTE, T0 + MINUTE, T0]);
      expect(pages.flat()).toEqual([...owed].reverse());
    });
  });
}
