// Contract: organizations and what they own (connections, API keys, directory users, numbers).
import { describe, expect, it } from 'vitest';
import type { CallUser } from '../../calls/call.ts';
import { newId } from '../../ids.ts';
import type { ApiKey, DirectoryUser, PhoneNumber } from '../../tenancy/org.ts';
import type { ContractContext } from './index.ts';
import {
  HOUR, T0, allPages, createTenant, createWebhook, disableAndNotify, expectAppError, giveUp, ids, ingest, makeConnection, makeOrg,
  only, record, started,
} from './fixtures.ts';

const user = (orgId: string, id: string, extension: string | null, email: string | null): DirectoryUser => ({
  orgId, id, extension, email, name: `User ${id}`, createdAt: T0,
});
const apiKey = (orgId: string): ApiKey => ({ id: newId('key'), orgId, name: 'CRM', prefix: 'chk_abcd', createdAt: T0, lastUsedAt: null });
const phoneNumber = (orgId: string, number: string, more: Partial<PhoneNumber> = {}): PhoneNumber => ({
  id: newId('num'), orgId, number, label: 'Sales', userId: null, main: false, createdAt: T0, ...more,
});

export function tenancyContract(ctx: ContractContext): void {
  describe('organizations', () => {
    it('creates, gets and lists organizations in id order across pages', async () => {
      const created = [];
      for (let i = 0; i < 5; i++) created.push(await ctx.store.orgs.create(makeOrg({ name: `Org ${i}` })));
      expect(await ctx.store.orgs.get(created[2]!.id)).toEqual(created[2]);
      expect(await ctx.store.orgs.get('org_missing')).toBeNull();

      const pages = await allPages((after) => ctx.store.orgs.list({ limit: 2, after }));
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(pages.flat()).toEqual([...created].sort((a, b) => (a.id < b.id ? -1 : 1)));
    });

    it('updates the given fields only, and answers null for an unknown organization', async () => {
      const org = await ctx.store.orgs.create(makeOrg());
      const updated = await ctx.store.orgs.update(org.id, { name: 'Acme BV', notificationEmails: ['a@acme.example', 'b@acme.example'] }, T0 + HOUR);
      const expected = { ...org, name: 'Acme BV', notificationEmails: ['a@acme.example', 'b@acme.example'], updatedAt: T0 + HOUR };
      expect(updated).toEqual({ org: expected, change: null });
      expect(await ctx.store.orgs.get(org.id)).toEqual(expected);
      expect(await ctx.store.orgs.update('org_missing', { name: 'x' }, T0)).toBeNull();
    });

    it('treats a patch key set to undefined as not given', async () => {
      const org = await ctx.store.orgs.create(makeOrg());
      const updated = await ctx.store.orgs.update(org.id, { name: undefined, plan: 'enterprise' }, T0 + HOUR);
      expect(updated?.org).toEqual({ ...org, plan: 'enterprise', updatedAt: T0 + HOUR });
      expect(await ctx.store.orgs.get(org.id)).toEqual({ ...org, plan: 'enterprise', updatedAt: T0 + HOUR });
    });

    it('refuses a taken domain with CONFLICT, on create and on update', async () => {
      const first = await ctx.store.orgs.create(makeOrg({ domain: 'acme' }));
      expect((await expectAppError(ctx.store.orgs.create(makeOrg({ domain: 'acme' })), 'CONFLICT')).field).toBe('domain');
      const second = await ctx.store.orgs.create(makeOrg({ domain: 'other' }));
      expect((await expectAppError(ctx.store.orgs.update(second.id, { domain: 'acme' }, T0 + HOUR), 'CONFLICT')).field).toBe('domain');
      expect(await ctx.store.orgs.get(second.id)).toEqual(second);
      expect(await ctx.store.orgs.get(first.id)).toEqual(first);
    });

    it('deletes an organization with everything it owns, and nothing of another one', async () => {
      const { store } = ctx;
      const doomed = await createTenant(store);
      const kept = await createTenant(store);
      for (const tenant of [doomed, kept]) {
        await store.users.create(user(tenant.org.id, 'u1', '100', 'u1@acme.example'));
        await store.numbers.create(phoneNumber(tenant.org.id, '+31850609000', { userId: 'u1' }));
        await store.apiKeys.create(apiKey(tenant.org.id), `key-hash-${tenant.org.id}`);
      }
      const webhook = await createWebhook(store, doomed.org.id);
      const keptWebhook = await createWebhook(store, kept.org.id);
      const { fresh } = await ingest(store, doomed, [started('call-1', T0)]);
      const job = only(fresh);
      await record(store, [giveUp(job, T0)], T0, { onExhausted: disableAndNotify() }); // an attempt and a notification
      const keptJob = only((await ingest(store, kept, [started('call-1', T0)])).fresh);

      expect(await store.orgs.delete(doomed.org.id)).toMatchObject({ webhookIds: [], orgIds: [doomed.org.id] });
      expect(await store.orgs.delete(doomed.org.id)).toBeNull();

      const orgId = doomed.org.id;
      expect(await store.orgs.get(orgId)).toBeNull();
      expect(await store.webhooks.get(orgId, webhook.id)).toBeNull();
      expect((await store.webhooks.list(orgId, { limit: 10 })).data).toEqual([]);
      expect(await store.deliveries.get(orgId, job.deliveryId)).toBeNull();
      expect((await store.deliveries.list(orgId, {}, { limit: 10 })).data).toEqual([]);
      expect(await store.deliveries.attempts(orgId, job.deliveryId)).toEqual([]);
      expect(await store.calls.get(orgId, 'call-1')).toBeNull();
      expect((await store.calls.list(orgId, {}, { limit: 10 })).data).toEqual([]);
      expect(await store.calls.events(orgId, 'call-1')).toEqual([]);
      expect((await store.connections.list(orgId, { limit: 10 })).data).toEqual([]);
      expect(await store.connections.findByTokenHash(`hash-${doomed.connection.id}`)).toBeNull();
      expect(await store.apiKeys.findByHash(`key-hash-${orgId}`)).toBeNull();
      expect((await store.users.list(orgId, { limit: 10 })).data).toEqual([]);
      expect((await store.numbers.list(orgId, { limit: 10 })).data).toEqual([]);
      expect((await store.notifications.list(orgId, { limit: 10 })).data).toEqual([]);

      expect(await store.webhooks.get(kept.org.id, keptWebhook.id)).not.toBeNull();
      expect(await store.deliveries.get(kept.org.id, keptJob.deliveryId)).not.toBeNull();
      expect(await store.calls.get(kept.org.id, 'call-1')).not.toBeNull();
      expect(await store.users.get(kept.org.id, 'u1')).not.toBeNull();
      expect((await store.numbers.list(kept.org.id, { limit: 10 })).data).toHaveLength(1);
      expect(await store.apiKeys.findByHash(`key-hash-${kept.org.id}`)).not.toBeNull();
    });
  });

  describe('connections', () => {
    it('creates, gets and lists connections of one organization across pages', async () => {
      const { org, connection } = await createTenant(ctx.store);
      const other = await createTenant(ctx.store);
      const more = [];
      for (let i = 0; i < 3; i++) more.push(await ctx.store.connections.create(makeConnection(org.id, { name: `PBX ${i}`, hep: { captureId: 2000 + i, authKey: null } }), `h${i}`));
      expect(await ctx.store.connections.get(org.id, more[1]!.id)).toEqual(more[1]);
      expect(await ctx.store.connections.get(other.org.id, more[1]!.id)).toBeNull();
      const pages = await allPages((after) => ctx.store.connections.list(org.id, { limit: 3, after }));
      expect(pages).toHaveLength(2);
      expect(ids(pages.flat())).toEqual([connection.id, ...ids(more)]);
    });

    it('finds a live connection by token hash with its organization; a revoked one is not found', async () => {
      const { org, connection } = await createTenant(ctx.store);
      expect(await ctx.store.connections.findByTokenHash(`hash-${connection.id}`)).toEqual({ connection, org });
      expect(await ctx.store.connections.findByTokenHash('hash-unknown')).toBeNull();

      expect(await ctx.store.connections.revoke(org.id, connection.id, T0 + HOUR)).toBe(true);
      expect(await ctx.store.connections.revoke(org.id, connection.id, T0 + 2 * HOUR)).toBe(false);
      expect(await ctx.store.connections.findByTokenHash(`hash-${connection.id}`)).toBeNull();
      expect(await ctx.store.connections.get(org.id, connection.id)).toEqual({ ...connection, revokedAt: T0 + HOUR });
    });

    it('finds a live connection by HEP capture id; a capture id belongs to one live connection at a time', async () => {
      const { org } = await createTenant(ctx.store);
      const hep = await ctx.store.connections.create(makeConnection(org.id, { name: 'Kamailio', hep: { captureId: 2001, authKey: 'secret' } }), 'h-hep');
      expect(await ctx.store.connections.findByCaptureId(2001)).toEqual({ connection: hep, org });
      expect(await ctx.store.connections.findByCaptureId(2002)).toBeNull();
      expect(await ctx.store.connections.findById(hep.id)).toEqual({ connection: hep, org });
      expect(await ctx.store.connections.findById('conn_unknown')).toBeNull();
      const other = await createTenant(ctx.store);
      expect((await expectAppError(ctx.store.connections.create(makeConnection(other.org.id, { hep: { captureId: 2001, authKey: null } }), 'h-dup'), 'CONFLICT')).field).toBe('hep.captureId');
      await ctx.store.connections.revoke(org.id, hep.id, T0 + HOUR);
      expect(await ctx.store.connections.findByCaptureId(2001)).toBeNull();
      const reused = await ctx.store.connections.create(makeConnection(other.org.id, { hep: { captureId: 2001, authKey: null } }), 'h-reuse');
      expect((await ctx.store.connections.findByCaptureId(2001))?.connection.id).toBe(reused.id);
    });

    it("changes a live connection's name and HEP settings; not another's capture id, not a revoked connection", async () => {
      const { org, connection } = await createTenant(ctx.store);
      expect((await ctx.store.connections.findByTokenHash(`hash-${connection.id}`))?.connection.name).toBe('PBX'); // looked up (and cached) once
      const renamed = await ctx.store.connections.update(org.id, connection.id, { name: 'Kamailio', hep: { captureId: 3001, authKey: 'k' } });
      expect(renamed).toEqual({ ...connection, name: 'Kamailio', hep: { captureId: 3001, authKey: 'k' } });
      expect((await ctx.store.connections.findByTokenHash(`hash-${connection.id}`))?.connection.name).toBe('Kamailio'); // no stale cached copy
      expect(await ctx.store.connections.get(org.id, connection.id)).toEqual(renamed);
      expect((await ctx.store.connections.findByCaptureId(3001))?.connection.id).toBe(connection.id);
      expect(await ctx.store.connections.update(org.id, connection.id, { hep: null })).toEqual({ ...renamed, hep: null });
      expect(await ctx.store.connections.findByCaptureId(3001)).toBeNull();

      const other = await createTenant(ctx.store);
      await ctx.store.connections.create(makeConnection(other.org.id, { hep: { captureId: 3002, authKey: null } }), 'h-3002');
      expect((await expectAppError(ctx.store.connections.update(org.id, connection.id, { hep: { captureId: 3002, authKey: null } }), 'CONFLICT')).field).toBe('hep.captureId');
      expect((await ctx.store.connections.get(org.id, connection.id))?.hep).toBeNull(); // unchanged
      expect(await ctx.store.connections.update(other.org.id, connection.id, { name: 'x' })).toBeNull();
      await ctx.store.connections.revoke(org.id, connection.id, T0 + HOUR);
      expect(await ctx.store.connections.update(org.id, connection.id, { name: 'x' })).toBeNull();
    });
  });

  describe('SIP dialog states', () => {
    it('keeps, replaces and forgets a dialog state, and lists the expired ones oldest first', async () => {
      const { store } = ctx;
      const { connection } = await createTenant(store);
      expect(await store.sipDialogs.load(connection.id, 'c1')).toBeNull();
      await store.sipDialogs.save(connection.id, 'c1', { phase: 'ringing', seen: ['a'] }, T0, T0 + HOUR);
      await store.sipDialogs.save(connection.id, 'c2', { phase: 'answered' }, T0, T0 + 2 * HOUR);
      await store.sipDialogs.save(connection.id, 'c1', { phase: 'answered', seen: ['a', 'b'] }, T0 + 1, T0 + 3 * HOUR);
      expect(await store.sipDialogs.load(connection.id, 'c1')).toEqual({ phase: 'answered', seen: ['a', 'b'] });
      expect(await store.sipDialogs.expired(T0 + 2 * HOUR, 10)).toEqual([{ connectionId: connection.id, callId: 'c2', state: { phase: 'answered' } }]);
      expect((await store.sipDialogs.expired(T0 + 4 * HOUR, 10)).map((d) => d.callId)).toEqual(['c2', 'c1']);
      await store.sipDialogs.save(connection.id, 'c2', null, T0 + 5, T0 + 5);
      expect(await store.sipDialogs.load(connection.id, 'c2')).toBeNull();
    });
  });

  describe('API keys', () => {
    it('lists keys across pages, finds a live key by hash, touches and revokes it', async () => {
      const { org } = await createTenant(ctx.store);
      const keys = [];
      for (let i = 0; i < 3; i++) keys.push(await ctx.store.apiKeys.create(apiKey(org.id), `key-${i}`));
      const pages = await allPages((after) => ctx.store.apiKeys.list(org.id, { limit: 2, after }));
      expect(pages).toHaveLength(2);
      expect(pages.flat()).toEqual(keys);

      expect(await ctx.store.apiKeys.findByHash('key-1')).toEqual({ key: keys[1], org });
      await ctx.store.apiKeys.touch(keys[1]!.id, T0 + HOUR);
      expect((await ctx.store.apiKeys.findByHash('key-1'))?.key.lastUsedAt).toBe(T0 + HOUR);

      expect(await ctx.store.apiKeys.revoke(org.id, keys[1]!.id, T0 + 2 * HOUR)).toBe(true);
      expect(await ctx.store.apiKeys.revoke(org.id, keys[1]!.id, T0 + 3 * HOUR)).toBe(false);
      expect(await ctx.store.apiKeys.findByHash('key-1')).toBeNull();
      expect(await ctx.store.apiKeys.findByHash('key-0')).not.toBeNull();
      expect(await ctx.store.apiKeys.findByHash('key-unknown')).toBeNull();
    });
  });

  describe('directory users', () => {
    it('creates, gets, lists across pages, updates and deletes users', async () => {
      const { org } = await createTenant(ctx.store);
      const users = [];
      for (const id of ['u1', 'u2', 'u3']) users.push(await ctx.store.users.create(user(org.id, id, `10${id.slice(1)}`, `${id}@acme.example`)));
      expect(await ctx.store.users.get(org.id, 'u2')).toEqual(users[1]);
      const pages = await allPages((after) => ctx.store.users.list(org.id, { limit: 2, after }));
      expect(pages).toHaveLength(2);
      expect(pages.flat()).toEqual(users);

      const updated = await ctx.store.users.update(org.id, 'u2', { extension: '200', email: null });
      expect(updated).toEqual({ ...users[1], extension: '200', email: null });
      expect(await ctx.store.users.get(org.id, 'u2')).toEqual(updated);
      expect(await ctx.store.users.update(org.id, 'missing', { name: 'x' })).toBeNull();

      expect(await ctx.store.users.delete(org.id, 'u2')).toBe(true);
      expect(await ctx.store.users.delete(org.id, 'u2')).toBe(false);
      expect(await ctx.store.users.get(org.id, 'u2')).toBeNull();
    });

    it('treats a patch key set to undefined as not given', async () => {
      const { org } = await createTenant(ctx.store);
      const created = await ctx.store.users.create(user(org.id, 'u1', '100', 'u1@acme.example'));
      const updated = await ctx.store.users.update(org.id, 'u1', { extension: undefined, name: 'Renamed' });
      expect(updated).toEqual({ ...created, name: 'Renamed' });
      expect(await ctx.store.users.get(org.id, 'u1')).toEqual(updated);
    });

    it('refuses a taken id, extension or e-mail (any case) with CONFLICT, within one organization only', async () => {
      const { org } = await createTenant(ctx.store);
      const other = await createTenant(ctx.store);
      await ctx.store.users.create(user(org.id, 'u1', '100', 'Jane.Doe@acme.example'));
      await ctx.store.users.create(user(org.id, 'u2', '101', null));
      await expectAppError(ctx.store.users.create(user(org.id, 'u1', '102', null)), 'CONFLICT');
      await expectAppError(ctx.store.users.create(user(org.id, 'u3', '100', null)), 'CONFLICT');
      await expectAppError(ctx.store.users.create(user(org.id, 'u3', null, 'jane.doe@ACME.example')), 'CONFLICT');
      await expectAppError(ctx.store.users.update(org.id, 'u2', { extension: '100' }), 'CONFLICT');
      await expectAppError(ctx.store.users.update(org.id, 'u2', { email: 'JANE.DOE@acme.example' }), 'CONFLICT');
      expect((await ctx.store.users.get(org.id, 'u2'))?.extension).toBe('101');
      // Users without extension or e-mail do not collide on the missing values.
      await ctx.store.users.create(user(org.id, 'u4', null, null));
      await ctx.store.users.create(user(org.id, 'u5', null, null));
      // Another organization may use the same id, extension and e-mail.
      await ctx.store.users.create(user(other.org.id, 'u1', '100', 'jane.doe@acme.example'));
    });

    it('resolves references by id, extension or e-mail (any case), leaving unknown ones out', async () => {
      const { org } = await createTenant(ctx.store);
      const other = await createTenant(ctx.store);
      await ctx.store.users.create(user(org.id, 'u1', '100', 'Jane.Doe@acme.example'));
      await ctx.store.users.create(user(org.id, 'u2', '101', null));
      await ctx.store.users.create(user(other.org.id, 'u9', '109', 'x@other.example'));
      const resolved = await ctx.store.users.resolve(org.id, ['u1', '101', 'jane.doe@ACME.EXAMPLE', 'nobody', '109', 'u9']);
      const jane: CallUser = { id: 'u1', extension: '100', email: 'Jane.Doe@acme.example', name: 'User u1' };
      expect(resolved).toEqual(
        new Map<string, CallUser>([
          ['u1', jane],
          ['101', { id: 'u2', extension: '101', email: null, name: 'User u2' }],
          ['jane.doe@ACME.EXAMPLE', jane],
        ]),
      );
    });
  });

  describe('numbers', () => {
    it('creates, lists across pages and deletes numbers; a number twice in one organization is a CONFLICT', async () => {
      const { org } = await createTenant(ctx.store);
      const other = await createTenant(ctx.store);
      const numbers = [];
      for (const n of ['+31850609000', '+31850609001', '+31850609002']) numbers.push(await ctx.store.numbers.create(phoneNumber(org.id, n)));
      expect((await expectAppError(ctx.store.numbers.create(phoneNumber(org.id, '+31850609001')), 'CONFLICT')).field).toBe('number');
      await ctx.store.numbers.create(phoneNumber(other.org.id, '+31850609001'));

      const pages = await allPages((after) => ctx.store.numbers.list(org.id, { limit: 2, after }));
      expect(pages).toHaveLength(2);
      expect(pages.flat()).toEqual(numbers);
      expect(await ctx.store.numbers.get(org.id, numbers[1]!.id)).toEqual(numbers[1]);
      expect(await ctx.store.numbers.get(other.org.id, numbers[1]!.id)).toBeNull();

      expect(await ctx.store.numbers.delete(other.org.id, numbers[1]!.id)).toBe(false);
      expect(await ctx.store.numbers.delete(org.id, numbers[1]!.id)).toBe(true);
      expect(ids((await ctx.store.numbers.list(org.id, { limit: 10 })).data)).toEqual(ids([numbers[0]!, numbers[2]!]));
      // Deleting frees the number for the organization again.
      await ctx.store.numbers.create(phoneNumber(org.id, '+31850609001'));
    });

    it('keeps exactly one main number: the first, until another is marked; the main number goes only last', async () => {
      const { org } = await createTenant(ctx.store);
      const mains = async () => (await ctx.store.numbers.list(org.id, { limit: 10 })).data.filter((n) => n.main).map((n) => n.number);
      const first = await ctx.store.numbers.create(phoneNumber(org.id, '+31850609000'));
      expect(first.main).toBe(true);
      const second = await ctx.store.numbers.create(phoneNumber(org.id, '+31850609001'));
      expect(second.main).toBe(false);
      const third = await ctx.store.numbers.create(phoneNumber(org.id, '+31850609002', { main: true }));
      expect(third.main).toBe(true);
      expect(await mains()).toEqual(['+31850609002']);

      expect(await ctx.store.numbers.update(org.id, second.id, { main: true })).toMatchObject({ id: second.id, main: true, label: 'Sales' });
      expect(await mains()).toEqual(['+31850609001']);
      // Concurrent "mark main" requests still leave exactly one.
      await Promise.all([first, third].map((n) => ctx.store.numbers.update(org.id, n.id, { main: true })));
      expect(await mains()).toHaveLength(1);

      const main = (await ctx.store.numbers.list(org.id, { limit: 10 })).data.find((n) => n.main)!;
      expect((await expectAppError(ctx.store.numbers.delete(org.id, main.id), 'CONFLICT')).field).toBe('main');
      for (const n of [first, second, third].filter((n) => n.id !== main.id)) expect(await ctx.store.numbers.delete(org.id, n.id)).toBe(true);
      expect(await ctx.store.numbers.delete(org.id, main.id)).toBe(true);
      // An organization that starts over: its new first number is main again.
      expect((await ctx.store.numbers.create(phoneNumber(org.id, '+31850609003'))).main).toBe(true);
      expect(await ctx.store.numbers.update(org.id, 'num_missing', { main: true })).toBeNull();
    });

    it('assigns a number to a user of the organization, one direct number per user; a deleted user leaves it unassigned', async () => {
      const { org } = await createTenant(ctx.store);
      const other = await createTenant(ctx.store);
      await ctx.store.users.create(user(org.id, 'u1', '100', null));
      await ctx.store.users.create(user(org.id, 'u2', '101', null));
      await ctx.store.users.create(user(other.org.id, 'u9', '100', null));
      const main = await ctx.store.numbers.create(phoneNumber(org.id, '+31850609000'));
      const direct = await ctx.store.numbers.create(phoneNumber(org.id, '+31850609001', { userId: 'u1' }));
      expect(direct).toMatchObject({ userId: 'u1', main: false });

      expect((await expectAppError(ctx.store.numbers.update(org.id, main.id, { userId: 'u1' }), 'CONFLICT')).field).toBe('userId');
      expect((await expectAppError(ctx.store.numbers.update(org.id, main.id, { userId: 'u9' }), 'VALIDATION_FAILED')).field).toBe('userId');
      expect((await expectAppError(ctx.store.numbers.create(phoneNumber(org.id, '+31850609002', { userId: 'nobody' })), 'VALIDATION_FAILED')).field).toBe('userId');
      expect((await ctx.store.numbers.list(org.id, { limit: 10 })).data).toHaveLength(2); // nothing half-applied
      expect(await ctx.store.numbers.get(org.id, main.id)).toEqual(main);

      expect(await ctx.store.numbers.update(org.id, main.id, { userId: 'u2', label: null })).toEqual({ ...main, userId: 'u2', label: null });
      expect(await ctx.store.numbers.update(org.id, direct.id, { label: 'Anna direct' })).toEqual({ ...direct, label: 'Anna direct' });
      expect(await ctx.store.numbers.forCalls(org.id, ['u1', 'u2', 'u3'])).toEqual({
        main: '+31850609000',
        direct: new Map([['u1', '+31850609001'], ['u2', '+31850609000']]),
      });

      expect(await ctx.store.users.delete(org.id, 'u1')).toBe(true);
      expect((await ctx.store.numbers.get(org.id, direct.id))?.userId).toBeNull();
      expect(await ctx.store.numbers.forCalls(org.id, ['u1'])).toEqual({ main: '+31850609000', direct: new Map() });
      expect(await ctx.store.numbers.update(org.id, main.id, { userId: null })).toMatchObject({ userId: null, main: true });
      expect(await ctx.store.numbers.forCalls(other.org.id, ['u9'])).toEqual({ main: null, direct: new Map() });
    });
  });
}
