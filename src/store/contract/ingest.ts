// Contract: the ingest transaction (calls.applySteps) and reading calls and events back.
import { describe, expect, it } from 'vitest';
import type { TrackedCall } from '../../calls/tracker.ts';
import type { Webhook } from '../../delivery/webhook.ts';
import { AppError } from '../../errors.ts';
import { newId } from '../../ids.ts';
import type { LoadedForPlan, PlanReads } from '../store.ts';
import type { ContractContext } from './index.ts';
import {
  HOUR, LEASE_MS, OTHER, OWNER, SECOND, T0, allPages, answered, claim, createTenant, createWebhook, ended, ingest, ingestInput,
  only, record, started, success,
} from './fixtures.ts';

export function ingestContract(ctx: ContractContext): void {
  describe('ingest (calls.applySteps)', () => {
    it('writes nothing for a rejected plan', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      // The second step is for a call that never started: the whole request is rejected.
      const result = await store.calls.applySteps(ingestInput(tenant, [started('a', T0), answered('b', T0 + SECOND)]));
      expect(result.plan.kind).toBe('rejected');
      expect(result.plan.kind === 'rejected' && result.plan.error).toBeInstanceOf(AppError);
      expect(result.fresh).toEqual([]);
      expect(await store.calls.get(tenant.org.id, 'a')).toBeNull();
      expect(await store.calls.events(tenant.org.id, 'a')).toEqual([]);
      expect((await store.deliveries.list(tenant.org.id, {}, { limit: 10 })).data).toEqual([]);
    });

    it("plans on the organization as stored when the transaction runs (its plan decides delivery), not as the caller last read it", async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      await store.orgs.update(tenant.org.id, { plan: 'basic' }, T0, () => true);
      const seen: unknown[] = [];
      const input = ingestInput(tenant, [started('a', T0)]); // `tenant.org` still says plan "pro"
      await store.calls.applySteps({ ...input, plan: (loaded) => (seen.push(loaded.org), input.plan(loaded)) });
      expect(seen).toEqual([await store.orgs.get(tenant.org.id)]);
      expect(seen[0]).toMatchObject({ plan: 'basic' });
      await expect(store.calls.applySteps(ingestInput({ ...tenant, org: { ...tenant.org, id: 'org_gone' } }, [started('b', T0)]))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('loads the directory the plan asks for with the calls: users by id, extension or e-mail, outcome rules, main and direct numbers, each organization its own', async () => {
      const { store } = ctx;
      const [a, b] = [await createTenant(store), await createTenant(store)];
      const rules = { timeZone: 'Europe/Amsterdam', operatingHours: null, voicemailTargets: ['999'], answeringServiceTargets: [], blocklist: [] };
      for (const [tenant, n] of [[a, 1], [b, 2]] as const) {
        await store.users.create({ orgId: tenant.org.id, id: `u-${n}`, extension: `10${n}`, email: `anna${n}@example.com`, name: `Anna ${n}`, createdAt: T0 });
        await store.users.create({ orgId: tenant.org.id, id: `v-${n}`, extension: `20${n}`, email: null, name: null, createdAt: T0 });
        await store.numbers.create({ id: newId('num'), orgId: tenant.org.id, number: `+3185060900${n}`, label: null, userId: null, main: true, createdAt: T0 });
        await store.numbers.create({ id: newId('num'), orgId: tenant.org.id, number: `+3185060910${n}`, label: null, userId: `v-${n}`, main: false, createdAt: T0 });
      }
      await store.outcomeRules.put(a.org.id, rules, T0);
      const seen = new Map<string, Pick<LoadedForPlan, 'users' | 'rules' | 'numbers'>>();
      const run = (tenant: typeof a, reads: PlanReads) => {
        const input = ingestInput(tenant, [started(`c-${tenant.org.id}`, T0)], { reads });
        return store.calls.applySteps({ ...input, plan: (loaded) => (seen.set(tenant.org.id, loaded), input.plan(loaded)) });
      };
      // At once, so a store that batches requests reads both organizations together.
      await Promise.all([
        run(a, { userRefs: ['u-1', '201', 'ANNA1@example.com', 'u-2', 'nobody'], rules: true, numbers: true }),
        run(b, { userRefs: ['101', 'v-2'], rules: true, numbers: false }),
      ]);
      const ofA = seen.get(a.org.id)!;
      expect(Object.fromEntries([...ofA.users].map(([ref, user]) => [ref, user.id]))).toEqual({ 'u-1': 'u-1', '201': 'v-1', 'ANNA1@example.com': 'u-1' });
      expect(ofA.users.get('u-1')).toEqual({ id: 'u-1', extension: '101', email: 'anna1@example.com', name: 'Anna 1' });
      expect(ofA.rules).toEqual(rules);
      expect(ofA.numbers.main).toBe('+31850609001');
      expect([...ofA.numbers.direct]).toEqual([['v-1', '+31850609101']]);
      const ofB = seen.get(b.org.id)!;
      expect(Object.fromEntries([...ofB.users].map(([ref, user]) => [ref, user.id]))).toEqual({ 'v-2': 'v-2' });
      expect(ofB.rules).toBeNull();
      expect(ofB.numbers).toEqual({ main: null, direct: new Map() });
    });

    it('writes calls, events and deliveries of an accepted plan', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const all = await createWebhook(store, tenant.org.id);
      const endedOnly = await createWebhook(store, tenant.org.id, { events: ['call.ended'] });
      const { plan } = await ingest(store, tenant, [started('a', T0), answered('a', T0 + 5 * SECOND)], { now: T0 + 6 * SECOND });

      expect(plan.results.map((r) => [r.callId, r.type, r.status])).toEqual([['a', 'started', 'applied'], ['a', 'answered', 'applied']]);
      expect(await store.calls.get(tenant.org.id, 'a')).toEqual(plan.calls[0]);
      expect(await store.calls.events(tenant.org.id, 'a')).toEqual(plan.events);
      expect(plan.deliveries.map((d) => d.webhookId)).toEqual([all.id, all.id]); // endedOnly wants neither
      const stored = (await store.deliveries.list(tenant.org.id, {}, { limit: 10 })).data;
      expect(stored.map((d) => d.id).sort()).toEqual(plan.deliveries.map((d) => d.id).sort());
      for (const planned of plan.deliveries) {
        const { held: _held, ...fields } = planned;
        expect(await store.deliveries.get(tenant.org.id, planned.id)).toMatchObject({
          ...fields, attempts: 0, firstAttemptAt: null, lastAttemptAt: null, createdAt: T0 + 6 * SECOND,
        });
      }
      expect((await store.deliveries.list(tenant.org.id, { webhookId: endedOnly.id }, { limit: 10 })).data).toEqual([]);
    });

    it('writes nothing when part of an accepted plan cannot be stored', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      await createWebhook(store, tenant.org.id);
      // Two deliveries with one id: the second insert fails, so the calls and events must go too.
      const input = ingestInput(tenant, [started('a', T0)], {
        tamper: (plan) => ({ ...plan, deliveries: plan.deliveries.map((d) => ({ ...d, id: plan.deliveries[0]!.id })) }),
      });
      await expect(store.calls.applySteps(input)).rejects.toThrow();
      expect(await store.calls.get(tenant.org.id, 'a')).toBeNull();
      expect(await store.calls.events(tenant.org.id, 'a')).toEqual([]);
      expect((await store.deliveries.list(tenant.org.id, {}, { limit: 10 })).data).toEqual([]);
      // The store is still usable afterwards.
      expect((await ingest(store, tenant, [started('a', T0)])).fresh).toHaveLength(2);
    });

    it('hands the plan the stored calls of the request and only the organization’s webhooks', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const other = await createTenant(store);
      const mine = await createWebhook(store, tenant.org.id);
      await createWebhook(store, other.org.id);
      const first = await ingest(store, tenant, [started('a', T0), started('b', T0)]);
      const seen: { calls: Map<string, TrackedCall>; webhooks: Webhook[] }[] = [];
      const input = ingestInput(tenant, [answered('a', T0 + SECOND), started('c', T0)]);
      const result = await store.calls.applySteps({
        ...input,
        plan(loaded) {
          seen.push({ calls: new Map(loaded.calls), webhooks: [...loaded.webhooks] });
          return input.plan(loaded);
        },
      });
      expect(result.plan.kind).toBe('accepted');
      expect([...seen[0]!.calls.entries()]).toEqual([['a', first.plan.calls[0]]]);
      expect(seen[0]!.webhooks).toEqual([mine]);
    });

    it('leases fresh deliveries to the given owner, with the webhook’s target', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id, { url: 'https://crm.example/calls', timeoutMs: 5_000, retryScheduleS: [10, 60] });
      const { plan, fresh } = await ingest(store, tenant, [started('a', T0)], { owner: OWNER, leaseMs: LEASE_MS });
      const job = only(fresh);
      const planned = plan.deliveries[0]!;
      expect(job).toMatchObject({
        deliveryId: planned.id, orgId: tenant.org.id, webhookId: webhook.id, eventType: 'call.incoming', callId: 'a',
        contentType: planned.contentType, body: planned.body, attempts: 0, scheduleAttempts: 0, firstAttemptAt: null, createdAt: T0, manual: false,
        target: { url: 'https://crm.example/calls', secrets: [webhook.secret], timeoutMs: 5_000, retryScheduleS: [10, 60] },
      });
      expect(job.lease.owner).toBe(OWNER);
      expect(job.lease.until).toBe(T0 + LEASE_MS);
      expect(await store.deliveries.get(tenant.org.id, job.deliveryId)).toMatchObject({ status: 'pending', nextAttemptAt: T0 });

      // Leased: nobody else claims it until the lease runs out.
      expect(await claim(store, T0 + LEASE_MS - 1, { owner: OTHER })).toEqual([]);
      const taken = only(await claim(store, T0 + LEASE_MS, { owner: OTHER }));
      expect(taken.deliveryId).toBe(job.deliveryId);
      expect(taken.lease.version).toBeGreaterThan(job.lease.version);
    });

    it('queues a later event of a call behind the open delivery of the same webhook; other calls and webhooks do not wait', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const w1 = await createWebhook(store, tenant.org.id);
      const first = await ingest(store, tenant, [started('a', T0), started('b', T0)]);
      expect(first.fresh.map((j) => j.callId)).toEqual(['a', 'b']);
      const w2 = await createWebhook(store, tenant.org.id, {}, T0 + SECOND);

      const second = await ingest(store, tenant, [answered('a', T0 + 5 * SECOND)], { now: T0 + 5 * SECOND });
      const waiting = second.plan.deliveries.find((d) => d.webhookId === w1.id)!;
      expect((await store.deliveries.get(tenant.org.id, waiting.id))?.status).toBe('waiting');
      // w2 has no earlier delivery of call a: its copy goes out at once.
      expect(second.fresh.map((j) => j.webhookId)).toEqual([w2.id]);

      const aJob = first.fresh.find((j) => j.callId === 'a')!;
      const out = await record(store, [success(aJob, T0 + SECOND)], T0 + 6 * SECOND);
      expect(out.promoted.map((j) => j.deliveryId)).toEqual([waiting.id]);

      // The chain is done: the next event of call a is pending at once.
      const done = await record(store, [success(out.promoted[0]!, T0 + 6 * SECOND), success(second.fresh[0]!, T0 + 6 * SECOND)], T0 + 7 * SECOND);
      expect(done.promoted).toEqual([]);
      const third = await ingest(store, tenant, [ended('a', T0 + 60 * SECOND)], { now: T0 + 60 * SECOND });
      expect(third.fresh.map((j) => j.webhookId).sort()).toEqual([w1.id, w2.id].sort());
    });

    it('chains several events of one call in one request: the first pending, the rest waiting', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      const { plan, fresh } = await ingest(store, tenant, [started('a', T0), answered('a', T0 + SECOND), ended('a', T0 + 9 * SECOND)]);
      const statuses = [];
      for (const d of plan.deliveries) statuses.push((await store.deliveries.get(tenant.org.id, d.id))?.status);
      expect(statuses).toEqual(['pending', 'waiting', 'waiting']);
      expect(only(fresh).deliveryId).toBe(plan.deliveries[0]!.id);
    });

    it('holds deliveries for a disabled webhook and does not lease them', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const on = await createWebhook(store, tenant.org.id);
      const off = await createWebhook(store, tenant.org.id, { enabled: false });
      const { plan, fresh } = await ingest(store, tenant, [started('a', T0)]);
      const job = only(fresh);
      expect(job.webhookId).toBe(on.id);
      const held = plan.deliveries.find((d) => d.webhookId === off.id)!;
      expect(held.held).toBe(true);
      expect(await store.deliveries.get(tenant.org.id, held.id)).toMatchObject({ status: 'held', nextAttemptAt: null });
      // Once the fresh lease runs out only the enabled webhook's delivery is claimable.
      expect((await claim(store, T0 + HOUR)).map((j) => j.deliveryId)).toEqual([job.deliveryId]);
    });

    it('answers a repeated step as a duplicate without a new event or delivery', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      const first = await ingest(store, tenant, [started('a', T0)]);
      const again = await ingest(store, tenant, [started('a', T0)], { now: T0 + SECOND });
      expect(again.plan.results).toEqual([{ callId: 'a', type: 'started', status: 'duplicate', eventId: first.plan.events[0]!.id }]);
      expect(again.fresh).toEqual([]);
      expect(await store.calls.events(tenant.org.id, 'a')).toHaveLength(1);
      expect((await store.deliveries.list(tenant.org.id, {}, { limit: 10 })).data).toHaveLength(1);
    });
  });

  describe('ingest requests at once (group commit)', () => {
    it('applies requests sent together in the order they came, each on the state the ones before it left', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const webhook = await createWebhook(store, tenant.org.id);
      // Not awaited one by one: the stores gather these into one transaction.
      const [first, second, third, other] = await Promise.all([
        ingest(store, tenant, [started('a', T0)]),
        ingest(store, tenant, [answered('a', T0 + 5 * SECOND)], { now: T0 + 5 * SECOND }),
        ingest(store, tenant, [ended('a', T0 + 60 * SECOND)], { now: T0 + 60 * SECOND }),
        ingest(store, tenant, [started('b', T0)]),
      ]);
      expect([first, second, third].map((r) => r.plan.results[0]!.status)).toEqual(['applied', 'applied', 'applied']);
      expect((await store.calls.get(tenant.org.id, 'a'))?.call).toMatchObject({ startedAt: T0, answeredAt: T0 + 5 * SECOND, endedAt: T0 + 60 * SECOND });
      expect((await store.calls.events(tenant.org.id, 'a')).map((e) => e.type)).toEqual(['call.incoming', 'call.answered', 'call.ended']);
      // Per-call order across the requests: the first goes out, the later ones wait behind it.
      expect(only(first.fresh).webhookId).toBe(webhook.id);
      expect([second.fresh, third.fresh]).toEqual([[], []]);
      const statuses = [];
      for (const r of [first, second, third]) statuses.push((await store.deliveries.get(tenant.org.id, r.plan.deliveries[0]!.id))?.status);
      expect(statuses).toEqual(['pending', 'waiting', 'waiting']);
      expect(only(other.fresh).callId).toBe('b');
      // Released in order as each is delivered.
      const next = await record(store, [success(first.fresh[0]!, T0 + SECOND)], T0 + 61 * SECOND);
      expect(next.promoted.map((j) => j.deliveryId)).toEqual([second.plan.deliveries[0]!.id]);
    });

    it('applies a call’s requests in the order they came while an earlier one is still being written', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      const turn = () => new Promise((resolve) => setImmediate(resolve));
      const sent: Array<Promise<unknown>> = [];
      // Each step a turn after the one before: the first is already being written when the next comes.
      for (let i = 0; i < 10; i++) {
        sent.push(ingest(store, tenant, [started(`c${i}`, T0)]));
        await turn();
        sent.push(ingest(store, tenant, [answered(`c${i}`, T0 + SECOND)], { now: T0 + SECOND }));
        await turn();
        sent.push(ingest(store, tenant, [ended(`c${i}`, T0 + 60 * SECOND)], { now: T0 + 60 * SECOND }));
      }
      await Promise.all(sent);
      for (let i = 0; i < 10; i++) {
        expect((await store.calls.events(tenant.org.id, `c${i}`)).map((e) => e.type)).toEqual(['call.incoming', 'call.answered', 'call.ended']);
      }
    });

    it('fails only the request that cannot be planned or stored; the others sent with it are stored', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      await createWebhook(store, tenant.org.id);
      const good = ingestInput(tenant, [started('good', T0)]);
      const throws = { ...ingestInput(tenant, [started('throws', T0)]), plan: (): never => { throw new Error('the plan failed'); } };
      const gone = ingestInput({ ...tenant, org: { ...tenant.org, id: 'org_gone' } }, [started('gone', T0)]);
      const rejected = ingestInput(tenant, [answered('never-started', T0)]);
      // Two deliveries with one id: the database refuses the write.
      const unstorable = ingestInput(tenant, [started('unstorable', T0)], {
        tamper: (plan) => ({ ...plan, deliveries: plan.deliveries.map((d) => ({ ...d, id: plan.deliveries[0]!.id })) }),
      });
      const alsoGood = ingestInput(tenant, [started('also-good', T0)]);
      const results = await Promise.allSettled([good, throws, gone, rejected, unstorable, alsoGood].map((input) => store.calls.applySteps(input)));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'the plan failed' });
      expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'NOT_FOUND' });
      expect((results[3] as PromiseFulfilledResult<{ plan: { kind: string } }>).value.plan.kind).toBe('rejected');
      for (const callId of ['good', 'also-good']) {
        expect(await store.calls.get(tenant.org.id, callId), callId).not.toBeNull();
        expect((await store.deliveries.list(tenant.org.id, { callId }, { limit: 10 })).data, callId).toHaveLength(2);
      }
      for (const callId of ['throws', 'never-started', 'unstorable']) {
        expect(await store.calls.get(tenant.org.id, callId), callId).toBeNull();
        expect(await store.calls.events(tenant.org.id, callId), callId).toEqual([]);
        expect((await store.deliveries.list(tenant.org.id, { callId }, { limit: 10 })).data, callId).toEqual([]);
      }
    });

    it('keeps every request of a busy moment: 150 at once over 50 calls, all stored and chained per call', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id);
      const calls = Array.from({ length: 50 }, (_, i) => `busy-${i}`);
      const results = await Promise.all(
        calls.flatMap((callId) => [
          ingest(store, tenant, [started(callId, T0)]),
          ingest(store, tenant, [answered(callId, T0 + SECOND)], { now: T0 + SECOND }),
          ingest(store, tenant, [ended(callId, T0 + 60 * SECOND)], { now: T0 + 60 * SECOND }),
        ]),
      );
      expect(results.flatMap((r) => r.plan.results.map((x) => x.status)).filter((s) => s !== 'applied')).toEqual([]);
      expect(results.flatMap((r) => r.fresh)).toHaveLength(50);
      for (const callId of calls) {
        const deliveries = (await store.deliveries.list(tenant.org.id, { callId }, { limit: 10 })).data;
        // Listed newest first: the ended event waits behind the answered one, which waits behind the first.
        expect(deliveries.map((d) => [d.eventType, d.status]), callId).toEqual([['call.ended', 'waiting'], ['call.answered', 'waiting'], ['call.incoming', 'pending']]);
      }
    });
  });

  describe('calls', () => {
    it('lists calls newest first across pages, with a since filter, per organization', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const other = await createTenant(store);
      // c2, c3 and c4 start at the same moment: the cursor must not skip or repeat any of them.
      const starts: Array<[string, number]> = [['c1', T0], ['c2', T0 + HOUR], ['c3', T0 + HOUR], ['c4', T0 + HOUR], ['c5', T0 + 2 * HOUR]];
      for (const [callId, at] of starts) await ingest(store, tenant, [started(callId, at)], { now: at });
      await ingest(store, other, [started('x', T0 + HOUR)]);

      const pages = await allPages((after) => store.calls.list(tenant.org.id, {}, { limit: 2, after }));
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      const listed = pages.flat().map((t) => t.call.callId);
      expect(listed[0]).toBe('c5');
      expect(listed.slice(1, 4).sort()).toEqual(['c2', 'c3', 'c4']);
      expect(listed[4]).toBe('c1');

      const recent = await allPages((after) => store.calls.list(tenant.org.id, { since: T0 + HOUR }, { limit: 1, after }));
      expect(recent.flat().map((t) => t.call.callId).sort()).toEqual(['c2', 'c3', 'c4', 'c5']);

      // A cursor this store never handed out is past the end: an empty page, not an error.
      for (const after of ['not-a-cursor', 'x'.repeat(4_001), 'abc:c2', ':', `${T0}`]) {
        expect((await store.calls.list(tenant.org.id, {}, { limit: 2, after })).data, after.slice(0, 20)).toEqual([]);
      }
    });

    it('gets a call per organization and its events in order', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      const other = await createTenant(store);
      const one = await ingest(store, tenant, [started('a', T0), answered('a', T0 + 5 * SECOND)]);
      const two = await ingest(store, tenant, [ended('a', T0 + 65 * SECOND)], { now: T0 + 66 * SECOND });
      expect(await store.calls.get(tenant.org.id, 'a')).toEqual(two.plan.calls[0]);
      expect((await store.calls.get(tenant.org.id, 'a'))?.call).toMatchObject({ startedAt: T0, answeredAt: T0 + 5 * SECOND, endedAt: T0 + 65 * SECOND });
      expect(await store.calls.get(other.org.id, 'a')).toBeNull();
      expect(await store.calls.get(tenant.org.id, 'missing')).toBeNull();
      const events = await store.calls.events(tenant.org.id, 'a');
      expect(events).toEqual([...one.plan.events, ...two.plan.events]);
      expect(events.map((e) => e.type)).toEqual(['call.incoming', 'call.answered', 'call.ended']);
      expect(await store.calls.events(other.org.id, 'a')).toEqual([]);
    });
  });
}
