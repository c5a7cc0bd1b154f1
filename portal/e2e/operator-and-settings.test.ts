// The operator's own screens and an organization's Settings in a real browser: making an
// organization and an organization admin (who then signs in), connections (ingest token shown once
// and working, HEP capture id, revoke), API keys, outcome rules, a webhook's signing secret (reveal,
// rotate) and the sign-in throttle. What the screen says is checked, and so is what the API says.
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../test/helpers/service.ts';
import { screenshot } from './browser.ts';
import { OPERATOR, see, usePortal } from './fixture.ts';

const portal = usePortal();

/** The error the form shows under the field labelled `label`, once it says `text`; tied to the field for screen readers. */
async function fieldSays(scope: Page | Locator, label: string, text: string | RegExp): Promise<string> {
  const page = 'goto' in scope ? scope : scope.page();
  const input = page.getByLabel(label, { exact: true });
  const error = scope.locator('.field').filter({ has: input }).locator('.field-error');
  const said = await see(error, text);
  expect(await input.getAttribute('aria-invalid')).toBe('true');
  expect((await input.getAttribute('aria-describedby'))?.split(' ')).toContain(await error.getAttribute('id'));
  return said;
}

/** Presses a ConfirmButton and then its "Yes, …" (two steps), inside `scope`. */
async function confirm(scope: Locator, label: string, yes: string): Promise<void> {
  await scope.getByRole('button', { name: label, exact: true }).click();
  await scope.getByRole('group', { name: `Confirm: ${label}` }).getByRole('button', { name: yes, exact: true }).click();
}

/** Clicks `button` and answers the HTTP status of the API request (`method` on `path`) the click made. */
async function statusOfClick(button: Locator, method: string, path: string): Promise<number> {
  const answered = button.page().waitForResponse((r) => r.request().method() === method && new URL(r.url()).pathname === path);
  await button.click();
  return (await answered).status();
}

