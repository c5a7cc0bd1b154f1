// What the delivery log shows of a receiver's answer: a status even when the body never finished,
// only the response headers that are safe to show, and when a 429/503 receiver's Retry-After
// moves the next attempt (with the service's fake clock) — on each store.
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/ids.ts';
import { BACKENDS, type OrgSetup, type TestService, ingest } from '../helpers/service.ts';
import { testScope } from '../helpers/scope.ts';
import type { Receiver } from '../helpers/receiver.ts';

const HOUR = 3_600_000;
const started = (callId: string, at: number) => ({ type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '+31850609000', user: '500', at });

describe.each(BACKENDS)('the attempt log (%s)', (backend) => {
  const scope = testScope();

  async function deliverOne(t: TestService, org: OrgSetup, receiver: Receiver, callId = 'c1') {
    const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/hook`, events: ['call.incoming'] }, org.apiKey);
    expect(created.status).toBe(201);
    expect((await ingest(t.api, org.ingestToken, started(callId, t.clock.now()))).status).toBe(202);
    await t.service.dispatcher.idle();
    const delivery = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?webhookId=${created.body.id}`, org.apiKey)).body.data[0];
    const attempts = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries/${delivery.id}/attempts`, org.apiKey)).body.data;
    return { delivery, attempt: attempts[attempts.length - 1], webhookId: created.body.id as string };
  }

  it('records a 200 whose body never finishes as status 200, body not finished within the deadline, and retries it', async () => {
    const { t, org } = await scope.service({}, backend);
    const receiver = await scope.receiver({ kind: 'endless-body', status: 200 });
    const { delivery, attempt } = await deliverOne(t, org, receiver);
    expect(attempt).toMatchObject({ succeeded: false, error: 'body not finished within the 2000 ms deadline', response: { status: 200, body: 'the start of a body that never ends' } });
    expect(attempt.durationMs).toBeGreaterThanOrEqual(1_900);
    expect(delivery).toMatchObject({ status: 'pending', lastStatus: 200, lastError: 'body not finished within the 2000 ms deadline', nextAttemptAt: new Date(t.clock.now() + HOUR).toISOString() });
  });

  it('keeps only the response headers that explain an answer, in the store and in the API', async () => {
    const { t, org } = await scope.service({}, backend);
    const receiver = await scope.receiver({
      kind: 'status', status: 401, body: 'who are you?',
      headers: {
        'set-cookie': ['sid=s3cr3t; HttpOnly', 'csrf=abc'], authorization: 'Bearer leaked', 'www-authenticate': 'Basic realm="crm"', 'x-api-key': 'k-123',
        'x-auth-token': 't-123', 'x-internal-host': 'db-7.corp', 'x-request-id': 'req_42', 'retry-after': '120',
      },
    });
    const { attempt } = await deliverOne(t, org, receiver);
    expect(Object.keys(attempt.response.headers).sort()).toEqual(['content-type', 'date', 'retry-after', 'x-request-id']);
    expect(attempt.response.headers).toMatchObject({ 'x-request-id': 'req_42', 'retry-after': '120', 'content-type': 'text/plain' });
    const stored = await t.service.store.deliveries.attempts(org.orgId, attempt.deliveryId);
    expect(JSON.stringify(stored)).not.toMatch(/s3cr3t|leaked|k-123|t-123|db-7|realm/);
  });

  it('filters attempts logged before the allow-list too, when it shows them', async () => {
    const { t, org } = await scope.service({}, backend);
    const receiver = await scope.receiver();
    const { delivery } = await deliverOne(t, org, receiver);
    // An attempt as an older version stored it: every header the receiver sent.
    const job = await t.service.store.deliveries.beginManualAttempt({ orgId: org.orgId, deliveryId: delivery.id, owner: 'proc_old', leaseMs: 60_000, now: t.clock.now() });
    const old = {
      id: newId('att'), deliveryId: job.deliveryId, orgId: job.orgId, webhookId: job.webhookId, number: 2, trigger: 'manual' as const, startedAt: t.clock.now(), durationMs: 5,
      url: job.target.url, requestHeaders: {}, status: 200, responseHeaders: { 'content-type': 'text/plain', 'set-cookie': 'sid=s3cr3t', authorization: 'Bearer leaked' },
      responseBody: 'ok', responseBodyTruncated: false, error: null, succeeded: true,
    };
    await t.service.store.deliveries.recordResults({ outcomes: [{ job, attempt: old, next: { status: 'succeeded' } }], now: t.clock.now(), lease: { owner: 'proc_old', until: t.clock.now() + 60_000 }, onExhausted: () => ({ disable: false, reason: '', notification: null }) });
    const attempts = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries/${delivery.id}/attempts`, org.apiKey)).body.data;
    expect(attempts.at(-1).response.headers).toEqual({ 'content-type': 'text/plain' });
  });
});

