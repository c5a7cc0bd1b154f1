// Contract: nothing of another organization changes, whatever is sent. Every mutating method of the
// port that takes an organization id is called with organization A's id and organization B's ids
// (webhooks, deliveries, users, …); B's rows — all of them, read straight from the database — must
// be exactly as before. The table below names every method of the port (the compiler and a run-time
// check both insist), so a new method cannot slip in without saying how it is kept to its tenant.
import { describe, expect, it } from 'vitest';
import { newWebhook } from '../../delivery/webhook-settings.ts';
import type { Webhook } from '../../delivery/webhook.ts';
import { AppError } from '../../errors.ts';
import { newId } from '../../ids.ts';
import type { Account } from '../../tenancy/account.ts';
import type { ApiKey, Connection, DirectoryUser, PhoneNumber } from '../../tenancy/org.ts';
import type { Store } from '../store.ts';
import type { ContractContext } from './index.ts';
import {
  HOUR, LEASE_MS, T0, type Tenant, answered, createTenant, ended, createWebhook, disableAndNotify, giveUp, ingest, ingestInput, makeConnection,
  makeOrg, record, retryAt, started,
} from './fixtures.ts';

/** Organization A (the caller) and organization B (whose rows must not change), each with something of every kind. */
interface World {
  store: Store;
  a: Tenant & { webhook: Webhook };
  b: Tenant & {
    hep: Connection;
    apiKey: ApiKey;
    keyHash: string;
    admin: Account;
    user: DirectoryUser;
    number: PhoneNumber;
    webhook: Webhook;
    disabledWebhook: Webhook;
    deliveryIds: string[];
    callId: string;
  };
}

type Entry =
  /** Changes nothing. */
  | { reads: true }
  /** Takes no organization id: its callers find the row by the caller's organization first, or it is instance housekeeping. */
  | { notOrgScoped: string }
  /** Calls with A's organization id and B's ids; each may fail, none may change B. */
  | { attacks: Array<(world: World) => Promise<unknown>> };

type SubStore = { [K in keyof Store]: Store[K] extends (...args: never[]) => unknown ? never : Store[K] extends object ? K : never }[keyof Store];
type MethodName = { [K in SubStore]: `${K}.${Extract<keyof Store[K], string>}` }[SubStore];

const reads = { reads: true } as const;
const LATER = T0 + HOUR;
const apiKey = (orgId: string, id = newId('key')): ApiKey => ({ id, orgId, name: 'CRM', prefix: 'chk_abcd', createdAt: T0, lastUsedAt: null });
const account = (orgId: string, overrides: Partial<Account> = {}): Account => ({
  id: newId('acct'), email: `${newId('acct').toLowerCase()}@example.com`, name: 'Ada', role: 'admin', orgId, createdAt: T0, ...overrides,
});

