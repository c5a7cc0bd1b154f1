// The Rinkel-compatible routes: a client written for Rinkel's webhook API works by changing only
// the base URL — same paths, same bodies, same {"errors": […]} shape, the URL kept as given.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, type OrgSetup, type TestService, ingest, setupOrg, startTestService } from '../helpers/service.ts';
import { testScope } from '../helpers/scope.ts';
import { eventually } from '../helpers/eventually.ts';

function expectErrors(response: ApiResponse, status: number, code?: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Array.isArray(response.body.errors)).toBe(true);
  expect(response.body.errors.length).toBeGreaterThan(0);
  for (const error of response.body.errors) {
    expect(Object.keys(error).sort()).toEqual(['code', 'detail', 'message']);
    for (const value of Object.values(error)) expect(typeof value).toBe('string');
  }
  if (code) expect(response.body.errors[0].code).toBe(code);
}

describe('Rinkel-compatible webhook API', () => {
  let t: TestService;
  let org: OrgSetup;
  const receiver = testScope().receiver;
  /** A request as a Rinkel client makes it: the key in x-rinkel-api-key. */
  const rinkel = (method: string, path: string, body?: unknown, key: string | null = org.apiKey) =>
    t.api.request(method, `/rinkel/v1${path}`, { body, token: null, headers: key ? { 'x-rinkel-api-key': key } : {} });
  const v1Hooks = async () => (await t.api.get(`/v1/orgs/${org.orgId}/webhooks`, org.apiKey)).body.data as Array<Record<string, unknown>>;

  beforeAll(async () => {
    t = await startTestService();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('subscribes, lists, updates and unsubscribes, and the /v1 API sees the same webhook', async () => {
    org = await setupOrg(t.api);
    expect((await rinkel('GET', '/webhooks')).body).toEqual({ data: [] });
    const created = await rinkel('POST', '/webhooks/callEnd', { url: 'https://crm.example.com/rinkel/call-end', contentType: 'application/json', active: true, description: 'CRM' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ data: { event: 'callEnd', url: 'https://crm.example.com/rinkel/call-end', contentType: 'application/json', active: true, description: 'CRM' } });
    const bare = await rinkel('POST', '/webhooks/incomingCall', { url: 'https://crm.example.com/rinkel/incoming' });
    expect(bare.status).toBe(201);
    expect(bare.body.data).toEqual({ event: 'incomingCall', url: 'https://crm.example.com/rinkel/incoming', contentType: 'application/json', active: true, description: null });

    const list = await rinkel('GET', '/webhooks');
    expect(list.status).toBe(200);
    expect(Object.keys(list.body)).toEqual(['data']);
    expect(list.body.data).toEqual(expect.arrayContaining([created.body.data, bare.body.data]));
    expect(list.body.data).toHaveLength(2);

    const v1 = (await v1Hooks()).find((w) => w.url === 'https://crm.example.com/rinkel/call-end')!;
    expect(v1).toMatchObject({ format: 'rinkel', events: ['call.ended'], enabled: true, description: 'CRM', contentType: 'application/json' });

    const updated = await rinkel('PUT', '/webhooks/callEnd', { url: 'https://crm.example.com/rinkel/v2', contentType: 'application/x-www-form-urlencoded', active: false, description: null });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ data: { event: 'callEnd', url: 'https://crm.example.com/rinkel/v2', contentType: 'application/x-www-form-urlencoded', active: false, description: null } });
    expect((await t.api.get(`/v1/orgs/${org.orgId}/webhooks/${v1.id}`, org.apiKey)).body).toMatchObject({ enabled: false, url: 'https://crm.example.com/rinkel/v2', contentType: 'application/x-www-form-urlencoded', format: 'rinkel' });
    const reactivated = await rinkel('PUT', '/webhooks/callEnd', { url: 'https://crm.example.com/rinkel/v2', contentType: 'application/json', active: true, description: null });
    expect(reactivated.body.data).toMatchObject({ active: true, url: 'https://crm.example.com/rinkel/v2' });
    expect((await t.api.get(`/v1/orgs/${org.orgId}/webhooks/${v1.id}`, org.apiKey)).body.enabled).toBe(true);

    const removed = await rinkel('DELETE', '/webhooks/callEnd');
    expect(removed.status).toBe(204);
    expect(removed.body).toBe('');
    expectErrors(await rinkel('DELETE', '/webhooks/callEnd'), 404);
    expectErrors(await rinkel('PUT', '/webhooks/callEnd', { active: true }), 404);
    expect((await v1Hooks()).map((w) => w.id)).not.toContain(v1.id);
    expect((await rinkel('GET', '/webhooks')).body.data).toEqual([bare.body.data]);
  });

  it('updates with a partial body, changing only what is given', async () => {
    org = await setupOrg(t.api);
    const original = { event: 'callInsights', url: 'https://crm.example.com/insights', contentType: 'application/x-www-form-urlencoded', active: true, description: 'AI' };
    expect((await rinkel('POST', '/webhooks/callInsights', { url: original.url, contentType: original.contentType, description: original.description })).status).toBe(201);
    const deactivated = await rinkel('PUT', '/webhooks/callInsights', { active: false });
    expect(deactivated.status, JSON.stringify(deactivated.body)).toBe(200);
    expect(deactivated.body).toEqual({ data: { ...original, active: false } });
    expect((await v1Hooks())[0]).toMatchObject({ enabled: false, url: original.url });
    const moved = await rinkel('PUT', '/webhooks/callInsights', { url: 'https://crm.example.com/insights/v2' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.data).toEqual({ ...original, active: false, url: 'https://crm.example.com/insights/v2' });
    const described = await rinkel('PUT', '/webhooks/callInsights', { description: 'AI v2' });
    expect(described.status, JSON.stringify(described.body)).toBe(200);
    expect((await rinkel('GET', '/webhooks')).body.data).toEqual([{ ...original, active: false, url: 'https://crm.example.com/insights/v2', description: 'AI v2' }]);
  });

  it('refuses a second subscription for the same event with 409', async () => {
    org = await setupOrg(t.api);
    expect((await rinkel('POST', '/webhooks/callStart', { url: 'https://crm.example.com/one' })).status).toBe(201);
    expectErrors(await rinkel('POST', '/webhooks/callStart', { url: 'https://crm.example.com/two' }), 409);
    expect((await rinkel('GET', '/webhooks')).body.data.map((s: { url: string }) => s.url)).toEqual(['https://crm.example.com/one']);
    // The /v1 API can still make other kinds of webhooks; Rinkel lists only single-event rinkel ones.
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: 'https://crm.example.com/std', format: 'standard' }, org.apiKey);
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: 'https://crm.example.com/insights', format: 'rinkel', events: ['call.insights'] }, org.apiKey);
    const events = (await rinkel('GET', '/webhooks')).body.data.map((s: { event: string }) => s.event).sort();
    expect(events).toEqual(['callInsights', 'callStart']);
  });

  it('keeps the URL exactly as given', async () => {
    org = await setupOrg(t.api);
    const odd = 'https://CRM.Example.COM:443/Hooks/Rinkel?x=1&y=2';
    const created = await rinkel('POST', '/webhooks/outgoingCall', { url: odd });
    expect(created.body.data.url).toBe(odd);
    expect((await rinkel('GET', '/webhooks')).body.data[0].url).toBe(odd);
    expect((await v1Hooks())[0]!.url).toBe(odd);
    const other = 'https://crm.example.com./a//b/%7Euser?empty=&q=a+b';
    expect((await rinkel('PUT', '/webhooks/outgoingCall', { url: other, contentType: 'application/json', active: true, description: null })).body.data.url).toBe(other);
    expect((await rinkel('GET', '/webhooks')).body.data[0].url).toBe(other);
  });

  it('takes only the five Rinkel event names, in the errors shape', async () => {
    org = await setupOrg(t.api);
    for (const event of ['incomingCall', 'outgoingCall', 'callStart', 'callEnd', 'callInsights']) {
      expect((await rinkel('POST', `/webhooks/${event}`, { url: `https://crm.example.com/${event}` })).status).toBe(201);
    }
    const canonical = (await v1Hooks()).map((w) => (w.events as string[]).join()).sort();
    expect(canonical).toEqual(['call.answered', 'call.ended', 'call.incoming', 'call.insights', 'call.outgoing']);
    for (const event of ['callRecording', 'call.ended', 'CALLEND', 'incoming']) {
      const response = await rinkel('POST', `/webhooks/${event}`, { url: 'https://crm.example.com/x' });
      expect([400, 404]).toContain(response.status);
      expectErrors(response, response.status);
      expectErrors(await rinkel('POST', `/webhooks/${event}/test`, { url: 'https://crm.example.com/x' }), response.status);
    }
  });

  it('answers bad input and unknown routes in the errors shape, never problem+json', async () => {
    org = await setupOrg(t.api);
    expectErrors(await rinkel('POST', '/webhooks/callEnd', { url: 'https://crm.example.com/x', colour: 'red' }), 400);
    expectErrors(await rinkel('POST', '/webhooks/callEnd', { url: 'https://crm.example.com/x', contentType: 'text/xml' }), 400);
    expectErrors(await rinkel('POST', '/webhooks/callEnd', { url: 'https://crm.example.com/x', active: 'yes' }), 400);
    expectErrors(await rinkel('POST', '/webhooks/callEnd', {}), 400);
    const malformed = await t.api.request('POST', '/rinkel/v1/webhooks/callEnd', { raw: '{"url":', token: null, headers: { 'x-rinkel-api-key': org.apiKey, 'content-type': 'application/json' } });
    expectErrors(malformed, 400);
    expect((await rinkel('GET', '/webhooks')).body.data).toEqual([]);
    // Paths and methods Rinkel does not have are still under /rinkel.
    expectErrors(await rinkel('GET', '/webhooks/callEnd'), 404);
    expectErrors(await rinkel('GET', '/nothing-here'), 404);
  });

  it('answers 401 without a valid key, and takes the key as Bearer too', async () => {
    org = await setupOrg(t.api);
    expectErrors(await rinkel('GET', '/webhooks', undefined, null), 401, 'UNAUTHORIZED');
    expectErrors(await rinkel('POST', '/webhooks/callEnd', { url: 'https://crm.example.com/x' }, null), 401);
    expectErrors(await rinkel('GET', '/webhooks', undefined, 'chk_wrong'), 401);
    const bearer = await t.api.request('GET', '/rinkel/v1/webhooks', { token: org.apiKey });
    expect(bearer.status).toBe(200);
    expect(bearer.body).toEqual({ data: [] });
  });

  it('answers 403 in the errors shape when the plan lacks webhooks', async () => {
    org = await setupOrg(t.api, { plan: 'basic' });
    const routes: Array<[string, string, unknown]> = [
      ['GET', '/webhooks', undefined],
      ['POST', '/webhooks/callEnd', { url: 'https://crm.example.com/x' }],
      ['PUT', '/webhooks/callEnd', { active: false }],
      ['DELETE', '/webhooks/callEnd', undefined],
      ['POST', '/webhooks/callEnd/test', { url: 'https://crm.example.com/x' }],
    ];
    for (const [method, path, body] of routes) {
      const response = await rinkel(method, path, body);
      expectErrors(response, 403, 'PLAN_LACKS_WEBHOOKS');
      expect(response.body.errors[0].detail).toMatch(/plan/);
    }
  });

  it('test-sends: 204 when the receiver answers 2xx, 400 naming its answer otherwise', async () => {
    org = await setupOrg(t.api);
    const ok = await receiver({ kind: 'status', status: 202 });
    const accepted = await rinkel('POST', '/webhooks/callEnd/test', { url: `${ok.url}/end` });
    expect(accepted.status).toBe(204);
    expect(accepted.body).toBe('');
    const body = JSON.parse(ok.received[0]!.body);
    expect(Object.keys(body)).toEqual(expect.arrayContaining(['id', 'datetime', 'cause']));
    const form = await rinkel('POST', '/webhooks/incomingCall/test', { url: `${ok.url}/in`, contentType: 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(204);
    expect(ok.received[1]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(ok.received[1]!.body).get('from')).toMatch(/^\+\d+$/);

    const failing = await receiver({ kind: 'status', status: 500 });
    const refused = await rinkel('POST', '/webhooks/callStart/test', { url: failing.url });
    expectErrors(refused, 400);
    expect(refused.body.errors[0].detail).toMatch(/HTTP 500/);
    const redirecting = await receiver({ kind: 'redirect', location: `${ok.url}/moved` });
    const redirected = await rinkel('POST', '/webhooks/callStart/test', { url: redirecting.url });
    expectErrors(redirected, 400);
    expect(redirected.body.errors[0].detail).toMatch(/302/);
    expect(ok.received).toHaveLength(2);
    const closed = await receiver();
    const closedUrl = closed.url;
    await closed.close();
    const unreachable = await rinkel('POST', '/webhooks/callStart/test', { url: closedUrl });
    expectErrors(unreachable, 400);
    expect(unreachable.body.errors[0].detail).toMatch(/refused/);
    // Testing subscribes nothing.
    expect((await rinkel('GET', '/webhooks')).body.data).toEqual([]);
  });

  it('delivers Rinkel bodies for an ingested call to the webhooks it manages', async () => {
    org = await setupOrg(t.api);
    const r = await receiver();
    expect((await rinkel('POST', '/webhooks/incomingCall', { url: `${r.url}/incoming` })).status).toBe(201);
    expect((await rinkel('POST', '/webhooks/callEnd', { url: `${r.url}/end`, contentType: 'application/x-www-form-urlencoded' })).status).toBe(201);
    expect((await rinkel('POST', '/webhooks/callStart', { url: `${r.url}/start`, active: false })).status).toBe(201);
    const callId = 'rinkel-e2e-1';
    const response = await ingest(t.api, org.ingestToken, {
      steps: [
        { type: 'started', callId, direction: 'inbound', from: '+31612345678', to: '+31850609000', user: '500', at: '2023-06-14T13:56:24.969Z' },
        { type: 'answered', callId, at: '2023-06-14T13:56:30.000Z', answeredBy: '500' },
        { type: 'ended', callId, at: '2023-06-14T13:57:00.000Z' },
      ],
    });
    expect(response.status).toBe(202);
    const got = await r.waitFor(2);
    // Every delivery of the call is settled (sent, or held): nothing more is on its way.
    await eventually(
      async () => {
        const deliveries = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?callId=${callId}`, org.apiKey)).body.data as Array<{ event: string; status: string }>;
        expect(deliveries.map((d) => `${d.event} ${d.status}`).sort()).toEqual(['call.answered held', 'call.ended succeeded', 'call.incoming succeeded']);
      },
      { timeoutMs: 10_000, what: 'the deliveries of the call to be sent or held' },
    );
    expect(r.received.map((x) => x.path)).toEqual(['/incoming', '/end']);
    expect(got[0]!.body).toBe(JSON.stringify({ id: callId, datetime: '2023-06-14T13:56:24.969Z', to: '+31850609000', from: '+31612345678' }));
    expect(got[1]!.body).toBe('id=rinkel-e2e-1&datetime=2023-06-14T13%3A57%3A00.000Z&cause=ANSWERED');
    // The inactive callStart subscription holds its delivery instead of sending it.
    const held = await t.api.get(`/v1/orgs/${org.orgId}/deliveries?status=held`, org.apiKey);
    expect(held.body.data.map((d: { event: string }) => d.event)).toEqual(['call.answered']);
  });
});
