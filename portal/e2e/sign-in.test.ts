// Signing in to the portal in a real browser: the wrong password is said on the form, the right
// one lands on the organizations list; the form works from the keyboard; an organization admin
// lands in its own organization and cannot leave it.
import { describe, expect, it } from 'vitest';
import { screenshot } from './browser.ts';
import { OPERATOR, see, usePortal } from './fixture.ts';

const portal = usePortal();

describe.skipIf(portal.missing)('portal sign-in (browser)', () => {
  it('says "Wrong e-mail or password" for a wrong password; the right one lands on the organizations list, and an organization opens', async () => {
    const { t, org } = await portal.service();
    const page = await portal.page();
    await page.goto(`${t.url}/portal/`);
    await page.getByRole('heading', { name: 'Sign in to callhook' }).waitFor();
    await screenshot(page, 'sign-in');

    await page.getByLabel('E-mail', { exact: true }).fill(OPERATOR.email);
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    expect(await see(page.getByRole('alert'), 'Wrong e-mail or password.')).toBe('Wrong e-mail or password.');
    // Still signed out: the form is there, nobody's e-mail in a top bar.
    expect(await page.getByTestId('account-email').count()).toBe(0);
    expect(await page.getByLabel('Password', { exact: true }).isVisible()).toBe(true);

    await page.getByLabel('Password', { exact: true }).fill(OPERATOR.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/portal/orgs');
    expect(await page.getByTestId('account-email').innerText()).toBe(OPERATOR.email);
    expect(await page.getByRole('alert').count()).toBe(0);
    const row = page.getByTestId(`org-${org.orgId}`);
    expect(await row.innerText()).toMatch(/New Company\s+newcompany-\w+\s+expert/);
    await screenshot(page, 'organizations');

    await row.getByRole('link', { name: 'New Company' }).click();
    await page.getByRole('heading', { name: 'New Company', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/portal/orgs/${org.orgId}/integrations`);
    await page.getByRole('heading', { name: 'Webhook', exact: true }).waitFor();

    // The session is the browser's: a reload keeps it, Sign out ends it.
    await page.reload();
    await page.getByRole('heading', { name: 'New Company', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to callhook' }).waitFor();
    const cookies = await page.context().cookies();
    expect(cookies.filter((c) => c.name === 'callhook_session' && c.value !== '')).toEqual([]);
  });

  it('works from the keyboard: the e-mail field has focus, Enter submits, Tab reaches Sign in; a deep link survives signing in', async () => {
    const { t, org } = await portal.service();
    const page = await portal.page();
    // A link into an organization's deliveries, opened signed out.
    await page.goto(`${t.url}/portal/orgs/${org.orgId}/deliveries`);
    await page.getByRole('heading', { name: 'Sign in to callhook' }).waitFor();
    const isFocused = (label: string) => page.getByLabel(label, { exact: true }).evaluate((el) => el === document.activeElement);
    const signInButton = page.getByRole('button', { name: 'Sign in', exact: true });
    await expect.poll(() => isFocused('E-mail')).toBe(true);

    await page.keyboard.type(OPERATOR.email);
    await page.keyboard.press('Tab');
    expect(await isFocused('Password')).toBe(true);
    await page.keyboard.type('a-wrong-password');
    await page.keyboard.press('Enter'); // submits from the password field
    await see(page.getByRole('alert'), 'Wrong e-mail or password.');

    // Fix the password, Tab onto the button, press it with Enter.
    await page.getByLabel('Password', { exact: true }).focus();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(OPERATOR.password);
    await page.keyboard.press('Tab');
    expect(await signInButton.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { name: 'Deliveries', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/portal/orgs/${org.orgId}/deliveries`);
    await see(page.getByTestId('account-email'), OPERATOR.email);
  });

  it('lands an organization admin in its own organization: no Organizations nav, other organizations out of reach', async () => {
    const { t, org } = await portal.service();
    const other = await t.api.post('/v1/orgs', { name: 'Other Customer', domain: 'other-customer' });
    expect(other.status).toBe(201);
    const admin = { email: 'ann@newcompany.example', password: 'anns-long-password' };
    const created = await t.api.post('/v1/accounts', { ...admin, name: 'Ann', role: 'admin', orgId: org.orgId });
    expect(created.status).toBe(201);

    const page = await portal.page();
    await portal.signIn(page, t, admin);
    await page.getByRole('heading', { name: 'New Company', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/portal/orgs/${org.orgId}/integrations`);
    // The operator's places are not there: no main nav, no crumbs back to a list.
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Organizations' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Accounts' }).count()).toBe(0);
    // Its organization's tabs are.
    const tabs = page.getByRole('navigation', { name: 'Organization' });
    expect(await tabs.getByRole('link').allInnerTexts()).toEqual(['Integrations', 'Deliveries', 'Calls', 'Settings']);

    // Typing the operator's list or another organization's address leads back home.
    for (const path of ['/orgs', `/orgs/${other.body.id}/deliveries`, '/accounts']) {
      await page.goto(`${t.url}/portal${path}`);
      await page.getByRole('heading', { name: 'New Company', level: 1 }).waitFor();
      await page.waitForURL(`**/portal/orgs/${org.orgId}/integrations`);
      expect(await page.getByText('Other Customer').count(), path).toBe(0);
    }

    // Settings: name, domain and plan are read-only for an admin.
    await tabs.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Organization', level: 2 }).waitFor();
    await see(page.getByText('Name, domain and plan are set by your provider.'), 'set by your provider');
    expect(await page.getByRole('link', { name: 'Change the name, domain or plan' }).count()).toBe(0);
    expect(await page.getByLabel('Notification e-mails').inputValue()).toBe('ops@newcompany.example');
    await screenshot(page, 'settings');
  });
});
