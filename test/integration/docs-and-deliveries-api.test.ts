// The public description of the API (OpenAPI, docs page, health), and the delivery log an
// integrator reads when a receiver misbehaves: deliveries, attempts, a manual retry, the call view.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portalOpenApi } from '../../src/http/routes/docs.ts';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { type OrgSetup, type TestService, ingest, setupOrg, startTestService } from '../helpers/service.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { eventually } from '../helpers/eventually.ts';

const EVENTS = ['call.incoming', 'call.outgoing', 'call.answered', 'call.ended', 'call.recording', 'call.insights'];

describe('docs and health', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('serves an OpenAPI 3.1 document with the API paths and the six call events as webhooks', async () => {
    const response = await fetch(`${t.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/json/);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; webhooks: Record<string, { post: unknown }> };
    expect(doc.openapi.startsWith('3.1')).toBe(true);
    expect(Object.keys(doc.paths['/v1/ingest/calls'] ?? {})).toContain('post');
    expect(Object.keys(doc.paths['/v1/orgs/{orgId}/webhooks'] ?? {})).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(doc.paths['/v1/orgs/{orgId}/webhooks/test'] ?? {})).toContain('post');
    expect(Object.keys(doc.paths['/rinkel/v1/webhooks'] ?? {})).toContain('get');
    expect(Object.keys(doc.paths['/rinkel/v1/webhooks/{event}'] ?? {})).toEqual(expect.arrayContaining(['post', 'put', 'delete']));
    expect(Object.keys(doc.paths['/rinkel/v1/webhooks/{event}/test'] ?? {})).toContain('post');
    expect(Object.keys(doc.webhooks).sort()).toEqual([...EVENTS].sort());
    for (const event of EVENTS) expect(doc.webhooks[event]!.post).toBeTruthy();
  });

  it("is the document the portal's typed client was generated from (else: npm run docs)", async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as Record<string, unknown>;
    const committed = readFileSync(new URL('../../portal/src/api/openapi.json', import.meta.url), 'utf8');
    expect(JSON.parse(committed), 'portal/src/api/openapi.json is stale: run npm run docs').toEqual(JSON.parse(portalOpenApi(doc)));
  });

  it('serves the docs page as HTML and answers /healthz', async () => {
    const docs = await fetch(`${t.url}/docs`, { redirect: 'follow' });
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
    expect(await docs.text()).toMatch(/<html/i);
    const health = await fetch(`${t.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
  });
});

describe('deliveries API', () => {
  let t: TestService;
  let org: OrgSetup;
  let receiver: Receiver;
  let webhookId: string;
  let secret: string;
  let deliveryId: string;
  const callId = 'log-call-1';
  const api = (path: string) => `/v1/orgs/${org.orgId}${path}`;

  /** The dispatcher records attempts in batches; wait until the first one is on the log. */
  function firstAttemptRecorded(): Promise<Record<string, unknown>> {
    return eventually(
      async () => {
        const pending = await t.api.get(api('/deliveries?status=pending'), org.apiKey);
        return pending.body.data.find((d: { callId: string; attempts: number }) => d.callId === callId && d.attempts === 1) ?? false;
      },
      { timeoutMs: 10_000, what: 'the failed first attempt to show as pending' },
    );
  }

  beforeAll(async () => {
    t = await startTestService();
    org = await setupOrg(t.api);
    receiver = await startReceiver({ kind: 'status', status: 500, body: 'receiver exploded' });
    const created = await t.api.post(api('/webhooks'), { url: `${receiver.url}/log`, events: ['call.incoming'], format: 'standard' }, org.apiKey);
    webhookId = created.body.id;
    secret = created.body.secret;
    const response = await ingest(t.api, org.ingestToken, { type: 'started', callId, direction: 'inbound', from: '+31612345678', to: '500', user: '500', at: Date.now() });
    if (response.status !== 202) throw new Error(`ingest: ${response.status}`);
    await receiver.waitFor(1);
  });
  afterAll(async () => {
    await t.cleanup();
    await receiver.close();
  });

  it('lists a delivery whose receiver answered 500 as pending, with the exact body', async () => {
    const pending = await firstAttemptRecorded();
    deliveryId = pending.id as string;
    expect(pending).toMatchObject({ webhookId, event: 'call.incoming', callId, status: 'pending', attempts: 1, lastStatus: 500, contentType: 'application/json' });
    expect(deliveryId).toBe(receiver.received[0]!.headers['webhook-id']);
    expect(Date.parse(pending.nextAttemptAt as string)).toBeGreaterThan(Date.parse(pending.lastAttemptAt as string));
    expect((await t.api.get(api('/deliveries?status=succeeded'), org.apiKey)).body.data).toEqual([]);
    expect((await t.api.get(api(`/deliveries?webhookId=${webhookId}`), org.apiKey)).body.data.map((d: { id: string }) => d.id)).toEqual([deliveryId]);

    const detail = await t.api.get(api(`/deliveries/${deliveryId}`), org.apiKey);
    expect(detail.status).toBe(200);
    expect(detail.body.body).toBe(receiver.received[0]!.body);
    expect(JSON.parse(detail.body.body)).toMatchObject({ type: 'call.incoming', data: { callId } });
  });

  it('shows each attempt with request headers and body, and the response', async () => {
    const attempts = await t.api.get(api(`/deliveries/${deliveryId}/attempts`), org.apiKey);
    expect(attempts.status).toBe(200);
    expect(attempts.body.data).toHaveLength(1);
    const attempt = attempts.body.data[0];
    expect(attempt).toMatchObject({ deliveryId, number: 1, trigger: 'scheduled', succeeded: false });
    expect(attempt.request.method).toBe('POST');
    expect(attempt.request.url).toBe(`${receiver.url}/log`);
    expect(attempt.request.headers['webhook-id']).toBe(deliveryId);
    expect(attempt.request.headers['webhook-signature']).toMatch(/^v1,/);
    expect(attempt.request.headers['webhook-signature']).toBe(receiver.received[0]!.headers['webhook-signature']);
    expect(attempt.request.headers['content-type']).toBe('application/json');
    expect(attempt.request.body).toBe(receiver.received[0]!.body);
    expect(attempt.response).toMatchObject({ status: 500, body: 'receiver exploded', bodyTruncated: false });
    expect(Number.isInteger(attempt.durationMs)).toBe(true);
  });

  it('retries by hand once the receiver is fixed: same body and id, fresh valid signature', async () => {
    receiver.behave({ kind: 'status', status: 200 });
    const retried = await t.api.post(api(`/deliveries/${deliveryId}/retry`), undefined, org.apiKey);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body.attempt).toMatchObject({ number: 2, trigger: 'manual', succeeded: true, response: { status: 200 } });
    expect(retried.body.delivery).toMatchObject({ id: deliveryId, status: 'succeeded', attempts: 2, lastStatus: 200, nextAttemptAt: null });
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received;
    expect(second!.body).toBe(first!.body);
    expect(second!.headers['webhook-id']).toBe(deliveryId);
    const headers = { 'webhook-id': String(second!.headers['webhook-id']), 'webhook-timestamp': String(second!.headers['webhook-timestamp']), 'webhook-signature': String(second!.headers['webhook-signature']) };
    expect(() => new StandardWebhook(secret).verify(second!.body, headers)).not.toThrow();
    expect((await t.api.get(api(`/deliveries/${deliveryId}/attempts`), org.apiKey)).body.data.map((a: { succeeded: boolean }) => a.succeeded)).toEqual([false, true]);
    expect((await t.api.get(api('/deliveries?status=pending'), org.apiKey)).body.data).toEqual([]);
  });

  it("shows the call's events with their deliveries", async () => {
    const call = await t.api.get(api(`/calls/${callId}`), org.apiKey);
    expect(call.status).toBe(200);
    expect(call.body.call).toMatchObject({ callId, direction: 'inbound' });
    expect(call.body.events).toHaveLength(1);
    expect(call.body.events[0]).toMatchObject({ type: 'call.incoming', deliveries: [{ id: deliveryId, webhookId, status: 'succeeded', attempts: 2, lastStatus: 200 }] });
    expect((await t.api.get(api('/calls'), org.apiKey)).body.data.map((c: { callId: string }) => c.callId)).toEqual([callId]);
  });

  it("answers 404 for unknown deliveries and another organization's", async () => {
    const other = await setupOrg(t.api);
    for (const path of [`/deliveries/${deliveryId}`, `/deliveries/${deliveryId}/attempts`]) {
      const response = await t.api.get(`/v1/orgs/${other.orgId}${path}`, other.apiKey);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect((await t.api.post(`/v1/orgs/${other.orgId}/deliveries/${deliveryId}/retry`, undefined, other.apiKey)).status).toBe(404);
    expect((await t.api.get(api('/deliveries/dlv_nope'), org.apiKey)).status).toBe(404);
    expect((await t.api.post(api('/deliveries/dlv_nope/retry'), undefined, org.apiKey)).status).toBe(404);
    expect((await t.api.get(`/v1/orgs/${other.orgId}/calls/${callId}`, other.apiKey)).status).toBe(404);
    expect(receiver.received).toHaveLength(2);
  });
});
