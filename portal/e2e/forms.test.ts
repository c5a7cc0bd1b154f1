// Forms in a real browser: what the API said about a field goes once the field changes or a Test
// runs; Numbers takes a national number when the organization has a default country (and says the
// number it will store); the Webhook card can be disabled, enabled and removed, and saving it while
// disabled says that it stays disabled. What the screen says is checked, and so is what the API has.
import type { Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { OPERATOR, see, UI_TIMEOUT_MS, usePortal } from './fixture.ts';

const portal = usePortal();

/** The error under the field labelled `label` in `scope` (none: ''), and whether the field is marked invalid. */
async function errorAt(scope: Locator, label: string): Promise<{ text: string; invalid: boolean }> {
  const input = scope.getByLabel(label, { exact: true });
  // `has` takes a locator relative to the .field it filters: the page's, not the scope's.
  const error = scope.locator('.field').filter({ has: scope.page().getByLabel(label, { exact: true }) }).locator('.field-error');
  return { text: (await error.count()) ? await error.innerText() : '', invalid: (await input.getAttribute('aria-invalid')) === 'true' };
}

describe.skipIf(portal.missing)('portal forms (browser)', () => {
  it('an error at a field goes when the field changes, and when a Test runs; a new organization\'s e-mail error goes as it is fixed', async () => {
    const { page, t } = await portal.signedIn('/orgs/{orgId}/integrations');
    const row = page.getByRole('form', { name: 'Incoming call', exact: true });
    const url = row.getByLabel('URL', { exact: true });
    await url.fill('not a url');
    await row.getByRole('button', { name: 'Save', exact: true }).click();
    const said = await see(row.locator('.field-error'), /\w/);
    expect(await errorAt(row, 'URL')).toEqual({ text: said, invalid: true });

    // Typing in the field: what was said about the old value is gone at once, no new save needed.
    await url.press('End');
    await url.pressSequentially('x');
    expect(await errorAt(row, 'URL')).toEqual({ text: '', invalid: false });

    // Said again, then a Test: the old save's error is gone; the test's own answer shows instead.
    await row.getByRole('button', { name: 'Save', exact: true }).click();
    await see(row.locator('.field-error'), /\w/);
    await row.getByRole('button', { name: 'Test', exact: true }).click();
    await see(row.getByTestId('test-result'), '✗');
    expect(await errorAt(row, 'URL')).toEqual({ text: '', invalid: false });

    // The operator's organization form: the bad entry's error goes as soon as the list changes.
    await page.goto(`${t.url}/portal/orgs/new`);
    const form = page.locator('form');
    await page.getByLabel('Name', { exact: true }).fill('Acme Dental');
    await page.getByLabel('Domain', { exact: true }).fill('acme-dental');
    await page.getByLabel('Notification e-mails', { exact: true }).fill('desk@acme.example\nnot-an-address');
    await page.getByRole('button', { name: 'Create organization' }).click();
    expect(await see(form.locator('.field-error'), 'Entry 2')).toBe('Entry 2: is not a valid e-mail address');
    await page.getByLabel('Notification e-mails', { exact: true }).press('Backspace');
    expect(await errorAt(form, 'Notification e-mails')).toEqual({ text: '', invalid: false });
    expect(await form.locator('.field-error').count()).toBe(0);
  });

  it('Numbers takes a national number once the organization has a default country, and says the E.164 number it stores', async () => {
    const { page, t, org } = await portal.signedIn('/orgs/{orgId}/settings');
    type ApiNumber = { number: string; main: boolean };
    const stored = async () => ((await t.api.get(`/v1/orgs/${org.orgId}/numbers`)).body.data as ApiNumber[]).map((n) => n.number);
    const numbers = page.getByRole('region', { name: 'Numbers', exact: true });
    const field = numbers.getByLabel('Phone number', { exact: true });

    // No default country: a national number cannot be read; the form says what to do, nothing is stored.
    await field.fill('085 060 9000');
    await numbers.getByRole('button', { name: 'Add number' }).click();
    expect((await errorAt(numbers, 'Phone number')).text).toMatch(/^Write it with \+ and the country code .* set the organization’s default country/);
    expect(await stored()).toEqual([]);

    // The admin sets the default country above; Numbers now reads national numbers in it.
    const orgForm = page.getByRole('form', { name: 'Notification settings' });
    await orgForm.getByLabel('Default country (optional)', { exact: true }).fill('NL');
    await orgForm.getByRole('button', { name: 'Save', exact: true }).click();
    await see(orgForm.getByRole('status'), /^Saved$/);
    await field.fill('085 060 9000');
    expect(await see(numbers.locator('#number-new-hint'), 'Saved as')).toMatch(/^Saved as \+31850609000\. International \(\+ and country code\), or national: read as a number in NL\./);
    await numbers.getByRole('button', { name: 'Add number' }).click();
    await expect.poll(stored, { timeout: UI_TIMEOUT_MS }).toEqual(['+31850609000']);
    await see(numbers, '+31850609000');
    // International numbers are taken as they are, 00 too.
    await field.fill('0032 2 555 12 12');
    await numbers.getByRole('button', { name: 'Add number' }).click();
    await expect.poll(stored, { timeout: UI_TIMEOUT_MS }).toEqual(['+31850609000', '+3225551212']);
  });

  it('the Webhook card: Disable holds calls, Save while disabled says it stays disabled, Enable sends again, Remove (confirmed) deletes it', async () => {
    const receiver = await portal.receiver({ kind: 'status', status: 200 });
    const { t, org } = await portal.service();
    const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/ringotel`, format: 'ringotel' });
    const id = created.body.id as string;
    const stored = async () => (await t.api.get(`/v1/orgs/${org.orgId}/webhooks/${id}`)).body as { enabled: boolean; url: string };
    const page = await portal.page();
    await portal.signIn(page, t, OPERATOR, `/orgs/${org.orgId}/integrations`);
    const card = page.getByRole('region', { name: 'Webhook', exact: true });
    const note = card.getByTestId('ringotel-note');
    await see(card.locator('.card-head'), 'Healthy');

    await card.getByRole('button', { name: 'Disable', exact: true }).click();
    await see(note, 'Disabled. New calls are held, not sent, until you enable it again.');
    await see(card.locator('.card-head'), 'Disabled');
    expect((await stored()).enabled).toBe(false);

    await card.getByLabel('URL', { exact: true }).fill(`${receiver.url}/ringotel-v2`);
    await card.getByRole('button', { name: 'Save & Continue' }).click();
    expect(await see(note, 'Saved')).toBe(`Saved, and still disabled: calls are held, not sent to ${receiver.url}/ringotel-v2. Enable it to send them.`);
    expect(await stored()).toMatchObject({ enabled: false, url: `${receiver.url}/ringotel-v2` });

    await card.getByRole('button', { name: 'Enable', exact: true }).click();
    await see(note, /^Enabled\./);
    await see(card.locator('.card-head'), 'Healthy');
    expect((await stored()).enabled).toBe(true);

    await card.getByRole('button', { name: 'Remove', exact: true }).click();
    expect((await t.api.get(`/v1/orgs/${org.orgId}/webhooks`)).body.data).toHaveLength(1); // the first press only asks
    await card.getByRole('group', { name: 'Confirm: Remove' }).getByRole('button', { name: 'Yes, remove', exact: true }).click();
    await see(note, 'Removed.');
    await card.getByRole('button', { name: 'Enable Integration' }).waitFor();
    await see(card.locator('.card-head'), 'Not enabled');
    expect((await t.api.get(`/v1/orgs/${org.orgId}/webhooks`)).body.data).toEqual([]);
  });
});
