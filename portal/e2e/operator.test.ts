// The operator's jobs in a real browser: after making an organization, its next step leads to
// adding its admin (the organization already chosen); an admin's password is reset and shown once
// (the new one signs in, the old one not); a new connection's ingest token is shown beside the URL
// the phone system posts to, and that pair takes a call.
import { describe, expect, it } from 'vitest';
import { OPERATOR, see, UI_TIMEOUT_MS, usePortal } from './fixture.ts';

const portal = usePortal();
const ADMIN = { email: 'ann@newcompany.example', password: 'anns-long-password' };

describe.skipIf(portal.missing)('portal operator (browser)', () => {
  it('after creating an organization, "Add its admin" opens Accounts with that organization chosen and the e-mail field ready', async () => {
    const { t, page } = await portal.signedIn('/orgs/new');
    await page.getByLabel('Name', { exact: true }).fill('Acme Dental');
    await page.getByLabel('Domain', { exact: true }).fill('acme-dental');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByTestId('org-next-steps').getByRole('link', { name: 'Add its admin' }).click();
    await page.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor();
    const acme = ((await t.api.get('/v1/orgs')).body.data as Array<{ id: string; name: string }>).find((o) => o.name === 'Acme Dental')!;
    await expect.poll(() => page.getByLabel('Organization', { exact: true }).inputValue(), { timeout: UI_TIMEOUT_MS }).toBe(acme.id);
    expect(await page.getByLabel('E-mail', { exact: true }).evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('desk@acme.example');
    await page.getByLabel('Name', { exact: true }).fill('Desk');
    await page.getByLabel('Password', { exact: true }).fill('acme-desk-long-password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await see(page.getByRole('status').filter({ hasText: 'created' }), 'Account desk@acme.example created.');
    const stored = ((await t.api.get('/v1/accounts')).body.data as Array<{ email: string; orgId: string | null; role: string }>).find((a) => a.email === 'desk@acme.example');
    expect(stored).toMatchObject({ role: 'admin', orgId: acme.id });
  });

  it("resets an admin's password: asked first, the new one shown once; it signs in, the old one not", async () => {
    const { t, org } = await portal.service();
    const created = await t.api.post('/v1/accounts', { ...ADMIN, name: 'Ann', role: 'admin', orgId: org.orgId });
    expect(created.status).toBe(201);
    const page = await portal.page();
    await portal.signIn(page, t, OPERATOR, '/accounts');
    const row = page.getByTestId(`account-${String(created.body.id)}`);
    await row.getByRole('button', { name: 'Reset password', exact: true }).click();
    await see(row.getByRole('group', { name: 'Confirm: Reset password' }), `Give ${ADMIN.email} a new password?`);
    expect((await t.api.post('/v1/session', ADMIN, null)).status).toBe(201); // the first press only asks
    await row.getByRole('button', { name: 'Yes, reset', exact: true }).click();

    const once = page.getByRole('region', { name: `New password for ${ADMIN.email}` });
    const password = await see(once.getByTestId('shown-once-value'), /\S{10,}/);
    await see(once, 'It will not be shown again');
    expect((await t.api.post('/v1/session', ADMIN, null)).status).toBe(401);
    expect((await t.api.post('/v1/session', { email: ADMIN.email, password }, null)).status).toBe(201);
    await once.getByRole('button', { name: 'Done', exact: true }).click();
    await once.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(password);

    // Ann, in a browser of her own, signs in with it.
    const annPage = await portal.page();
    await portal.signIn(annPage, t, { email: ADMIN.email, password });
    await annPage.getByRole('heading', { name: 'New Company', level: 1 }).waitFor();
  });

  it('a new connection shows its ingest token beside the ingest URL; posting a call there with it works', async () => {
    const { t, org, page } = await portal.signedIn('/orgs/{orgId}/settings');
    const section = page.getByRole('region', { name: 'Connections', exact: true });
    await section.getByLabel('Connection name', { exact: true }).fill('Office PBX');
    await section.getByRole('button', { name: 'Create connection' }).click();
    const once = section.getByRole('region', { name: 'Ingest token for Office PBX' });
    const token = await see(once.getByTestId('shown-once-value'), /^cht_\S+$/);
    const url = await see(once.getByTestId('shown-once-ingest-url'), /^http/);
    // The URL is the API's own word for where its ingest endpoint is, and the section says it too.
    const office = ((await t.api.get(`/v1/orgs/${org.orgId}/connections`)).body.data as Array<{ name: string; ingestUrl?: string }>).find((c) => c.name === 'Office PBX')!;
    expect(url).toBe(office.ingestUrl);
    expect(await section.getByTestId('ingest-url').innerText()).toBe(url);

    const call = { type: 'started', callId: 'via-url', direction: 'inbound', from: '+31612345678', to: '+31850609000', at: new Date(t.clock.now()).toISOString() };
    const sent = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(call) });
    expect(sent.status).toBe(202);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/calls/via-url`)).status).toBe(200);
  });

  it('at 390 px each connection is a card with its actions on its first line, beside its name', async () => {
    const { t, org } = await portal.service();
    const page = await portal.page({ width: 390, height: 844 });
    await portal.signIn(page, t, OPERATOR, `/orgs/${org.orgId}/settings`);
    const row = page.getByTestId(`connection-${org.connectionId}`);
    const name = await row.getByRole('cell').first().boundingBox();
    const edit = await row.getByRole('button', { name: 'Edit', exact: true }).boundingBox();
    const hep = await row.getByRole('cell').nth(1).boundingBox();
    expect(edit!.y).toBeLessThan(name!.y + name!.height); // same first line as the name…
    expect(edit!.x).toBeGreaterThan(name!.x); // …to its right
    expect(hep!.y).toBeGreaterThanOrEqual(edit!.y + edit!.height - 1); // the details below
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(390);
  });
});
