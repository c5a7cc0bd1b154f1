// The interleaving result-batch.ts takes a second look for: an ingest that holds a delivery's row
// (chaining a new one behind it) while a result batch for that delivery starts, and commits while
// the batch waits for the row. The batch's lock statement then runs on a snapshot from before that
// commit and cannot see the new delivery; only the later look does, and the release must use it.
// Made to happen for sure: the ingest's write is held, between locking the row and committing, on a
// lock of the call's row taken by a session of the test (the write's upsert of calls runs after
// the delivery is locked: PostgreSQL runs a data-modifying CTE nothing reads once the main
// statement is done). Were that order to change, the wait for the result batch would time out.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from '../../../test/helpers/postgres.ts';
import { eventually } from '../../../test/helpers/eventually.ts';
import { SECOND, T0, answered, createTenant, createWebhook, ingest, only, record, started, success } from '../contract/fixtures.ts';
import type { Store } from '../store.ts';
import { PgDatabase } from './database.ts';
import { postgresStoreOn } from './index.ts';

describe.skipIf(!POSTGRES_URL)('result batches against an ingest chaining behind the same delivery (PostgreSQL)', () => {
  let database: TestDatabase;
  let db: PgDatabase;
  let store: Store;
  /** Holds the call's row, in a transaction. */
  let admin: pg.Client;
  /** Looks at the sessions; outside any transaction, which would keep showing them as they first were. */
  let observer: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new PgDatabase({ url: database.url, poolSize: 6, connectTimeoutMs: 5_000, queryTimeoutMs: 20_000 });
    store = postgresStoreOn(db);
    admin = new pg.Client({ connectionString: database.url });
    observer = new pg.Client({ connectionString: database.url });
    await Promise.all([admin.connect(), observer.connect()]);
  });

  afterAll(async () => {
    await admin?.end();
    await observer?.end();
    await store?.close();
    await database?.drop();
  });

  /** Sessions waiting for a lock. */
  const waitingForLocks = async () =>
    Number((await observer.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows[0].n);

  it('releases the delivery an ingest committed behind one of the batch while the batch waited for it', async () => {
    const tenant = await createTenant(store);
    const webhook = await createWebhook(store, tenant.org.id);
    const first = only((await ingest(store, tenant, [started('held', T0)])).fresh);

    // The test's session holds the call's row: the next step's write locks the delivery, then waits here.
    await admin.query('BEGIN');
    await admin.query('SELECT 1 FROM calls WHERE org_id = $1 AND call_id = $2 FOR UPDATE', [tenant.org.id, 'held']);
    const next = ingest(store, tenant, [answered('held', T0 + SECOND)], { now: T0 + SECOND });
    await eventually(async () => (await waitingForLocks()) === 1, { timeoutMs: 10_000, what: 'the ingest holding the delivery, waiting for the call' });

    // The result batch waits for the delivery the ingest holds.
    const result = record(store, [success(first, T0 + SECOND)], T0 + 2 * SECOND);
    await eventually(async () => (await waitingForLocks()) === 2, { timeoutMs: 10_000, what: 'the result batch waiting for the delivery' });

    await admin.query('COMMIT');
    const { plan, fresh } = await next;
    expect(fresh).toEqual([]); // it chained behind the delivery, which was still open
    const out = await result;
    const promoted = only(out.promoted);
    expect(promoted).toMatchObject({ deliveryId: plan.deliveries[0]!.id, webhookId: webhook.id, eventType: 'call.answered' });
    expect(await store.deliveries.get(tenant.org.id, promoted.deliveryId)).toMatchObject({ status: 'pending' });
  });
});
