// Plans decide whether an organization gets webhooks at all; the target guard decides where
// webhooks may point when the operator has not opened private networks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, type OrgSetup, type TestService, OPERATOR_TOKEN, ingest, setupOrg, startTestService } from '../helpers/service.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';

const PROBLEMS = 'https://callhook.dev/problems/';

function expectProblem(response: ApiResponse, status: number, type: string, field?: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ type: PROBLEMS + type, status });
  expect(typeof response.body.title).toBe('string');
  expect(typeof response.body.detail).toBe('string');
  if (field) expect(response.body.field).toBe(field);
}

describe('plans: a basic organization has no webhooks', () => {
  let t: TestService;
  let basic: OrgSetup;
  let receiver: Receiver;

  beforeAll(async () => {
    t = await startTestService();
    basic = await setupOrg(t.api, { plan: 'basic' });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await t.cleanup();
    await receiver.close();
  });

  it('answers every webhook route with 403 plan-lacks-webhooks and a clear message', async () => {
    const hooks = `/v1/orgs/${basic.orgId}/webhooks`;
    const one = `${hooks}/wh_01M7ZYS29H45FZ2NA4Z204QWD3`;
    const routes: Array<[string, string, unknown]> = [
      ['POST', hooks, { url: receiver.url }],
      ['GET', hooks, undefined],
      ['POST', `${hooks}/test`, { url: receiver.url }],
      ['GET', one, undefined],
      ['PATCH', one, { description: 'x' }],
      ['DELETE', one, undefined],
      ['POST', `${one}/enable`, undefined],
      ['POST', `${one}/disable`, {}],
      ['GET', `${one}/secret`, undefined],
      ['POST', `${one}/rotate-secret`, undefined],
      ['POST', `${one}/test`, {}],
      ['POST', `${one}/replay`, { since: '2024-01-01T00:00:00Z' }],
      ['POST', `/v1/orgs/${basic.orgId}/deliveries/dlv_01M7ZYS29H45FZ2NA4Z204QWD3/retry`, undefined],
    ];
    for (const token of [basic.apiKey, OPERATOR_TOKEN]) {
      for (const [method, path, body] of routes) {
        const response = await t.api.request(method, path, { body, token });
        expectProblem(response, 403, 'plan-lacks-webhooks');
        expect(response.body.detail, `${method} ${path}`).toMatch(/"basic" plan/);
        expect(response.body.detail).toMatch(/expert/);
      }
    }
    // Receivers never heard a thing, not even a test.
    expect(receiver.received).toHaveLength(0);
  });

  it('still records its call events, with no deliveries', async () => {
    const at = Date.now();
    const callId = 'basic-call-1';
    const response = await ingest(t.api, basic.ingestToken, {
      steps: [
        { type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '500', user: '500', at },
        { type: 'answered', callId, at: at + 3_000 },
        { type: 'ended', callId, at: at + 60_000 },
      ],
    });
    expect(response.status).toBe(202);
    const calls = await t.api.get(`/v1/orgs/${basic.orgId}/calls`, basic.apiKey);
    expect(calls.status).toBe(200);
    expect(calls.body.data.map((c: { callId: string }) => c.callId)).toEqual([callId]);
    const detail = await t.api.get(`/v1/orgs/${basic.orgId}/calls/${callId}`, basic.apiKey);
    expect(detail.status).toBe(200);
    expect(detail.body.events.map((e: { type: string }) => e.type)).toEqual(['call.incoming', 'call.answered', 'call.ended']);
    for (const event of detail.body.events) expect(event.deliveries).toEqual([]);
    expect((await t.api.get(`/v1/orgs/${basic.orgId}/deliveries`, basic.apiKey)).body.data).toEqual([]);
  });

  it('stops delivering when an organization moves to basic, and resumes when it moves back', async () => {
    const org = await setupOrg(t.api);
    const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/downgraded`, events: ['call.incoming'] }, org.apiKey);
    expect(created.status).toBe(201);
    expect((await t.api.patch(`/v1/orgs/${org.orgId}`, { plan: 'basic' })).status).toBe(200);
    expectProblem(await t.api.get(`/v1/orgs/${org.orgId}/webhooks/${created.body.id}`, org.apiKey), 403, 'plan-lacks-webhooks');
    expect((await ingest(t.api, org.ingestToken, { type: 'started', callId: 'down-1', direction: 'inbound', from: '+31850609001', to: '500', at: Date.now() })).status).toBe(202);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/calls/down-1`, org.apiKey)).status).toBe(200);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/deliveries`, org.apiKey)).body.data).toEqual([]);

    expect((await t.api.patch(`/v1/orgs/${org.orgId}`, { plan: 'expert' })).status).toBe(200);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/webhooks/${created.body.id}`, org.apiKey)).status).toBe(200);
    expect((await ingest(t.api, org.ingestToken, { type: 'started', callId: 'up-1', direction: 'inbound', from: '+31850609001', to: '500', at: Date.now() })).status).toBe(202);
    const got = await receiver.waitFor(1);
    expect(got.map((r) => r.path)).toEqual(['/downgraded']);
    expect(JSON.parse(got[0]!.body).data.callId).toBe('up-1');
  });
});

