// Which way a SIP call goes, against a real SQLite directory: every case of the rule, and the
// organization's numbers in the forms a PBX writes them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/helpers/fake-clock.ts';
import { makeOrg } from '../../store/contract/fixtures.ts';
import { openSqliteStore } from '../../store/sqlite/index.ts';
import type { Store } from '../../store/store.ts';
import type { Org } from '../../tenancy/org.ts';
import { type OrgNumbers, directionOf, orgNumbers } from './call-direction.ts';

describe('call direction from the organization’s directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callhook-direction-'));
  let store: Store;
  let org: Org;
  let numbers: OrgNumbers;
  const clock = new FakeClock();

  beforeAll(async () => {
    store = openSqliteStore(join(dir, 'callhook.db'));
    org = await store.orgs.create(makeOrg({ defaultCountry: 'NL' }));
    for (const [id, extension] of [['u-500', '500'], ['u-501', '501']]) {
      await store.users.create({ orgId: org.id, id: id!, extension: extension!, email: null, name: null, createdAt: clock.now() });
    }
    await store.numbers.create({ id: 'num_main', orgId: org.id, number: '+31850609100', label: 'Main', userId: null, main: true, createdAt: clock.now() });
    await store.numbers.create({ id: 'num_direct', orgId: org.id, number: '+31850609101', label: 'Direct', userId: 'u-501', main: false, createdAt: clock.now() });
    numbers = orgNumbers(store, clock);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['an extension dials out', '500', '+31612345678', 'outbound', '500'],
    ['an extension calls another', '500', '501', 'outbound', '500'],
    ['a caller rings an extension', '+31612345678', '501', 'inbound', '501'],
    ['a caller dials one of the organization’s numbers', '+31612345678', '+31850609100', 'inbound', null],
    ['the PBX sends a call out from the organization’s number', '+31850609100', '+31612345678', 'outbound', null],
    ['… written without the +', '31850609100', '+31612345678', 'outbound', null],
    ['… written nationally (the organization is in NL)', '0850609100', '0612345678', 'outbound', null],
    ['the organization’s number rings an extension (a forwarded call): the extension’s', '+31850609100', '500', 'inbound', '500'],
    ['a user\u2019s direct number sends a call out: that user', '+31850609101', '+31612345678', 'outbound', 'u-501'],
    ['a caller dials a user\u2019s direct number: that user', '+31612345678', '+31850609101', 'inbound', 'u-501'],
    ['nobody the organization knows', '+31612345678', '+31201234567', 'inbound', null],
    ['a withheld caller', null, '+31850609100', 'inbound', null],
  ])('%s', async (_, caller, callee, direction, user) => {
    expect(await directionOf(store, numbers, org, caller, callee)).toEqual({ direction, user });
  });

  it('reads the numbers once for a few seconds, and sees a new one after that', async () => {
    expect(await numbers.find(org, '+31850609200')).toBeNull();
    await store.numbers.create({ id: 'num_sales', orgId: org.id, number: '+31850609200', label: 'Sales', userId: null, main: false, createdAt: clock.now() });
    expect(await numbers.find(org, '+31850609200')).toBeNull(); // still the numbers read a moment ago
    clock.advance(5_000);
    expect((await numbers.find(org, '+31850609200'))?.id).toBe('num_sales');
  });
});
