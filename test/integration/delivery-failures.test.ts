// How attempts fail against real receivers (500, a hang past the 2 s deadline, a redirect, a reset
// connection), that a dead receiver never delays the others, and per-call order per webhook — on each store.
import { describe, expect, it } from 'vitest';
import { BACKENDS, type OrgSetup, type TestService, ingest } from '../helpers/service.ts';
import { testScope } from '../helpers/scope.ts';
import type { Receiver } from '../helpers/receiver.ts';

const started = (callId: string, at: number) => ({ type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '+31850609000', user: '500', at });

describe.each(BACKENDS)('failing receivers (%s)', (backend) => {
  const scope = testScope();
  const receiverOf = scope.receiver;
  const service = (env: Record<string, string> = {}) => scope.service(env, backend);
  async function webhookTo(t: TestService, org: OrgSetup, url: string, extra: Record<string, unknown> = {}): Promise<string> {
    const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url, events: ['call.incoming', 'call.answered', 'call.ended'], ...extra }, org.apiKey);
    expect(created.status).toBe(201);
    return created.body.id;
  }
  async function lastAttempt(t: TestService, org: OrgSetup, webhookId: string) {
    const delivery = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?webhookId=${webhookId}`, org.apiKey)).body.data[0];
    const attempts = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries/${delivery.id}/attempts`, org.apiKey)).body.data;
    return { delivery, attempt: attempts[attempts.length - 1] };
  }

  it('records each kind of failure as a failed attempt with a useful error, and schedules a retry', async () => {
    const { t, org } = await service();
    const redirectTarget = await receiverOf();
    const r500 = await receiverOf({ kind: 'status', status: 500, body: 'Internal Server Error: db down' });
    const hang = await receiverOf({ kind: 'hang', ms: 3_000 });
    const redirect = await receiverOf({ kind: 'redirect', location: `${redirectTarget.url}/moved` });
    const reset = await receiverOf({ kind: 'reset' });
    const ids = {
      r500: await webhookTo(t, org, r500.url),
      hang: await webhookTo(t, org, hang.url),
      redirect: await webhookTo(t, org, redirect.url),
      reset: await webhookTo(t, org, reset.url),
    };
    const now = t.clock.now();
    await ingest(t.api, org.ingestToken, started('c1', now));
    await t.service.dispatcher.idle();

    const a500 = await lastAttempt(t, org, ids.r500);
    expect(a500.attempt).toMatchObject({ succeeded: false, response: { status: 500, body: 'Internal Server Error: db down' } });
    expect(a500.attempt.error).toContain('HTTP 500');
    expect(a500.delivery).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: new Date(now + 3_600_000).toISOString() });

    const aHang = await lastAttempt(t, org, ids.hang);
    expect(aHang.attempt.response).toBeNull();
    expect(aHang.attempt.error).toBe('no response within 2000 ms');
    expect(aHang.attempt.durationMs).toBeGreaterThanOrEqual(1_900);
    expect(aHang.attempt.durationMs).toBeLessThan(2_900);

    const aRedirect = await lastAttempt(t, org, ids.redirect);
    expect(aRedirect.attempt.response.status).toBe(302);
    expect(aRedirect.attempt.error).toContain('redirects are not followed');
    expect(redirectTarget.received).toHaveLength(0);

    const aReset = await lastAttempt(t, org, ids.reset);
    expect(aReset.attempt.response).toBeNull();
    expect(aReset.attempt.error).toMatch(/reset|closed/);
    for (const { delivery } of [a500, aHang, aRedirect, aReset]) expect(delivery.status).toBe('pending');
  });

  it('keeps a hanging receiver from delaying another webhook, and caps its requests in flight', async () => {
    const { t, org } = await service({ CALLHOOK_IN_FLIGHT_PER_WEBHOOK: '2' });
    const hang = await receiverOf({ kind: 'hang', ms: 1_500 });
    const healthy = await receiverOf();
    await webhookTo(t, org, hang.url, { timeoutMs: 1_000 });
    await webhookTo(t, org, healthy.url);
    const sentAt = Date.now();
    for (let i = 0; i < 6; i++) await ingest(t.api, org.ingestToken, started(`call-${i}`, t.clock.now()));
    await healthy.waitFor(6);
    expect(Date.now() - sentAt, 'the healthy receiver got all six while the other hung').toBeLessThan(900);
    expect(hang.received, 'no more than the in-flight cap at once').toHaveLength(2);
    await t.service.dispatcher.idle();
    expect(hang.received).toHaveLength(6);
  });

  it("delivers one call's events in order per webhook, waiting behind a failing earlier event", async () => {
    const { t, org } = await service();
    const slow = await receiverOf({ kind: 'status', status: 200 }, { delayMs: 50 });
    const flaky = await receiverOf({ kind: 'status', status: 500 });
    const slowId = await webhookTo(t, org, slow.url);
    const flakyId = await webhookTo(t, org, flaky.url);
    const t0 = t.clock.now();
    await ingest(t.api, org.ingestToken, started('ordered', t0));
    await ingest(t.api, org.ingestToken, { type: 'answered', callId: 'ordered', at: t0 + 1_000 });
    await ingest(t.api, org.ingestToken, { type: 'ended', callId: 'ordered', at: t0 + 9_000 });
    await ingest(t.api, org.ingestToken, started('other', t0 + 2_000));
    await t.service.dispatcher.idle();

    const types = (r: Receiver) => r.received.map((x) => `${JSON.parse(x.body).data.callId}:${JSON.parse(x.body).type}`);
    expect(types(slow).filter((x) => x.startsWith('ordered'))).toEqual(['ordered:call.incoming', 'ordered:call.answered', 'ordered:call.ended']);
    // The flaky receiver failed the first event: the rest of that call waits, other calls go on.
    expect(types(flaky)).toEqual(['ordered:call.incoming', 'other:call.incoming']);
    const waiting = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?webhookId=${flakyId}&callId=ordered`, org.apiKey)).body.data;
    expect(waiting.map((d: { event: string; status: string }) => `${d.event}:${d.status}`)).toEqual(['call.ended:waiting', 'call.answered:waiting', 'call.incoming:pending']);

    flaky.behave({ kind: 'status', status: 200 });
    t.clock.advance(3_600_000);
    await t.service.dispatcher.tick();
    await t.service.dispatcher.idle();
    expect(types(flaky).slice(2).filter((x) => x.startsWith('ordered'))).toEqual(['ordered:call.incoming', 'ordered:call.answered', 'ordered:call.ended']);
    expect(types(flaky).slice(2).filter((x) => x.startsWith('other'))).toEqual(['other:call.incoming']);
    expect(slowId).not.toBe(flakyId);
  });
});
