// The management API as an operator and an organization admin use it: organizations, connections,
// users, numbers and API keys (operator), then webhooks end to end (the org's own key).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { OPERATOR_TOKEN, type OrgSetup, type TestService, setupOrg, startTestService } from '../helpers/service.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';

const ALL_EVENTS = ['call.incoming', 'call.outgoing', 'call.answered', 'call.ended', 'call.recording', 'call.insights'];

/** The SQLite file and its write-ahead log, as bytes: what a stolen disk would show. */
function databaseBytes(t: TestService): Buffer {
  const path = (t.service.config.database as { path: string }).path;
  return Buffer.concat([path, `${path}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p)));
}

describe('operator: organizations, connections, directory, API keys', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('creates an organization with name, domain, plan and notification e-mails, and reads it back', async () => {
    const created = await t.api.post('/v1/orgs', { name: 'Acme BV', domain: 'acme-bv', plan: 'expert', notificationEmails: ['ops@acme.example', 'cto@acme.example'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Acme BV', domain: 'acme-bv', plan: 'expert', notificationEmails: ['ops@acme.example', 'cto@acme.example'] });
    expect(created.body.id).toMatch(/^org_/);
    const got = await t.api.get(`/v1/orgs/${created.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
    const list = await t.api.get('/v1/orgs');
    expect(list.body.data.map((o: { id: string }) => o.id)).toContain(created.body.id);
    // Without a plan an organization gets the configured default (expert).
    const defaulted = await t.api.post('/v1/orgs', { name: 'Default Plan Ltd', domain: 'default-plan' });
    expect(defaulted.status).toBe(201);
    expect(defaulted.body.plan).toBe('expert');
    const patched = await t.api.patch(`/v1/orgs/${defaulted.body.id}`, { plan: 'basic', notificationEmails: ['a@b.example'] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ plan: 'basic', notificationEmails: ['a@b.example'], domain: 'default-plan' });
  });

  it('lists the configured plans (operator): which include webhooks and which is the default', async () => {
    const plans = await t.api.get('/v1/plans');
    expect(plans.status).toBe(200);
    expect(plans.body.data).toEqual([
      { name: 'expert', webhooks: true, description: expect.any(String), default: true },
      { name: 'basic', webhooks: false, description: expect.any(String), default: false },
    ]);
    const org = await setupOrg(t.api);
    expect((await t.api.get('/v1/plans', org.apiKey)).status).toBe(403);
  });

  it('creates a connection whose ingest token is shown once and works for ingest', async () => {
    const org = await t.api.post('/v1/orgs', { name: 'Conn Co', domain: 'conn-co' });
    const connection = await t.api.post(`/v1/orgs/${org.body.id}/connections`, { name: 'Asterisk HQ' });
    expect(connection.status).toBe(201);
    expect(connection.body).toMatchObject({ orgId: org.body.id, name: 'Asterisk HQ', revokedAt: null });
    expect(typeof connection.body.ingestToken).toBe('string');
    expect(connection.body.ingestToken.length).toBeGreaterThanOrEqual(20);
    const list = await t.api.get(`/v1/orgs/${org.body.id}/connections`);
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].id).toBe(connection.body.id);
    expect(JSON.stringify(list.body)).not.toContain(connection.body.ingestToken);
    const step = await t.api.post('/v1/ingest/calls', { type: 'started', callId: 'conn-co-1', direction: 'outbound', from: '500', to: '+31850609000', at: Date.now() }, connection.body.ingestToken);
    expect(step.status).toBe(202);
    expect(databaseBytes(t).includes(connection.body.ingestToken)).toBe(false);
  });

  it('adds users (id, extension, e-mail, name) and E.164 numbers', async () => {
    const org = await t.api.post('/v1/orgs', { name: 'Dir Co', domain: 'dir-co' });
    const orgId = org.body.id;
    const user = await t.api.post(`/v1/orgs/${orgId}/users`, { id: 'pbx-42', extension: '204', email: 'eve@dir.example', name: 'Eve' });
    expect(user.status).toBe(201);
    expect(user.body).toMatchObject({ id: 'pbx-42', extension: '204', email: 'eve@dir.example', name: 'Eve' });
    const emailOnly = await t.api.post(`/v1/orgs/${orgId}/users`, { email: 'frank@dir.example' });
    expect(emailOnly.status).toBe(201);
    expect(emailOnly.body).toMatchObject({ extension: null, email: 'frank@dir.example', name: null });
    expect(emailOnly.body.id).toMatch(/^usr_/);
    const users = await t.api.get(`/v1/orgs/${orgId}/users`);
    expect(users.body.data.map((u: { id: string }) => u.id).sort()).toEqual([emailOnly.body.id, 'pbx-42'].sort());
    expect((await t.api.get(`/v1/orgs/${orgId}/users/pbx-42`)).body.email).toBe('eve@dir.example');

    const number = await t.api.post(`/v1/orgs/${orgId}/numbers`, { number: '+31850609000' });
    expect(number.status).toBe(201);
    expect(number.body.number).toBe('+31850609000');
    const numbers = await t.api.get(`/v1/orgs/${orgId}/numbers`);
    expect(numbers.body.data.map((n: { number: string }) => n.number)).toEqual(['+31850609000']);
  });

  it('issues org API keys shown once and stored only as a hash', async () => {
    const org = await t.api.post('/v1/orgs', { name: 'Key Co', domain: 'key-co' });
    const orgId = org.body.id;
    const issued = await t.api.post(`/v1/orgs/${orgId}/api-keys`, { name: 'crm' });
    expect(issued.status).toBe(201);
    const key: string = issued.body.key;
    expect(key.length).toBeGreaterThanOrEqual(20);
    expect(key.startsWith(issued.body.prefix)).toBe(true);
    const list = await t.api.get(`/v1/orgs/${orgId}/api-keys`);
    expect(list.body.data).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(key);
    // The key works for its own organization…
    expect((await t.api.get(`/v1/orgs/${orgId}`, key)).status).toBe(200);
    // …and is nowhere on disk in clear, only its hash.
    const bytes = databaseBytes(t);
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.includes(key)).toBe(false);
    expect(bytes.includes(key.slice(10))).toBe(false);
    expect(bytes.includes(createHash('sha256').update(key).digest('hex'))).toBe(true);
    // Revoked, it stops working.
    expect((await t.api.delete(`/v1/orgs/${orgId}/api-keys/${issued.body.id}`)).status).toBe(204);
    expect((await t.api.get(`/v1/orgs/${orgId}`, key)).status).toBe(401);
  });
});

