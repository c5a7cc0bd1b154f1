// Contract: recordings' rows and fetch jobs (store.recordings), written through the ingest
// transaction — a recording step queues a fetch and promises an event; a stored recording joins
// its call with its row in the same commit; retention never purges what an owed delivery links to.
import { describe, expect, it } from 'vitest';
import type { CallStep } from '../../calls/steps.ts';
import { newId } from '../../ids.ts';
import type { Recording } from '../../recordings/recording.ts';
import type { ContractContext } from './index.ts';
import {
  DAY, HOUR, MINUTE, OTHER, OWNER, T0, type Tenant, claim, createTenant, createWebhook, ended, expectAppError, ingest, ingestInput, only, record, started,
  success,
} from './fixtures.ts';

function recordingRow(tenant: Tenant, callId: string, overrides: Partial<Recording> = {}): Recording {
  const id = newId('rec');
  return {
    id, orgId: tenant.org.id, callId, connectionId: tenant.connection.id, linkKey: `rk_${id}`, contentType: 'audio/wav', bytes: 48_044,
    durationS: 3, sha256: 'ab'.repeat(32), blobKey: id, createdAt: T0, purgedAt: null, ...overrides,
  };
}

const stored = (callId: string, row: Recording, source: Extract<CallStep, { type: 'recording-stored' }>['source'] = { kind: 'push' }): CallStep => ({
  type: 'recording-stored', callId, at: T0 + HOUR, source,
  recording: { url: `https://callhook.example/v1/recordings/${row.linkKey}?expires=1&signature=x`, contentType: row.contentType, bytes: row.bytes, durationS: row.durationS, sha256: row.sha256 },
});

