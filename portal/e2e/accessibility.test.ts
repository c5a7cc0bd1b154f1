// Accessibility of every screen, in a real browser at a desktop (1280 px) and a phone (390 px)
// width: axe-core finds no serious or critical WCAG 2.1 A/AA violation — for the operator, for an
// organization admin, signed out, and with the forms and editors that hide until asked open —, no
// screen scrolls sideways, and each screen names itself in the document title (what a tab,
// history and a screen reader show).
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ADMIN, makeWorld, operatorScreens, orgScreens, type Screen } from './a11y-screens.ts';
import { axeViolations, describeViolations, type Violation } from './axe.ts';
import { OPERATOR, usePortal } from './fixture.ts';

const portal = usePortal();
/** A dozen screens, each loaded and checked by axe: more than one test's usual 30 s on a busy machine. */
const WALK_TIMEOUT_MS = 180_000;

/** Axe, the title and the page's width on each screen, opened by its address. */
async function walk(page: Page, baseUrl: string, screens: Screen[]): Promise<{ violations: Violation[]; titles: Array<{ screen: string; title: string; want: string }>; wide: string[] }> {
  const violations: Violation[] = [];
  const titles: Array<{ screen: string; title: string; want: string }> = [];
  const wide: string[] = [];
  for (const screen of screens) {
    await page.goto(`${baseUrl}/portal${screen.path}`);
    await screen.ready(page);
    if (screen.open) await screen.open(page);
    violations.push(...(await axeViolations(page, screen.name)));
    titles.push({ screen: screen.name, title: await page.title(), want: screen.title });
    const width = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, window: window.innerWidth }));
    if (width.page > width.window) wide.push(`${screen.name}: ${width.page} px in a ${width.window} px window`);
  }
  return { violations, titles, wide };
}

function expectTitles(titles: Array<{ screen: string; title: string; want: string }>): void {
  const wrong = titles.filter((t) => t.title !== t.want).map((t) => `${t.screen}: "${t.title}", not "${t.want}"`);
  expect(wrong, wrong.join('\n')).toEqual([]);
}

describe.skipIf(portal.missing)('portal accessibility (browser, axe-core)', () => {
  for (const width of [1280, 390]) {
    const viewport = { width, height: width > 500 ? 800 : 844 };

    it(`at ${width} px: signed out, then every operator screen — no serious or critical WCAG 2.1 A/AA violation, each with its own title`, async () => {
      const ok = await portal.receiver({ kind: 'status', status: 200 });
      const bad = await portal.receiver({ kind: 'status', status: 500, body: 'crm is down' });
      const { t, org } = await portal.service();
      const world = await makeWorld(t, org, ok.url, bad.url);
      const page = await portal.page(viewport);
      // Signed out: the sign-in page, with a wrong password said on it.
      await page.goto(`${t.url}/portal/`);
      await page.getByRole('heading', { name: 'Sign in to callhook' }).waitFor();
      await page.getByLabel('E-mail', { exact: true }).fill(OPERATOR.email);
      await page.getByLabel('Password', { exact: true }).fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('alert').waitFor();
      const signedOut = await axeViolations(page, 'sign-in');
      const signInTitle = { screen: 'sign-in', title: await page.title(), want: 'Sign in · callhook' };

      await portal.signIn(page, t, OPERATOR);
      const { violations, titles, wide } = await walk(page, t.url, operatorScreens(world));
      const all = [...signedOut, ...violations];
      expect(all, describeViolations(all)).toEqual([]);
      expectTitles([signInTitle, ...titles]);
      expect(wide).toEqual([]);
      // Every screen named itself differently (a screen with a form opened keeps its screen's title).
      expect(new Set(titles.map((x) => x.title)).size).toBe(new Set(operatorScreens(world).map((s) => s.title)).size);
      expect(new Set(operatorScreens(world).map((s) => s.title)).size).toBe(13);
    }, WALK_TIMEOUT_MS);

    it(`at ${width} px: every screen of an organization admin — no serious or critical WCAG 2.1 A/AA violation, each with its own title`, async () => {
      const ok = await portal.receiver({ kind: 'status', status: 200 });
      const bad = await portal.receiver({ kind: 'status', status: 500, body: 'crm is down' });
      const { t, org } = await portal.service();
      const world = await makeWorld(t, org, ok.url, bad.url);
      const page = await portal.page(viewport);
      await portal.signIn(page, t, ADMIN);
      const { violations, titles, wide } = await walk(page, t.url, orgScreens(world));
      expect(violations, describeViolations(violations)).toEqual([]);
      expectTitles(titles);
      expect(wide).toEqual([]);
    }, WALK_TIMEOUT_MS);
  }
});