describe('operator: deleting an organization', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('deletes an organization with everything it owns; its key and ingest token stop working', async () => {
    const org = await setupOrg(t.api);
    const kept = await setupOrg(t.api);
    // A disabled webhook holds its delivery, so the organization owns a delivery without any sending.
    expect((await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: 'https://crm.example.com/hook', enabled: false }, org.apiKey)).status).toBe(201);
    expect((await t.api.post('/v1/ingest/calls', { type: 'started', callId: 'gone-1', direction: 'inbound', from: '+31612345678', to: '500', at: Date.now() }, org.ingestToken)).status).toBe(202);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/deliveries?status=held`, org.apiKey)).body.data).toHaveLength(1);

    expect((await t.api.delete(`/v1/orgs/${org.orgId}`)).status).toBe(204);
    expect((await t.api.get(`/v1/orgs/${org.orgId}`)).status).toBe(404);
    expect((await t.api.delete(`/v1/orgs/${org.orgId}`)).status).toBe(404);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/webhooks`, org.apiKey)).status).toBe(401);
    expect((await t.api.post('/v1/ingest/calls', { type: 'ended', callId: 'gone-1', at: Date.now() }, org.ingestToken)).status).toBe(401);
    expect((await t.api.get('/v1/orgs')).body.data.map((o: { id: string }) => o.id)).toEqual([kept.orgId]);
    expect((await t.api.get(`/v1/orgs/${kept.orgId}`, kept.apiKey)).status).toBe(200);
  });
});

