// The Integrations tab in a real browser, against real receivers on loopback: the Ringotel-style
// Webhook card (Enable Integration → URL + API token → Test ✓ / ✗ → Save & Continue) and the
// Rinkel-style event list (URL → Test → content type, description → Save). What the screen says is
// checked, and so is what callhook stored and what the receivers got.
import { describe, expect, it } from 'vitest';
import { ingest } from '../../test/helpers/service.ts';
import { screenshot } from './browser.ts';
import { OPERATOR, see, usePortal, viewportShot } from './fixture.ts';

const portal = usePortal();

describe.skipIf(portal.missing)('portal integrations (browser)', () => {
  it('Ringotel card: Enable Integration, Test goes green against a 200 and red with the status against a 500, Save & Continue stores one ringotel webhook', async () => {
    const good = await portal.receiver({ kind: 'status', status: 200 });
    const bad = await portal.receiver({ kind: 'status', status: 500, body: 'crm is down' });
    const { t, org, page } = await portal.signedIn('/orgs/{orgId}/integrations');
    const card = page.getByRole('region', { name: 'Webhook', exact: true });
    await see(card, 'Not enabled');
    expect(await card.getByLabel('URL', { exact: true }).count()).toBe(0); // the form opens on request

    await card.getByRole('button', { name: 'Enable Integration' }).click();
    const url = card.getByLabel('URL', { exact: true });
    await expect.poll(() => url.evaluate((el) => el === document.activeElement)).toBe(true);
    await url.fill(`${good.url}/ringotel`);
    await card.getByLabel('API token', { exact: true }).fill('crm-token-123');

    // Test against the receiver answering 200: green ✓, HTTP 200 and how long it took.
    const result = card.getByTestId('test-result');
    await card.getByRole('button', { name: 'Test', exact: true }).click();
    expect(await see(result, 'Passed')).toMatch(/^✓ Passed · HTTP 200 · \d+ ms$/);
    expect(await result.locator('.test-ok').evaluate((el) => getComputedStyle(el).color)).toBe('rgb(19, 115, 51)'); // --ok
    expect(good.received).toHaveLength(1);
    expect(good.received[0]!.path).toBe('/ringotel');
    expect(JSON.parse(good.received[0]!.body)).toMatchObject({ method: 'StartCallActivity', api_token: 'crm-token-123' });

    // The same form pointed at the receiver answering 500: red ✗ with the status.
    await url.fill(`${bad.url}/ringotel`);
    await card.getByRole('button', { name: 'Test', exact: true }).click();
    expect(await see(result, 'Failed')).toMatch(/^✗ Failed · HTTP 500 · \d+ ms/);
    expect(await result.locator('.test-bad').evaluate((el) => getComputedStyle(el).color)).toBe('rgb(179, 38, 30)'); // --bad
    expect(bad.received).toHaveLength(1);
    // A test send stores nothing.
    expect((await t.api.get(`/v1/orgs/${org.orgId}/webhooks`)).body.data).toEqual([]);

    await url.fill(`${good.url}/ringotel`);
    await card.getByRole('button', { name: 'Save & Continue' }).click();
    await see(card.getByRole('status').filter({ hasText: 'Saved' }), `Saved. Calls are now sent to ${good.url}/ringotel.`);
    await see(card.locator('.card-head'), 'Healthy');
    expect(await card.getByRole('button', { name: 'Enable Integration' }).count()).toBe(0);

    const webhooks = (await t.api.get(`/v1/orgs/${org.orgId}/webhooks`)).body.data;
    expect(webhooks).toHaveLength(1);
    expect(webhooks[0]).toMatchObject({
      format: 'ringotel',
      url: `${good.url}/ringotel`,
      apiToken: 'crm-token-123',
      contentType: 'application/json',
      enabled: true,
      events: ['call.incoming', 'call.outgoing', 'call.answered', 'call.ended', 'call.recording', 'call.insights'],
    });
    // The Advanced list shows it too, and a reload shows what is stored.
    await see(page.getByTestId(`webhook-${webhooks[0].id}`), /Healthy\s+Ringotel\s+All events\s+application\/json/);
    await page.reload();
    expect(await page.getByRole('region', { name: 'Webhook', exact: true }).getByLabel('API token', { exact: true }).inputValue()).toBe('crm-token-123');
  });

  it('Rinkel event list: "Incoming call" gets a URL, Test ✓, a content type and a description; Save stores a rinkel webhook for call.incoming that real calls then reach', async () => {
    const crm = await portal.receiver({ kind: 'status', status: 200 });
    const rinkel = await portal.receiver({ kind: 'status', status: 200 });
    const { t, org } = await portal.service();
    // The Ringotel card is already in use; the event list must leave it alone.
    const ringotel = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${crm.url}/ringotel`, format: 'ringotel', apiToken: 'crm-token-123' });
    expect(ringotel.status).toBe(201);
    const page = await portal.page();
    await portal.signIn(page, t, OPERATOR, `/orgs/${org.orgId}/integrations`);
    const row = page.getByRole('form', { name: 'Incoming call', exact: true });
    await see(row, 'Not set up');

    await row.getByLabel('URL', { exact: true }).fill(`${rinkel.url}/rinkel/incoming`);
    await row.getByRole('button', { name: 'Test', exact: true }).click();
    expect(await see(row.getByTestId('test-result'), 'Passed')).toMatch(/^✓ Passed · HTTP 200 · \d+ ms$/);
    expect(rinkel.received).toHaveLength(1);
    expect(rinkel.received[0]!.path).toBe('/rinkel/incoming');
    expect(Object.keys(JSON.parse(rinkel.received[0]!.body))).toEqual(['id', 'datetime', 'to', 'from']); // Rinkel's call.incoming body

    await row.getByLabel('Content type', { exact: true }).selectOption('application/x-www-form-urlencoded');
    await row.getByLabel('Description (optional)', { exact: true }).fill('CRM screen pop');
    await row.getByRole('button', { name: 'Save', exact: true }).click();
    await row.getByText('Saved', { exact: true }).waitFor();
    await see(row.getByTestId('health-badge'), /^Healthy$/);
    // Only this row changed.
    await see(page.getByRole('form', { name: 'Outgoing call', exact: true }), 'Not set up');

    const webhooks = (await t.api.get(`/v1/orgs/${org.orgId}/webhooks`)).body.data as Array<Record<string, unknown>>;
    expect(webhooks).toHaveLength(2);
    const saved = webhooks.find((w) => w.format === 'rinkel');
    expect(saved).toMatchObject({
      url: `${rinkel.url}/rinkel/incoming`,
      events: ['call.incoming'],
      contentType: 'application/x-www-form-urlencoded',
      description: 'CRM screen pop',
      enabled: true,
    });
    expect(webhooks.find((w) => w.format === 'ringotel')).toMatchObject({ url: `${crm.url}/ringotel`, apiToken: 'crm-token-123' });

    // The saved Ringotel webhook tests green too (with its stored token), for the picture of both.
    const card = page.getByRole('region', { name: 'Webhook', exact: true });
    await card.getByRole('button', { name: 'Test', exact: true }).click();
    expect(await see(card.getByTestId('test-result'), 'Passed')).toMatch(/^✓ Passed · HTTP 200 · \d+ ms$/);
    expect(JSON.parse(crm.received.at(-1)!.body)).toMatchObject({ method: 'StartCallActivity', api_token: 'crm-token-123' });
    await screenshot(page, 'integrations');
    await card.evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 12));
    await viewportShot(page, 'integrations-viewport');

    // A real incoming call now reaches the saved URL, form-encoded.
    const sent = await ingest(t.api, org.ingestToken, { type: 'started', callId: 'rinkel-1', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: t.clock.now() });
    expect(sent.status).toBeLessThan(300);
    await t.service.dispatcher.idle();
    await rinkel.waitFor(2);
    expect(rinkel.received[1]!.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(new URLSearchParams(rinkel.received[1]!.body).get('id')).toBe('rinkel-1');
  });
});
