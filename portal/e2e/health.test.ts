// A webhook's health in a real browser, against receivers that fail: a failing webhook says so —
// since when, how many failures in a row, the last error, the next retry — on the Webhook card, its
// event row, the webhook list, its own page and the organization's header on every tab; a disabled
// one too. Status colours mean one thing everywhere: a delivery retrying after a failure is amber
// (not blue "Pending"), a failed manual retry is red (not green).
import type { Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../test/helpers/service.ts';
import { screenshot } from './browser.ts';
import { HOUR, OPERATOR, see, UI_TIMEOUT_MS, usePortal, viewportShot } from './fixture.ts';

const portal = usePortal();
/** The status colours (styles.css): text colour of a badge of each tone. */
const COLOUR = { ok: 'rgb(19, 115, 51)', bad: 'rgb(179, 38, 30)', warn: 'rgb(138, 90, 0)', info: 'rgb(8, 76, 158)' };
const colour = (locator: Locator) => locator.evaluate((el) => getComputedStyle(el).color);
/** The instants the <time> elements inside stand for. */
const times = (locator: Locator) => locator.locator('time').evaluateAll((els) => els.map((el) => el.getAttribute('datetime')));

interface Health {
  state: string;
  failingSince: string | null;
  consecutiveFailures: number;
  lastError: string | null;
  nextAttemptAt: string | null;
}

describe.skipIf(portal.missing)('portal webhook health (browser)', () => {
  it('a failing webhook shows failing since T, N failures in a row, the last error and the next retry on every screen, and the header warns on every tab; healthy again once the receiver answers', async () => {
    const bad = await portal.receiver({ kind: 'status', status: 500, body: 'crm is down' });
    const good = await portal.receiver({ kind: 'status', status: 200 });
    const { t, org } = await portal.service();
    const post = async (path: string, body: unknown) => (await t.api.post(`/v1/orgs/${org.orgId}${path}`, body)).body as { id: string };
    await post('/numbers', { number: '+31850609000' });
    const ringotel = await post('/webhooks', { url: `${bad.url}/ringotel`, format: 'ringotel', apiToken: 'crm-token-123' });
    const rinkel = await post('/webhooks', { url: `${bad.url}/rinkel/incoming`, format: 'rinkel', events: ['call.incoming'], description: 'CRM screen pop' });
    const healthy = await post('/webhooks', { url: `${good.url}/warehouse`, format: 'standard', description: 'Data warehouse' });
    // Two calls come in; every attempt to the failing receiver fails, then once more an hour later.
    for (const callId of ['sick-1', 'sick-2']) {
      await ingest(t.api, org.ingestToken, { type: 'started', callId, direction: 'inbound', from: '+31612345678', to: '+31850609000', at: t.clock.now() });
    }
    await t.service.dispatcher.idle();
    t.clock.advance(HOUR);
    await t.service.dispatcher.tick();
    await t.service.dispatcher.idle();
    const health = async (id: string) => (await t.api.get(`/v1/orgs/${org.orgId}/webhooks/${id}`)).body.health as Health;
    const sick = await health(ringotel.id);
    expect(sick).toMatchObject({ state: 'failing', lastError: 'HTTP 500: only a 2xx answer counts as delivered' });
    // Four attempts failed in a row (two deliveries, twice each); the API says how it counts them.
    expect(sick.consecutiveFailures).toBeGreaterThanOrEqual(2);
    const inARow = `${sick.consecutiveFailures} failures in a row`;
    expect(sick.failingSince).toEqual(expect.any(String));
    expect(sick.nextAttemptAt).toEqual(expect.any(String));
    expect((await health(rinkel.id)).state).toBe('failing');
    expect((await health(healthy.id)).state).toBe('healthy');

    const page = await portal.page();
    await portal.signIn(page, t, OPERATOR, `/orgs/${org.orgId}/integrations`);
    // The organization's header, on this tab and every other.
    const warning = page.getByTestId('org-webhook-health');
    expect(await see(warning, 'need attention')).toBe('2 webhooks need attention: 2 failing. See below.');

    // The Webhook card: a red "Failing" and, in words, since when, how often, why and what next.
    const card = page.getByRole('region', { name: 'Webhook', exact: true });
    const badge = card.locator('.card-head').getByTestId('health-badge');
    expect(await see(badge, /^Failing$/)).toBe('Failing');
    expect(await colour(badge)).toBe(COLOUR.bad);
    const line = card.getByTestId('ringotel-failing').getByTestId('health-line');
    expect(await see(line, 'Failing since')).toBe(
      `Failing since ${await line.locator('time').first().innerText()} · ${inARow} · next retry ${await line.locator('time').nth(1).innerText()} · Last error: HTTP 500: only a 2xx answer counts as delivered`,
    );
    expect(await times(line)).toEqual([sick.failingSince, sick.nextAttemptAt]);

    // Its event row, and the list of all webhooks (the healthy one stays green).
    const row = page.getByRole('form', { name: 'Incoming call', exact: true });
    expect(await see(row.getByTestId('health-badge'), /^Failing$/)).toBe('Failing');
    await see(row.getByTestId('health-line'), 'failures in a row');
    const listed = page.getByTestId(`webhook-${ringotel.id}`);
    await see(listed.getByTestId('health-badge'), /^Failing$/);
    await see(listed, inARow);
    const fine = page.getByTestId(`webhook-${healthy.id}`).getByTestId('health-badge');
    expect(await see(fine, /^Healthy$/)).toBe('Healthy');
    expect(await colour(fine)).toBe(COLOUR.ok);
    await screenshot(page, 'health-failing');
    await card.evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 12));
    await viewportShot(page, 'health-failing-viewport');

    // Its own page: the red banner and the facts.
    await listed.getByRole('link').first().click();
    const banner = page.getByTestId('webhook-failing-banner');
    expect(await see(banner, 'This webhook is failing.')).toContain(inARow);
    await see(banner, 'Last error: HTTP 500: only a 2xx answer counts as delivered');
    expect(await see(page.getByTestId('health-facts').locator('dt:has-text("Failures in a row") + dd'), /\d/)).toBe(String(sick.consecutiveFailures));
    await see(warning, 'Open Integrations');

    // The deliveries: retrying after a failure is amber, "Retrying", not a blue "Pending".
    await page.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Deliveries', exact: true }).click();
    const retrying = page.locator('tbody .badge', { hasText: 'Retrying' });
    await expect.poll(() => retrying.count(), { timeout: UI_TIMEOUT_MS }).toBe(4);
    expect(await page.locator('tbody .badge', { hasText: 'Pending' }).count()).toBe(0);
    for (const b of await retrying.all()) expect(await colour(b)).toBe(COLOUR.warn);
    expect(await see(warning, 'need attention')).toMatch(/^2 webhooks need attention: 2 failing\. Open Integrations$/);

    // The receiver is back: the next retries succeed and every screen says healthy again.
    bad.behave({ kind: 'status', status: 200 });
    t.clock.advance(HOUR);
    await t.service.dispatcher.tick();
    await t.service.dispatcher.idle();
    expect((await health(ringotel.id)).state).toBe('healthy');
    await page.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Integrations', exact: true }).click();
    await page.reload();
    await see(page.getByRole('region', { name: 'Webhook', exact: true }).locator('.card-head').getByTestId('health-badge'), /^Healthy$/);
    expect(await page.getByTestId('org-webhook-health').count()).toBe(0);
  });

  it('a disabled webhook is "Disabled" in red on the list and its page, the header counts it, and its held deliveries are amber', async () => {
    const good = await portal.receiver({ kind: 'status', status: 200 });
    const { t, org } = await portal.service();
    const created = (await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${good.url}/warehouse`, format: 'standard', description: 'Data warehouse' })).body as { id: string };
    expect((await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${created.id}/disable`, { reason: 'maintenance' })).status).toBe(200);
    await ingest(t.api, org.ingestToken, { type: 'started', callId: 'held-1', direction: 'inbound', from: '+31612345678', to: '+31850609000', at: t.clock.now() });
    await t.service.dispatcher.idle();
    expect(((await t.api.get(`/v1/orgs/${org.orgId}/webhooks/${created.id}`)).body.health as Health).state).toBe('disabled');

    const page = await portal.page();
    await portal.signIn(page, t, OPERATOR, `/orgs/${org.orgId}/integrations`);
    expect(await see(page.getByTestId('org-webhook-health'), 'attention')).toBe('1 webhook needs attention: 1 disabled. See below.');
    const badge = page.getByTestId(`webhook-${created.id}`).getByTestId('health-badge');
    expect(await see(badge, /^Disabled$/)).toBe('Disabled');
    expect(await colour(badge)).toBe(COLOUR.bad);
    await page.getByTestId(`webhook-${created.id}`).getByRole('link').first().click();
    await see(page.getByTestId('webhook-disabled-banner'), 'maintenance');
    expect(await see(page.getByTestId('health-facts').locator('dt:has-text("Health") + dd'), /\w/)).toBe('Disabled');

    await page.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Deliveries', exact: true }).click();
    const held = page.locator('tbody .badge', { hasText: 'Held' });
    await held.waitFor();
    expect(await colour(held)).toBe(COLOUR.warn);
  });

  it('status colours mean one thing: succeeded green, retrying and held amber, failed red; a failed manual retry is red, not green', async () => {
    const good = await portal.receiver({ kind: 'status', status: 200 });
    const bad = await portal.receiver({ kind: 'status', status: 500, body: 'crm is down' });
    const { t, org } = await portal.service();
    const post = async (body: Record<string, unknown>) => (await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, body)).body as { id: string };
    await post({ url: `${good.url}/ok`, format: 'standard', description: 'Works' });
    const retrying = await post({ url: `${bad.url}/retrying`, format: 'standard', description: 'Retries', retryScheduleS: [3600] });
    // No retries: its delivery fails at once, and with no success ever the webhook is disabled, so later ones are held.
    await post({ url: `${bad.url}/gives-up`, format: 'standard', description: 'Gives up', retryScheduleS: [] });
    await ingest(t.api, org.ingestToken, { type: 'started', callId: 'colours-1', direction: 'inbound', from: '+31612345678', to: '+31850609000', at: t.clock.now() });
    await t.service.dispatcher.idle();
    await ingest(t.api, org.ingestToken, { type: 'ended', callId: 'colours-1', at: t.clock.now() });
    await t.service.dispatcher.idle();
    const deliveries = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?limit=100`)).body.data as Array<{ id: string; webhookId: string; status: string; attempts: number; event: string }>;
    const states = new Set(deliveries.map((d) => `${d.status}/${d.attempts > 0 ? 'tried' : 'untried'}`));
    expect(states).toEqual(new Set(['succeeded/tried', 'pending/tried', 'failed/tried', 'held/untried', 'waiting/untried']));

    const page = await portal.page();
    await portal.signIn(page, t, OPERATOR, `/orgs/${org.orgId}/deliveries`);
    await expect.poll(() => page.locator('tbody tr[data-testid^="delivery-"]').count(), { timeout: UI_TIMEOUT_MS }).toBe(deliveries.length);
    const tones: Record<string, string> = {};
    for (const b of await page.locator('tbody .badge').all()) tones[await b.innerText()] = await colour(b);
    expect(tones).toMatchObject({ Succeeded: COLOUR.ok, Retrying: COLOUR.warn, Held: COLOUR.warn, Failed: COLOUR.bad });
    expect(tones.Waiting).not.toBe(COLOUR.info);

    // Retry by hand while the receiver still fails: a red ✗, not the green of a success.
    const pending = deliveries.find((d) => d.webhookId === retrying.id && d.status === 'pending')!;
    await page.getByTestId(`delivery-${pending.id}`).getByRole('link').click();
    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    const result = page.getByTestId('retry-result');
    expect(await see(result, /Attempt 2/)).toMatch(/^✗ Attempt 2: HTTP 500 · \d+ ms$/);
    expect(await colour(result)).toBe(COLOUR.bad);
    await see(page.getByTestId('delivery-status'), /^Retrying: attempt 2 failed$/);
  });
});
