// Settings › Numbers and Users in a real browser: the first number is the main number, a number
// can be a user's direct number (chosen when adding it or on its row), another can be made main,
// the main number cannot go while others remain; Users shows each user's direct number.
// What the screen says is checked, and so is what the API says.
import type { Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot } from './browser.ts';
import { see, usePortal } from './fixture.ts';

const portal = usePortal();
const ANNA = '17295348437628309790';
const BOB = 'u-501';

/** Presses a ConfirmButton and then its "Yes, …" (two steps), inside `scope`. */
async function confirm(scope: Locator, label: string, yes: string): Promise<void> {
  await scope.getByRole('button', { name: label, exact: true }).click();
  await scope.getByRole('group', { name: `Confirm: ${label}` }).getByRole('button', { name: yes, exact: true }).click();
}

describe.skipIf(portal.missing)('portal numbers and users (browser)', () => {
  it('the first number is main; a direct number is set when adding and on the row; Make main moves it; the main number stays while others remain', async () => {
    const { t, org, page } = await portal.signedIn('/orgs/{orgId}/settings');
    type ApiNumber = { id: string; number: string; userId: string | null; main: boolean };
    const stored = async () => (await t.api.get(`/v1/orgs/${org.orgId}/numbers`)).body.data as ApiNumber[];
    const numbers = page.getByRole('region', { name: 'Numbers', exact: true });
    const users = page.getByRole('region', { name: 'Users & extensions', exact: true });

    await numbers.getByLabel('Phone number', { exact: true }).fill('+31 85 060 9000');
    await numbers.getByRole('button', { name: 'Add number' }).click();
    await expect.poll(async () => (await stored()).length).toBe(1);
    const [first] = await stored();
    expect(first).toMatchObject({ number: '+31850609000', main: true, userId: null });
    const firstRow = numbers.getByTestId(`number-${first!.id}`);
    await see(firstRow, 'Main number');

    await numbers.getByLabel('Phone number', { exact: true }).fill('+31850609005');
    await numbers.getByLabel('Direct number of (optional)', { exact: true }).selectOption({ label: 'Anna (500)' });
    await numbers.getByRole('button', { name: 'Add number' }).click();
    await expect.poll(async () => (await stored()).length).toBe(2);
    const second = (await stored()).find((n) => n.number === '+31850609005')!;
    expect(second).toMatchObject({ userId: ANNA, main: false });
    const secondRow = numbers.getByTestId(`number-${second.id}`);
    expect(await see(secondRow, '+31850609005')).not.toContain('Main number');
    // Users shows who has which direct number, and what the others fall back to.
    await see(users.getByTestId(`user-${ANNA}`), '+31850609005');
    await see(users.getByTestId(`user-${BOB}`), 'main: +31850609000');

    await secondRow.getByRole('button', { name: 'Make main', exact: true }).click();
    await see(secondRow, 'Main number');
    await expect.poll(async () => (await stored()).filter((n) => n.main).map((n) => n.number)).toEqual(['+31850609005']);
    expect(await firstRow.getByRole('button', { name: 'Make main', exact: true }).count()).toBe(1);

    await confirm(secondRow, 'Delete', 'Yes, delete');
    await see(numbers.getByRole('alert'), 'mark another number main');
    expect(await stored()).toHaveLength(2);

    await firstRow.getByLabel('Direct number of (for +31850609000)', { exact: true }).selectOption({ label: 'Bob (501)' });
    await expect.poll(async () => (await stored()).find((n) => n.id === first!.id)?.userId).toBe(BOB);
    await see(users.getByTestId(`user-${BOB}`), '+31850609000');
    await screenshot(page, 'settings-numbers');
  });
});
