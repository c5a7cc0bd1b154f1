// Bad input gets a problem+json answer that names what is wrong — never a 500, never half-applied.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, type OrgSetup, type TestService, OPERATOR_TOKEN, setupOrg, startTestService } from '../helpers/service.ts';

const PROBLEMS = 'https://callhook.dev/problems/';

function expectProblem(response: ApiResponse, status: number, options: { type?: string; field?: string } = {}): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = response.body;
  expect(typeof problem.type).toBe('string');
  expect(typeof problem.title).toBe('string');
  expect(problem.status).toBe(status);
  expect(typeof problem.detail).toBe('string');
  expect(problem.detail.length).toBeGreaterThan(0);
  if (options.type) expect(problem.type).toBe(PROBLEMS + options.type);
  if (options.field) expect(problem.field).toBe(options.field);
}

describe('validation and access errors', () => {
  let t: TestService;
  let org: OrgSetup;
  let other: OrgSetup;
  let webhookId: string;
  const hooks = () => `/v1/orgs/${org.orgId}/webhooks`;

  beforeAll(async () => {
    t = await startTestService();
    org = await setupOrg(t.api, { domain: 'valid-co' });
    other = await setupOrg(t.api, { domain: 'other-co' });
    const created = await t.api.post(hooks(), { url: 'https://crm.example.com/hook', events: ['call.ended'], description: 'original' }, org.apiKey);
    webhookId = created.body.id;
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const orgCount = async () => (await t.api.get('/v1/orgs?limit=200')).body.data.length as number;

  it('rejects unknown fields, wrong types and bad enum values with 422 naming the field', async () => {
    expectProblem(await t.api.post('/v1/orgs', { name: 'X', domain: 'x-unknown', color: 'red' }), 422, { type: 'validation-failed', field: 'color' });
    expectProblem(await t.api.post('/v1/orgs', { name: 42, domain: 'x-types' }), 422, { type: 'validation-failed', field: 'name' });
    expectProblem(await t.api.post(hooks(), { url: 'https://crm.example.com/a', format: 'xml' }, org.apiKey), 422, { type: 'validation-failed', field: 'format' });
    expectProblem(await t.api.post(hooks(), { url: 'https://crm.example.com/a', contentType: 'text/plain' }, org.apiKey), 422, { field: 'contentType' });
    expectProblem(await t.api.post(hooks(), { url: 'https://crm.example.com/a', events: ['call.started'] }, org.apiKey), 422, { field: 'events[0]' });
    expectProblem(await t.api.post(hooks(), { url: 'https://crm.example.com/a', events: [] }, org.apiKey), 422, { field: 'events' });
    expectProblem(await t.api.post(hooks(), { url: 'https://crm.example.com/a', retryScheduleS: '60,60' }, org.apiKey), 422, { field: 'retryScheduleS' });
    expectProblem(await t.api.post(hooks(), { url: 'https://crm.example.com/a', retryScheduleS: [60, -1] }, org.apiKey), 422, { field: 'retryScheduleS[1]' });
    expectProblem(await t.api.post(hooks(), { events: ['call.ended'] }, org.apiKey), 422, { field: 'url' });
    expectProblem(await t.api.post(hooks(), { url: 'https://crm.example.com/a', secret: 'whsec_abc' }, org.apiKey), 422, { field: 'secret' });
    const enumProblem = await t.api.post(hooks(), { url: 'https://crm.example.com/a', format: 'xml' }, org.apiKey);
    expect(enumProblem.body.detail).toMatch(/ringotel/);
    // None of these made a webhook.
    expect((await t.api.get(hooks(), org.apiKey)).body.data).toHaveLength(1);
  });

  it('answers malformed JSON with 400', async () => {
    const broken = await t.api.request('POST', hooks(), { token: org.apiKey, raw: '{"url": "https://crm.example.com/a",', headers: { 'content-type': 'application/json' } });
    expectProblem(broken, 400, { type: 'malformed-request' });
    const orgBroken = await t.api.request('POST', '/v1/orgs', { raw: "{name: 'x'}", headers: { 'content-type': 'application/json' } });
    expectProblem(orgBroken, 400);
    expect((await t.api.get(hooks(), org.apiKey)).body.data).toHaveLength(1);
  });

  it('answers missing or unknown credentials with 401', async () => {
    expectProblem(await t.api.get('/v1/orgs', null), 401, { type: 'unauthorized' });
    expectProblem(await t.api.get(hooks(), null), 401);
    expectProblem(await t.api.post(hooks(), { url: 'https://crm.example.com/a' }, null), 401);
    expectProblem(await t.api.get(hooks(), 'chk_not-a-real-key'), 401);
    expectProblem(await t.api.post('/v1/ingest/calls', { type: 'started' }, null), 401);
    // An ingest token is not an API key.
    expectProblem(await t.api.get(hooks(), org.ingestToken), 401);
  });

  it('refuses an org API key on operator routes with 403', async () => {
    expectProblem(await t.api.get('/v1/orgs', org.apiKey), 403, { type: 'forbidden' });
    expectProblem(await t.api.post('/v1/orgs', { name: 'Sneaky', domain: 'sneaky' }, org.apiKey), 403);
    expectProblem(await t.api.patch(`/v1/orgs/${org.orgId}`, { plan: 'expert' }, org.apiKey), 403);
    expectProblem(await t.api.delete(`/v1/orgs/${org.orgId}`, org.apiKey), 403);
    expectProblem(await t.api.post(`/v1/orgs/${org.orgId}/connections`, { name: 'rogue PBX' }, org.apiKey), 403);
    expectProblem(await t.api.post(`/v1/orgs/${org.orgId}/api-keys`, { name: 'more keys' }, org.apiKey), 403);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/api-keys`)).body.data).toHaveLength(1);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/connections`)).body.data).toHaveLength(1);
  });

  it("answers 404 for another organization's id with an org key, without touching it", async () => {
    const theirs = await t.api.post(`/v1/orgs/${other.orgId}/webhooks`, { url: 'https://other.example.com/hook' }, other.apiKey);
    expectProblem(await t.api.get(`/v1/orgs/${other.orgId}`, org.apiKey), 404, { type: 'not-found' });
    expectProblem(await t.api.get(`/v1/orgs/${other.orgId}/webhooks`, org.apiKey), 404);
    expectProblem(await t.api.get(`/v1/orgs/${other.orgId}/webhooks/${theirs.body.id}`, org.apiKey), 404);
    expectProblem(await t.api.delete(`/v1/orgs/${other.orgId}/webhooks/${theirs.body.id}`, org.apiKey), 404);
    expectProblem(await t.api.post(`/v1/orgs/${other.orgId}/users`, { extension: '999' }, org.apiKey), 404);
    // Its own org id with the other org's webhook id is just as unknown.
    expectProblem(await t.api.get(`${hooks()}/${theirs.body.id}`, org.apiKey), 404);
    expectProblem(await t.api.patch(`${hooks()}/${theirs.body.id}`, { description: 'mine now' }, org.apiKey), 404);
    expect((await t.api.get(`/v1/orgs/${other.orgId}/webhooks/${theirs.body.id}`, other.apiKey)).body.description).toBeNull();
    expectProblem(await t.api.get('/v1/orgs/org_doesnotexist'), 404);
  });

  it('refuses an unknown plan with 422 naming plan, and creates nothing', async () => {
    const before = await orgCount();
    expectProblem(await t.api.post('/v1/orgs', { name: 'Gold Inc', domain: 'gold-inc', plan: 'gold' }), 422, { type: 'validation-failed', field: 'plan' });
    expect(await orgCount()).toBe(before);
    expectProblem(await t.api.patch(`/v1/orgs/${org.orgId}`, { plan: 'gold', name: 'Renamed' }), 422, { field: 'plan' });
    const unchanged = await t.api.get(`/v1/orgs/${org.orgId}`);
    expect(unchanged.body).toMatchObject({ plan: 'expert', name: 'New Company' });
  });

  it('refuses a duplicate domain with 409', async () => {
    const before = await orgCount();
    expectProblem(await t.api.post('/v1/orgs', { name: 'Copycat', domain: 'valid-co' }), 409, { type: 'conflict' });
    expect(await orgCount()).toBe(before);
    expectProblem(await t.api.patch(`/v1/orgs/${other.orgId}`, { domain: 'valid-co' }), 409);
    expect((await t.api.get(`/v1/orgs/${other.orgId}`)).body.domain).toBe('other-co');
  });

  it('refuses an invalid notification e-mail, naming it', async () => {
    const before = await orgCount();
    expectProblem(await t.api.post('/v1/orgs', { name: 'Mail Co', domain: 'mail-co', notificationEmails: ['ops@mail.example', 'not-an-email'] }), 422, { field: 'notificationEmails[1]' });
    expectProblem(await t.api.post('/v1/orgs', { name: 'Mail Co', domain: 'mail-co', notificationEmails: 'ops@mail.example' }), 422, { field: 'notificationEmails' });
    expect(await orgCount()).toBe(before);
    expectProblem(await t.api.patch(`/v1/orgs/${org.orgId}`, { notificationEmails: ['@nope'] }), 422, { field: 'notificationEmails[0]' });
    expect((await t.api.get(`/v1/orgs/${org.orgId}`)).body.notificationEmails).toEqual(['ops@newcompany.example']);
  });

  it('refuses numbers that are not E.164', async () => {
    for (const number of ['0850609000', '31850609000', '+0850609000', '+31 85 060 9000', '+3185060900012345678']) {
      expectProblem(await t.api.post(`/v1/orgs/${org.orgId}/numbers`, { number }, org.apiKey), 422, { field: 'number' });
    }
    expect((await t.api.get(`/v1/orgs/${org.orgId}/numbers`, org.apiKey)).body.data).toEqual([]);
    expect((await t.api.post(`/v1/orgs/${org.orgId}/numbers`, { number: '+31850609000' }, org.apiKey)).status).toBe(201);
    expectProblem(await t.api.post(`/v1/orgs/${org.orgId}/numbers`, { number: '+31850609000' }, org.apiKey), 409);
  });

  it('refuses a user with neither extension nor e-mail, or a bad e-mail', async () => {
    const before = (await t.api.get(`/v1/orgs/${org.orgId}/users`, org.apiKey)).body.data.length;
    expectProblem(await t.api.post(`/v1/orgs/${org.orgId}/users`, { name: 'Nobody' }, org.apiKey), 422, { field: 'extension' });
    expectProblem(await t.api.post(`/v1/orgs/${org.orgId}/users`, { id: 'u-x', extension: '502', email: 'bob at example' }, org.apiKey), 422, { field: 'email' });
    expectProblem(await t.api.post(`/v1/orgs/${org.orgId}/users`, { extension: 502 }, org.apiKey), 422, { field: 'extension' });
    // The extension 500 belongs to Anna already.
    expectProblem(await t.api.post(`/v1/orgs/${org.orgId}/users`, { id: 'u-dup', extension: '500' }, org.apiKey), 409);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/users`, org.apiKey)).body.data.length).toBe(before);
  });

  it('applies nothing of a webhook change that fails', async () => {
    const path = `${hooks()}/${webhookId}`;
    expectProblem(await t.api.patch(path, { description: 'changed', bogus: true }, org.apiKey), 422, { field: 'bogus' });
    expectProblem(await t.api.patch(path, { description: 'changed', url: 'ftp://crm.example.com/hook' }, org.apiKey), 422, { field: 'url' });
    expectProblem(await t.api.patch(path, { description: 'changed', events: ['call.nope'] }, org.apiKey), 422, { field: 'events[0]' });
    const current = await t.api.get(path, org.apiKey);
    expect(current.body).toMatchObject({ url: 'https://crm.example.com/hook', events: ['call.ended'], description: 'original' });
  });

  it('applies no step of an ingest batch with one bad step', async () => {
    const at = Date.now();
    const response = await t.api.post(
      '/v1/ingest/calls',
      { steps: [{ type: 'started', callId: 'batch-1', direction: 'inbound', from: '+31850609001', to: '500', at }, { type: 'insights', callId: 'batch-1', sentiment: 'HAPPY', topics: [], summary: '' }] },
      org.ingestToken,
    );
    expectProblem(response, 422);
    expect(response.body.field).toMatch(/^steps\[1\]\.sentiment/);
    expectProblem(await t.api.get(`/v1/orgs/${org.orgId}/calls/batch-1`, org.apiKey), 404);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/calls`, org.apiKey)).body.data).toEqual([]);
  });

  it('never answers 500 to odd requests', async () => {
    const odd: Array<[string, string, { raw?: string; body?: unknown; headers?: Record<string, string>; token?: string | null }]> = [
      ['POST', '/v1/orgs', { raw: '[]', headers: { 'content-type': 'application/json' } }],
      ['POST', '/v1/orgs', { raw: 'null', headers: { 'content-type': 'application/json' } }],
      ['POST', '/v1/orgs', { raw: '"org"', headers: { 'content-type': 'application/json' } }],
      ['POST', '/v1/orgs', { raw: 'name=x', headers: { 'content-type': 'text/plain' } }],
      ['POST', '/v1/orgs', { raw: '', headers: { 'content-type': 'application/json' } }],
      ['POST', '/v1/orgs', { body: { name: 'x'.repeat(5_000), domain: 'y' } }],
      ['POST', '/v1/orgs', { body: { name: 'Unicode', domain: 'ünïcode' } }],
      ['POST', hooks(), { body: { url: 'not a url' }, token: org.apiKey }],
      ['POST', hooks(), { body: { url: 'https://crm.example.com/' + 'a'.repeat(3_000) }, token: org.apiKey }],
      ['POST', hooks(), { body: { url: 'https://crm.example.com/', retryScheduleS: [1.5] }, token: org.apiKey }],
      ['GET', `${hooks()}?limit=abc`, { token: org.apiKey }],
      ['GET', `${hooks()}?limit=0`, { token: org.apiKey }],
      ['GET', `/v1/orgs/${org.orgId}/deliveries?status=nope`, { token: org.apiKey }],
      ['GET', `/v1/orgs/${org.orgId}/calls?since=yesterday`, { token: org.apiKey }],
      ['PATCH', `${hooks()}/${webhookId}`, { body: { events: 'call.ended' }, token: org.apiKey }],
      ['POST', `${hooks()}/${webhookId}/replay`, { body: { since: 'not a date' }, token: org.apiKey }],
      ['POST', '/v1/ingest/calls', { body: { steps: [{ type: 'started' }] }, token: org.ingestToken }],
      ['POST', '/v1/ingest/calls', { body: { type: 'answered', callId: 'never-started', at: 'whenever' }, token: org.ingestToken }],
      ['GET', '/v1/nothing-here', { token: OPERATOR_TOKEN }],
    ];
    for (const [method, path, options] of odd) {
      const response = await t.api.request(method, path, options);
      expect(response.status, `${method} ${path} → ${response.status} ${JSON.stringify(response.body)}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${method} ${path}`).toBeLessThan(500);
      expect(response.headers.get('content-type'), `${method} ${path}`).toMatch(/^application\/problem\+json/);
    }
    // A cursor that was never handed out is a position like any other, not a crash.
    expect((await t.api.get(`${hooks()}?after=%00%ff`, org.apiKey)).status).toBeLessThan(500);
    // Nothing of these ended up as an organization or a webhook.
    const orgs = (await t.api.get('/v1/orgs?limit=200')).body.data.map((o: { domain: string }) => o.domain);
    expect(orgs.sort()).toEqual(['other-co', 'valid-co']);
    expect((await t.api.get(hooks(), org.apiKey)).body.data).toHaveLength(1);
  });
});
