// Signing in to the portal: the first operator made on first start, sessions as HttpOnly
// SameSite=Strict cookies that work wherever a bearer token does, the CSRF guard, the sign-in
// throttle, sliding expiry, organization admins confined to their organization, and `callhook users`.
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testScope } from '../helpers/scope.ts';
import { type TestService, setupOrg, startTestService } from '../helpers/service.ts';

const PASSWORD = 'first-operator-password';
const HOUR = 3_600_000;

/** A browser's view: one cookie jar, the portal's header on every request. */
function browser(t: TestService) {
  let cookie: string | null = null;
  return {
    get cookie() {
      return cookie;
    },
    async request(method: string, path: string, body?: unknown) {
      const headers: Record<string, string> = {};
      if (cookie) headers.cookie = cookie;
      headers['x-callhook-portal'] = '1';
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(t.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const setCookie = response.headers.get('set-cookie');
      if (setCookie) {
        const [pair] = setCookie.split(';');
        cookie = pair!.endsWith('=') ? null : pair!;
      }
      const text = await response.text();
      return { status: response.status, headers: response.headers, setCookie, body: text && /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : text };
    },
    signIn(email: string, password: string) {
      return this.request('POST', '/v1/session', { email, password });
    },
  };
}

describe('portal sign-in', () => {
  const scope = testScope();

  async function service(env: Record<string, string> = {}) {
    const t = await startTestService({ env: { CALLHOOK_PORTAL_EMAIL: 'Ops@Example.com', CALLHOOK_PORTAL_PASSWORD: PASSWORD, ...env } });
    scope.defer(() => t.cleanup());
    return t;
  }

  it('makes the first operator on first start; a session cookie then works like the operator token', async () => {
    const t = await service();
    expect(t.service.firstOperator).toEqual({ email: 'ops@example.com', passwordSource: 'CALLHOOK_PORTAL_PASSWORD', password: null });
    const b = browser(t);
    const signedIn = await b.signIn('OPS@example.com ', PASSWORD);
    expect(signedIn.status).toBe(201);
    expect(signedIn.body.account).toMatchObject({ email: 'ops@example.com', role: 'operator', orgId: null });
    expect(signedIn.setCookie).toMatch(/^callhook_session=chs_[\w-]{20,};/);
    expect(signedIn.setCookie).toMatch(/; HttpOnly/i);
    expect(signedIn.setCookie).toMatch(/; SameSite=Strict/i);
    expect(signedIn.setCookie).toMatch(/; Path=\//);
    expect(signedIn.setCookie).not.toMatch(/Secure/i); // plain http on loopback; https would add it

    expect((await b.request('GET', '/v1/session')).body.account.email).toBe('ops@example.com');
    const created = await b.request('POST', '/v1/orgs', { name: 'Portal Co', domain: 'portal-co' });
    expect(created.status).toBe(201);
    expect((await b.request('GET', '/v1/orgs')).body.data.map((o: { id: string }) => o.id)).toContain(created.body.id);

    // Stored as a scrypt hash, never as typed.
    const db = new DatabaseSync(join(t.dataDir, 'callhook.db'), { readOnly: true });
    const row = db.prepare('SELECT password_hash FROM accounts').get() as { password_hash: string };
    db.close();
    expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
  });

  it('without a configured password, generates one into the data folder (0600), and keeps it across restarts', async () => {
    const t = await startTestService();
    scope.defer(() => t.cleanup());
    const first = t.service.firstOperator!;
    expect(first).toMatchObject({ email: 'operator@localhost', passwordSource: join(t.dataDir, 'portal-password') });
    expect(first.password).toMatch(/^[\w-]{16}$/);
    expect(readFileSync(first.passwordSource, 'utf8').trim()).toBe(first.password);
    expect(statSync(first.passwordSource).mode & 0o777).toBe(0o600);
    const again = await t.restart();
    scope.defer(() => again.cleanup());
    expect(again.service.firstOperator).toEqual({ ...first, password: null }); // shown on the first start only
    expect((await again.api.get('/v1/accounts')).body.data).toHaveLength(1);
    expect((await browser(again).signIn('operator@localhost', first.password!)).status).toBe(201);
  });

  it('refuses changes made with the session from another site: without the portal header, or from a foreign origin', async () => {
    const t = await service({ CALLHOOK_PUBLIC_URL: 'https://callhook.example.com' });
    const b = browser(t);
    expect((await b.signIn('ops@example.com', PASSWORD)).setCookie).toMatch(/; Secure/i); // people come over https
    const noHeader = await fetch(`${t.url}/v1/orgs`, { method: 'POST', headers: { cookie: b.cookie!, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Evil', domain: 'evil' }) });
    expect(noHeader.status).toBe(403);
    expect(((await noHeader.json()) as { detail: string }).detail).toMatch(/x-callhook-portal/);
    const foreign = await fetch(`${t.url}/v1/orgs`, {
      method: 'POST',
      headers: { cookie: b.cookie!, 'content-type': 'application/json', 'x-callhook-portal': '1', origin: 'https://evil.example' },
      body: JSON.stringify({ name: 'Evil', domain: 'evil' }),
    });
    expect(foreign.status).toBe(403);
    const proxied = await fetch(`${t.url}/v1/orgs`, { method: 'POST', headers: { cookie: b.cookie!, 'content-type': 'application/json', 'x-callhook-portal': '1', origin: 'https://callhook.example.com' }, body: '{"name":"Fine","domain":"fine"}' });
    expect(proxied.status, 'the public address (CALLHOOK_PUBLIC_URL) behind a proxy').toBe(201);
    await t.api.delete(`/v1/orgs/${((await proxied.json()) as { id: string }).id}`);
    for (const origin of ['null', 'not a url', t.url.replace('http:', 'https:')]) {
      const odd = await fetch(`${t.url}/v1/orgs`, { method: 'POST', headers: { cookie: b.cookie!, 'content-type': 'application/json', 'x-callhook-portal': '1', origin }, body: '{"name":"Evil","domain":"evil"}' });
      expect(odd.status, origin).toBe(403);
    }
    expect((await t.api.get('/v1/orgs')).body.data).toEqual([]); // nothing was made
    // Reading needs no header (a cross-site page cannot read the answer anyway).
    expect((await fetch(`${t.url}/v1/orgs`, { headers: { cookie: b.cookie! } })).status).toBe(200);
  });

  it('answers a wrong password with 401 on the password field, then slows guessing down (429 with Retry-After) until the window passes', async () => {
    const t = await service();
    const b = browser(t);
    const wrong = await b.signIn('ops@example.com', 'not-the-password');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ field: 'password' });
    expect((await b.signIn('nobody@example.com', 'whatever-password')).status).toBe(401); // same answer for an unknown address
    for (let i = 0; i < 4; i++) expect((await b.signIn('ops@example.com', `guess-${i}`)).status).toBe(401);
    const throttled = await b.signIn('ops@example.com', PASSWORD); // even the right one, now
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(throttled.body.detail).toMatch(/try again in \d+ s/);
    t.clock.advance(15 * 60_000 + 1_000);
    expect((await b.signIn('ops@example.com', PASSWORD)).status).toBe(201);
  });

  it('behind a trusted proxy, counts sign-in attempts per forwarded client: one guesser does not lock the owner out', async () => {
    const t = await service({ CALLHOOK_TRUST_PROXY: '1' });
    const from = (ip: string, password: string) =>
      fetch(`${t.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify({ email: 'ops@example.com', password }) });
    const guesses = await Promise.all(Array.from({ length: 8 }, (_, i) => from('203.0.113.9', `guess-${i}`))); // all at once
    expect(guesses.map((r) => r.status).sort()).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect((await from('198.51.100.20', PASSWORD)).status).toBe(201);
  });

  it('signs out: the cookie is cleared and the session no longer works; sessions run out unless used', async () => {
    const t = await service({ CALLHOOK_SESSION_HOURS: '12' });
    const b = browser(t);
    await b.signIn('ops@example.com', PASSWORD);
    const cookie = b.cookie!;
    const out = await b.request('DELETE', '/v1/session');
    expect(out.status).toBe(204);
    expect(out.setCookie).toMatch(/^callhook_session=;/);
    expect((await fetch(`${t.url}/v1/orgs`, { headers: { cookie } })).status).toBe(401);

    const c = browser(t);
    await c.signIn('ops@example.com', PASSWORD);
    t.clock.advance(7 * HOUR); // past half: this use extends it
    expect((await c.request('GET', '/v1/session')).status).toBe(200);
    t.clock.advance(11 * HOUR); // 18 h after sign-in, 11 h after last use
    expect((await c.request('GET', '/v1/session')).status).toBe(200);
    t.clock.advance(12 * HOUR + 1);
    const ended = await c.request('GET', '/v1/orgs');
    expect(ended.status).toBe(401);
    expect(ended.body.detail).toMatch(/sign in again/);

    // In use every 8 hours, a session still ends 30 days after sign-in.
    const d = browser(t);
    await d.signIn('ops@example.com', PASSWORD);
    let usedFor = 0;
    while ((await d.request('GET', '/v1/session')).status === 200) {
      t.clock.advance(8 * HOUR);
      usedFor += 8 * HOUR;
      expect(usedFor).toBeLessThanOrEqual(31 * 24 * HOUR);
    }
    expect(usedFor).toBe(30 * 24 * HOUR);
  });

  it('changes the password with the current one; other sessions end, this one goes on; the new one signs in', async () => {
    const t = await service();
    const here = browser(t);
    const elsewhere = browser(t);
    await here.signIn('ops@example.com', PASSWORD);
    await elsewhere.signIn('ops@example.com', PASSWORD);
    const wrong = await here.request('POST', '/v1/session/password', { currentPassword: 'not-it-at-all', newPassword: 'a-new-long-password' });
    expect([wrong.status, wrong.body.field]).toEqual([422, 'currentPassword']);
    const weak = await here.request('POST', '/v1/session/password', { currentPassword: PASSWORD, newPassword: 'short' });
    expect([weak.status, weak.body.errors?.[0]?.field ?? weak.body.field]).toEqual([422, 'newPassword']);
    // Long enough but guessable: the strength estimator's reason, and what to do about it.
    const guessable = await here.request('POST', '/v1/session/password', { currentPassword: PASSWORD, newPassword: 'Password1234' });
    expect([guessable.status, guessable.body.field]).toEqual([422, 'newPassword']);
    expect(guessable.body.detail).toMatch(/^newPassword is too easy to guess: This is similar to a commonly used password\. Add another word or two/);
    expect((await here.request('POST', '/v1/session/password', { currentPassword: PASSWORD, newPassword: 'a-new-long-password' })).status).toBe(204);
    expect((await here.request('GET', '/v1/session')).status).toBe(200);
    expect((await elsewhere.request('GET', '/v1/session')).status).toBe(401);
    expect((await browser(t).signIn('ops@example.com', PASSWORD)).status).toBe(401);
    expect((await browser(t).signIn('ops@example.com', 'a-new-long-password')).status).toBe(201);
    // Not with a bearer token: it is a person's password.
    expect((await t.api.post('/v1/session/password', { currentPassword: 'a-new-long-password', newPassword: 'another-long-one' })).status).toBe(401);
  });

  it("keeps an organization admin to its organization: its resources, connections and API keys, not others' nor the operator's routes", async () => {
    const t = await service();
    const a = await setupOrg(t.api);
    const other = await setupOrg(t.api);
    const op = browser(t);
    await op.signIn('ops@example.com', PASSWORD);
    const weak = await op.request('POST', '/v1/accounts', { email: 'ann@a.example', name: 'Ann', password: 'short', role: 'admin', orgId: a.orgId });
    expect(weak.status).toBe(422);
    expect(weak.body.errors?.[0]?.field ?? weak.body.field).toBe('password');
    const named = await op.request('POST', '/v1/accounts', { email: 'ann.smith@a.example', name: 'Ann Smith', password: 'ann.smith@a.example', role: 'admin', orgId: a.orgId });
    expect([named.status, named.body.field, named.body.detail]).toEqual([422, 'password', expect.stringMatching(/^password is too easy to guess: It contains your e-mail, your name/)]);
    const noOrg = await op.request('POST', '/v1/accounts', { email: 'ann@a.example', name: 'Ann', password: 'long-enough-pw', role: 'admin' });
    expect([noOrg.status, noOrg.body.field]).toEqual([422, 'orgId']);
    const admin = await op.request('POST', '/v1/accounts', { email: 'ann@a.example', name: 'Ann', password: 'long-enough-pw', role: 'admin', orgId: a.orgId });
    expect(admin.status).toBe(201);
    const again = await op.request('POST', '/v1/accounts', { email: 'ANN@a.example', name: 'Ann 2', password: 'long-enough-pw', role: 'admin', orgId: a.orgId });
    expect([again.status, again.body.field]).toEqual([409, 'email']);

    const ann = browser(t);
    expect((await ann.signIn('ann@a.example', 'long-enough-pw')).body.account).toMatchObject({ role: 'admin', orgId: a.orgId });
    expect((await ann.request('GET', `/v1/orgs/${a.orgId}/webhooks`)).status).toBe(200);
    expect((await ann.request('GET', `/v1/orgs/${other.orgId}/webhooks`)).status).toBe(404);
    expect((await ann.request('GET', '/v1/orgs')).status).toBe(403);
    expect((await ann.request('POST', '/v1/orgs', { name: 'X', domain: 'x-co' })).status).toBe(403);
    expect((await ann.request('POST', '/v1/accounts', { email: 'z@a.example', name: 'Z', password: 'long-enough-pw', role: 'admin', orgId: a.orgId })).status).toBe(403);
    expect((await ann.request('GET', '/v1/accounts')).body.data.map((x: { email: string }) => x.email)).toEqual(['ann@a.example']);

    // Its notification e-mails are the admin's to change; its name, domain and plan are not.
    const emails = await ann.request('PATCH', `/v1/orgs/${a.orgId}`, { notificationEmails: ['oncall@a.example'] });
    expect([emails.status, emails.body.notificationEmails]).toEqual([200, ['oncall@a.example']]);
    const plan = await ann.request('PATCH', `/v1/orgs/${a.orgId}`, { plan: 'basic', notificationEmails: ['x@a.example'] });
    expect([plan.status, plan.body.field]).toEqual([403, 'plan']);
    expect((await t.api.get(`/v1/orgs/${a.orgId}`)).body).toMatchObject({ plan: 'expert', notificationEmails: ['oncall@a.example'] });
    expect((await ann.request('PATCH', `/v1/orgs/${other.orgId}`, { notificationEmails: [] })).status).toBe(404);

    // An admin manages its connections and API keys; an API key cannot. HEP capture ids (which
    // say whose calls mirrored SIP is, instance-wide) are the operator's to set.
    const connection = await ann.request('POST', `/v1/orgs/${a.orgId}/connections`, { name: 'Kamailio' });
    expect(connection.status).toBe(201);
    const hepByAdmin = await ann.request('PATCH', `/v1/orgs/${a.orgId}/connections/${connection.body.id}`, { hep: { captureId: 0 } });
    expect([hepByAdmin.status, hepByAdmin.body.field]).toEqual([403, 'hep']);
    expect((await ann.request('POST', `/v1/orgs/${a.orgId}/connections`, { name: 'Probe', hep: { captureId: 2001 } })).status).toBe(403);
    const patched = await op.request('PATCH', `/v1/orgs/${a.orgId}/connections/${connection.body.id}`, { hep: { captureId: 2001, authKey: 'secret' } });
    expect(patched.body.hep).toEqual({ captureId: 2001, authKeySet: true });
    const renamed = await op.request('PATCH', `/v1/orgs/${a.orgId}/connections/${connection.body.id}`, { name: 'Kamailio 2', hep: { captureId: 2002 } });
    expect([renamed.body.name, renamed.body.hep]).toEqual(['Kamailio 2', { captureId: 2002, authKeySet: true }]); // key kept
    const byAdmin = await ann.request('PATCH', `/v1/orgs/${a.orgId}/connections/${connection.body.id}`, { name: 'Kamailio 3' });
    expect([byAdmin.status, byAdmin.body.hep]).toEqual([200, { captureId: 2002, authKeySet: true }]); // renaming is fine
    const taken = await op.request('POST', `/v1/orgs/${a.orgId}/connections`, { name: 'Dup', hep: { captureId: 2002 } });
    expect([taken.status, taken.body.field]).toEqual([409, 'hep.captureId']);
    expect((await ann.request('POST', `/v1/orgs/${a.orgId}/api-keys`, { name: 'crm' })).status).toBe(201);
    expect((await t.api.post(`/v1/orgs/${a.orgId}/connections`, { name: 'By key' }, a.apiKey)).status).toBe(403);
    expect((await t.api.post(`/v1/orgs/${a.orgId}/api-keys`, { name: 'By key' }, a.apiKey)).status).toBe(403);

    // Deleted by the operator: signed out everywhere. The operator cannot delete itself.
    expect((await op.request('DELETE', `/v1/accounts/${admin.body.id}`)).status).toBe(204);
    expect((await ann.request('GET', `/v1/orgs/${a.orgId}/webhooks`)).status).toBe(401);
    const self = (await op.request('GET', '/v1/session')).body.account.id;
    expect((await op.request('DELETE', `/v1/accounts/${self}`)).status).toBe(409);
  });

  it('serves the portal at /portal (its own routes too) and sends / there', async () => {
    const t = await service();
    const root = await fetch(`${t.url}/`, { redirect: 'manual' });
    expect([root.status, root.headers.get('location')]).toEqual([302, '/portal/']);
    for (const path of ['/portal/', '/portal/orgs/org_123/deliveries']) {
      const page = await fetch(t.url + path);
      expect(page.status, path).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toMatch(/<div id="root">/);
    }
  });

  // Five `callhook` processes, one after the other: slow on a busy machine.
  it('`callhook users add` makes an account from the command line; its generated password signs in', { timeout: 90_000 }, async () => {
    const t = await service();
    await t.stop();
    const run = (args: string[]) => promisify(execFile)(process.execPath, ['bin/callhook.js', 'users', ...args, '--data-dir', t.dataDir], { cwd: new URL('../..', import.meta.url) });
    const added = await run(['add', '--email', 'second@example.com', '--name', 'Second']);
    expect(added.stdout).toMatch(/^added operator second@example.com\n/);
    const password = /password: (\S+)/.exec(added.stdout)![1]!;
    await expect(run(['add', '--email', 'second@example.com'])).rejects.toMatchObject({ stdout: expect.stringMatching(/already exists/) });
    await expect(run(['add', '--email', 'x@example.com', '--role', 'admin'])).rejects.toMatchObject({ stdout: expect.stringMatching(/needs --org/) });
    await expect(run(['add', '--email', 'x@example.com', '--password', 'qwerty123456'])).rejects.toMatchObject({ stdout: expect.stringMatching(/--password is too easy to guess: .*Add another word or two/) });
    expect((await run(['list'])).stdout).toMatch(/second@example.com\toperator/);
    const again = await t.restart();
    scope.defer(() => again.cleanup());
    expect((await browser(again).signIn('second@example.com', password)).status).toBe(201);
  });
});