const METHODS: Record<MethodName, Entry> = {
  'orgs.create': {
    attacks: [
      ({ store, b }) => store.orgs.create(makeOrg({ id: b.org.id, domain: 'taken-over.example' })),
      ({ store, b }) => store.orgs.create(makeOrg({ domain: b.org.domain })),
    ],
  },
  'orgs.get': reads,
  'orgs.list': reads,
  'orgs.update': {
    attacks: [
      ({ store, a, b }) => store.orgs.update(a.org.id, { domain: b.org.domain }, LATER),
      // Its plan lost webhooks: A's deliveries are held and A's webhooks change, none of B's.
      ({ store, a }) => store.orgs.update(a.org.id, { name: 'Renamed', plan: 'free', notificationEmails: [], defaultCountry: 'BE' }, LATER, () => true),
    ],
  },
  'orgs.delete': { attacks: [({ store, a }) => store.orgs.delete(a.org.id)] },

  'connections.create': {
    attacks: [
      ({ store, a, b }) => store.connections.create(makeConnection(a.org.id, { id: b.connection.id }), 'hash-new'),
      ({ store, a, b }) => store.connections.create(makeConnection(a.org.id), `hash-${b.connection.id}`),
      ({ store, a, b }) => store.connections.create(makeConnection(a.org.id, { hep: b.hep.hep }), 'hash-hep'),
    ],
  },
  'connections.get': reads,
  'connections.list': reads,
  'connections.findByTokenHash': reads,
  'connections.findById': reads,
  'connections.findByCaptureId': reads,
  'connections.update': {
    attacks: [
      ({ store, a, b }) => store.connections.update(a.org.id, b.connection.id, { name: 'Mine now', hep: { captureId: 7, authKey: null } }),
      ({ store, a, b }) => store.connections.update(a.org.id, b.hep.id, { hep: null }),
    ],
  },
  'connections.revoke': { attacks: [({ store, a, b }) => store.connections.revoke(a.org.id, b.connection.id, LATER)] },

  'apiKeys.create': {
    attacks: [
      ({ store, a, b }) => store.apiKeys.create(apiKey(a.org.id, b.apiKey.id), 'key-hash-new'),
      ({ store, a, b }) => store.apiKeys.create(apiKey(a.org.id), b.keyHash),
    ],
  },
  'apiKeys.list': reads,
  'apiKeys.findByHash': reads,
  'apiKeys.revoke': { attacks: [({ store, a, b }) => store.apiKeys.revoke(a.org.id, b.apiKey.id, LATER)] },
  'apiKeys.touch': { notOrgScoped: 'by key id, for the key auth has just found by its hash' },

  'accounts.create': {
    attacks: [
      ({ store, a, b }) => store.accounts.create(account(a.org.id, { id: b.admin.id }), 'hash'),
      ({ store, a, b }) => store.accounts.create(account(a.org.id, { email: b.admin.email }), 'hash'),
    ],
  },
  'accounts.get': reads,
  'accounts.findByEmail': reads,
  'accounts.list': reads,
  'accounts.countOperators': reads,
  'accounts.setPassword': { notOrgScoped: "by account id: the signed-in account's own password, or the operator resetting any account's" },
  'accounts.delete': { notOrgScoped: 'by account id: the operator deletes accounts of any organization' },
  'accounts.createSession': { notOrgScoped: 'for the account that has just signed in' },
  'accounts.findSession': reads,
  'accounts.extendSession': { notOrgScoped: 'by session token hash: the caller’s own session' },
  'accounts.deleteSession': { notOrgScoped: 'by session token hash: the caller’s own session' },
  'accounts.deleteExpiredSessions': { notOrgScoped: 'instance housekeeping by time' },

  'users.create': {
    attacks: [
      ({ store, a, b }) => store.users.create({ ...b.user, orgId: a.org.id }),
    ],
  },
  'users.get': reads,
  'users.list': reads,
  'users.update': { attacks: [({ store, a, b }) => store.users.update(a.org.id, b.user.id, { extension: '999', email: 'mine@a.example', name: 'Mine' })] },
  'users.delete': { attacks: [({ store, a, b }) => store.users.delete(a.org.id, b.user.id)] },
  'users.resolve': reads,

  'numbers.create': {
    attacks: [
      ({ store, a, b }) => store.numbers.create({ ...b.number, orgId: a.org.id }),
      ({ store, a, b }) => store.numbers.create({ ...b.number, id: newId('num'), orgId: a.org.id }),
    ],
  },
  'numbers.list': reads,
  'numbers.get': reads,
  'numbers.forCalls': reads,
  'numbers.update': {
    attacks: [
      ({ store, a, b }) => store.numbers.update(a.org.id, b.number.id, { label: 'Mine', main: true }),
      ({ store, a, b }) => store.numbers.update(a.org.id, b.number.id, { userId: null }),
    ],
  },
  'numbers.delete': { attacks: [({ store, a, b }) => store.numbers.delete(a.org.id, b.number.id)] },

  'webhooks.create': { attacks: [({ store, a, b }) => store.webhooks.create({ ...newWebhook(a.org.id, { url: 'https://a.example/hook' }, LATER), id: b.webhook.id })] },
  'webhooks.get': reads,
  'webhooks.list': reads,
  'webhooks.nextAttemptTimes': reads,
  'webhooks.healthCounts': reads,
  'webhooks.change': {
    attacks: [
      ({ store, a, b }) => store.webhooks.change(a.org.id, b.webhook.id, { settings: { url: 'https://a.example/stolen', events: ['call.ended'], timeoutMs: 100 } }, LATER),
      ({ store, a, b }) => store.webhooks.change(a.org.id, b.webhook.id, { state: { enabled: false, reason: 'not yours' } }, LATER),
      ({ store, a, b }) => store.webhooks.change(a.org.id, b.disabledWebhook.id, { state: { enabled: true } }, LATER),
      ({ store, a, b }) => store.webhooks.change(a.org.id, b.webhook.id, { secret: { secret: 'whsec_c3RvbGVuLXNlY3JldA==', previousExpiresAt: LATER } }, LATER),
    ],
  },
  'webhooks.delete': {
    attacks: [({ store, a, b }) => store.webhooks.delete(a.org.id, b.webhook.id), ({ store, a, b }) => store.webhooks.delete(a.org.id, b.disabledWebhook.id)],
  },

  'calls.applySteps': {
    attacks: [
      // A's steps for the same call id as B's, and steps claiming to come from B's connection.
      ({ store, a, b }) => store.calls.applySteps(ingestInput(a, [started(b.callId, LATER), answered(b.callId, LATER + 1), ended(b.callId, LATER + 2)], { now: LATER })),
      ({ store, a, b }) => store.calls.applySteps(ingestInput({ org: a.org, connection: b.connection }, [started(b.callId, LATER)], { now: LATER })),
      // A recording for B's call id: A has no such call.
      ({ store, a, b }) => store.calls.applySteps(ingestInput(a, [{ type: 'recording', callId: b.callId, url: 'https://pbx.example/b.wav' }], { now: LATER })),
    ],
  },
  'calls.list': reads,
  'calls.get': reads,
  'calls.events': reads,

  'deliveries.get': reads,
  'deliveries.list': reads,
  'deliveries.attempts': reads,
  'deliveries.claimDue': { notOrgScoped: 'a worker claims due work of every organization' },
  'deliveries.recordResults': { notOrgScoped: 'a worker records results of the deliveries it holds leases on' },
  'deliveries.releaseLeases': { notOrgScoped: "a worker lets go of its own leases" },
  'deliveries.renewLeases': { notOrgScoped: 'a worker extends leases it holds (by its owner id)' },
  'health.failed': { notOrgScoped: 'whether the store can write: no rows' },
  'health.probe': { notOrgScoped: 'a write probe of the store itself, no organization rows' },
  'health.problem': { notOrgScoped: 'what the store last failed with: no rows' },
  'deliveries.onDue': reads,
  'deliveries.beginManualAttempt': {
    attacks: eachDeliveryOfB((world, deliveryId) => world.store.deliveries.beginManualAttempt({ orgId: world.a.org.id, deliveryId, owner: 'attacker', leaseMs: LEASE_MS, now: LATER })),
  },
  'deliveries.replay': {
    attacks: [
      ({ store, a, b }) =>
        store.deliveries.replay({ orgId: a.org.id, webhookId: b.disabledWebhook.id, since: 0, statuses: ['failed', 'held'], now: LATER }),
      ({ store, a, b }) => store.deliveries.replay({ orgId: a.org.id, webhookId: b.webhook.id, since: 0, statuses: ['failed', 'held'], now: LATER }),
    ],
  },

  'notifications.claimDue': { notOrgScoped: 'the outbox sends the e-mails of every organization' },
  'notifications.markSent': { notOrgScoped: 'the outbox, for a notification it has claimed' },
  'notifications.markLogged': { notOrgScoped: 'the outbox, for a notification it has claimed' },
  'notifications.markFailed': { notOrgScoped: 'the outbox, for a notification it has claimed' },
  'notifications.list': reads,

  'meta.get': reads,
  'meta.set': { notOrgScoped: 'instance-wide settings' },
  'meta.init': { notOrgScoped: 'instance-wide settings' },
  'recordings.forCall': reads,
  'recordings.byLinkKey': reads,
  'recordings.fetchForCall': reads,
  'recordings.claimFetches': { notOrgScoped: 'work queue: any dispatching process fetches any organization’s recordings' },
  'recordings.fetchFailed': { notOrgScoped: 'by fetch id, for a job this process holds the lease of' },
  'recordings.markPurged': { notOrgScoped: 'instance housekeeping by age' },
  'recordings.unlinkedBlobs': reads,
  'recordings.blobDeleted': { notOrgScoped: 'by recording id, for a recording retention has just purged' },
  'recordings.purgeFetches': { notOrgScoped: 'instance housekeeping by age' },
  'outcomeRules.get': reads,
  'outcomeRules.put': {
    attacks: [({ store, a }) => store.outcomeRules.put(a.org.id, { timeZone: 'UTC', operatingHours: null, voicemailTargets: ['1'], answeringServiceTargets: [], blocklist: [] }, LATER)],
  },
  'sipDialogs.load': reads,
  'sipDialogs.save': { notOrgScoped: 'by the connection a HEP packet came from (its capture id)' },
  'sipDialogs.expired': reads,
  'workers.beat': { notOrgScoped: 'process presence' },
  'workers.leave': { notOrgScoped: 'process presence' },
  'retention.purge': { notOrgScoped: 'instance housekeeping by age' },
  'changes.subscribe': reads,
  'changes.acknowledge': { notOrgScoped: 'a process says it acted on a change' },
  'changes.awaitAcknowledged': reads,
};

