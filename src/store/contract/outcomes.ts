// Contract: recording attempt results (deliveries.recordResults) — state transitions, lease
// fencing, successor promotion, and the disable rule's effects in the same transaction.
import { describe, expect, it } from 'vitest';
import type { DeliveryJob } from '../../delivery/delivery.ts';
import type { ExhaustedContext, RecordResultsInput } from '../store.ts';
import type { ContractContext } from './index.ts';
import {
  HOUR, LEASE_MS, OTHER, OWNER, SECOND, T0, answered, claim, createTenant, createWebhook, disableAndNotify, disableWebhook, ended, expectAppError, giveUp,
  ingest, keepEnabled, only, outcome, record, retryAt, started, success,
} from './fixtures.ts';

export function outcomesContract(ctx: ContractContext): void {
  describe('deliveries: recording results', () => {
    it('moves a delivery to pending at the next time, then to succeeded, counting attempts and their times', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const job = only((await ingest(store, tenant, [started('a', T0)])).fresh);

      const out = await record(store, [retryAt(job, T0 + SECOND, T0 + HOUR)], T0 + 2 * SECOND);
      expect(out).toEqual({ promoted: [], stale: [], disabledWebhooks: [] });
      expect(await store.deliveries.get(tenant.org.id, job.deliveryId)).toMatchObject({
        status: 'pending', nextAttemptAt: T0 + HOUR, attempts: 1, firstAttemptAt: T0 + SECOND, lastAttemptAt: T0 + SECOND, lastStatus: 500,
      });
      expect(await claim(store, T0 + HOUR - 1)).toEqual([]);
      const retry = only(await claim(store, T0 + HOUR));
      expect(retry).toMatchObject({ attempts: 1, scheduleAttempts: 1, firstAttemptAt: T0 + SECOND, manual: false });

      await record(store, [success(retry, T0 + HOUR)], T0 + HOUR + SECOND, { owner: OTHER });
      expect(await store.deliveries.get(tenant.org.id, job.deliveryId)).toMatchObject({
        status: 'succeeded', nextAttemptAt: null, attempts: 2, firstAttemptAt: T0 + SECOND, lastAttemptAt: T0 + HOUR, lastStatus: 200,
      });
      expect((await store.webhooks.get(tenant.org.id, webhook.id))?.lastSuccessAt).toBe(T0 + HOUR);
      expect(await claim(store, T0 + 48 * HOUR)).toEqual([]);
    });

    it("moves the schedule on by the steps a receiver's Retry-After passed over", async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      const job = only((await ingest(store, tenant, [started('a', T0)])).fresh);

      await record(store, [outcome(job, T0, { status: 503, next: { status: 'pending', nextAttemptAt: T0 + 5 * HOUR, scheduleSteps: 5 } })], T0 + SECOND);
      expect(await store.deliveries.get(tenant.org.id, job.deliveryId)).toMatchObject({ status: 'pending', nextAttemptAt: T0 + 5 * HOUR, attempts: 1 });
      const later = only(await claim(store, T0 + 5 * HOUR));
      expect(later).toMatchObject({ attempts: 1, scheduleAttempts: 5 });
      await record(store, [retryAt(later, T0 + 5 * HOUR, T0 + 6 * HOUR)], T0 + 5 * HOUR + SECOND);
      expect(only(await claim(store, T0 + 6 * HOUR))).toMatchObject({ attempts: 2, scheduleAttempts: 6 });
    });

    it('fails a delivery for good and asks onExhausted about its webhook', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const job = only((await ingest(store, tenant, [started('a', T0)])).fresh);
      const seen: ExhaustedContext[] = [];
      const onExhausted: RecordResultsInput['onExhausted'] = (context) => (seen.push(structuredClone(context)), keepEnabled(context));

      const out = await record(store, [giveUp(job, T0 + SECOND, 'connect ECONNREFUSED')], T0 + 2 * SECOND, { onExhausted });
      expect(out).toEqual({ promoted: [], stale: [], disabledWebhooks: [] });
      const delivery = await store.deliveries.get(tenant.org.id, job.deliveryId);
      expect(delivery).toMatchObject({ status: 'failed', nextAttemptAt: null, attempts: 1, lastAttemptAt: T0 + SECOND, lastError: 'connect ECONNREFUSED' });
      expect(seen).toHaveLength(1);
      expect(seen[0]!.webhook).toMatchObject({ id: webhook.id, enabled: true, lastSuccessAt: null });
      expect(seen[0]!.org).toEqual(tenant.org);
      expect(seen[0]!.delivery).toMatchObject({ id: job.deliveryId, status: 'failed', firstAttemptAt: T0 + SECOND });
      expect(seen[0]!.lastError).toContain('ECONNREFUSED');
      expect(await store.webhooks.get(tenant.org.id, webhook.id)).toMatchObject({ enabled: true, lastError: expect.stringContaining('ECONNREFUSED') });
      expect(await claim(store, T0 + 48 * HOUR)).toEqual([]);
    });

    it('does not apply a result whose lease was lost (older version or other owner), but keeps its attempt', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      const { fresh } = await ingest(store, tenant, [started('a', T0), answered('a', T0 + SECOND), started('b', T0)]);
      const [expired, other] = fresh as [DeliveryJob, DeliveryJob];
      const reclaimed = await claim(store, T0 + LEASE_MS, { owner: OTHER });
      const current = reclaimed.find((j) => j.deliveryId === expired.deliveryId)!;
      const otherCurrent = reclaimed.find((j) => j.deliveryId === other.deliveryId)!;
      // Same version as the live lease, but not its owner.
      const forged: DeliveryJob = { ...otherCurrent, lease: { ...otherCurrent.lease, owner: 'intruder' } };
      const exhausted: ExhaustedContext[] = [];

      const out = await record(store, [giveUp(expired, T0 + SECOND), success(forged, T0 + SECOND)], T0 + LEASE_MS + SECOND, {
        onExhausted: disableAndNotify(exhausted),
      });
      expect(out.stale.sort()).toEqual([expired.deliveryId, other.deliveryId].sort());
      expect(out.promoted).toEqual([]);
      expect(out.disabledWebhooks).toEqual([]);
      expect(exhausted).toEqual([]);
      for (const job of [expired, other]) {
        expect(await store.deliveries.get(tenant.org.id, job.deliveryId)).toMatchObject({ status: 'pending', attempts: 0, lastAttemptAt: null });
        expect(await store.deliveries.attempts(tenant.org.id, job.deliveryId)).toHaveLength(1);
      }
      // The new holder still holds its lease and its result counts.
      await expectAppError(
        store.deliveries.beginManualAttempt({ orgId: tenant.org.id, deliveryId: expired.deliveryId, owner: OWNER, leaseMs: LEASE_MS, now: T0 + LEASE_MS + 2 * SECOND }),
        'DELIVERY_BUSY',
      );
      const applied = await record(store, [success(current, T0 + LEASE_MS + SECOND), success(otherCurrent, T0 + LEASE_MS + SECOND)], T0 + LEASE_MS + 2 * SECOND, { owner: OTHER });
      expect(applied.stale).toEqual([]);
      expect(applied.promoted.map((j) => j.callId)).toEqual(['a']);
      for (const job of [expired, other]) {
        expect(await store.deliveries.get(tenant.org.id, job.deliveryId)).toMatchObject({ status: 'succeeded', attempts: 1 });
      }
    });

    it('lets a manual attempt take over an expired lease; the old holder’s late result is then stale', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      const job = only((await ingest(store, tenant, [started('a', T0)])).fresh);
      const now = T0 + LEASE_MS;
      const manual = await store.deliveries.beginManualAttempt({ orgId: tenant.org.id, deliveryId: job.deliveryId, owner: OTHER, leaseMs: LEASE_MS, now });
      expect(manual.lease.version).toBeGreaterThan(job.lease.version);

      const late = await record(store, [retryAt(job, T0, T0 + HOUR)], now + SECOND);
      expect(late.stale).toEqual([job.deliveryId]);
      const done = await record(store, [success(manual, now)], now + SECOND, { owner: OTHER });
      expect(done.stale).toEqual([]);
      expect(await store.deliveries.get(tenant.org.id, job.deliveryId)).toMatchObject({ status: 'succeeded', attempts: 1, nextAttemptAt: null });
      expect(await store.deliveries.attempts(tenant.org.id, job.deliveryId)).toHaveLength(2);
    });

    it('promotes the waiting successor when a delivery succeeds or fails for good, leased to the recorder', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const { plan, fresh } = await ingest(store, tenant, [started('a', T0), answered('a', T0 + SECOND), ended('a', T0 + 9 * SECOND)]);
      const [, second, third] = plan.deliveries.map((d) => d.id);
      const first = only(fresh);

      const retried = await record(store, [retryAt(first, T0, T0 + HOUR)], T0);
      expect(retried.promoted).toEqual([]);
      const retry = only(await claim(store, T0 + HOUR, { owner: OWNER }));

      const now = T0 + HOUR + SECOND;
      const one = await record(store, [success(retry, T0 + HOUR)], now, { owner: OTHER });
      const promoted = only(one.promoted);
      expect(promoted).toMatchObject({ deliveryId: second, webhookId: webhook.id, eventType: 'call.answered', attempts: 0, manual: false });
      expect(promoted.lease).toEqual({ owner: OTHER, version: expect.any(Number), until: now + LEASE_MS });
      expect(promoted.target.url).toBe(webhook.url);
      expect(await store.deliveries.get(tenant.org.id, second!)).toMatchObject({ status: 'pending' });
      expect(await store.deliveries.get(tenant.org.id, third!)).toMatchObject({ status: 'waiting' });
      expect(await claim(store, now + SECOND)).toEqual([]); // the promoted one is leased

      const two = await record(store, [giveUp(promoted, now)], now + SECOND, { owner: OTHER });
      expect(only(two.promoted).deliveryId).toBe(third);
    });

    it('strands no delivery behind a finished one when results and the next steps of their calls cross', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      const calls = Array.from({ length: 24 }, (_, i) => `cross-${i}`);
      let jobs = (await Promise.all(calls.map((id) => ingest(store, tenant, [started(id, T0)])))).flatMap((r) => r.fresh);
      // Each round, the next step of every call comes in while its delivery handed out succeeds (a
      // result batch each): for a third of the calls the step is stored first, so its delivery waits
      // and the result must release it; for the rest the two race, so a new delivery chains behind
      // one being finished, or finds it finished.
      const steps = [(id: string, at: number) => answered(id, at), (id: string, at: number) => ended(id, at)];
      const storedFirst = calls.filter((_, i) => i % 3 === 0);
      const racing = calls.filter((_, i) => i % 3 !== 0);
      let now = T0;
      for (const step of steps) {
        now += SECOND;
        const at = now;
        const waiting = await Promise.all(storedFirst.map((id) => ingest(store, tenant, [step(id, at)], { now: at })));
        expect(waiting.flatMap((r) => r.fresh)).toEqual([]);
        // The steps asked first: a result then comes while they are queued, and on PostgreSQL rides their transaction.
        const [raced, results] = await Promise.all([
          Promise.all(racing.map((id) => ingest(store, tenant, [step(id, at)], { now: at }))),
          Promise.all(jobs.map((job) => record(store, [success(job, at)], at))),
        ]);
        jobs = [...results.flatMap((r) => r.promoted), ...raced.flatMap((r) => r.fresh)];
        expect(jobs.map((job) => job.callId).sort()).toEqual([...calls].sort());
      }
      // What is still handed out finishes, and what that releases in turn.
      while (jobs.length > 0) jobs = (await record(store, jobs.map((job) => success(job, now)), now)).promoted;
      const { data } = await store.deliveries.list(tenant.org.id, {}, { limit: 100 });
      expect(data).toHaveLength(calls.length * 3);
      expect(data.filter((d) => d.status !== 'succeeded').map((d) => `${d.callId} ${d.eventType} ${d.status}`)).toEqual([]);
    });

    it('shows onExhausted the delivery as it stands after the failing attempt', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      const first = only((await ingest(store, tenant, [started('a', T0)])).fresh);
      await record(store, [retryAt(first, T0, T0 + HOUR)], T0);
      const last = only(await claim(store, T0 + HOUR));
      const seen: ExhaustedContext[] = [];
      await record(store, [giveUp(last, T0 + HOUR, 'read ECONNRESET')], T0 + HOUR + SECOND, {
        owner: OTHER,
        onExhausted: (context) => (seen.push(structuredClone(context)), keepEnabled(context)),
      });
      const stored = await store.deliveries.get(tenant.org.id, first.deliveryId);
      expect(stored).toMatchObject({ status: 'failed', attempts: 2, firstAttemptAt: T0, lastAttemptAt: T0 + HOUR, lastError: 'read ECONNRESET' });
      expect(only(seen).delivery).toMatchObject({
        id: first.deliveryId, status: 'failed', attempts: 2, nextAttemptAt: null, firstAttemptAt: T0, lastAttemptAt: T0 + HOUR, lastError: 'read ECONNRESET',
      });
    });

    it('shows onExhausted the successes recorded earlier in the same batch', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      const { fresh } = await ingest(store, tenant, [started('a', T0), started('b', T0)]);
      const [ok, dead] = fresh as [DeliveryJob, DeliveryJob];
      const seen: ExhaustedContext[] = [];
      await record(store, [success(ok, T0 + 5 * SECOND), giveUp(dead, T0 + 6 * SECOND)], T0 + 7 * SECOND, {
        onExhausted: (context) => (seen.push(structuredClone(context)), keepEnabled(context)),
      });
      expect(seen.map((c) => c.webhook.lastSuccessAt)).toEqual([T0 + 5 * SECOND]);
    });

    it('disables the webhook when onExhausted says so: holds its open deliveries and queues the e-mail', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const { fresh } = await ingest(store, tenant, [started('a', T0), started('b', T0)]);
      const [dead, open] = fresh as [DeliveryJob, DeliveryJob];
      await record(store, [retryAt(open, T0, T0 + HOUR)], T0);

      const out = await record(store, [giveUp(dead, T0 + SECOND)], T0 + 2 * SECOND, { onExhausted: disableAndNotify([], T0 + 2 * SECOND) });
      expect(out.disabledWebhooks).toEqual([webhook.id]);
      const stored = await store.webhooks.get(tenant.org.id, webhook.id);
      expect(stored).toMatchObject({ enabled: false, disabledReason: `delivery ${dead.deliveryId} exhausted its schedule`, disabledAt: T0 + 2 * SECOND });
      expect(await store.deliveries.get(tenant.org.id, open.deliveryId)).toMatchObject({ status: 'held' });
      expect(await claim(store, T0 + 2 * HOUR)).toEqual([]);

      const mail = only(await store.notifications.claimDue({ owner: OWNER, now: T0 + 2 * SECOND, leaseMs: LEASE_MS, limit: 10 }));
      expect(mail).toMatchObject({ orgId: tenant.org.id, kind: 'webhook-disabled', subjectId: webhook.id, to: tenant.org.notificationEmails, status: 'pending' });
      expect(mail.text).toContain('ECONNREFUSED');
    });

    it('disables and notifies once when two deliveries of a webhook exhaust in one batch', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const { fresh } = await ingest(store, tenant, [started('a', T0), started('b', T0)]);
      const seen: ExhaustedContext[] = [];
      // The real rule: only an enabled webhook is disabled (and e-mailed about).
      const notify = disableAndNotify(seen);
      const onExhausted: RecordResultsInput['onExhausted'] = (context) => (context.webhook.enabled ? notify(context) : keepEnabled(context));
      const out = await record(store, fresh.map((j) => giveUp(j, T0)), T0, { onExhausted });
      expect(out.disabledWebhooks).toEqual([webhook.id]);
      expect(seen).toHaveLength(1);
      expect((await store.notifications.list(tenant.org.id, { limit: 10 })).data).toHaveLength(1);
    });

    it('does not release the waiting successor of a webhook disabled by the same batch, but still those of others', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const doomed = await createWebhook(store, tenant.org.id);
      const healthy = await createWebhook(store, tenant.org.id);
      const { plan, fresh } = await ingest(store, tenant, [started('a', T0), answered('a', T0 + SECOND)]);
      const byWebhook = (id: string) => fresh.find((j) => j.webhookId === id)!;
      const successorOf = (id: string) => plan.deliveries.find((d) => d.webhookId === id && d.eventType === 'call.answered')!.id;

      const out = await record(store, [success(byWebhook(healthy.id), T0), giveUp(byWebhook(doomed.id), T0)], T0 + SECOND, {
        onExhausted: disableAndNotify(),
      });
      expect(out.disabledWebhooks).toEqual([doomed.id]);
      expect(out.promoted.map((j) => j.deliveryId)).toEqual([successorOf(healthy.id)]);
      expect(await store.deliveries.get(tenant.org.id, successorOf(doomed.id))).toMatchObject({ status: 'held' });
      // Only the healthy webhook's successor (its lease long expired) is claimable.
      expect((await claim(store, T0 + 2 * HOUR)).map((j) => j.deliveryId)).toEqual([successorOf(healthy.id)]);
    });

    it('applies a batch that disables a webhook as if its results came one by one', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const { fresh } = await ingest(store, tenant, [started('a', T0), started('b', T0), started('c', T0), started('d', T0)]);
      const [early, dead, late, ok] = fresh as [DeliveryJob, DeliveryJob, DeliveryJob, DeliveryJob];
      const seen: ExhaustedContext[] = [];
      const notify = disableAndNotify(seen);
      const onExhausted: RecordResultsInput['onExhausted'] = (context) => (context.webhook.enabled ? notify(context) : keepEnabled(context));
      const out = await record(store, [retryAt(early, T0, T0 + HOUR), giveUp(dead, T0), giveUp(late, T0), success(ok, T0 + SECOND)], T0 + 2 * SECOND, { onExhausted });
      expect(out).toEqual({ promoted: [], stale: [], disabledWebhooks: [webhook.id] });
      // The policy saw the batch's success, though it came after the exhaustion.
      expect(seen.map((c) => [c.delivery.id, c.webhook.lastSuccessAt])).toEqual([[dead.deliveryId, T0 + SECOND]]);
      const get = (job: DeliveryJob) => store.deliveries.get(tenant.org.id, job.deliveryId);
      expect(await get(early)).toMatchObject({ status: 'held', nextAttemptAt: null, attempts: 1 });
      expect(await get(dead)).toMatchObject({ status: 'failed', attempts: 1 });
      expect(await get(late)).toMatchObject({ status: 'held', nextAttemptAt: null, attempts: 1, lastError: 'connect ECONNREFUSED' });
      expect(await get(ok)).toMatchObject({ status: 'succeeded' });
      expect((await store.notifications.list(tenant.org.id, { limit: 10 })).data).toHaveLength(1);
    });

    it('keeps a delivery held while in flight held on failure (no exhaustion weighed), and finishes it on success without releasing its call', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const { fresh, plan } = await ingest(store, tenant, [started('a', T0), answered('a', T0 + SECOND), started('b', T0), started('c', T0)]);
      const [first, failing, exhausted] = fresh as [DeliveryJob, DeliveryJob, DeliveryJob];
      await disableWebhook(store, tenant.org.id, webhook.id, 'paused', T0 + SECOND);
      const exhaustions: ExhaustedContext[] = [];
      const out = await record(store, [success(first, T0), retryAt(failing, T0, T0 + HOUR), giveUp(exhausted, T0)], T0 + 2 * SECOND, { onExhausted: disableAndNotify(exhaustions) });
      expect(out).toEqual({ promoted: [], stale: [], disabledWebhooks: [] });
      expect(exhaustions).toEqual([]);
      const get = (id: string) => store.deliveries.get(tenant.org.id, id);
      expect(await get(first.deliveryId)).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect(await get(plan.deliveries[1]!.id)).toMatchObject({ status: 'held' });
      for (const job of [failing, exhausted]) expect(await get(job.deliveryId)).toMatchObject({ status: 'held', nextAttemptAt: null, attempts: 1 });
      expect(await claim(store, T0 + 2 * HOUR)).toEqual([]);
    });

    it("counts a late result's success for its webhook, though the delivery stays with the lease's new holder", async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const job = only((await ingest(store, tenant, [started('a', T0)])).fresh);
      only(await claim(store, T0 + LEASE_MS, { owner: OTHER }));
      const out = await record(store, [success(job, T0 + LEASE_MS - SECOND)], T0 + LEASE_MS + SECOND);
      expect(out.stale).toEqual([job.deliveryId]);
      expect(await store.deliveries.get(tenant.org.id, job.deliveryId)).toMatchObject({ status: 'pending', attempts: 0 });
      expect((await store.webhooks.get(tenant.org.id, webhook.id))?.lastSuccessAt).toBe(T0 + LEASE_MS - SECOND);
    });

    it('records an attempt a webhook change aborted: due again at once, its schedule and the webhook untouched', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      const job = only((await ingest(store, tenant, [started('a', T0)])).fresh);
      const aborted = outcome(job, T0, { status: null, error: 'aborted: the webhook changed', next: { status: 'aborted' } });
      const out = await record(store, [aborted], T0 + SECOND);
      expect(out).toEqual({ promoted: [], stale: [], disabledWebhooks: [] });
      expect(await store.deliveries.get(tenant.org.id, job.deliveryId)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: T0, lastError: 'aborted: the webhook changed' });
      expect((await store.webhooks.get(tenant.org.id, webhook.id))?.lastError).toBeNull();
      const again = only(await claim(store, T0 + SECOND));
      expect(again).toMatchObject({ deliveryId: job.deliveryId, attempts: 1, scheduleAttempts: 0 });
    });
  });
}
