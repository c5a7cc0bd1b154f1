// The delivery log in a real browser: deliveries of a real `callhook simulate` run appear while the
// page stays open (it polls every 2 s, no reload), a delivery shows its attempt as sent and
// answered, the call shows its timeline (webhooks by name), Retry sends a failed delivery again,
// whole call ids and event names at 1280 px, stacked rows and folded filters at a phone's width,
// and Back from a delivery finds the log as it was left (filters, Show more, scroll).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../test/helpers/service.ts';
import { eventually } from '../../test/helpers/eventually.ts';
import { screenshot } from './browser.ts';
import { OPERATOR, see, UI_TIMEOUT_MS, usePortal, viewportShot } from './fixture.ts';

const portal = usePortal();
/** The event names the log shows. */
const EVENT_NAMES: Record<string, string> = {
  'call.incoming': 'Incoming call',
  'call.outgoing': 'Outgoing call',
  'call.answered': 'Call start (answered)',
  'call.ended': 'Call end',
  'call.recording': 'Recording ready',
  'call.insights': 'Call insights',
};
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// callhook runs its TypeScript on Node 24; vitest normally runs on the project's Node 24 already.
const NODE = Number(process.versions.node.split('.')[0]) >= 24 ? process.execPath : `${ROOT}node_modules/node/bin/node`;