/** One attack per delivery of B. */
function eachDeliveryOfB(attack: (world: World, deliveryId: string) => Promise<unknown>): Array<(world: World) => Promise<unknown>> {
  return [0, 1, 2, 3].map((i) => (world: World) => attack(world, world.b.deliveryIds[i % world.b.deliveryIds.length]!));
}

/** A with a webhook and a call; B with one row or more in every table an organization owns. */
async function populate(store: Store): Promise<World> {
  const a = await createTenant(store);
  const aWebhook = await createWebhook(store, a.org.id);
  await ingest(store, a, [started('a-call', T0)]);

  const b = await createTenant(store);
  const hep = await store.connections.create(makeConnection(b.org.id, { name: 'Kamailio', hep: { captureId: 2_001, authKey: 'secret' } }), `hash-hep-${b.org.id}`);
  const keyHash = `key-hash-${b.org.id}`;
  const key = await store.apiKeys.create(apiKey(b.org.id), keyHash);
  const admin = await store.accounts.create(account(b.org.id), 'scrypt$b');
  await store.accounts.createSession(`session-${b.org.id}`, { accountId: admin.id, createdAt: T0, expiresAt: T0 + 24 * HOUR });
  const user = await store.users.create({ orgId: b.org.id, id: 'u-500', extension: '500', email: 'anna@b.example', name: 'Anna', createdAt: T0 });
  const number = await store.numbers.create({ id: newId('num'), orgId: b.org.id, number: '+31850609000', label: 'Sales', userId: user.id, main: true, createdAt: T0 });
  await store.outcomeRules.put(b.org.id, { timeZone: 'Europe/Amsterdam', operatingHours: null, voicemailTargets: ['+31850609999'], answeringServiceTargets: [], blocklist: [] }, T0);
  await store.sipDialogs.save(hep.id, 'sip-call', { phase: 'ringing' }, T0, T0 + HOUR);
  const webhook = await createWebhook(store, b.org.id, { description: 'CRM' });
  const doomed = await createWebhook(store, b.org.id, { retryScheduleS: [] });
  const callId = 'b-call';
  const { plan, fresh } = await ingest(store, b, [started(callId, T0), answered(callId, T0 + 5_000)]);
  // A recording (its bytes too, where the store keeps them) and a fetch job queued for another.
  const recording = {
    id: newId('rec'), orgId: b.org.id, callId, connectionId: b.connection.id, linkKey: `rk_b_${b.org.id}`, contentType: 'audio/wav' as const,
    bytes: 4, durationS: null, sha256: 'ef'.repeat(32), blobKey: `rec_b_${b.org.id}`, createdAt: T0, purgedAt: null,
  };
  await store.recordingBlobs?.put({ orgId: b.org.id, key: recording.blobKey, source: [new Uint8Array([1, 2, 3, 4])] as unknown as AsyncIterable<Uint8Array> });
  await ingest(store, b, [{ type: 'recording-stored', callId, at: T0, source: { kind: 'push' }, recording: { url: 'https://callhook.example/r', contentType: 'audio/wav', bytes: 4, durationS: null, sha256: recording.sha256 } }], { recording });
  await ingest(store, b, [started('b-fetched', T0), { type: 'recording', callId: 'b-fetched', url: 'https://pbx.b.example/1.wav' }]);
  // One delivery waits for an hourly retry (an attempt logged); the other webhook gives up, is
  // disabled and owes an e-mail (a notification), its successor held.
  await record(store, fresh.map((job) => (job.webhookId === webhook.id ? retryAt(job, T0, T0 + HOUR) : giveUp(job, T0))), T0, { onExhausted: disableAndNotify() });
  const disabledWebhook = (await store.webhooks.get(b.org.id, doomed.id))!;
  expect(disabledWebhook.enabled).toBe(false);
  return {
    store,
    a: { ...a, webhook: aWebhook },
    b: { ...b, hep, apiKey: key, keyHash, admin, user, number, webhook, disabledWebhook, deliveryIds: plan.deliveries.map((d) => d.id), callId },
  };
}

