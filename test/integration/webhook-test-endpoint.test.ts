// The *Test* button: any configuration, saved or not, gets a sample event and the answer says
// {ok, status, durationMs, error}. Same sender as real deliveries: 2 s deadline, no redirects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { type OrgSetup, type TestService, setupOrg, startTestService } from '../helpers/service.ts';
import { testScope } from '../helpers/scope.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('webhook test sends', () => {
  let t: TestService;
  let org: OrgSetup;
  const receiver = testScope().receiver;
  const testUnsaved = (body: unknown) => t.api.post(`/v1/orgs/${org.orgId}/webhooks/test`, body, org.apiKey);
  const save = async (body: Record<string, unknown>) => {
    const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, body, org.apiKey);
    expect(created.status).toBe(201);
    return created.body as { id: string; secret: string };
  };

  beforeAll(async () => {
    t = await startTestService();
    org = await setupOrg(t.api, { domain: 'testbutton-co' });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('reports ok for an unsaved configuration whose receiver answers 200, and sends a real signed sample', async () => {
    const r = await receiver();
    const result = await testUnsaved({ url: `${r.url}/crm`, event: 'call.incoming', format: 'ringotel', contentType: 'application/json', apiToken: 'tok-123', secret: SECRET });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ ok: true, status: 200, error: null, event: 'call.incoming' });
    expect(Number.isInteger(result.body.durationMs)).toBe(true);
    expect(result.body.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.body.durationMs).toBeLessThan(2_000);
    expect(r.received).toHaveLength(1);
    const request = r.received[0]!;
    expect(request).toMatchObject({ method: 'POST', path: '/crm' });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toMatch(/^callhook\/\d/);
    const body = JSON.parse(request.body);
    expect(body).toMatchObject({ method: 'StartCallActivity', api_token: 'tok-123', params: { activity_type: 'inbound', domain: 'testbutton-co' } });
    const headers = { 'webhook-id': String(request.headers['webhook-id']), 'webhook-timestamp': String(request.headers['webhook-timestamp']), 'webhook-signature': String(request.headers['webhook-signature']) };
    expect(headers['webhook-signature']).toMatch(/^v1,/);
    expect(() => new StandardWebhook(SECRET).verify(request.body, headers)).not.toThrow();
  });

  it('sends the chosen format and content type', async () => {
    const r = await receiver();
    const result = await testUnsaved({ url: r.url, event: 'call.ended', format: 'rinkel', contentType: 'application/x-www-form-urlencoded' });
    expect(result.body.ok).toBe(true);
    const request = r.received[0]!;
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(request.body);
    expect([...form.keys()]).toEqual(expect.arrayContaining(['id', 'datetime', 'cause']));
    expect(form.get('cause')).toBe('ANSWERED');
    expect(form.get('datetime')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('reports a 500 answer as not ok, naming the status', async () => {
    const r = await receiver({ kind: 'status', status: 500, body: 'database down' });
    const result = await testUnsaved({ url: r.url, event: 'call.incoming', format: 'standard' });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ ok: false, status: 500 });
    expect(result.body.error).toMatch(/500/);
    expect(result.body.responseBody).toBe('database down');
    expect(r.received).toHaveLength(1);
  });

  it('gives up on a receiver that hangs after the 2 s deadline, with a timeout error', async () => {
    const r = await receiver({ kind: 'hang', ms: 3_000 });
    const result = await testUnsaved({ url: r.url, event: 'call.incoming' });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ ok: false, status: null });
    expect(result.body.error).toMatch(/2000 ms|time/i);
    expect(result.body.durationMs).toBeGreaterThanOrEqual(1_900);
    // The receiver would have answered 200 at 3 s: the answer came from the deadline, not from it.
    expect(result.body.durationMs).toBeLessThan(2_900);
  });

  it('honours a shorter deadline given for the test', async () => {
    const r = await receiver({ kind: 'hang', ms: 3_000 });
    const result = await testUnsaved({ url: r.url, timeoutMs: 300 });
    expect(result.body.ok).toBe(false);
    expect(result.body.durationMs).toBeLessThan(1_000);
  });

  it('does not follow a redirect: not ok, and the redirect target receives nothing', async () => {
    const target = await receiver();
    const r = await receiver({ kind: 'redirect', location: `${target.url}/elsewhere` });
    const result = await testUnsaved({ url: r.url, event: 'call.incoming' });
    expect(result.body).toMatchObject({ ok: false, status: 302 });
    expect(result.body.error).toMatch(/redirect/i);
    // The answer comes after the attempt is over: a followed redirect would have reached the target by now.
    expect(r.received).toHaveLength(1);
    expect(target.received).toHaveLength(0);
  });

  it('reports a reset connection as not ok with an error', async () => {
    const r = await receiver({ kind: 'reset' });
    const result = await testUnsaved({ url: r.url, event: 'call.incoming' });
    expect(result.body).toMatchObject({ ok: false, status: null });
    expect(result.body.error).toMatch(/reset|socket|closed/i);
  });

  it('refuses an event that has no form in the format with 422 naming event', async () => {
    const r = await receiver();
    for (const [format, event] of [['ringotel', 'call.answered'], ['ringotel', 'call.insights'], ['rinkel', 'call.recording']]) {
      const result = await testUnsaved({ url: r.url, event, format });
      expect(result.status, `${format} ${event}`).toBe(422);
      expect(result.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(result.body.field).toBe('event');
      expect(result.body.detail).toContain(event);
    }
    const saved = await save({ url: r.url, format: 'ringotel' });
    const result = await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${saved.id}/test`, { event: 'call.answered' }, org.apiKey);
    expect(result.status).toBe(422);
    expect(result.body.field).toBe('event');
    expect(r.received).toHaveLength(0);
  });

  it('tests a saved webhook with its own settings and secret, without recording a delivery', async () => {
    const r = await receiver();
    const saved = await save({ url: `${r.url}/saved`, events: ['call.ended'], format: 'rinkel', contentType: 'application/json' });
    const result = await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${saved.id}/test`, {}, org.apiKey);
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ ok: true, status: 200, error: null, event: 'call.ended' });
    const request = r.received[0]!;
    expect(request.path).toBe('/saved');
    expect(JSON.parse(request.body)).toMatchObject({ cause: 'ANSWERED' });
    const headers = { 'webhook-id': String(request.headers['webhook-id']), 'webhook-timestamp': String(request.headers['webhook-timestamp']), 'webhook-signature': String(request.headers['webhook-signature']) };
    expect(() => new StandardWebhook(saved.secret).verify(request.body, headers)).not.toThrow();
    // A chosen event, and a disabled webhook can be tested too.
    expect((await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${saved.id}/disable`, {}, org.apiKey)).status).toBe(200);
    const chosen = await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${saved.id}/test`, { event: 'call.insights' }, org.apiKey);
    expect(chosen.body).toMatchObject({ ok: true, event: 'call.insights' });
    expect(JSON.parse(r.received[1]!.body)).toMatchObject({ sentiment: 'POSITIVE' });
    const deliveries = await t.api.get(`/v1/orgs/${org.orgId}/deliveries?webhookId=${saved.id}`, org.apiKey);
    expect(deliveries.body.data).toEqual([]);
  });

  it('reports a saved webhook whose receiver fails, and honours its own deadline', async () => {
    const r = await receiver({ kind: 'status', status: 503 });
    const failing = await save({ url: r.url, events: ['call.incoming'] });
    const result = await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${failing.id}/test`, {}, org.apiKey);
    expect(result.body).toMatchObject({ ok: false, status: 503 });
    expect(result.body.error).toMatch(/503/);
    const slow = await receiver({ kind: 'hang', ms: 3_000 });
    const quick = await save({ url: slow.url, events: ['call.incoming'], timeoutMs: 250 });
    const timedOut = await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${quick.id}/test`, {}, org.apiKey);
    expect(timedOut.body).toMatchObject({ ok: false, status: null });
    expect(timedOut.body.durationMs).toBeLessThan(1_000);
  });

  it('tests a saved webhook on a bare POST without a body', async () => {
    const r = await receiver();
    const saved = await save({ url: r.url, events: ['call.incoming'] });
    const result = await t.api.request('POST', `/v1/orgs/${org.orgId}/webhooks/${saved.id}/test`, { token: org.apiKey });
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.body).toMatchObject({ ok: true, status: 200 });
    expect(r.received).toHaveLength(1);
  });

  it("answers 404 for an unknown webhook or another organization's", async () => {
    const other = await setupOrg(t.api);
    const r = await receiver();
    const theirs = await t.api.post(`/v1/orgs/${other.orgId}/webhooks`, { url: r.url }, other.apiKey);
    expect((await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${theirs.body.id}/test`, {}, org.apiKey)).status).toBe(404);
    expect((await t.api.post(`/v1/orgs/${org.orgId}/webhooks/wh_nope/test`, {}, org.apiKey)).status).toBe(404);
    expect((await t.api.post(`/v1/orgs/${other.orgId}/webhooks/test`, { url: r.url }, org.apiKey)).status).toBe(404);
    expect(r.received).toHaveLength(0);
  });
});
