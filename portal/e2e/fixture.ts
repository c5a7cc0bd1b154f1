// What every portal browser test needs: one Chromium per file, and per test a fresh callhook (real
// service in-process, SQLite, fake clock), an organization, receivers and a browser context — all
// closed after the test, in reverse order, even when it fails. A failing test leaves a screenshot
// of each of its pages in test-artifacts/screenshots/FAILED-….png, and an error the page threw
// (React crash, unhandled rejection) or a CSP violation fails the test that caused it.
import { mkdirSync } from 'node:fs';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { type Behaviour, type Receiver, startReceiver } from '../../test/helpers/receiver.ts';
import { type OrgSetup, type StartOptions, type TestService, setupOrg, startTestService } from '../../test/helpers/service.ts';
import { SCREENSHOTS, browserMissing, launchBrowser, screenshot } from './browser.ts';

/** The first operator, made by callhook on first start from CALLHOOK_PORTAL_EMAIL/PASSWORD. */
export const OPERATOR = { email: 'ops@example.com', password: 'portal-operator-password' };
export const HOUR = 3_600_000;
/** How long a locator waits for what a person would see before the test fails. */
export const UI_TIMEOUT_MS = 5_000;

export type ServiceOptions = Omit<StartOptions, 'env'> & { env?: Record<string, string> };

export interface Who {
  email: string;
  password: string;
}

export function usePortal() {
  const missing = browserMissing();
  let browser: Browser | null = null;
  const cleanups: Array<() => Promise<unknown>> = [];
  let pages: Page[] = [];
  let pageErrors: string[] = [];

  beforeAll(async () => {
    if (!missing) browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      const name = context.task.name.replace(/[^\w]+/g, '-').slice(0, 60);
      for (const [i, page] of pages.entries()) await screenshot(page, `FAILED-${name}-${i}`).catch(() => undefined);
    }
    pages = [];
    const problems: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => problems.push(error));
    const thrown = pageErrors;
    pageErrors = [];
    if (thrown.length > 0) throw new Error(`the page threw:\n${thrown.join('\n')}`);
    if (problems.length > 0) throw problems[0];
  });

  const portal = {
    /** Null when Chromium is here; otherwise why the file is skipped (CI fails instead). */
    missing,
    defer(cleanup: () => Promise<unknown>): void {
      cleanups.push(cleanup);
    },

    async receiver(behaviour?: Behaviour): Promise<Receiver> {
      const receiver = await startReceiver(behaviour);
      cleanups.push(() => receiver.close());
      return receiver;
    },

    /** A callhook whose first operator is OPERATOR, with one organization set up by the operator token. */
    async service(options: ServiceOptions = {}): Promise<{ t: TestService; org: OrgSetup }> {
      const t = await startTestService({
        ...options,
        env: { CALLHOOK_PORTAL_EMAIL: OPERATOR.email, CALLHOOK_PORTAL_PASSWORD: OPERATOR.password, ...options.env },
      });
      cleanups.push(() => t.cleanup());
      return { t, org: await setupOrg(t.api) };
    },

    /** A new browser context (own cookies) and its page; desktop size unless told. */
    async page(viewport = { width: 1280, height: 800 }): Promise<Page> {
      if (!browser) throw new Error('no browser');
      const context = await browser.newContext({ viewport, deviceScaleFactor: 1, locale: 'en-US', timezoneId: 'Europe/Amsterdam' });
      cleanups.push(() => context.close());
      context.setDefaultTimeout(UI_TIMEOUT_MS);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
      // Whatever the Content-Security-Policy blocked would be broken for people too.
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) pageErrors.push(`${page.url()}: ${message.text()}`);
      });
      pages.push(page);
      return page;
    },

    /** Opens `path` (under /portal) signed out, signs in on the form and waits for the signed-in frame. */
    async signIn(page: Page, t: TestService, who: Who = OPERATOR, path = '/'): Promise<void> {
      await page.goto(`${t.url}/portal${path}`);
      await page.getByRole('heading', { name: 'Sign in to callhook' }).waitFor();
      await page.getByLabel('E-mail', { exact: true }).fill(who.email);
      await page.getByLabel('Password', { exact: true }).fill(who.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByTestId('account-email').filter({ hasText: who.email }).waitFor();
    },

    /** A fresh service and organization, and a page signed in as the operator at `path`. */
    async signedIn(path = '/', options: ServiceOptions = {}): Promise<{ t: TestService; org: OrgSetup; page: Page }> {
      const { t, org } = await portal.service(options);
      const page = await portal.page();
      await portal.signIn(page, t, OPERATOR, path.replaceAll('{orgId}', org.orgId));
      return { t, org, page };
    },
  };
  return portal;
}

/** Waits until `locator` is visible and its text (as rendered: innerText) matches; answers the text. */
export async function see(locator: Locator, text: string | RegExp): Promise<string> {
  await locator.waitFor();
  await expect.poll(() => locator.innerText(), { timeout: UI_TIMEOUT_MS, message: `text of ${String(locator)}` }).toMatch(text);
  return locator.innerText();
}

/** The page as it looks in the window (not the whole scroll height): for docs/images. */
export async function viewportShot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: false });
}
