// The delivery log in a real browser: deliveries of a real `callhook simulate` run appear while the
// page stays open (it polls every 2 s, no reload), a delivery shows its attempt as sent and
// answered, the call shows its timeline, Retry sends a failed delivery again, and the log fits a
// phone's width.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../test/helpers/service.ts';
import { eventually } from '../../test/helpers/eventually.ts';
import { screenshot } from './browser.ts';
import { OPERATOR, see, usePortal, viewportShot } from './fixture.ts';

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
    const expectedRows = Object.fromEntries(stored.map((d) => [d.id, [EVENT_NAMES[d.event], d.callId, `${receiver.url.replace('http://', '')}/crm`, 'Succeeded', '1', 'HTTP 200']]));
    const rowsNow = async () => Object.fromEntries([...(await shownRows(page))].map(([id, [, event, callId, target, status, attempts, answer]]) => [id, [event, callId, target, status, attempts, answer]]));
    await expect.poll(rowsNow, { timeout: 15_000, message: 'rows of the delivery log' }).toEqual(expectedRows);
    expect(await page.evaluate(() => (window as unknown as { e2eSameDocument?: boolean }).e2eSameDocument)).toBe(true);
    expect(loads).toBe(0);
    await screenshot(page, 'deliveries');
    await viewportShot(page, 'deliveries-viewport');

    // Open the call's first delivery: its one attempt, the request as sent and the answer.
    const first = [...stored].reverse().find((d) => d.event === 'call.incoming' || d.event === 'call.outgoing')!;
    await page.getByRole('link', { name: `Delivery ${first.id}: ` }).click();
    await page.getByRole('heading', { name: `delivery ${first.id}` }).waitFor();
    expect(await page.getByTestId('delivery-status').innerText()).toBe('succeeded');
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
      expect(await see(page.getByTestId(`call-delivery-${d.id}`), `Delivery ${d.id}`)).toMatch(/^Succeeded\s+Delivery \S+ · 1 attempt · last answer HTTP 200 · webhook/);
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
    await expect.poll(async () => [...(await shownRows(page)).keys()]).toEqual([failed.id]);
    expect(await page.getByLabel('Status', { exact: true }).inputValue()).toBe('failed');
    await page.getByTestId(`delivery-${failed.id}`).getByRole('cell').nth(2).click(); // the whole row opens it
    await page.getByRole('heading', { name: `delivery ${failed.id}` }).waitFor();
    expect(await page.getByTestId('delivery-status').innerText()).toBe('failed');
    expect(await see(page.getByRole('article', { name: 'Attempt 2', exact: true }).getByRole('region', { name: 'Attempt 2 response' }), /HTTP 500 in \d+ ms/)).toContain('database down');

    receiver.behave({ kind: 'status', status: 200, body: 'back up' });
    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    expect(await see(page.getByTestId('retry-result'), /Attempt 3/)).toMatch(/^✓ Attempt 3: HTTP 200 · \d+ ms$/);
    await see(page.getByTestId('delivery-status'), /^succeeded$/);
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

  it('fits a phone: at 390×844 the log, a delivery and the integrations scroll down, not sideways', async () => {
    const ok = await portal.receiver({ kind: 'status', status: 200 });
    const { t, org } = await portal.service();
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${ok.url}/a/rather/long/path/for/a/crm/webhook/receiver`, format: 'standard' }, org.apiKey);
    for (const callId of ['phone-1', 'phone-2']) {
      await ingest(t.api, org.ingestToken, { type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '+31850609000', at: t.clock.now() });
      await ingest(t.api, org.ingestToken, { type: 'ended', callId, at: t.clock.now() });
    }
    await t.service.dispatcher.idle();
    const deliveries = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries`, org.apiKey)).body.data as Array<{ id: string }>;
    expect(deliveries).toHaveLength(4);

    const page = await portal.page({ width: 390, height: 844 });
    await portal.signIn(page, t, OPERATOR, `/orgs/${org.orgId}/deliveries`);
    await expect.poll(async () => (await shownRows(page)).size).toBe(4);
    const widths = () => page.evaluate(() => ({ page: document.documentElement.scrollWidth, body: document.body.scrollWidth, viewport: window.innerWidth }));
    expect(await widths()).toEqual({ page: 390, body: 390, viewport: 390 });
    // The wide table scrolls sideways inside its card instead.
    const table = await page.locator('.table-wrap').filter({ has: page.locator('table.deliveries-table') }).evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    expect(table.scroll).toBeGreaterThan(table.client);
    expect(table.client).toBeLessThan(390);
    await screenshot(page, 'deliveries-phone');

    await page.getByRole('link', { name: `Delivery ${deliveries[0]!.id}: ` }).click();
    await page.getByRole('article', { name: 'Attempt 1', exact: true }).waitFor();
    expect((await widths()).page).toBeLessThanOrEqual(390);

    await page.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Integrations', exact: true }).click();
    await page.getByRole('heading', { name: 'Advanced: all webhooks' }).waitFor();
    expect((await widths()).page).toBeLessThanOrEqual(390);
  });
});