/**
 * Parts of the port that are no table of methods by organization, and why: a recording's bytes are
 * keyed by the recording's id (made by callhook, never by a caller) and reached only through the
 * recordings row of its organization (recordings.forCall, recordings.byLinkKey); the RecordingStore
 * contract (contract/recording-blobs.ts) holds them to that.
 */
const NOT_ORG_TABLES = new Set<string>(['recordingBlobs']);

/** The implementation's methods, by the same names as the table's. */
function methodsOf(store: Store): string[] {
  return Object.entries(store)
    .filter(([name, value]) => typeof value === 'object' && value !== null && !NOT_ORG_TABLES.has(name))
    .flatMap(([name, sub]) => Object.keys(sub as object).filter((key) => typeof (sub as Record<string, unknown>)[key] === 'function').map((key) => `${name}.${key}`))
    .sort();
}

/** A refusal (typed, or the database's own constraint) is fine; a crash in the test is not. */
function expectRefusal(error: unknown): void {
  const fromDatabase = typeof (error as { code?: unknown }).code === 'string';
  expect(error instanceof AppError || fromDatabase, `unexpected failure: ${String(error)}`).toBe(true);
}

export function isolationContract(ctx: ContractContext): void {
  describe('isolation between organizations', () => {
    it('classifies every method of the port: reads, not organization-scoped, or attacked below', () => {
      expect(methodsOf(ctx.store)).toEqual(Object.keys(METHODS).sort());
    });

    it("fills every table of an organization's rows for B, so every comparison below means something", async () => {
      const world = await populate(ctx.store);
      const rows = await ctx.orgRows(world.b.org.id);
      const empty = Object.entries(rows).filter(([, list]) => list.length === 0).map(([table]) => table);
      expect(empty, 'tables with no row of B: populate() in contract/isolation.ts must give B one').toEqual([]);
      expect(Object.keys(rows).length).toBeGreaterThanOrEqual(15);
    });

    const attacked = Object.entries(METHODS).flatMap(([name, entry]) => ('attacks' in entry ? [[name, entry.attacks] as const] : []));
    for (const [name, attacks] of attacked) {
      it(`${name} with A's organization id and B's ids changes no row of B`, async () => {
        const world = await populate(ctx.store);
        const before = await ctx.orgRows(world.b.org.id);
        for (const attack of attacks) {
          await attack(world).then(() => undefined, expectRefusal);
        }
        expect(await ctx.orgRows(world.b.org.id)).toEqual(before);
      });
    }
  });
}
