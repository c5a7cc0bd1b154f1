// Loading the portal in a real browser: signing in leaves no error in the console (no 401 from
// asking a browser that never signed in, no missing favicon); keystrokes typed while the app's
// script is still on its way land in the form; the app's files come compressed, the hashed ones
// cached for a year and index.html never.
import type { ConsoleMessage, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { OPERATOR, see, UI_TIMEOUT_MS, usePortal } from './fixture.ts';

const portal = usePortal();

describe.skipIf(portal.missing)('portal loading (browser)', () => {
  it('signing in from a fresh browser logs no error or warning in the console, and the favicon is there (no /favicon.ico 404)', async () => {
    const { t, org } = await portal.service();
    const page = await portal.page();
    const logged: string[] = [];
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error' || m.type() === 'warning') logged.push(`${m.type()}: ${m.text()} (${m.location().url})`);
    });
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    await portal.signIn(page, t, OPERATOR);
    await page.getByTestId(`org-${org.orgId}`).waitFor();
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    expect(icon).toBe('/portal/favicon.svg');
    const fetched = await page.request.get(`${t.url}${icon}`);
    expect(fetched.status()).toBe(200);
    expect(fetched.headers()['content-type']).toMatch(/^image\/svg\+xml/);
    // Signed out and in again: still quiet.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to callhook' }).waitFor();
    await page.getByLabel('E-mail', { exact: true }).fill(OPERATOR.email);
    await page.getByLabel('Password', { exact: true }).fill(OPERATOR.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId(`org-${org.orgId}`).waitFor();
    expect(failed).toEqual([]);
    expect(logged).toEqual([]);
  });

  it('keystrokes typed while the app loads are kept: the static form takes them, the app takes them over (caret and focus too) and signs in', async () => {
    const { t } = await portal.service();
    const page = await portal.page();
    // Hold the app's script until the person has typed.
    const release = await holdAppScript(page);
    await page.goto(`${t.url}/portal/orgs`, { waitUntil: 'commit' });
    const email = page.getByLabel('E-mail', { exact: true });
    await email.waitFor();
    expect(await page.evaluate(() => document.getElementById('early-signin') !== null)).toBe(true); // the app has not run
    await expect.poll(() => email.evaluate((el) => el === document.activeElement), { timeout: UI_TIMEOUT_MS }).toBe(true);
    await page.keyboard.type('ops@exam');
    release();
    // The app takes over (its form has no id="early-signin"); typing goes on where it was.
    await expect.poll(() => page.evaluate(() => document.getElementById('early-signin') === null), { timeout: UI_TIMEOUT_MS }).toBe(true);
    await page.keyboard.type('ple.com');
    await page.keyboard.press('Tab');
    await page.keyboard.type(OPERATOR.password);
    expect(await email.inputValue()).toBe(OPERATOR.email);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
    await see(page.getByTestId('account-email'), OPERATOR.email);
  });

  it('the password typed before the app runs is taken over too, with the caret where it was', async () => {
    const { t } = await portal.service();
    const page = await portal.page();
    const release = await holdAppScript(page);
    await page.goto(`${t.url}/portal/`, { waitUntil: 'commit' });
    await page.getByLabel('E-mail', { exact: true }).waitFor();
    await page.keyboard.type(OPERATOR.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type('portal-operator');
    release();
    await expect.poll(() => page.evaluate(() => document.getElementById('early-signin') === null), { timeout: UI_TIMEOUT_MS }).toBe(true);
    await page.keyboard.type('-password');
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe(OPERATOR.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
  });

  it('serves the app compressed (br or gzip), its hashed files cached for a year, index.html revalidated', async () => {
    const { t } = await portal.service();
    const page = await portal.page();
    const answers = new Map<string, Record<string, string>>();
    page.on('response', (r) => answers.set(new URL(r.url()).pathname, r.headers()));
    await page.goto(`${t.url}/portal/`);
    await page.getByRole('heading', { name: 'Sign in to callhook' }).waitFor();
    const assets = [...answers.keys()].filter((path) => /^\/portal\/assets\/.+\.(js|css)$/.test(path));
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const path of assets) {
      const headers = answers.get(path)!;
      expect(headers['content-encoding'], path).toMatch(/^(br|gzip)$/);
      expect(headers['cache-control'], path).toMatch(/max-age=31536000/);
      expect(headers['cache-control'], path).toMatch(/immutable/);
    }
    expect(answers.get('/portal/')!['cache-control']).toMatch(/no-cache/);
  });
});

/** Holds the portal app's script back until the returned function is called. */
async function holdAppScript(page: Page): Promise<() => void> {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/portal/assets/*.js', async (route) => {
    await held;
    await route.continue();
  });
  return release;
}
