// The dispatcher at its edges: work queued in memory when a webhook is disabled, deleted or
// changed, and an attempt in flight then aborted; a dead receiver's backlog next to another
// webhook's retries; stopping while a call's events wait behind one in flight; a deadline longer
// than the lease allows — on each store.
import { describe, expect, it } from 'vitest';
import { BACKENDS, type OrgSetup, type TestService, ingest, setupOrg, startTestService } from '../helpers/service.ts';
import { testScope } from '../helpers/scope.ts';
import type { Receiver } from '../helpers/receiver.ts';
import { eventually } from '../helpers/eventually.ts';


const started = (callId: string, at: number) => ({ type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '+31850609000', at });

describe.each(BACKENDS)('dispatcher edges (%s)', (backend) => {
  const scope = testScope();
  const receiverOf = scope.receiver;
  const service = (env: Record<string, string> = {}) => scope.service(env, backend);
  async function queueTen(t: TestService, org: OrgSetup, receiver: Receiver): Promise<string> {
    const webhook = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/old`, format: 'standard' }, org.apiKey);
    const steps = Array.from({ length: 10 }, (_, i) => started(`q${i}`, t.clock.now()));
    expect((await ingest(t.api, org.ingestToken, { steps })).status).toBe(202);
    await receiver.waitFor(1);
    return webhook.body.id;
  }

  it.each(['disable', 'delete'])('sends nothing more after a webhook is %sd, though ten were queued', async (action) => {
    const { t, org } = await service({ CALLHOOK_IN_FLIGHT_PER_WEBHOOK: '1' });
    const slow = await receiverOf({ kind: 'status', status: 200 }, { delayMs: 200 });
    const webhookId = await queueTen(t, org, slow);
    const response =
      action === 'delete'
        ? await t.api.delete(`/v1/orgs/${org.orgId}/webhooks/${webhookId}`, org.apiKey)
        : await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${webhookId}/disable`, undefined, org.apiKey);
    expect(response.status).toBeLessThan(300);
    await t.service.dispatcher.idle();
    await t.service.dispatcher.tick(); // a claim round: nothing of the webhook is claimable any more
    expect(slow.received).toHaveLength(1);
    if (action === 'disable') {
      // The one in flight was aborted (held with the rest), unless its answer came first.
      const statuses = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?limit=50`, org.apiKey)).body.data.map((d: { status: string }) => d.status);
      expect(statuses.filter((s: string) => s === 'held').length).toBeGreaterThanOrEqual(9);
      expect(statuses.filter((s: string) => s === 'held' || s === 'succeeded')).toHaveLength(10);
    }
  });

  it("sends what was queued to a webhook's new URL after it changed", async () => {
    const { t, org } = await service({ CALLHOOK_IN_FLIGHT_PER_WEBHOOK: '1' });
    const slow = await receiverOf({ kind: 'status', status: 200 }, { delayMs: 200 });
    const webhookId = await queueTen(t, org, slow);
    await t.api.patch(`/v1/orgs/${org.orgId}/webhooks/${webhookId}`, { url: `${slow.url}/new` }, org.apiKey);
    const changedAt = Date.now();
    await t.service.dispatcher.idle();
    // Released work comes back from the store with the new target, a lane's worth per claim; the
    // one in flight was aborted (and goes to the new URL too) unless its answer came first.
    const statuses = async () => (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?limit=50`, org.apiKey)).body.data.map((d: { status: string }) => d.status);
    for (let i = 0; i < 50 && (await statuses()).some((s: string) => s !== 'succeeded'); i++) await t.service.dispatcher.tick();
    expect(await statuses()).toEqual(Array(10).fill('succeeded'));
    const [first, ...rest] = slow.received;
    expect(first!.path).toBe('/old');
    expect(rest.filter((r) => r.path === '/old')).toEqual([]);
    expect(rest.every((r) => r.receivedAt >= changedAt - 1_000)).toBe(true);
    expect(rest.length).toBeGreaterThanOrEqual(9);
  });

  it('aborts an attempt in flight when its webhook changes: the change answers at once, the attempt is logged as aborted, the delivery goes to the new URL', async () => {
    const { t, org } = await service();
    const hang = await receiverOf({ kind: 'hang', ms: 30_000 });
    const next = await receiverOf();
    const webhook = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: hang.url, timeoutMs: 10_000 }, org.apiKey);
    expect(webhook.status, JSON.stringify(webhook.body)).toBe(201);
    await ingest(t.api, org.ingestToken, started('aborted', t.clock.now()));
    await hang.waitFor(1);
    const asked = Date.now();
    expect((await t.api.patch(`/v1/orgs/${org.orgId}/webhooks/${webhook.body.id}`, { url: next.url }, org.apiKey)).status).toBe(200);
    // Without the abort the answer waits for the attempt's 10 s deadline.
    expect(Date.now() - asked, 'ms the change took to answer').toBeLessThan(5_000);
    await t.service.dispatcher.idle(); // the aborted attempt is recorded: due again at once
    await t.service.dispatcher.tick();
    expect(next.received).toHaveLength(1);
    const [delivery] = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries`, org.apiKey)).body.data;
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2 });
    const attempts = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries/${delivery.id}/attempts`, org.apiKey)).body.data;
    expect(attempts.map((a: { request: { url: string } }) => a.request.url)).toEqual([hang.url, next.url]);
    expect(attempts[0]).toMatchObject({ succeeded: false, response: null, error: expect.stringMatching(/^aborted: the webhook changed \(settings version \d+\) while the request was in flight/) });
    // Not the receiver's failure: the webhook shows no error.
    expect((await t.api.get(`/v1/orgs/${org.orgId}/webhooks/${webhook.body.id}`, org.apiKey)).body.lastError).toBeNull();
  });

  it("claims another webhook's due retry while a dead receiver has a long backlog", async () => {
    const { t, org } = await service({ CALLHOOK_IN_FLIGHT_PER_WEBHOOK: '2' });
    const dead = await receiverOf({ kind: 'hang', ms: 5_000 });
    const flaky = await receiverOf({ kind: 'status', status: 500 });
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: dead.url, timeoutMs: 1_000, events: ['call.incoming'] }, org.apiKey);
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: flaky.url, retryScheduleS: [1], events: ['call.ended'] }, org.apiKey);
    for (let batch = 0; batch < 3; batch++) {
      const steps = Array.from({ length: 400 }, (_, i) => started(`dead-${batch}-${i}`, t.clock.now()));
      expect((await ingest(t.api, org.ingestToken, { steps })).status).toBe(202);
    }
    await ingest(t.api, org.ingestToken, { type: 'ended', callId: 'dead-0-0', at: t.clock.now() });
    await flaky.waitFor(1);
    // Results are recorded in batches, a moment after they arrive.
    await eventually(
      async () => {
        const [delivery] = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?event=call.ended`, org.apiKey)).body.data;
        expect(delivery).toMatchObject({ status: 'pending', attempts: 1 });
      },
      { timeoutMs: 10_000, what: 'the failed attempt of the call.ended delivery recorded' },
    );
    expect(t.service.dispatcher.stats().queued).toBeGreaterThan(1_000);
    flaky.behave({ kind: 'status', status: 200 });
    t.clock.advance(1_000);
    await t.service.dispatcher.poll();
    await flaky.waitFor(2, 3_000);
  });

  // A backlog in the store bigger than one claim's share for a lane (what a lane's queue could not
  // hold, or what a replay let go at once) must follow share by share as the lane empties; the
  // poll (a minute here) is only the fallback. Before: one share went out, the rest waited a poll
  // interval per share.
  describe('a backlog bigger than a claim goes out without waiting for the poll', () => {
    async function running(env: Record<string, string>): Promise<{ t: TestService; org: OrgSetup }> {
      const t = await startTestService({ backend, background: true, env: { CALLHOOK_POLL_INTERVAL_MS: '60000', CALLHOOK_IN_FLIGHT_PER_WEBHOOK: '1', ...env } });
      scope.defer(() => t.cleanup());
      return { t, org: await setupOrg(t.api) };
    }
    const CALLS = 60;
    const steps = (t: TestService, prefix: string) => ({ steps: Array.from({ length: CALLS }, (_, i) => started(`${prefix}-${i}`, t.clock.now())) });

    it('what did not fit in the lane', async () => {
      const { t, org } = await running({ CALLHOOK_QUEUED_PER_WEBHOOK: '4' });
      const receiver = await receiverOf();
      await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url }, org.apiKey);
      expect((await ingest(t.api, org.ingestToken, steps(t, 'overflow'))).status).toBe(202);
      await receiver.waitFor(CALLS, 20_000);
      expect(new Set(receiver.received.map((r) => JSON.parse(r.body).data.callId)).size).toBe(CALLS);
    });

    it('what a replay let go', async () => {
      const { t, org } = await running({});
      const receiver = await receiverOf();
      const webhook = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url }, org.apiKey);
      expect((await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${webhook.body.id}/disable`, undefined, org.apiKey)).status).toBe(200);
      const since = new Date(t.clock.now() - 1_000).toISOString();
      expect((await ingest(t.api, org.ingestToken, steps(t, 'held'))).status).toBe(202);
      expect((await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${webhook.body.id}/enable`, undefined, org.apiKey)).status).toBe(200);
      expect((await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${webhook.body.id}/replay`, { since, statuses: ['held'] }, org.apiKey)).body).toEqual({ replayed: CALLS });
      await receiver.waitFor(CALLS, 20_000); // a share is 8 here (one in flight × 8 deadlines per lease)
      expect(new Set(receiver.received.map((r) => JSON.parse(r.body).data.callId)).size).toBe(CALLS);
    });
  });

  it('stops cleanly while a call waits behind an attempt in flight, and nothing is lost', async () => {
    const { t, org } = await service();
    const hang = await receiverOf({ kind: 'hang', ms: 1_500 });
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: hang.url }, org.apiKey);
    await ingest(t.api, org.ingestToken, {
      steps: [started('waiting', t.clock.now()), { type: 'answered', callId: 'waiting', at: t.clock.now() + 1 }, { type: 'ended', callId: 'waiting', at: t.clock.now() + 2 }],
    });
    await hang.waitFor(1);
    await t.stop(50); // the attempt outlives the drain; its result comes after close
    await eventually(() => hang.openNow() === 0, { timeoutMs: 10_000, what: 'the receiver to answer the attempt the stopped process left' });
    hang.behave({ kind: 'status', status: 200 });
    const again = await t.restart();
    scope.defer(() => again.cleanup());
    again.clock.advance(60_000); // the lease of the stopped process runs out
    await again.service.dispatcher.tick();
    await again.service.dispatcher.idle();
    const types = hang.received.map((r) => JSON.parse(r.body).type);
    expect(types.slice(-3)).toEqual(['call.incoming', 'call.answered', 'call.ended']);
  });

  it('keeps an old long deadline within the lease instead of giving the job up', async () => {
    const { t, org } = await service({ CALLHOOK_LEASE_MS: '6000', CALLHOOK_DELIVERY_TIMEOUT_MS: '1000' });
    const hang = await receiverOf({ kind: 'hang', ms: 4_000 });
    const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: hang.url, timeoutMs: 3_000 }, org.apiKey);
    expect(created.status).toBe(422);
    expect(created.body.field).toBe('timeoutMs');
    // A webhook saved under a longer lease (stored directly, as an older configuration would have).
    const webhook = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: hang.url }, org.apiKey);
    await t.service.store.webhooks.change(org.orgId, webhook.body.id, { settings: { timeoutMs: 10_000 } }, t.clock.now());
    await ingest(t.api, org.ingestToken, started('deadline', t.clock.now()));
    await t.service.dispatcher.idle();
    const delivery = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries`, org.apiKey)).body.data[0];
    const [attempt] = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries/${delivery.id}/attempts`, org.apiKey)).body.data;
    expect(attempt.error).toBe('no response within 2000 ms');
  });
});
