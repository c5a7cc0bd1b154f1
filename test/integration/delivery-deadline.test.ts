// The deadline measures the receiver, not our own queue: webhooks that share an origin never wait
// for one another's connections, so a receiver that answers in 1.2 s is never "too slow" for a 2 s
// deadline, and webhooks that hang never starve a healthy one on the same host:port.
import { describe, expect, it } from 'vitest';
import type { Attempt } from '../../src/delivery/delivery.ts';
import { createHttpSender } from '../../src/delivery/sender.ts';
import { type OrgSetup, type TestService, ingest } from '../helpers/service.ts';
import { testScope } from '../helpers/scope.ts';
import { eventually } from '../helpers/eventually.ts';

const inbound = (callId: string, at: number) => ({ type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '+31850609000', user: '500', at });
const outbound = (callId: string, at: number) => ({ type: 'started', callId, direction: 'outbound', from: '500', to: '+31850609001', user: '500', at });

/** Every attempt made for a webhook's deliveries. */
async function attemptsOf(t: TestService, org: OrgSetup, webhookId: string): Promise<Attempt[]> {
  const deliveries = await t.service.store.deliveries.list(org.orgId, { webhookId }, { limit: 200 });
  const attempts = await Promise.all(deliveries.data.map((d) => t.service.store.deliveries.attempts(org.orgId, d.id)));
  return attempts.flat();
}

describe('the deadline measures the receiver', () => {
  const scope = testScope();

  it('delivers 80 events to two webhooks on one origin whose receiver answers in 1.2 s, with no false timeouts', async () => {
    const { t, org } = await scope.service();
    const receiver = await scope.receiver({ kind: 'status', status: 200 }, { delayMs: 1_200 });
    const ids: string[] = [];
    for (const path of ['/a', '/b']) {
      const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url + path, events: ['call.incoming'] }, org.apiKey);
      ids.push(created.body.id);
    }
    const steps = Array.from({ length: 40 }, (_, i) => inbound(`two-${i}`, t.clock.now()));
    expect((await ingest(t.api, org.ingestToken, { steps })).status).toBe(202);
    await receiver.waitFor(80, 20_000);
    await t.service.dispatcher.idle();

    const attempts = (await Promise.all(ids.map((id) => attemptsOf(t, org, id)))).flat();
    expect(attempts).toHaveLength(80);
    expect(attempts.filter((a) => !a.succeeded).map((a) => a.error)).toEqual([]);
    // Each webhook had its 32 requests (the in-flight cap) open at the receiver at once: none
    // waited for a connection another webhook held.
    expect(receiver.peakOpen()).toBe(64);
  });

  it('delivers to five Rinkel-style webhooks on one origin, none waiting for the others', async () => {
    const { t, org } = await scope.service();
    const receiver = await scope.receiver({ kind: 'status', status: 200 }, { delayMs: 1_200 });
    const headers = { 'x-rinkel-api-key': org.apiKey };
    // Rinkel numbers are E.164: the extension's calls out present the organization's main number.
    expect((await t.api.post(`/v1/orgs/${org.orgId}/numbers`, { number: '+31850609000' }, org.apiKey)).status).toBe(201);
    for (const event of ['incomingCall', 'outgoingCall', 'callStart', 'callEnd', 'callInsights']) {
      const created = await t.api.request('POST', `/rinkel/v1/webhooks/${event}`, { body: { url: `${receiver.url}/${event}`, contentType: 'application/json' }, token: null, headers });
      expect(created.status).toBe(201);
    }
    const now = t.clock.now();
    const steps = [];
    for (let i = 0; i < 16; i++) {
      const callId = `in-${i}`;
      steps.push(inbound(callId, now), { type: 'answered', callId, at: now + 1_000 }, { type: 'ended', callId, at: now + 5_000 });
      steps.push({ type: 'insights', callId, sentiment: 'POSITIVE', topics: ['sales'], summary: 'A happy customer.' });
      steps.push(outbound(`out-${i}`, now));
    }
    expect((await ingest(t.api, org.ingestToken, { steps })).status).toBe(202);
    await receiver.waitFor(80, 20_000);
    await t.service.dispatcher.idle();

    const webhooks = (await t.service.store.webhooks.list(org.orgId, { limit: 10 })).data;
    expect(webhooks).toHaveLength(5);
    const attempts = (await Promise.all(webhooks.map((w) => attemptsOf(t, org, w.id)))).flat();
    expect(attempts).toHaveLength(80);
    expect(attempts.filter((a) => !a.succeeded).map((a) => a.error)).toEqual([]);
    expect(receiver.peakOpen()).toBe(80);
  });

  it('keeps eight webhooks that never answer from starving a healthy one on the same host:port', async () => {
    const { t, org } = await scope.service();
    const routes = Object.fromEntries(Array.from({ length: 8 }, (_, n) => [`/dead${n}`, { kind: 'hang', ms: 60_000 } as const]));
    const receiver = await scope.receiver({ kind: 'status', status: 200 }, { routes });
    let healthyId = '';
    for (const path of [...Object.keys(routes), '/ok']) {
      const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url + path, events: ['call.incoming'] }, org.apiKey);
      if (path === '/ok') healthyId = created.body.id;
    }
    // Calls keep coming while the dead receivers hold their requests until the deadline: each next
    // call once the healthy webhook has the last one.
    const healthyGot = () => receiver.received.filter((r) => r.path === '/ok').length;
    for (let i = 0; i < 20; i++) {
      expect((await ingest(t.api, org.ingestToken, inbound(`nine-${i}`, t.clock.now()))).status).toBe(202);
      await eventually(() => healthyGot() === i + 1, { timeoutMs: 10_000, what: `call ${i + 1} at the healthy webhook` });
    }
    await t.service.dispatcher.idle();

    const healthy = await attemptsOf(t, org, healthyId);
    expect(healthy).toHaveLength(20);
    expect(healthy.filter((a) => !a.succeeded).map((a) => a.error)).toEqual([]);
    // Not one waited behind the dead webhooks' connections (a loaded 2-core machine still answers
    // a loopback POST in well under a second; waiting would have meant up to 2 s).
    expect(Math.max(...healthy.map((a) => a.durationMs))).toBeLessThan(1_000);
    const dead = (await t.service.store.webhooks.list(org.orgId, { limit: 10 })).data.filter((w) => w.id !== healthyId);
    for (const webhook of dead) {
      const attempts = await attemptsOf(t, org, webhook.id);
      expect(attempts.map((a) => a.error)).toEqual(Array(20).fill('no response within 2000 ms'));
    }
  });

  it('gives each webhook a pool of its own and closes the pools left idle', async () => {
    const receiver = await scope.receiver();
    const sender = createHttpSender({ policy: { allowPrivate: true }, responseBodyCapBytes: 1_024, maxTimeoutMs: 20_000, poolIdleMs: 50 });
    scope.defer(() => sender.close());
    const send = (poolKey?: string) => sender.send({ url: `${receiver.url}/hook`, headers: {}, body: '{}', timeoutMs: 2_000, ...(poolKey ? { poolKey } : {}) });
    const results = await Promise.all([send('wh_a'), send('wh_a'), send('wh_b'), send()]);
    expect(results.map((r) => r.kind === 'response' && r.status)).toEqual([200, 200, 200, 200]);
    expect(sender.stats().pools).toBe(3);
    await eventually(() => expect(sender.stats().pools).toBe(0), { timeoutMs: 10_000, what: 'the idle pools to close' });
    // A closed pool is made again when its webhook sends once more.
    expect(await send('wh_a')).toMatchObject({ kind: 'response', status: 200 });
  });
});
