// Result batches riding ingest transactions (ingest-queue.ts, joined-transaction.ts): a result that
// comes while ingest is queued goes in the ingest's transaction, and the two read as one — the
// rows they write share a transaction id (xmin). Results are written first, so the ingest's new
// deliveries chain behind finished ones as finished. A process rides only while it hears of no
// other dispatching one; two that have not heard of each other yet, each riding the other's chains,
// take their delivery locks in one statement, so they wait for each other, never deadlock (the
// database is told to wait a minute before looking for deadlocks: one would time out here).
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from '../../../test/helpers/postgres.ts';
import {
  MINUTE, OTHER, OWNER, SECOND, T0, type Tenant, answered, createTenant, createWebhook, ended, ingest, ingestInput, only, record, started, success,
} from '../contract/fixtures.ts';
import type { Store } from '../store.ts';
import type { DeliveryJob } from '../../delivery/delivery.ts';
import type { CallStep } from '../../calls/steps.ts';
import { PgDatabase } from './database.ts';
import { postgresStoreOn } from './index.ts';
import { createIngestQueue } from './ingest-queue.ts';

describe.skipIf(!POSTGRES_URL)('result batches riding ingest transactions (PostgreSQL)', () => {
  let database: TestDatabase;
  /** Two processes on one database. */
  let a: Store;
  let b: Store;
  let admin: pg.Client;
  /** A third process's handle, for a queue of the test's own. */
  let db: PgDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${database.name} SET deadlock_timeout = '60s'`);
    const open = () => postgresStoreOn(new PgDatabase({ url: database.url, poolSize: 6, connectTimeoutMs: 5_000, queryTimeoutMs: 8_000 }));
    a = open();
    b = open();
    db = new PgDatabase({ url: database.url, poolSize: 4, connectTimeoutMs: 5_000, queryTimeoutMs: 8_000 });
  });

  afterAll(async () => {
    await admin?.end();
    await a?.close();
    await b?.close();
    await db?.close();
    await database?.drop();
  });

  beforeEach(async () => {
    await database.reset();
  });

  /** A heartbeat (delivery/presence.ts) at `now`: answers the dispatching processes heard of, as the store now counts them. */
  const beat = (store: Store, owner: string, now: number) => store.workers.beat({ owner, dispatches: true, now, staleAfterMs: 15 * SECOND });

  /** An organization with a webhook, and the first delivery of its call c1, handed out (to OWNER). */
  async function firstOfCall(store: Store) {
    const tenant = await createTenant(store);
    await createWebhook(store, tenant.org.id);
    return { tenant, first: only((await ingest(store, tenant, [started('c1', T0)])).fresh) };
  }

  /** The call's next step and a delivery's success asked in one turn: the step is queued when the result comes. */
  const stepWithResult = (store: Store, tenant: Tenant, step: (callId: string, at: number) => CallStep, job: DeliveryJob, at: number) =>
    Promise.all([ingest(store, tenant, [step(job.callId, at)], { now: at }), record(store, [success(job, at)], at)]);

  /** Each row's writing transaction. */
  async function writers(table: 'deliveries' | 'attempts' | 'events', column: 'id' | 'delivery_id', ids: string[]): Promise<Map<string, string>> {
    const rows = (await admin.query(`SELECT ${column} AS id, xmin::text AS xid FROM ${table} WHERE ${column} = ANY($1)`, [ids])).rows;
    return new Map(rows.map((row) => [String(row.id), String(row.xid)]));
  }

  it('writes a result that comes while ingest is queued in the ingest transaction, results first', async () => {
    expect(await beat(a, OWNER, T0)).toBe(1);
    const { tenant, first } = await firstOfCall(a);

    // Asked in one turn: the ingest is queued when the result comes, so the result rides it.
    const [next, out] = await stepWithResult(a, tenant, answered, first, T0 + SECOND);

    expect(out.promoted).toEqual([]);
    // The result's write went first: the next step chained behind a finished delivery, so it is due and leased now.
    const fresh = only(next.fresh);
    expect(fresh).toMatchObject({ eventType: 'call.answered', lease: { owner: OWNER } });
    expect(await a.deliveries.get(tenant.org.id, first.deliveryId)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(await a.deliveries.get(tenant.org.id, fresh.deliveryId)).toMatchObject({ status: 'pending' });
    const deliveries = await writers('deliveries', 'id', [first.deliveryId, fresh.deliveryId]);
    const attempts = await writers('attempts', 'delivery_id', [first.deliveryId]);
    expect(deliveries.get(first.deliveryId)).toBe(deliveries.get(fresh.deliveryId));
    expect(attempts.get(first.deliveryId)).toBe(deliveries.get(fresh.deliveryId));
  });

  it('releases what waits behind a finished delivery while the ingest it rides chains behind the released one', async () => {
    expect(await beat(a, OWNER, T0)).toBe(1);
    const { tenant, first } = await firstOfCall(a);
    const second = (await ingest(a, tenant, [answered('c1', T0 + SECOND)], { now: T0 + SECOND })).plan.deliveries[0]!;
    expect(await a.deliveries.get(tenant.org.id, second.id)).toMatchObject({ status: 'waiting' });

    const [third, out] = await stepWithResult(a, tenant, ended, first, T0 + 2 * SECOND);

    const promoted = only(out.promoted);
    expect(promoted).toMatchObject({ deliveryId: second.id, lease: { owner: OWNER } });
    // Behind the released one, which is open again: the last step waits for it.
    expect(third.fresh).toEqual([]);
    const last = third.plan.deliveries[0]!;
    expect(await a.deliveries.get(tenant.org.id, second.id)).toMatchObject({ status: 'pending' });
    expect(await a.deliveries.get(tenant.org.id, last.id)).toMatchObject({ status: 'waiting' });
    const deliveries = await writers('deliveries', 'id', [first.deliveryId, second.id, last.id]);
    expect(new Set(deliveries.values()).size).toBe(1);

    // And the chain goes on: the released one's success releases the last.
    const end = await record(a, [success(promoted, T0 + 3 * SECOND)], T0 + 3 * SECOND);
    expect(only(end.promoted)).toMatchObject({ deliveryId: last.id });
  });

  it('never deadlocks two processes whose ingests chain behind the deliveries the other records', async () => {
    // Neither has heard of the other yet (b's first heartbeat comes a minute on, when a's is stale): both ride.
    expect(await beat(a, OWNER, T0)).toBe(1);
    expect(await beat(b, OTHER, T0 + MINUTE)).toBe(1);
    const tenant = await createTenant(a);
    await createWebhook(a, tenant.org.id);
    // A success each process wrote a moment ago: neither writes (nor locks) the webhook's row again
    // within the second, so nothing but the deliveries orders the two transactions below.
    for (const [store, owner] of [[a, OWNER], [b, OTHER]] as const) {
      const job = only((await ingest(store, tenant, [started(`warm-${owner}`, T0)], { owner })).fresh);
      await record(store, [success(job, T0)], T0, { owner });
    }
    // Process a holds the deliveries of calls a0…, b those of b0…. Each then ingests the next step
    // of the other's calls while recording its own: the ingest rides with the result, and chains
    // behind the deliveries the other process is recording.
    const n = 12;
    const mine = await Promise.all(Array.from({ length: n }, async (_, i) => only((await ingest(a, tenant, [started(`a${i}`, T0)], { owner: OWNER })).fresh)));
    const theirs = await Promise.all(Array.from({ length: n }, async (_, i) => only((await ingest(b, tenant, [started(`b${i}`, T0)], { owner: OTHER })).fresh)));

    const now = T0 + SECOND / 2;
    const crossing = (store: Store, jobs: DeliveryJob[], otherCalls: string, owner: string) =>
      Promise.all([
        ...jobs.map((_, i) => ingest(store, tenant, [answered(`${otherCalls}${i}`, now)], { now, owner })),
        record(store, jobs.map((job) => success(job, now)), now, { owner }),
      ]);
    const [intoB, intoA] = await Promise.all([crossing(a, mine, 'b', OWNER), crossing(b, theirs, 'a', OTHER)]);

    // Both rode: each process's attempts share a transaction with its ingest of the other's calls
    // (their events: the new deliveries may have been written again since, released).
    for (const [jobs, ingested] of [[mine, intoB], [theirs, intoA]] as const) {
      const recorded = new Set((await writers('attempts', 'delivery_id', jobs.map((job) => job.deliveryId))).values());
      const made = await writers('events', 'id', ingested.flatMap((result) => ('plan' in result ? result.plan.events.map((e) => e.id) : [])));
      expect([...made.values()].filter((xid) => recorded.has(xid))).not.toEqual([]);
    }
    for (const job of [...mine, ...theirs]) expect(await a.deliveries.get(tenant.org.id, job.deliveryId)).toMatchObject({ status: 'succeeded' });
    // Each next step found the delivery it chains behind still open (and waited, then was released)
    // or finished (due at once): every one is due now.
    const next = [...intoB, ...intoA].flatMap((result) => ('plan' in result ? result.plan.deliveries : []));
    expect(next).toHaveLength(2 * n);
    for (const delivery of next) expect(await a.deliveries.get(tenant.org.id, delivery.id)).toMatchObject({ status: 'pending' });
  });

  it('records alone while another dispatching process shares the store, or while this one does not dispatch', async () => {
    expect(await beat(a, OWNER, T0)).toBe(1);
    expect(await beat(b, OTHER, T0 + SECOND)).toBe(2);
    expect(await beat(a, OWNER, T0 + SECOND)).toBe(2);
    const { tenant, first } = await firstOfCall(a);

    const [next, out] = await stepWithResult(a, tenant, answered, first, T0 + SECOND);

    const written = await writers('deliveries', 'id', [first.deliveryId, next.plan.deliveries[0]!.id]);
    expect(written.get(first.deliveryId)).not.toBe(written.get(next.plan.deliveries[0]!.id));
    expect(await a.deliveries.get(tenant.org.id, first.deliveryId)).toMatchObject({ status: 'succeeded' });

    // An API process (a manual attempt's result) with one dispatcher elsewhere: alone too.
    expect(await a.workers.beat({ owner: 'api', dispatches: false, now: T0 + 2 * SECOND, staleAfterMs: 15 * SECOND })).toBe(2);
    await b.workers.leave(OTHER);
    expect(await a.workers.beat({ owner: 'api', dispatches: false, now: T0 + 2 * SECOND, staleAfterMs: 15 * SECOND })).toBe(1);
    // Due at once, or released by the result when the step chained behind it still open.
    const second = only([...next.fresh, ...out.promoted]);
    const [last] = await stepWithResult(a, tenant, ended, second, T0 + 3 * SECOND);
    const apart = await writers('deliveries', 'id', [second.deliveryId, last.plan.deliveries[0]!.id]);
    expect(apart.get(second.deliveryId)).not.toBe(apart.get(last.plan.deliveries[0]!.id));
  });

  it('fails neither part for the other: a rider the database refuses leaves the ingest it rode to go alone', async () => {
    const tenant = await createTenant(a);
    await createWebhook(a, tenant.org.id);
    const queue = createIngestQueue(db, { maxBatch: 8, parallel: 2, riding: () => true });
    const rides: string[] = [];
    const [ingested, rider] = await Promise.all([
      queue.apply(ingestInput(tenant, [started('c1', T0)])),
      queue.carry({
        ride: async (tx) => {
          rides.push('ride');
          await tx.begin([['SELECT 1 / $1::int', [0]]]);
          await tx.commit([]);
          return 'ridden';
        },
        alone: async () => 'alone',
      }),
    ]);
    expect(rides).toEqual(['ride']);
    expect(rider).toBe('alone');
    expect(ingested.plan.kind).toBe('accepted');
    expect(only(ingested.fresh)).toMatchObject({ orgId: tenant.org.id, callId: 'c1' });
    expect(await a.calls.get(tenant.org.id, 'c1')).not.toBeNull();
  });
});