/** Runs `node bin/callhook.js …` to the end; killed (by its pid) if it outlives `timeoutMs`. */
function runCli(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(NODE, ['bin/callhook.js', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  };
  portal.defer(async () => kill());
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`callhook ${args[0]} still running after ${timeoutMs} ms; killed. stdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => (clearTimeout(timer), reject(error)));
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

/** The delivery rows the log shows, by delivery id: their cells as a person reads them. */
async function shownRows(page: Page): Promise<Map<string, string[]>> {
  const rows = page.locator('tbody tr[data-testid^="delivery-"]');
  const shown = new Map<string, string[]>();
  for (const row of await rows.all()) {
    const id = (await row.getAttribute('data-testid'))!.slice('delivery-'.length);
    shown.set(id, await row.locator('td').allInnerTexts());
  }
  return shown;
}

describe.skipIf(portal.missing)('portal deliveries (browser)', () => {
  it('shows a `callhook simulate` run arriving live (no reload); a delivery shows its attempt, the call its timeline', async () => {
    const receiver = await portal.receiver({ kind: 'status', status: 200, body: 'thanks' });
    const { t, org } = await portal.service();
    const webhook = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/crm`, format: 'standard', description: 'CRM' }, org.apiKey);
    expect(webhook.status).toBe(201);
    const page = await portal.page();
    await portal.signIn(page, t, OPERATOR, `/orgs/${org.orgId}/integrations`);
    await page.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Deliveries', exact: true }).click();
    await see(page.locator('tbody'), 'No deliveries match. They appear here as calls come in.');
    // Anything that reloads the page loses this mark.
    await page.evaluate(() => Object.assign(window, { e2eSameDocument: true }));
    let loads = 0;
    page.on('load', () => loads++);

    const run = await runCli(['simulate', '--url', t.url, '--token', org.ingestToken, '--calls', '2', '--speed', '1000', '--extensions', '500,501', '--seed', '20250601'], 20_000);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.stdout).toMatch(/simulated 2 calls \(\d+ steps\) in [\d.]+ s: [\d.]+ steps\/s, 0 errors\n$/);
    expect(run.code).toBe(0);
    // A call's later steps wait for its earlier ones: the log settles once the last result is written.
    type Stored = { id: string; event: string; callId: string; status: string };
    const stored = await eventually(
      async () => {
        const data = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?limit=100`, org.apiKey)).body.data as Stored[];
        expect(data.map((d) => `${d.id} ${d.status}`)).toEqual(data.map((d) => `${d.id} succeeded`));
        return data;
      },
      { timeoutMs: 15_000, what: 'every delivery of the run succeeded' },
    );
    expect(stored.length).toBeGreaterThanOrEqual(4); // two calls: each at least started and ended
    expect(new Set(stored.map((d) => d.callId)).size).toBe(2);
    expect(receiver.received).toHaveLength(stored.length);

    // They show up by themselves: same document, no load event, every delivery a row as it is now
    // (a poll of the page may have caught a later step still waiting; the next shows it sent).
    // The webhook by its description; the call id and event name whole.
    const expectedRows = Object.fromEntries(stored.map((d) => [d.id, ['Succeeded', EVENT_NAMES[d.event], d.callId, 'CRM', '1', 'HTTP 200']]));
    const rowsNow = async () => Object.fromEntries([...(await shownRows(page))].map(([id, [status, event, , callId, target, attempts, answer]]) => [id, [status, event, callId, target, attempts, answer]]));
    await expect.poll(rowsNow, { timeout: 15_000, message: 'rows of the delivery log' }).toEqual(expectedRows);
    expect(await page.evaluate(() => (window as unknown as { e2eSameDocument?: boolean }).e2eSameDocument)).toBe(true);
    expect(loads).toBe(0);
    await screenshot(page, 'deliveries');
    await viewportShot(page, 'deliveries-viewport');

    // Open the call's first delivery: its one attempt, the request as sent and the answer.
    const first = [...stored].reverse().find((d) => d.event === 'call.incoming' || d.event === 'call.outgoing')!;
    await page.getByTestId(`delivery-${first.id}`).getByRole('link', { name: EVENT_NAMES[first.event], exact: true }).click();
    await page.getByRole('heading', { name: `delivery ${first.id}` }).waitFor();
    expect(await page.getByTestId('delivery-status').innerText()).toBe('Succeeded');
    expect(await page.title()).toBe(`Delivery: ${EVENT_NAMES[first.event]} · New Company · callhook`);
    // The webhook by its description (its URL under it), not its id.
    await see(page.locator('dd').filter({ has: page.getByRole('link', { name: 'CRM', exact: true }) }), `${receiver.url}/crm`);
    const attempt = page.getByRole('article', { name: 'Attempt 1', exact: true });
    expect(await see(attempt.getByRole('heading', { level: 3 }), 'Attempt 1')).toBe('✓ Attempt 1');
    const request = attempt.getByRole('region', { name: 'Attempt 1 request' });
    expect(await request.locator('p.mono').innerText()).toBe(`POST ${receiver.url}/crm`);
    const sent = receiver.received.find((r) => r.headers['webhook-id'] === first.id)!;
    const headerRows = await request.getByRole('table', { name: 'Request headers' }).getByRole('row').allInnerTexts();
    const shownHeaders = Object.fromEntries(headerRows.map((line) => line.split('\t') as [string, string]));
    expect(shownHeaders['webhook-id']).toBe(first.id);
    expect(shownHeaders['content-type']).toBe('application/json');
    expect(shownHeaders['webhook-signature']).toBe(sent.headers['webhook-signature']);
    expect(JSON.parse(await request.locator('pre.body').innerText())).toEqual(JSON.parse(sent.body));
    expect(JSON.parse(sent.body)).toMatchObject({ type: first.event, data: { callId: first.callId } });
    const response = attempt.getByRole('region', { name: 'Attempt 1 response' });
    expect(await see(response.locator('p').first(), /^HTTP 200 in \d+ ms$/)).toMatch(/^HTTP 200/);
    expect(await response.locator('pre.body').innerText()).toBe('thanks');
    await screenshot(page, 'delivery-detail');

    // The call: its steps in order, each with the delivery it made.
    await page.getByRole('link', { name: first.callId, exact: true }).click();
    await page.getByRole('heading', { name: 'Steps', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/portal/orgs/${org.orgId}/calls/${first.callId}`);
    const callDeliveries = stored.filter((d) => d.callId === first.callId);
    const steps = await page.locator('li.timeline-step').evaluateAll((items) => items.map((li) => li.getAttribute('data-testid')));
    expect(steps).toHaveLength(callDeliveries.length); // every step of the call made one delivery
    expect(steps[0]).toBe(`step-${first.event}`);
    expect(steps.at(-1)).toMatch(/^step-call\.(ended|recording|insights)$/);
    for (const d of callDeliveries) {
      // Each delivery names its webhook (by description), once with its answer: no ids.
      expect(await see(page.getByTestId(`call-delivery-${d.id}`), 'To CRM')).toMatch(/^Succeeded\s+To CRM · 1 attempt · HTTP 200$/);
    }
    await screenshot(page, 'call-timeline');
  });

  it('retries a failed delivery from its page: the receiver now answers 200, the page says so and the receiver got it', async () => {
    const receiver = await portal.receiver({ kind: 'status', status: 500, body: 'database down' });
    const { t, org } = await portal.service();
    // Two attempts a minute apart, then the delivery has failed.
    const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/crm`, format: 'standard', retryScheduleS: [60] }, org.apiKey);
    const webhookId = created.body.id as string;
    const started = (callId: string) => ingest(t.api, org.ingestToken, { type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '+31850609000', at: t.clock.now() });
    await started('fails-first');
    await t.service.dispatcher.idle();
    // A success in between keeps the webhook enabled when the first delivery gives up.
    receiver.behave({ kind: 'status', status: 200 });
    t.clock.advance(1_000);
    await started('works');
    await t.service.dispatcher.idle();
    receiver.behave({ kind: 'status', status: 500, body: 'database down' });
    t.clock.advance(60_000);
    await t.service.dispatcher.tick();
    const failed = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?callId=fails-first`, org.apiKey)).body.data[0];
    expect(failed).toMatchObject({ status: 'failed', attempts: 2, lastStatus: 500 });
    expect((await t.api.get(`/v1/orgs/${org.orgId}/webhooks/${webhookId}`, org.apiKey)).body.enabled).toBe(true);
    expect(receiver.received).toHaveLength(3);

    const page = await portal.page();
    await portal.signIn(page, t, OPERATOR, `/orgs/${org.orgId}/deliveries?status=failed`);
    // Filtered by the address: only the failed one.
    await expect.poll(async () => [...(await shownRows(page)).keys()], { timeout: UI_TIMEOUT_MS }).toEqual([failed.id]);
    expect(await page.getByLabel('Status', { exact: true }).inputValue()).toBe('failed');
    await page.getByTestId(`delivery-${failed.id}`).getByRole('cell').nth(2).click(); // the whole row opens it
    await page.getByRole('heading', { name: `delivery ${failed.id}` }).waitFor();
    expect(await page.getByTestId('delivery-status').innerText()).toBe('Failed: gave up after 2 attempts');
    // The answer once: the status is not said twice.
    expect(await page.getByTestId('delivery-last-answer').innerText()).toBe('HTTP 500: only a 2xx answer counts as delivered');
    expect(await see(page.getByRole('article', { name: 'Attempt 2', exact: true }).getByRole('region', { name: 'Attempt 2 response' }), /HTTP 500 in \d+ ms/)).toContain('database down');

    receiver.behave({ kind: 'status', status: 200, body: 'back up' });
    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    expect(await see(page.getByTestId('retry-result'), /Attempt 3/)).toMatch(/^✓ Attempt 3: HTTP 200 · \d+ ms$/);
    await see(page.getByTestId('delivery-status'), /^Succeeded$/);
    // A success is green.
    expect(await page.getByTestId('retry-result').evaluate((el) => getComputedStyle(el).color)).toBe('rgb(19, 115, 51)');
    const third = page.getByRole('article', { name: 'Attempt 3', exact: true });
    expect(await see(third.locator('.attempt-head'), 'retried by hand')).toMatch(/^✓ Attempt 3\s/);
    expect(await third.getByRole('region', { name: 'Attempt 3 response' }).innerText()).toContain('back up');

    // The receiver got exactly one more request: the same delivery, the same bytes, answered 200.
    expect(receiver.received).toHaveLength(4);
    const last = receiver.received[3]!;
    expect(last.headers['webhook-id']).toBe(failed.id);
    expect(last.body).toBe(receiver.received[0]!.body);
    const after = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries/${failed.id}`, org.apiKey)).body;
    expect(after).toMatchObject({ status: 'succeeded', attempts: 3, lastStatus: 200 });
  });

  it('fits a phone: at 390×844 rows are cards (status, event, time first), filters fold away; a delivery and the integrations scroll down, not sideways', async () => {
    const ok = await portal.receiver({ kind: 'status', status: 200 });
    const { t, org } = await portal.service();
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${ok.url}/a/rather/long/path/for/a/crm/webhook/receiver`, format: 'standard' }, org.apiKey);
    for (const callId of ['phone-1', 'phone-2']) {
      await ingest(t.api, org.ingestToken, { type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '+31850609000', at: t.clock.now() });
      await ingest(t.api, org.ingestToken, { type: 'ended', callId, at: t.clock.now() });
    }
    await t.service.dispatcher.idle();
    const deliveries = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries`, org.apiKey)).body.data as Array<{ id: string; event: string }>;
    expect(deliveries).toHaveLength(4);

    const page = await portal.page({ width: 390, height: 844 });
    await portal.signIn(page, t, OPERATOR, `/orgs/${org.orgId}/deliveries`);
    await expect.poll(async () => (await shownRows(page)).size, { timeout: UI_TIMEOUT_MS }).toBe(4);
    const widths = () => page.evaluate(() => ({ page: document.documentElement.scrollWidth, body: document.body.scrollWidth, viewport: window.innerWidth }));
    expect(await widths()).toEqual({ page: 390, body: 390, viewport: 390 });
    // No sideways scrolling inside the card either: each row is a card of its own.
    const wrap = page.locator('.table-wrap').filter({ has: page.locator('table.deliveries-table') });
    const box = await wrap.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    expect(box.scroll).toBe(box.client);
    // Its first line: status, event and time, side by side; the rest below, each with its label.
    const row = page.getByTestId(`delivery-${deliveries[0]!.id}`);
    const cells = row.getByRole('cell');
    const tops = await cells.evaluateAll((tds) => tds.map((td) => Math.round(td.getBoundingClientRect().top)));
    expect(new Set(tops.slice(0, 3)).size, 'status, event and time on one line').toBe(1);
    expect(tops.slice(3).every((top) => top > tops[0]!)).toBe(true);
    expect((await cells.allInnerTexts()).slice(0, 3)).toEqual(['Succeeded', EVENT_NAMES[deliveries[0]!.event], expect.stringMatching(/\d\d:\d\d:\d\d/)]);
    expect(await cells.nth(3).innerText()).toMatch(/^phone-\d$/);
    expect(await cells.nth(3).evaluate((el) => getComputedStyle(el, '::before').content)).toBe('"Call: "');

    // The picture for the README: the log from its heading down, filters folded.
    await page.locator('.tabs').evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 8));
    await viewportShot(page, 'deliveries-phone-viewport');

    // The filters are folded away behind a button that says how many are on.
    const toggle = page.getByRole('button', { name: /^Filters/ });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await page.getByLabel('Status', { exact: true }).isVisible()).toBe(false);
    await toggle.click();
    await page.getByLabel('Status', { exact: true }).selectOption('succeeded');
    await page.waitForURL(/status=succeeded/);
    expect(await see(toggle, /Filters/)).toBe('Filters · 1 on');
    expect(await page.getByLabel('Event', { exact: true }).isVisible()).toBe(true);
    await screenshot(page, 'deliveries-phone');

    await row.getByRole('link').click();
    await page.getByRole('article', { name: 'Attempt 1', exact: true }).waitFor();
    expect((await widths()).page).toBeLessThanOrEqual(390);

    await page.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Integrations', exact: true }).click();
    await page.getByRole('heading', { name: 'Advanced: all webhooks' }).waitFor();
    expect((await widths()).page).toBeLessThanOrEqual(390);
  });

  it('at 1280 px shows whole call ids and event names; the filters are always there', async () => {
    const ok = await portal.receiver({ kind: 'status', status: 200 });
    const { t, org } = await portal.service();
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${ok.url}/crm`, format: 'standard' }, org.apiKey);
    // Real call ids are long (SIP Call-IDs, UUIDs): they must not be cut to look alike.
    const callIds = ['5f0c2a7e-9b1d-4c33-8f6a-2d9e7b1c4a01@pbx.newcompany.example', '5f0c2a7e-9b1d-4c33-8f6a-2d9e7b1c4a02@pbx.newcompany.example'];
    for (const callId of callIds) {
      await ingest(t.api, org.ingestToken, { type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '+31850609000', at: t.clock.now() });
      await ingest(t.api, org.ingestToken, { type: 'answered', callId, at: t.clock.now() });
    }
    await t.service.dispatcher.idle();
    const page = await portal.page();
    await portal.signIn(page, t, OPERATOR, `/orgs/${org.orgId}/deliveries`);
    await expect.poll(async () => (await shownRows(page)).size, { timeout: UI_TIMEOUT_MS }).toBe(4);
    expect(await page.getByRole('button', { name: /^Filters/ }).isVisible()).toBe(false);
    expect(await page.getByLabel('Status', { exact: true }).isVisible()).toBe(true);
    for (const [, cells] of await shownRows(page)) {
      const [, event, , callId] = cells;
      expect(callIds).toContain(callId);
      expect(['Incoming call', 'Call start (answered)']).toContain(event);
    }
    // Nothing in the event and call columns is clipped, and the table fits the window.
    const clipped = await page.locator('table.deliveries-table tbody td:nth-child(2), table.deliveries-table tbody td:nth-child(4)').evaluateAll((tds) => tds.filter((td) => td.scrollWidth > td.clientWidth + 1).length);
    expect(clipped).toBe(0);
    const wrap = await page.locator('.table-wrap').filter({ has: page.locator('table.deliveries-table') }).evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    expect(wrap.scroll).toBe(wrap.client);
  });

  it('Back from a delivery finds the log as it was left: its filters, the rows "Show more" added, and the scroll position', async () => {
    const ok = await portal.receiver({ kind: 'status', status: 200 });
    const { t, org } = await portal.service();
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${ok.url}/crm`, format: 'standard', description: 'CRM' }, org.apiKey);
    // 60 calls that ended, each with a start: 120 deliveries, 60 of them call.ended.
    const steps = Array.from({ length: 60 }, (_, i) => [
      { type: 'started', callId: `back-${i}`, direction: 'inbound', from: '+31850609001', to: '+31850609000', at: t.clock.now() },
      { type: 'ended', callId: `back-${i}`, at: t.clock.now() },
    ]).flat();
    expect((await ingest(t.api, org.ingestToken, { steps })).status).toBe(202);
    await t.service.dispatcher.idle();

    const page = await portal.page();
    await portal.signIn(page, t, OPERATOR, `/orgs/${org.orgId}/deliveries?event=call.ended`);
    await expect.poll(async () => (await shownRows(page)).size, { timeout: UI_TIMEOUT_MS }).toBe(50);
    await page.getByRole('button', { name: 'Show more' }).click();
    await expect.poll(async () => (await shownRows(page)).size, { timeout: UI_TIMEOUT_MS }).toBe(60);
    const rows = page.locator('tbody tr[data-testid^="delivery-"]');
    const target = rows.nth(55);
    await target.scrollIntoViewIfNeeded();
    const scrolled = await page.evaluate(() => window.scrollY);
    expect(scrolled).toBeGreaterThan(1000);
    const id = (await target.getAttribute('data-testid'))!;
    await target.getByRole('link').click();
    await page.getByRole('article', { name: 'Attempt 1', exact: true }).waitFor();
    expect(await page.evaluate(() => window.scrollY)).toBe(0);

    await page.goBack();
    await page.getByTestId(id).waitFor();
    expect(new URL(page.url()).search).toBe('?event=call.ended');
    expect(await page.getByLabel('Event', { exact: true }).inputValue()).toBe('call.ended');
    await expect.poll(async () => (await shownRows(page)).size, { timeout: UI_TIMEOUT_MS }).toBe(60);
    await expect.poll(() => page.evaluate(() => window.scrollY), { timeout: UI_TIMEOUT_MS }).toBe(scrolled);
    expect(await page.getByTestId(id).isVisible()).toBe(true);
  });
});