export function recordingsContract(ctx: ContractContext): void {
  describe('recordings', () => {
    it('a recording step queues a fetch and promises its event; completing the fetch writes the row and sends the event once', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id, { events: ['call.recording'] });
      await ingest(store, tenant, [started('c1', T0), ended('c1', T0 + MINUTE)]);
      const { plan } = await ingest(store, tenant, [{ type: 'recording', callId: 'c1', url: 'https://pbx.example/c1.wav', subject: 'Sales' }], { now: T0 + 2 * MINUTE });
      const promised = only(plan.results);
      expect(promised.status).toBe('fetching');
      expect(plan.events).toEqual([]);
      expect(plan.deliveries).toEqual([]);
      // The same step again is a repeat of it, with the same promise.
      expect(only((await ingest(store, tenant, [{ type: 'recording', callId: 'c1', url: 'https://pbx.example/c1.wav', subject: 'Sales' }])).plan.results)).toMatchObject({ status: 'duplicate', eventId: promised.eventId });
      await expectAppError(store.calls.applySteps(ingestInput(tenant, [{ type: 'recording', callId: 'c1', url: 'https://pbx.example/other.wav' }])).then((r) => {
        if (r.plan.kind === 'rejected') throw r.plan.error;
      }), 'CALL_STATE_CONFLICT');

      const job = only(await store.recordings.claimFetches({ owner: OWNER, now: T0 + 2 * MINUTE, leaseMs: MINUTE, limit: 10 }));
      expect(job).toMatchObject({ orgId: tenant.org.id, connectionId: tenant.connection.id, callId: 'c1', url: 'https://pbx.example/c1.wav', eventId: promised.eventId, status: 'pending', subject: 'Sales', at: T0 + 2 * MINUTE });
      expect(await store.recordings.claimFetches({ owner: OTHER, now: T0 + 2 * MINUTE, leaseMs: MINUTE, limit: 10 })).toEqual([]);
      expect((await store.recordings.fetchForCall(tenant.org.id, 'c1'))?.id).toBe(job.id);

      const row = recordingRow(tenant, 'c1');
      const done = await ingest(store, tenant, [stored('c1', row, { kind: 'fetch', eventId: job.eventId })], { recording: row, completesFetch: job.id, now: T0 + 3 * MINUTE });
      const event = only(done.plan.events);
      expect(event).toMatchObject({ id: promised.eventId, type: 'call.recording' });
      expect(only(done.plan.deliveries).eventId).toBe(promised.eventId);
      expect(await store.recordings.forCall(tenant.org.id, 'c1')).toEqual(row);
      expect(await store.recordings.byLinkKey(row.linkKey)).toEqual(row);
      expect((await store.calls.get(tenant.org.id, 'c1'))!.call.recording?.sha256).toBe(row.sha256);
      expect(await store.recordings.fetchForCall(tenant.org.id, 'c1')).toMatchObject({ status: 'done', attempts: 1 });
      expect(await store.recordings.claimFetches({ owner: OTHER, now: T0 + DAY, leaseMs: MINUTE, limit: 10 })).toEqual([]);

      // A second completion (a crash after the commit, the job fetched again) is a repeat: no second event, no second row.
      const again = recordingRow(tenant, 'c1');
      const repeat = await ingest(store, tenant, [stored('c1', again, { kind: 'fetch', eventId: job.eventId })], { recording: again, now: T0 + 4 * MINUTE });
      expect(only(repeat.plan.results).status).toBe('duplicate');
      expect(repeat.plan.events).toEqual([]);
      expect(await store.recordings.byLinkKey(again.linkKey)).toBeNull();
    });

    it('a failed attempt is retried later or fails for good, only by the lease holder', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await ingest(store, tenant, [started('c1', T0), { type: 'recording', callId: 'c1', url: 'https://pbx.example/c1.wav' }]);
      const job = only(await store.recordings.claimFetches({ owner: OWNER, now: T0, leaseMs: MINUTE, limit: 10 }));
      expect(await store.recordings.fetchFailed({ id: job.id, owner: OTHER, error: 'not mine', nextAttemptAt: T0 + MINUTE, now: T0 })).toBe(false);
      expect(await store.recordings.fetchFailed({ id: job.id, owner: OWNER, error: 'answered 503', nextAttemptAt: T0 + 5 * MINUTE, now: T0 })).toBe(true);
      expect(await store.recordings.claimFetches({ owner: OTHER, now: T0 + 4 * MINUTE, leaseMs: MINUTE, limit: 10 })).toEqual([]);
      const retried = only(await store.recordings.claimFetches({ owner: OTHER, now: T0 + 5 * MINUTE, leaseMs: MINUTE, limit: 10 }));
      expect(retried).toMatchObject({ id: job.id, attempts: 1, lastError: 'answered 503' });
      // A lease that ran out is anyone's.
      const taken = only(await store.recordings.claimFetches({ owner: OWNER, now: T0 + 7 * MINUTE, leaseMs: MINUTE, limit: 10 }));
      expect(await store.recordings.fetchFailed({ id: taken.id, owner: OTHER, error: 'stale', nextAttemptAt: null, now: T0 + 7 * MINUTE })).toBe(false);
      expect(await store.recordings.fetchFailed({ id: taken.id, owner: OWNER, error: 'not audio', nextAttemptAt: null, now: T0 + 7 * MINUTE })).toBe(true);
      expect(await store.recordings.fetchForCall(tenant.org.id, 'c1')).toMatchObject({ status: 'failed', attempts: 2, lastError: 'not audio', nextAttemptAt: null });
      expect(await store.recordings.purgeFetches({ before: T0 + 7 * MINUTE, limit: 10 })).toBe(0);
      expect(await store.recordings.purgeFetches({ before: T0 + DAY, limit: 10 })).toBe(1);
      expect(await store.recordings.fetchForCall(tenant.org.id, 'c1')).toBeNull();
    });

    it('a pushed recording joins its call once; the same file again is a repeat, another one a conflict, nothing of either written', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await ingest(store, tenant, [started('c1', T0)]);
      const row = recordingRow(tenant, 'c1');
      const first = await ingest(store, tenant, [stored('c1', row)], { recording: row });
      expect(only(first.plan.events).type).toBe('call.recording');
      const same = recordingRow(tenant, 'c1');
      expect(only((await ingest(store, tenant, [stored('c1', same)], { recording: same })).plan.results)).toMatchObject({ status: 'duplicate', eventId: only(first.plan.events).id });
      const other = recordingRow(tenant, 'c1', { sha256: 'cd'.repeat(32) });
      const conflict = await store.calls.applySteps(ingestInput(tenant, [stored('c1', other)], { recording: other }));
      expect(conflict.plan.kind).toBe('rejected');
      expect(await store.recordings.byLinkKey(same.linkKey)).toBeNull();
      expect(await store.recordings.byLinkKey(other.linkKey)).toBeNull();
      // A call that never started has no recording.
      const orphan = recordingRow(tenant, 'nope');
      expect((await store.calls.applySteps(ingestInput(tenant, [stored('nope', orphan)], { recording: orphan }))).plan.kind).toBe('rejected');
      expect(await store.recordings.forCall(tenant.org.id, 'nope')).toBeNull();
      // Another organization's call of the same id is not this one.
      const other2 = await createTenant(store);
      expect(await store.recordings.forCall(other2.org.id, 'c1')).toBeNull();
    });

    it('retention purges old recordings in batches, never while a delivery of their call is owed, then their bytes', async () => {
      const { store } = ctx;
      const tenant = await createTenant(store);
      await createWebhook(store, tenant.org.id, { events: ['call.recording'] });
      await ingest(store, tenant, [started('owed', T0), started('done', T0)], { unleased: true });
      const owed = recordingRow(tenant, 'owed');
      const done = recordingRow(tenant, 'done');
      await ingest(store, tenant, [stored('owed', owed)], { recording: owed });
      const delivered = await ingest(store, tenant, [stored('done', done)], { recording: done });
      // The `done` call's deliveries all succeed; the `owed` call's stay pending.
      for (const job of [...(await claim(store, T0 + HOUR)).filter((j) => j.callId === 'done'), ...delivered.fresh]) await record(store, [success(job, T0 + HOUR)], T0 + HOUR, { owner: job.lease.owner });
      for (let i = 0; i < 5 && (await store.deliveries.list(tenant.org.id, { callId: 'done', status: 'pending' }, { limit: 10 })).data.length > 0; i++) {
        for (const job of (await claim(store, T0 + HOUR + i)).filter((j) => j.callId === 'done')) await record(store, [success(job, T0 + HOUR)], T0 + HOUR, { owner: OTHER });
      }
      expect(await store.recordings.markPurged({ before: T0, now: T0 + 30 * DAY, limit: 10 })).toBe(0); // not old enough
      expect(await store.recordings.markPurged({ before: T0 + DAY, now: T0 + 30 * DAY, limit: 10 })).toBe(1);
      expect((await store.recordings.byLinkKey(done.linkKey))!.purgedAt).toBe(T0 + 30 * DAY);
      expect((await store.recordings.byLinkKey(owed.linkKey))!.purgedAt).toBeNull();
      expect(await store.recordings.unlinkedBlobs(10)).toEqual([{ id: done.id, orgId: tenant.org.id, blobKey: done.blobKey }]);
      await store.recordings.blobDeleted(done.id);
      expect(await store.recordings.unlinkedBlobs(10)).toEqual([]);
      expect(await store.recordings.byLinkKey(done.linkKey)).toMatchObject({ blobKey: null, purgedAt: T0 + 30 * DAY });
    });
  });

  describe('meta.init', () => {
    it('keeps the first value set; later inits answer it', async () => {
      const { meta } = ctx.store;
      expect(await meta.init('secret', 'first')).toBe('first');
      expect(await meta.init('secret', 'second')).toBe('first');
      expect(await meta.get('secret')).toBe('first');
    });
  });
}
