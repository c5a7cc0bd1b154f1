// Issue 14, item 6 (API parts): the operator resets a portal account's password — a generated one,
// shown once, that ends the account's sessions; nobody else may. Connections say where to post.
import { describe, expect, it } from 'vitest';
import { testScope } from '../helpers/scope.ts';
import { type TestService, setupOrg, startTestService } from '../helpers/service.ts';

const OPERATOR = { email: 'ops@example.com', password: 'first-operator-password' };
const ADMIN = { email: 'anna@newcompany.example', password: 'green tea at noon, please' };

/** A signed-in portal session: its cookie and the portal's header on every request. */
async function signIn(t: TestService, email: string, password: string) {
  const response = await fetch(`${t.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const cookie = response.headers.get('set-cookie')?.split(';')[0] ?? null;
  return {
    status: response.status,
    request: async (method: string, path: string) => {
      const answer = await fetch(t.url + path, { method, headers: { cookie: cookie ?? '', 'x-callhook-portal': '1' } });
      return { status: answer.status, type: answer.headers.get('content-type'), body: (await answer.json()) as any };
    },
  };
}

describe('resetting a portal password', () => {
  const scope = testScope();

  it('lets the operator reset an admin’s password: a strong one shown once, the admin’s sessions end, the new one signs in', async () => {
    const t = await startTestService({ env: { CALLHOOK_PORTAL_EMAIL: OPERATOR.email, CALLHOOK_PORTAL_PASSWORD: OPERATOR.password } });
    scope.defer(() => t.cleanup());
    const org = await setupOrg(t.api);
    const created = await t.api.post('/v1/accounts', { ...ADMIN, name: 'Anna', role: 'admin', orgId: org.orgId });
    expect(created.status).toBe(201);
    const other = await t.api.post('/v1/accounts', { email: 'bob@newcompany.example', password: 'purple kettle on mondays', name: 'Bob', role: 'admin', orgId: org.orgId });
    const admin = await signIn(t, ADMIN.email, ADMIN.password);
    expect((await admin.request('GET', '/v1/session')).status).toBe(200);
    const reset = (accountId: string) => `/v1/accounts/${accountId}/reset-password`;

    // Nobody but the operator: not an admin (not even its own), not an organization API key.
    for (const accountId of [created.body.id, other.body.id]) {
      const refused = await admin.request('POST', reset(accountId));
      expect([refused.status, refused.type, refused.body.type]).toEqual([403, 'application/problem+json; charset=utf-8', expect.stringContaining('forbidden')]);
    }
    expect((await t.api.post(reset(other.body.id), undefined, org.apiKey)).status).toBe(403);
    const unknown = await t.api.post(reset('acct_unknown'));
    expect([unknown.status, unknown.body.detail]).toEqual([404, expect.stringContaining('acct_unknown')]);
    // The operator's own password is changed with the current one, not reset.
    const operator = await signIn(t, OPERATOR.email, OPERATOR.password);
    const me = (await operator.request('GET', '/v1/session')).body.account.id as string;
    expect((await operator.request('POST', reset(me))).status).toBe(409);

    const answer = await t.api.post(reset(created.body.id));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(answer.body)).toEqual(['password']);
    expect(answer.body.password).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    expect((await admin.request('GET', '/v1/session')).status).toBe(401); // signed out everywhere
    expect((await signIn(t, ADMIN.email, ADMIN.password)).status).toBe(401);
    const again = await signIn(t, ADMIN.email, answer.body.password);
    expect(again.status).toBe(201);
    // Another reset by the operator's session gives another password.
    const second = await operator.request('POST', reset(created.body.id));
    expect(second.status).toBe(200);
    expect(second.body.password).not.toBe(answer.body.password);
    expect((await again.request('GET', '/v1/session')).status).toBe(401);
  });

  it('tells on every connection where the phone system posts its call steps', async () => {
    const t = await startTestService({ env: { CALLHOOK_PUBLIC_URL: 'https://hooks.example.com/' } });
    scope.defer(() => t.cleanup());
    const org = await setupOrg(t.api);
    const ingestUrl = 'https://hooks.example.com/v1/ingest/calls';
    const created = await t.api.post(`/v1/orgs/${org.orgId}/connections`, { name: 'Kamailio' });
    expect(created.body).toMatchObject({ name: 'Kamailio', ingestUrl, ingestToken: expect.stringMatching(/^cht_/) });
    const listed = (await t.api.get(`/v1/orgs/${org.orgId}/connections`)).body.data as Array<{ ingestUrl: string }>;
    expect(listed.map((c) => c.ingestUrl)).toEqual([ingestUrl, ingestUrl]);
    expect((await t.api.patch(`/v1/orgs/${org.orgId}/connections/${created.body.id}`, { name: 'Kamailio 2' })).body.ingestUrl).toBe(ingestUrl);
  });
});
