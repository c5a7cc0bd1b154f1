// A webhook callhook disabled itself, seen in a real browser: after 24 h of a receiver answering
// 500 (the fake clock moves the hours), the Integrations card and the webhook's page say so in red
// with the reason and the last error; an event that came in meanwhile is held, not lost. Re-enable
// and the replay of held deliveries bring it to the (now working) receiver; the banner's own
// "Replay held deliveries" does both in one press.
import { describe, expect, it } from 'vitest';
import { ingest } from '../../test/helpers/service.ts';
import { screenshot } from './browser.ts';
import { HOUR, OPERATOR, see, usePortal } from './fixture.ts';

const portal = usePortal();

describe.skipIf(portal.missing)('portal disabled webhook (browser)', () => {
  it('shows the red banner with reason and last error after 24 h of failures; Re-enable, then replaying held deliveries reaches the receiver', async () => {
    const receiver = await portal.receiver({ kind: 'status', status: 500, body: 'database down' });
    const { t, org } = await portal.service();
    const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/ringotel`, format: 'ringotel', apiToken: 'crm-token-123' }, org.apiKey);
    expect(created.status).toBe(201);
    const webhookId = created.body.id as string;
    const call = (body: Record<string, unknown>) => ingest(t.api, org.ingestToken, { at: t.clock.now(), ...body });

    // A call starts; its delivery fails, and fails again once an hour for 24 hours.
    await call({ type: 'started', callId: 'c1', direction: 'inbound', from: '+31850609001', to: '+31850609000' });
    await t.service.dispatcher.idle();
    for (let hour = 1; hour <= 24; hour++) {
      t.clock.advance(HOUR);
      await t.service.dispatcher.tick();
    }
    expect(receiver.received).toHaveLength(25);
    const failed = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?callId=c1`, org.apiKey)).body.data[0];
    expect(failed).toMatchObject({ status: 'failed', attempts: 25, lastStatus: 500 });
    const disabled = (await t.api.get(`/v1/orgs/${org.orgId}/webhooks/${webhookId}`, org.apiKey)).body;
    expect(disabled.enabled).toBe(false);
    // The call ends while the webhook is off: held, nothing sent.
    await call({ type: 'ended', callId: 'c1' });
    await t.service.dispatcher.tick();
    expect(receiver.received).toHaveLength(25);
    const held = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?status=held`, org.apiKey)).body.data;
    expect(held.map((d: { event: string }) => d.event)).toEqual(['call.ended']);

    const page = await portal.page();
    await portal.signIn(page, t, OPERATOR, `/orgs/${org.orgId}/integrations`);
    const card = page.getByRole('region', { name: 'Webhook', exact: true });
    expect(await see(card.locator('.banner-error'), 'This webhook is disabled')).toBe(`This webhook is disabled: ${disabled.disabledReason}. Open it to re-enable.`);
    await see(card.locator('.card-head'), 'Disabled');
    await card.getByRole('link', { name: 'Open it to re-enable' }).click();

    const banner = page.getByTestId('webhook-disabled-banner');
    await see(banner, 'This webhook is disabled.');
    expect(await banner.getAttribute('role')).toBe('alert');
    const reason = await page.getByTestId('disabled-reason').innerText();
    // The reason as callhook gave it, without its "; last error: …" tail: that has a line of its own.
    expect(disabled.disabledReason).toContain(`${reason}; last error: `);
    expect(reason).toContain(failed.id); // which delivery gave up
    const lastError = await page.getByTestId('disabled-last-error').innerText();
    expect(lastError).toBe(disabled.lastError);
    expect(lastError).toContain('HTTP 500');
    expect(await banner.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(253, 236, 234)'); // --bad-soft: red
    await see(page.getByRole('region', { name: 'Replay deliveries' }), 'Re-enable the webhook to replay its deliveries.');
    await screenshot(page, 'disabled-banner');

    // The receiver works again. Re-enable: the banner goes, held deliveries wait for a replay.
    receiver.behave({ kind: 'status', status: 200 });
    await banner.getByRole('button', { name: 'Re-enable', exact: true }).click();
    await see(page.getByTestId('webhook-notice'), 'Webhook enabled. New events are sent again; held ones wait for a replay.');
    expect(await banner.count()).toBe(0);
    // Enabled, but still failing: nothing has got through since the failures.
    await see(page.getByRole('region', { name: 'Settings', exact: true }).locator('.card-head'), 'Failing');
    expect((await t.api.get(`/v1/orgs/${org.orgId}/webhooks/${webhookId}`, org.apiKey)).body.enabled).toBe(true);
    await t.service.dispatcher.tick();
    expect(receiver.received).toHaveLength(25);

    // Replay the held ones only (not the one that failed before).
    const replay = page.getByRole('form', { name: 'Replay deliveries' });
    await replay.getByLabel('Failed (gave up after all retries)').uncheck();
    expect(await replay.getByLabel('Held (kept while the webhook was disabled)').isChecked()).toBe(true);
    await replay.getByRole('button', { name: 'Replay', exact: true }).click();
    await see(replay.getByTestId('replay-result'), '1 delivery queued to be sent again.');
    await t.service.dispatcher.tick();
    await t.service.dispatcher.idle();
    expect(receiver.received).toHaveLength(26);
    expect(JSON.parse(receiver.received[25]!.body)).toMatchObject({ method: 'StopCallActivity', api_token: 'crm-token-123', params: { call_id: 'c1' } });
    expect((await t.api.get(`/v1/orgs/${org.orgId}/deliveries/${held[0].id}`, org.apiKey)).body).toMatchObject({ status: 'succeeded', lastStatus: 200 });
    // A delivery got through: healthy again.
    await page.reload();
    await see(page.getByRole('region', { name: 'Settings', exact: true }).locator('.card-head'), 'Healthy');
  });

  it('"Replay held deliveries" on the banner re-enables and sends what was held, in one press', async () => {
    const receiver = await portal.receiver({ kind: 'status', status: 200 });
    const { t, org } = await portal.service();
    const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/crm`, format: 'standard', description: 'CRM' }, org.apiKey);
    const webhookId = created.body.id as string;
    const page = await portal.page();
    await portal.signIn(page, t, OPERATOR, `/orgs/${org.orgId}/integrations/webhooks/${webhookId}`);
    const settings = page.getByRole('region', { name: 'Settings', exact: true });
    await see(settings.locator('.card-head'), 'Healthy');

    // Switched off by hand; a call comes in meanwhile and is held.
    await settings.getByRole('button', { name: 'Disable', exact: true }).click();
    const banner = page.getByTestId('webhook-disabled-banner');
    await see(banner, 'This webhook is disabled.');
    expect(await page.getByTestId('disabled-reason').innerText()).toBe('disabled in the portal');
    expect(await page.getByTestId('disabled-last-error').innerText()).toBe('none recorded');
    await ingest(t.api, org.ingestToken, { type: 'started', callId: 'while-off', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: t.clock.now() });
    await t.service.dispatcher.tick();
    expect(receiver.received).toHaveLength(0);

    await banner.getByRole('button', { name: 'Replay held deliveries' }).click();
    await see(page.getByTestId('webhook-notice'), 'Webhook enabled. 1 held delivery queued to be sent again.');
    expect(await banner.count()).toBe(0);
    await t.service.dispatcher.tick();
    await t.service.dispatcher.idle();
    expect(receiver.received).toHaveLength(1);
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ type: 'call.incoming', data: { callId: 'while-off' } });
    expect((await t.api.get(`/v1/orgs/${org.orgId}/webhooks/${webhookId}`, org.apiKey)).body.enabled).toBe(true);
  });
});