describe('organization: webhooks with its API key', () => {
  let t: TestService;
  let org: OrgSetup;
  let receiver: Receiver;
  const base = () => `/v1/orgs/${org.orgId}/webhooks`;

  beforeAll(async () => {
    t = await startTestService();
    org = await setupOrg(t.api);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await t.cleanup();
    await receiver.close();
  });

  it('creates a webhook with every setting and lists, gets, updates and deletes it', async () => {
    const body = {
      url: `${receiver.url}/crm?tenant=7`,
      events: ['call.incoming', 'call.ended'],
      format: 'ringotel',
      contentType: 'application/x-www-form-urlencoded',
      apiToken: '5c2d7008-a4b9-4eec-b549-e82804521e9a',
      description: 'CRM sync',
      retryScheduleS: [10, 60, 600],
    };
    const created = await t.api.post(base(), body, org.apiKey);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...body, orgId: org.orgId, enabled: true });
    expect(created.body.id).toMatch(/^wh_/);
    expect(created.body.secret).toMatch(/^whsec_/);
    const id = created.body.id;

    const list = await t.api.get(base(), org.apiKey);
    expect(list.status).toBe(200);
    expect(list.body.data.map((w: { id: string }) => w.id)).toContain(id);
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
    const got = await t.api.get(`${base()}/${id}`, org.apiKey);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject(body);
    expect(got.body.secret).toBeUndefined();

    const change = { url: `${receiver.url}/v2`, events: ['call.outgoing', 'call.answered', 'call.insights'], format: 'standard', contentType: 'application/json', apiToken: null, description: 'v2', retryScheduleS: [5] };
    const patched = await t.api.patch(`${base()}/${id}`, change, org.apiKey);
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject(change);
    expect((await t.api.get(`${base()}/${id}`, org.apiKey)).body).toMatchObject(change);
    // A partial change leaves the rest alone.
    const partial = await t.api.patch(`${base()}/${id}`, { description: null }, org.apiKey);
    expect(partial.body).toMatchObject({ ...change, description: null });

    expect((await t.api.delete(`${base()}/${id}`, org.apiKey)).status).toBe(204);
    expect((await t.api.get(`${base()}/${id}`, org.apiKey)).status).toBe(404);
    expect((await t.api.delete(`${base()}/${id}`, org.apiKey)).status).toBe(404);
  });

  it('takes any subset of the six canonical events, and all six by default', async () => {
    const all = await t.api.post(base(), { url: receiver.url }, org.apiKey);
    expect(all.status).toBe(201);
    expect([...all.body.events].sort()).toEqual([...ALL_EVENTS].sort());
    expect(all.body).toMatchObject({ format: 'standard', contentType: 'application/json', apiToken: null, description: null, retryScheduleS: null });
    for (const events of [['call.recording'], ['call.insights', 'call.answered'], ALL_EVENTS]) {
      const created = await t.api.post(base(), { url: receiver.url, events }, org.apiKey);
      expect(created.status).toBe(201);
      expect([...created.body.events].sort()).toEqual([...events].sort());
    }
  });

  it('disables and enables a webhook', async () => {
    const { body: webhook } = await t.api.post(base(), { url: receiver.url, events: ['call.ended'] }, org.apiKey);
    const disabled = await t.api.post(`${base()}/${webhook.id}/disable`, { reason: 'maintenance' }, org.apiKey);
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ enabled: false, disabledReason: 'maintenance' });
    expect(disabled.body.disabledAt).not.toBeNull();
    expect((await t.api.get(`${base()}/${webhook.id}`, org.apiKey)).body.enabled).toBe(false);
    const enabled = await t.api.post(`${base()}/${webhook.id}/enable`, undefined, org.apiKey);
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
    expect((await t.api.get(`${base()}/${webhook.id}`, org.apiKey)).body.enabled).toBe(true);
  });

  it('disables a webhook on a bare POST without a body (the reason is optional)', async () => {
    const { body: webhook } = await t.api.post(base(), { url: receiver.url, events: ['call.ended'] }, org.apiKey);
    const noBody = await t.api.request('POST', `${base()}/${webhook.id}/disable`, { token: org.apiKey });
    expect(noBody.status, JSON.stringify(noBody.body)).toBe(200);
    expect(noBody.body).toMatchObject({ enabled: false, disabledReason: 'disabled through the API' });
  });

  it('rotates the signing secret; the old one is still reported as previousSecret and signs too', async () => {
    const { body: webhook } = await t.api.post(base(), { url: `${receiver.url}/rotated`, events: ['call.incoming'] }, org.apiKey);
    const before = await t.api.get(`${base()}/${webhook.id}/secret`, org.apiKey);
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ secret: webhook.secret, previousSecret: null, previousSecretExpiresAt: null });
    const rotated = await t.api.post(`${base()}/${webhook.id}/rotate-secret`, undefined, org.apiKey);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(webhook.secret);
    const after = await t.api.get(`${base()}/${webhook.id}/secret`, org.apiKey);
    expect(after.body.secret).toBe(rotated.body.secret);
    expect(after.body.previousSecret).toBe(webhook.secret);
    expect(Date.parse(after.body.previousSecretExpiresAt)).toBeGreaterThan(t.clock.now());
    // During the grace period a test send verifies with either secret.
    const sent = await t.api.post(`${base()}/${webhook.id}/test`, {}, org.apiKey);
    expect(sent.body.ok).toBe(true);
    const request = receiver.received.filter((r) => r.path === '/rotated').at(-1)!;
    const headers = { 'webhook-id': String(request.headers['webhook-id']), 'webhook-timestamp': String(request.headers['webhook-timestamp']), 'webhook-signature': String(request.headers['webhook-signature']) };
    expect(() => new StandardWebhook(rotated.body.secret).verify(request.body, headers)).not.toThrow();
    expect(() => new StandardWebhook(webhook.secret).verify(request.body, headers)).not.toThrow();
  });

  it('lets the operator token manage the same webhooks', async () => {
    const created = await t.api.post(base(), { url: receiver.url, events: ['call.answered'], format: 'rinkel' }, OPERATOR_TOKEN);
    expect(created.status).toBe(201);
    const list = await t.api.get(base(), org.apiKey);
    expect(list.body.data.map((w: { id: string }) => w.id)).toContain(created.body.id);
    expect((await t.api.patch(`${base()}/${created.body.id}`, { description: 'by the operator' })).body.description).toBe('by the operator');
    expect((await t.api.delete(`${base()}/${created.body.id}`)).status).toBe(204);
  });
});
