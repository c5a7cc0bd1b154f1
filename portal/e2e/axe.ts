// axe-core in the page, for the accessibility tests. The portal's CSP allows no inline script, so
// axe goes in through evaluate (DevTools protocol, not subject to the page's CSP) rather than a
// <script> tag; it is injected once per document and then run as often as the test needs.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** WCAG 2.0 and 2.1, levels A and AA. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] as const;
const SERIOUS = new Set(['serious', 'critical']);

export interface Violation {
  /** Which screen it was found on, as the test named it. */
  screen: string;
  rule: string;
  impact: string;
  help: string;
  /** CSS selectors of the offending nodes (the first few). */
  nodes: string[];
  count: number;
}

interface AxeResult {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/** The serious and critical WCAG 2.1 A/AA violations on the page as it is now. */
export async function axeViolations(page: Page, screen: string): Promise<Violation[]> {
  const loaded = await page.evaluate(() => typeof (window as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(
    async (tags) => (await (window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: unknown[] }> } }).axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })).violations,
    [...WCAG_TAGS],
  );
  return (results as AxeResult[])
    .filter((v) => v.impact !== null && SERIOUS.has(v.impact))
    .map((v) => ({ screen, rule: v.id, impact: v.impact!, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.map(String).join(' ')), count: v.nodes.length }));
}

/** One line per violation, for a failing assertion's message. */
export function describeViolations(violations: Violation[]): string {
  return violations.map((v) => `${v.screen}: ${v.rule} (${v.impact}, ${v.count} nodes) ${v.help} — ${v.nodes.join(' | ')}`).join('\n');
}