describe.skipIf(portal.missing)('portal operator screens and settings (browser)', () => {
  it('operator makes an organization: a bad notification e-mail is said at its field, Create lands it in the list, a taken domain shows the 409', async () => {
    const { t, page } = await portal.signedIn('/orgs');
    await page.getByRole('link', { name: 'New organization' }).click();
    await page.getByRole('heading', { name: 'New organization', level: 1 }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Acme Dental');
    await page.getByLabel('Domain', { exact: true }).fill('acme-dental');
    const plan = page.getByLabel('Plan', { exact: true });
    expect(await plan.locator('option').allInnerTexts()).toEqual(['Default: expert — webhooks included', 'expert — webhooks included', 'basic — no webhooks (calls are recorded only)']);
    await plan.selectOption('basic');
    await page.getByLabel('Notification e-mails', { exact: true }).fill('desk@acme.example\nnot-an-address');
    await page.getByRole('button', { name: 'Create organization' }).click();
    expect(await fieldSays(page, 'Notification e-mails', 'Entry 2')).toBe('Entry 2: is not a valid e-mail address');
    expect(await page.getByRole('alert').count()).toBe(0); // said at the field, not in a banner
    expect(await page.locator('.field-error').count()).toBe(1);
    expect(new URL(page.url()).pathname).toBe('/portal/orgs/new');
    const domains = async () => ((await t.api.get('/v1/orgs')).body.data as Array<{ domain: string }>).map((o) => o.domain);
    expect(await domains()).not.toContain('acme-dental');

    await page.getByLabel('Notification e-mails', { exact: true }).fill('desk@acme.example\nit@acme.example');
    await screenshot(page, 'organization-form');
    await page.getByRole('button', { name: 'Create organization' }).click();
    // Created: the next steps, each a link (its admin, its connection, its webhooks), then the list.
    await page.getByRole('heading', { name: 'Acme Dental is created', level: 1 }).waitFor();
    const created = ((await t.api.get('/v1/orgs')).body.data as Array<Record<string, unknown>>).find((o) => o.domain === 'acme-dental')!;
    const steps = page.getByTestId('org-next-steps');
    expect(await steps.getByRole('listitem').getByRole('link').evaluateAll((links) => links.map((a) => [a.textContent, a.getAttribute('href')]))).toEqual([
      ['Add its admin', `/portal/accounts?orgId=${String(created.id)}`],
      ['Add its connection', `/portal/orgs/${String(created.id)}/settings#settings-connections`],
      ['Set up its webhooks', `/portal/orgs/${String(created.id)}/integrations`],
    ]);
    await steps.getByRole('link', { name: 'Back to all organizations' }).click();
    await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
    expect(created).toMatchObject({ name: 'Acme Dental', plan: 'basic', notificationEmails: ['desk@acme.example', 'it@acme.example'], defaultCountry: null });
    const row = page.getByTestId(`org-${String(created.id)}`);
    expect(await see(row, 'Acme Dental')).toMatch(/^Acme Dental\s+acme-dental\s+basic\s+Edit$/);
    await row.getByRole('link', { name: 'Acme Dental' }).click();
    await page.getByRole('heading', { name: 'Acme Dental', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/portal/orgs/${String(created.id)}/integrations`);

    // The same domain again: callhook answers 409 and the form says which domain is taken.
    await page.goto(`${t.url}/portal/orgs/new`);
    await page.getByLabel('Name', { exact: true }).fill('Acme Again');
    await page.getByLabel('Domain', { exact: true }).fill('acme-dental');
    expect(await statusOfClick(page.getByRole('button', { name: 'Create organization' }), 'POST', '/v1/orgs')).toBe(409);
    expect(await fieldSays(page, 'Domain', 'already exists')).toMatch(/An organization with domain "acme-dental" already exists/);
    expect(new URL(page.url()).pathname).toBe('/portal/orgs/new');
    expect((await domains()).filter((d) => d === 'acme-dental')).toHaveLength(1);
  });

  it('operator makes an organization admin on Accounts: a short or guessable password is said at its field; the admin then signs in and lands in its organization', async () => {
    const { t, org, page } = await portal.signedIn('/orgs');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor();
    const admin = { email: 'ann@newcompany.example', password: 'anns-long-password' };
    await page.getByLabel('E-mail', { exact: true }).fill(admin.email);
    await page.getByLabel('Name', { exact: true }).fill('Ann');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Organization admin' });
    await page.getByLabel('Organization', { exact: true }).selectOption({ label: 'New Company' });
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(await fieldSays(page, 'Password', 'characters')).toBe('Must be at least 10 characters long');
    // Long enough, but the strength estimator's reason and what to do, as the API says it.
    await page.getByLabel('Password', { exact: true }).fill('password1234');
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(await fieldSays(page, 'Password', 'guess')).toMatch(/^Is too easy to guess: This is similar to a commonly used password\. Add another word or two/);
    const emails = async () => ((await t.api.get('/v1/accounts')).body.data as Array<{ email: string }>).map((a) => a.email);
    expect(await emails()).toEqual([OPERATOR.email]);

    await page.getByLabel('Password', { exact: true }).fill(admin.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await see(page.getByRole('status'), `Account ${admin.email} created.`);
    const stored = ((await t.api.get('/v1/accounts')).body.data as Array<Record<string, unknown>>).find((a) => a.email === admin.email);
    expect(stored).toMatchObject({ name: 'Ann', role: 'admin', orgId: org.orgId });
    expect(await see(page.getByTestId(`account-${String(stored!.id)}`), 'Ann')).toMatch(/^ann@newcompany\.example\s+Ann\s+Organization admin\s+New Company\s+.+\s+Reset password\s*Delete$/);
    expect(await page.locator('.field-error').count()).toBe(0);
    await screenshot(page, 'accounts');

    // A browser of its own (own cookies): the new admin lands in New Company.
    const annPage = await portal.page();
    await portal.signIn(annPage, t, admin);
    await annPage.getByRole('heading', { name: 'New Company', level: 1 }).waitFor();
    expect(new URL(annPage.url()).pathname).toBe(`/portal/orgs/${org.orgId}/integrations`);
    expect(await annPage.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
  });

  it('an admin makes a connection: its ingest token is shown once and takes calls; HEP capture settings are the operator\'s (a taken id is a 409); Revoke (confirmed) stops the token', async () => {
    const { t, org } = await portal.service();
    const admin = { email: 'ann@newcompany.example', password: 'anns-long-password' };
    expect((await t.api.post('/v1/accounts', { ...admin, name: 'Ann', role: 'admin', orgId: org.orgId })).status).toBe(201);
    const page = await portal.page();
    await portal.signIn(page, t, admin, `/orgs/${org.orgId}/settings`);
    const section = page.getByRole('region', { name: 'Connections', exact: true });
    const form = section.getByRole('form', { name: 'New connection' });
    await form.getByLabel('Connection name', { exact: true }).fill('Office PBX');
    await form.getByRole('button', { name: 'Create connection' }).click();

    const once = section.getByRole('region', { name: 'Ingest token for Office PBX' });
    const token = await see(once.getByTestId('shown-once-value'), /^cht_\S+$/);
    await see(once, 'It will not be shown again');
    await screenshot(page, 'connections-token');
    const connections = async () => (await t.api.get(`/v1/orgs/${org.orgId}/connections`)).body.data as Array<Record<string, unknown>>;
    const office = (await connections()).find((c) => c.name === 'Office PBX')!;
    expect(office).toMatchObject({ hep: null, revokedAt: null });
    // The token takes a call (README "Send a first call").
    const step = (callId: string) => ({ steps: [{ type: 'started', callId, direction: 'inbound', from: '353212028252', to: '500', user: '500', at: new Date(t.clock.now()).toISOString() }] });
    const sent = await ingest(t.api, token, step('office-1'));
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/calls/office-1`)).status).toBe(200);

    await once.getByRole('button', { name: 'Done', exact: true }).click();
    await once.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(token);

    // HEP capture settings route SIP instance-wide: an admin has no such fields, only a pointer.
    expect(await form.getByLabel('HEP capture id (optional)', { exact: true }).count()).toBe(0);
    await see(form.getByTestId('hep-by-operator'), 'Your provider sets the capture id');
    const row = page.getByTestId(`connection-${String(office.id)}`);
    await see(row, 'Active');
    await row.getByRole('button', { name: 'Edit', exact: true }).click();
    const adminEdit = section.getByRole('form', { name: 'Edit connection Office PBX' });
    await adminEdit.getByLabel('Connection name', { exact: true }).waitFor();
    expect(await adminEdit.getByLabel('HEP capture id', { exact: true }).count()).toBe(0);
    await adminEdit.getByRole('button', { name: 'Cancel', exact: true }).click();

    // The operator sets them: capture id and auth key on the new connection.
    const opPage = await portal.page();
    await portal.signIn(opPage, t, undefined, `/orgs/${org.orgId}/settings`);
    const opSection = opPage.getByRole('region', { name: 'Connections', exact: true });
    const opRow = opPage.getByTestId(`connection-${String(office.id)}`);
    await see(opRow, 'Active');
    await opRow.getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = opSection.getByRole('form', { name: 'Edit connection Office PBX' });
    await edit.getByLabel('HEP capture id', { exact: true }).fill('2002');
    await edit.getByLabel('HEP auth key', { exact: true }).fill('hep-secret');
    await edit.getByRole('button', { name: 'Save', exact: true }).click();
    await edit.waitFor({ state: 'detached' });
    await see(opRow.getByRole('cell').nth(1), /^id 2002, auth key set$/);
    expect((await connections()).find((c) => c.id === office.id)!.hep).toEqual({ captureId: 2002, authKeySet: true });

    // The first connection may not take 2002 while Office PBX (live) has it.
    const pbxRow = opPage.getByTestId(`connection-${org.connectionId}`);
    await pbxRow.getByRole('button', { name: 'Edit', exact: true }).click();
    const pbxEdit = opSection.getByRole('form', { name: 'Edit connection PBX' });
    await pbxEdit.getByLabel('HEP capture id', { exact: true }).fill('2002');
    expect(await statusOfClick(pbxEdit.getByRole('button', { name: 'Save', exact: true }), 'PATCH', `/v1/orgs/${org.orgId}/connections/${org.connectionId}`)).toBe(409);
    expect(await fieldSays(pbxEdit, 'HEP capture id', 'already exists')).toMatch(/A connection with HEP capture id 2002 already exists/);
    expect((await connections()).find((c) => c.id === org.connectionId)!.hep).toBeNull();
    await pbxEdit.getByRole('button', { name: 'Cancel', exact: true }).click();

    // Revoke asks first; then the row says so, the API lists it revoked and the token is refused.
    await row.getByRole('button', { name: 'Revoke', exact: true }).click();
    await see(row.getByRole('group', { name: 'Confirm: Revoke' }), 'Revoke Office PBX? Its ingest token stops working at once.');
    expect((await connections()).find((c) => c.id === office.id)!.revokedAt).toBeNull();
    await row.getByRole('button', { name: 'Yes, revoke', exact: true }).click();
    await see(row, 'Revoked');
    expect(await row.getByRole('button').count()).toBe(0); // no Edit, no Revoke
    expect((await connections()).find((c) => c.id === office.id)!.revokedAt).toEqual(expect.any(String));
    expect((await ingest(t.api, token, step('office-2'))).status).toBe(401);
  });

  it('API keys: a new key is shown once and works as Bearer, Revoke stops it; outcome rules: a bad time zone is said at its field, Save rules stores what was set', async () => {
    const { t, org, page } = await portal.signedIn('/orgs/{orgId}/settings');
    const keys = page.getByRole('region', { name: 'API keys', exact: true });
    await keys.getByLabel('Key name', { exact: true }).fill('CRM sync');
    await keys.getByRole('button', { name: 'Create API key' }).click();
    const once = keys.getByRole('region', { name: 'API key CRM sync' });
    const key = await see(once.getByTestId('shown-once-value'), /^chk_\S+$/);
    const webhooks = `/v1/orgs/${org.orgId}/webhooks`;
    expect((await t.api.get(webhooks, key)).status).toBe(200);
    await once.getByRole('button', { name: 'Done', exact: true }).click();
    await once.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(key);
    const listed = ((await t.api.get(`/v1/orgs/${org.orgId}/api-keys`)).body.data as Array<{ id: string; name: string; prefix: string }>).find((k) => k.name === 'CRM sync')!;
    const keyRow = page.getByTestId(`api-key-${listed.id}`);
    expect(await see(keyRow, 'CRM sync')).toContain(`${listed.prefix}…`);
    await confirm(keyRow, 'Revoke', 'Yes, revoke');
    await keyRow.waitFor({ state: 'detached' });
    expect((await t.api.get(webhooks, key)).status).toBe(401);
    expect(((await t.api.get(`/v1/orgs/${org.orgId}/api-keys`)).body.data as Array<{ id: string }>).map((k) => k.id)).not.toContain(listed.id);

    const rules = page.getByRole('form', { name: 'Outcome rules' });
    await rules.getByLabel('Time zone', { exact: true }).fill('Mars/Olympus_Mons');
    await rules.getByRole('button', { name: 'Save rules' }).click();
    expect(await fieldSays(rules, 'Time zone', 'IANA')).toBe('"Mars/Olympus_Mons" is not an IANA time zone (e.g. Europe/Amsterdam)');
    expect((await t.api.get(`/v1/orgs/${org.orgId}/outcome-rules`)).body.timeZone).toBe('UTC');

    await rules.getByLabel('Time zone', { exact: true }).fill('Europe/Amsterdam');
    await rules.getByLabel('Use operating hours', { exact: true }).check(); // starts from office hours, weekdays 09:00–17:00
    await rules.getByLabel('Monday from', { exact: true }).fill('08:30');
    await rules.getByLabel('Monday to', { exact: true }).fill('18:00');
    await rules.getByLabel('Voicemail numbers or extensions', { exact: true }).fill('555');
    await rules.getByLabel('Blocked callers', { exact: true }).fill('+31612345678');
    await rules.getByRole('button', { name: 'Save rules' }).click();
    await see(rules.getByRole('status'), /^Saved$/);
    expect(await rules.locator('.field-error').count()).toBe(0);
    const office = [{ from: '09:00', to: '17:00' }];
    expect((await t.api.get(`/v1/orgs/${org.orgId}/outcome-rules`)).body).toEqual({
      timeZone: 'Europe/Amsterdam',
      operatingHours: { mon: [{ from: '08:30', to: '18:00' }], tue: office, wed: office, thu: office, fri: office },
      voicemailTargets: ['555'],
      answeringServiceTargets: [],
      blocklist: ['+31612345678'],
    });
  });

  it('webhook signing secret: masked until Reveal shows the API\'s secret; Rotate asks first, then shows the new secret the API now has', async () => {
    const { t, org } = await portal.service();
    const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: 'http://127.0.0.1:9/crm', format: 'standard', description: 'CRM' }, org.apiKey);
    expect(created.status).toBe(201);
    const secretPath = `/v1/orgs/${org.orgId}/webhooks/${String(created.body.id)}/secret`;
    const page = await portal.page();
    await portal.signIn(page, t, OPERATOR, `/orgs/${org.orgId}/integrations/webhooks/${String(created.body.id)}`);
    const panel = page.getByRole('region', { name: 'Signing secret', exact: true });
    const shown = panel.getByTestId('webhook-secret');
    expect(await see(shown, /^whsec_•+$/)).not.toContain(created.body.secret);

    const before = (await t.api.get(secretPath)).body.secret as string;
    expect(before).toBe(created.body.secret);
    await panel.getByRole('button', { name: 'Reveal', exact: true }).click();
    expect(await see(shown, /^whsec_[^•]+$/)).toBe(before);
    expect(await panel.getByRole('button', { name: 'Hide', exact: true }).getAttribute('aria-pressed')).toBe('true');

    await panel.getByRole('button', { name: 'Rotate', exact: true }).click();
    await see(panel.getByRole('group', { name: 'Confirm: Rotate' }), 'Make a new signing secret?');
    expect((await t.api.get(secretPath)).body.secret).toBe(before); // the first press only asks
    await panel.getByRole('button', { name: 'Yes, rotate', exact: true }).click();
    await see(panel.getByRole('status').filter({ hasText: 'New secret made' }), 'New secret made. The old one keeps signing alongside it for 24 hours');
    const after = (await t.api.get(secretPath)).body;
    expect(after.secret).not.toBe(before);
    expect(after.previousSecret).toBe(before);
    expect(await see(shown, /^whsec_[^•]+$/)).toBe(after.secret);
    await see(panel, `The previous secret ${before} still signs too until`);
  });

  it('sign-in throttle: after 5 wrong passwords the 6th try says "Too many attempts, try again in N s", even with the right password', async () => {
    const { t } = await portal.service();
    const page = await portal.page();
    await page.goto(`${t.url}/portal/`);
    await page.getByRole('heading', { name: 'Sign in to callhook' }).waitFor();
    await page.getByLabel('E-mail', { exact: true }).fill(OPERATOR.email);
    const attempt = async (password: string) => {
      await page.getByLabel('Password', { exact: true }).fill(password);
      return statusOfClick(page.getByRole('button', { name: 'Sign in', exact: true }), 'POST', '/v1/session');
    };
    for (let i = 1; i <= 5; i++) {
      expect(await attempt(`wrong-password-${i}`), `attempt ${i}`).toBe(401);
      await see(page.getByRole('alert'), /^Wrong e-mail or password\.$/);
    }
    expect(await attempt('wrong-password-6')).toBe(429);
    const said = await see(page.getByRole('alert'), /^Too many attempts, try again in \d+ s$/);
    const waitS = Number(/(\d+) s$/.exec(said)![1]);
    expect(waitS).toBeGreaterThan(0);
    expect(waitS).toBeLessThanOrEqual(15 * 60);

    // The right password is turned away too while the wait lasts; the API says the same wait.
    expect(await attempt(OPERATOR.password)).toBe(429);
    await see(page.getByRole('alert'), `Too many attempts, try again in ${waitS} s`);
    expect(await page.getByTestId('account-email').count()).toBe(0);
    const direct = await t.api.post('/v1/session', OPERATOR, null);
    expect(direct.status).toBe(429);
    expect(direct.headers.get('retry-after')).toBe(String(waitS));
  });

  it('your account: the e-mail in the header opens it; a wrong current password is said at its field; a new password signs in, the old one not', async () => {
    const { t, page } = await portal.signedIn('/orgs');
    await page.getByTestId('account-email').click();
    await page.getByRole('heading', { name: 'Your account', level: 1 }).waitFor();
    const form = page.getByRole('form', { name: 'Change password' });
    await form.getByLabel('Current password', { exact: true }).fill('not-my-password');
    await form.getByLabel('New password', { exact: true }).fill('a-brand-new-password');
    await form.getByRole('button', { name: 'Change password' }).click();
    expect(await fieldSays(page, 'Current password', 'not your current password')).toMatch(/not your current password/);
    await form.getByLabel('Current password', { exact: true }).fill(OPERATOR.password);
    await form.getByRole('button', { name: 'Change password' }).click();
    await see(form.getByRole('status'), 'Password changed.');
    expect((await t.api.post('/v1/session', OPERATOR, null)).status).toBe(401);
    expect((await t.api.post('/v1/session', { email: OPERATOR.email, password: 'a-brand-new-password' }, null)).status).toBe(201);
    await page.reload();
    await page.getByRole('heading', { name: 'Your account', level: 1 }).waitFor(); // this browser stays signed in
  });
});
