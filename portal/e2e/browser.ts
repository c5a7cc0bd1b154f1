// Debian's Chromium driven by playwright-core, for the portal's tests. Missing Chromium skips the
// browser tests locally (with a line saying so) and fails them in CI, where .ci/run installs it.
import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, type Page, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** Why the browser tests cannot run here, or null when they can. */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const why = `${CHROMIUM} is missing (apt-get install chromium)`;
  if (IN_CI) throw new Error(`${why}: the browser tests must run in CI`);
  process.stderr.write(`portal/e2e: skipped, ${why}\n`);
  return why;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Without the networking flags Chromium keeps reaching for Google's hosts on this closed
    // network and stalls; --no-sandbox because CI runs as root.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps'],
  });
}

export const SCREENSHOTS = new URL('../../test-artifacts/screenshots/', import.meta.url);

/** Saves the page as test-artifacts/screenshots/<name>.png (CI keeps the folder as an artifact). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });
}
