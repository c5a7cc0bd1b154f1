// Contract: portal accounts (unique e-mail, per-organization listing, gone with their organization)
// and their sessions (found while live, extended, signed out, swept when run out).
import { describe, expect, it } from 'vitest';
import { newId } from '../../ids.ts';
import type { Account } from '../../tenancy/account.ts';
import type { ContractContext } from './index.ts';
import { DAY, HOUR, T0, createTenant, expectAppError } from './fixtures.ts';

function makeAccount(overrides: Partial<Account> = {}): Account {
  return { id: newId('acct'), email: `${newId('acct').toLowerCase()}@example.com`, name: 'Ada', role: 'operator', orgId: null, createdAt: T0, ...overrides };
}

export function accountsContract(ctx: ContractContext): void {
  describe('accounts', () => {
    it('creates accounts, finds them by e-mail with their password hash, and refuses a second account with the same e-mail', async () => {
      const { accounts } = ctx.store;
      const operator = await accounts.create(makeAccount({ email: 'ops@example.com' }), 'scrypt$hash-1');
      expect(await accounts.get(operator.id)).toEqual(operator);
      expect(await accounts.findByEmail('ops@example.com')).toEqual({ account: operator, passwordHash: 'scrypt$hash-1' });
      expect(await accounts.findByEmail('nobody@example.com')).toBeNull();
      const conflict = await expectAppError(accounts.create(makeAccount({ email: 'ops@example.com' }), 'x'), 'CONFLICT');
      expect(conflict.field).toBe('email');
      expect(await accounts.countOperators()).toBe(1);
    });

    it("lists all accounts or one organization's, by id in pages; an organization's admins go with it", async () => {
      const { store } = ctx;
      const a = await createTenant(store);
      const b = await createTenant(store);
      const operator = await store.accounts.create(makeAccount(), 'h');
      const adminA1 = await store.accounts.create(makeAccount({ role: 'admin', orgId: a.org.id }), 'h');
      const adminA2 = await store.accounts.create(makeAccount({ role: 'admin', orgId: a.org.id }), 'h');
      const adminB = await store.accounts.create(makeAccount({ role: 'admin', orgId: b.org.id }), 'h');
      expect((await store.accounts.list({ limit: 10 })).data.map((x) => x.id)).toEqual([operator.id, adminA1.id, adminA2.id, adminB.id]);
      const first = await store.accounts.list({ limit: 1, orgId: a.org.id });
      expect(first.data.map((x) => x.id)).toEqual([adminA1.id]);
      const second = await store.accounts.list({ limit: 1, orgId: a.org.id, after: first.nextCursor! });
      expect(second).toEqual({ data: [adminA2], nextCursor: null });
      expect(await store.accounts.countOperators()).toBe(1);

      expect(await store.orgs.delete(a.org.id)).not.toBeNull();
      expect(await store.accounts.get(adminA1.id)).toBeNull();
      expect((await store.accounts.list({ limit: 10 })).data.map((x) => x.id)).toEqual([operator.id, adminB.id]);
    });

    it('finds a session until it runs out, extends it, signs it out, and forgets it with its account', async () => {
      const { accounts } = ctx.store;
      const account = await accounts.create(makeAccount(), 'h');
      await accounts.createSession('hash-1', { accountId: account.id, createdAt: T0, expiresAt: T0 + HOUR });
      await accounts.createSession('hash-2', { accountId: account.id, createdAt: T0, expiresAt: T0 + HOUR });
      expect(await accounts.findSession('hash-1', T0 + HOUR - 1)).toEqual({ account, session: { accountId: account.id, createdAt: T0, expiresAt: T0 + HOUR } });
      expect(await accounts.findSession('hash-1', T0 + HOUR)).toBeNull();
      expect(await accounts.findSession('unknown', T0)).toBeNull();

      await accounts.extendSession('hash-1', T0 + DAY);
      expect((await accounts.findSession('hash-1', T0 + 2 * HOUR))?.session.expiresAt).toBe(T0 + DAY);
      await accounts.deleteSession('hash-1');
      expect(await accounts.findSession('hash-1', T0)).toBeNull();

      expect(await accounts.deleteExpiredSessions(T0 + HOUR)).toBe(1); // hash-2

      // A new password ends the other sessions, keeps the one it was changed in.
      await accounts.createSession('hash-4', { accountId: account.id, createdAt: T0, expiresAt: T0 + DAY });
      await accounts.createSession('hash-5', { accountId: account.id, createdAt: T0, expiresAt: T0 + DAY });
      expect(await accounts.setPassword(account.id, 'h2', 'hash-4')).toBe(true);
      expect((await accounts.findByEmail(account.email))?.passwordHash).toBe('h2');
      expect(await accounts.findSession('hash-4', T0)).not.toBeNull();
      expect(await accounts.findSession('hash-5', T0)).toBeNull();
      expect(await accounts.setPassword(account.id, 'h3', null)).toBe(true);
      expect(await accounts.findSession('hash-4', T0)).toBeNull();
      expect(await accounts.setPassword('acct_unknown', 'h', null)).toBe(false);
      await accounts.createSession('hash-3', { accountId: account.id, createdAt: T0, expiresAt: T0 + DAY });
      expect(await accounts.delete(account.id)).toBe(true);
      expect(await accounts.findSession('hash-3', T0)).toBeNull();
      expect(await accounts.delete(account.id)).toBe(false);
    });
  });
}