describe('targets: https and public addresses only, unless the operator allows private ones', () => {
  let t: TestService;
  let org: OrgSetup;
  const hooks = () => `/v1/orgs/${org.orgId}/webhooks`;
  const PRIVATE = [
    'https://127.0.0.1/hook',
    'https://localhost/hook',
    'https://LOCALHOST:8443/hook',
    'https://crm.localhost/hook',
    'https://10.0.0.5/hook',
    'https://[::1]/hook',
    'https://192.168.1.10/hook',
    'https://172.16.5.4/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://0.0.0.0/hook',
    'https://[fe80::1]/hook',
    'https://[fd00::1]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    // Other spellings of 127.0.0.1 that URL parsers accept.
    'https://127.1/hook',
    'https://2130706433/hook',
    'https://0x7f000001/hook',
    // Site-local and IPv4-translated passed as public before the guard followed the IANA registries.
    'https://[fec0::1]/hook',
    'https://[::ffff:0:808:808]/hook',
    'https://[::ffff:0:127.0.0.1]/hook',
    'https://[2002:7f00:1::1]/hook',
    'https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook',
    'https://100.64.0.1/hook',
    // A name that resolves to loopback: refused without saying so.
    'https://localhost.:8443/hook',
  ];

  beforeAll(async () => {
    t = await startTestService({ env: { CALLHOOK_ALLOW_PRIVATE_TARGETS: '0' } });
    org = await setupOrg(t.api);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('refuses http:// with 422 naming url', async () => {
    for (const url of ['http://crm.example.com/hook', 'http://93.184.215.14/hook']) {
      const response = await t.api.post(hooks(), { url }, org.apiKey);
      expectProblem(response, 422, 'target-not-allowed', 'url');
      expect(response.body.detail).toMatch(/https/);
    }
    expectProblem(await t.api.post(hooks(), { url: 'ftp://93.184.215.14/hook' }, org.apiKey), 422, 'target-not-allowed', 'url');
    expectProblem(await t.api.post(hooks(), { url: '/relative/hook' }, org.apiKey), 422, 'target-not-allowed', 'url');
    expect((await t.api.get(hooks(), org.apiKey)).body.data).toEqual([]);
  });

  it('refuses loopback, private and link-local addresses with 422 TARGET_NOT_ALLOWED', async () => {
    for (const url of PRIVATE) {
      const response = await t.api.post(hooks(), { url }, org.apiKey);
      expectProblem(response, 422, 'target-not-allowed', 'url');
      expect(response.body.detail, url).toMatch(/not a public address/);
      if (url.includes('localhost.')) expect(response.body.detail, 'what a name resolves to stays unsaid').not.toMatch(/127\.0\.0\.1|::1\b/);
    }
    expectProblem(await t.api.post(hooks(), { url: 'https://user:secret@93.184.215.14/hook' }, org.apiKey), 422, 'target-not-allowed', 'url');
    expect((await t.api.get(hooks(), org.apiKey)).body.data).toEqual([]);
  });

  it('refuses NAT64 addresses that embed a private IPv4 address', async () => {
    // 64:ff9b::/96 is the NAT64 well-known prefix: 64:ff9b::a00:5 is 10.0.0.5, 64:ff9b::7f00:1 is 127.0.0.1.
    for (const url of ['https://[64:ff9b::10.0.0.5]/hook', 'https://[64:ff9b::7f00:1]/hook']) {
      expectProblem(await t.api.post(hooks(), { url }, org.apiKey), 422, 'target-not-allowed', 'url');
    }
  });

  it('accepts an https URL on a public address, kept as given; changing it to a private one is refused', async () => {
    const created = await t.api.post(hooks(), { url: 'https://93.184.215.14/hook', events: ['call.ended'] }, org.apiKey);
    expect(created.status).toBe(201);
    expect(created.body.url).toBe('https://93.184.215.14/hook');
    const path = `${hooks()}/${created.body.id}`;
    expectProblem(await t.api.patch(path, { url: 'https://10.0.0.5/hook' }, org.apiKey), 422, 'target-not-allowed', 'url');
    expectProblem(await t.api.patch(path, { url: 'http://93.184.215.14/hook' }, org.apiKey), 422, 'target-not-allowed', 'url');
    expect((await t.api.get(path, org.apiKey)).body.url).toBe('https://93.184.215.14/hook');
    expect((await t.api.patch(path, { url: 'https://93.184.215.14:8443/v2/hook?x=1' }, org.apiKey)).body.url).toBe('https://93.184.215.14:8443/v2/hook?x=1');
  });

  it('applies the same rules on the test endpoint', async () => {
    for (const url of ['http://crm.example.com/hook', ...PRIVATE]) {
      const response = await t.api.post(`${hooks()}/test`, { url, event: 'call.incoming' }, org.apiKey);
      expectProblem(response, 422, 'target-not-allowed', 'url');
    }
  });

  it('applies the same rules on the Rinkel-compatible routes, in their error shape', async () => {
    const headers = { 'x-rinkel-api-key': org.apiKey };
    for (const [method, path] of [['POST', '/rinkel/v1/webhooks/callEnd'], ['POST', '/rinkel/v1/webhooks/callEnd/test']] as const) {
      for (const url of ['http://crm.example.com/hook', 'https://127.0.0.1/hook', 'https://[::1]/hook']) {
        const response = await t.api.request(method, path, { body: { url }, token: null, headers });
        expect(response.status, `${path} ${url}`).toBe(400);
        expect(response.body.errors).toHaveLength(1);
        expect(response.body.errors[0]).toMatchObject({ code: 'TARGET_NOT_ALLOWED' });
        expect(response.body.errors[0].detail).toMatch(/url/);
      }
    }
    expect((await t.api.request('GET', '/rinkel/v1/webhooks', { token: null, headers })).body).toEqual({ data: [] });
  });
});