describe.each(BACKENDS)("a receiver's Retry-After (%s)", (backend) => {
  const scope = testScope();

  it.each([
    { what: '503 with delta-seconds later than the schedule', status: 503, retryAfter: () => '7200', after: () => 2 * HOUR },
    { what: '429 with an HTTP-date later than the schedule', status: 429, retryAfter: (now: number) => new Date(now + 3 * HOUR).toUTCString(), after: (now: number) => Math.floor((now + 3 * HOUR) / 1_000) * 1_000 - now },
    { what: '429 sooner than the schedule (kept: never brought forward)', status: 429, retryAfter: () => '30', after: () => HOUR },
    { what: '500, whose Retry-After is not a request to wait', status: 500, retryAfter: () => '7200', after: () => HOUR },
    { what: '503 beyond the whole schedule (capped at its end)', status: 503, retryAfter: () => String(7 * 24 * 3_600), after: () => 24 * HOUR },
  ])('$what', async ({ status, retryAfter, after }) => {
    const { t, org } = await scope.service({}, backend);
    const now = t.clock.now();
    const receiver = await scope.receiver({ kind: 'status', status, headers: { 'retry-after': retryAfter(now) } });
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/hook`, events: ['call.incoming'] }, org.apiKey);
    await ingest(t.api, org.ingestToken, started('c1', now));
    await t.service.dispatcher.idle();
    const delivery = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries`, org.apiKey)).body.data[0];
    expect(delivery).toMatchObject({ status: 'pending', nextAttemptAt: new Date(now + after(now)).toISOString() });

    // Nothing before that time (an hourly retry would have gone at +1 h), the attempt at it.
    receiver.behave({ kind: 'status', status: 200 });
    if (after(now) > HOUR) {
      t.clock.advance(HOUR);
      await t.service.dispatcher.tick();
      expect(receiver.received).toHaveLength(1);
      t.clock.advance(after(now) - HOUR);
    } else {
      t.clock.advance(after(now));
    }
    await t.service.dispatcher.tick();
    expect(receiver.received).toHaveLength(2);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/deliveries/${delivery.id}`, org.apiKey)).body.status).toBe('succeeded');
  });

  it('ends the schedule when it would have ended: a 5 h wait stands in for the first five hourly attempts', async () => {
    const { t, org } = await scope.service({ CALLHOOK_RETRY_SCHEDULE_S: '3600,3600,3600,3600,3600,3600' }, backend);
    const t0 = t.clock.now();
    const receiver = await scope.receiver({ kind: 'status', status: 503, headers: { 'retry-after': String(5 * 3_600) } });
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/hook`, events: ['call.incoming'] }, org.apiKey);
    await ingest(t.api, org.ingestToken, started('c1', t0));
    await t.service.dispatcher.idle();
    receiver.behave({ kind: 'status', status: 503 });
    for (const hour of [5, 6]) {
      t.clock.advance(hour === 5 ? 5 * HOUR : HOUR);
      await t.service.dispatcher.tick();
    }
    // First attempt, the one at +5 h, the last at +6 h: the six-hour schedule is over.
    expect(receiver.received).toHaveLength(3);
    const delivery = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries`, org.apiKey)).body.data[0];
    expect(delivery).toMatchObject({ status: 'failed', attempts: 3, lastAttemptAt: new Date(t0 + 6 * HOUR).toISOString() });
  });
});
