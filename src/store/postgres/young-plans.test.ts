// A connection keeps each prepared statement's generic plan, made after its fifth run on the table
// as it was then, until the table is next analyzed. In a fresh database that moment comes seconds
// into the first load, when deliveries holds a few rows and walking it is cheapest; the plan is
// kept while the table grows a thousandfold (in a busy first minute, or between analyzes of a
// test or bench database). So: every path of the delivery loop runs on a young table, never
// analyzed or analyzed then, every statement the connection prepared gets its generic plan there,
// the tables grow (not analyzed again), and every plan the connection kept is explained: none walks
// a table that grows (deliveries, attempts, calls, events, the directory's users and numbers).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from '../../../test/helpers/postgres.ts';
import {
  LEASE_MS, OWNER, SECOND, T0, answered, createTenant, createWebhook, ended, ingest, keepEnabled, retryAt, started, success,
} from '../contract/fixtures.ts';
import type { Store } from '../store.ts';
import type { AttemptOutcome, DeliveryJob } from '../../delivery/delivery.ts';
import { PgDatabase } from './database.ts';
import { postgresStoreOn } from './index.ts';

/** The tables that grow: with traffic, or (users, numbers) with an organization's directory import. */
const GROWING = ['deliveries', 'attempts', 'calls', 'events', 'users', 'numbers'];
/** Young: a few calls' worth. Grown: what a busy first minute leaves. */
const YOUNG_CALLS = 8;
const GROWN_DELIVERIES = 40_000;

/** Per index, the key columns (or expressions) a look-up must constrain: all of a unique one's, all but the last of another's. */
type Probes = ReadonlyMap<string, readonly string[]>;

/**
 * The nodes of `plan` that read a growing table, or much of one of its indexes: a sequential scan,
 * or an index scan whose Index Cond leaves a key column of `probes` free (a walk of the whole index,
 * or of all an organization's entries).
 */
function walksOf(plan: string, probes: Probes): string[] {
  const lines = plan.split('\n');
  const walks: string[] = [];
  const node = (text: string) => text.trim().replace(/\s+\(cost=.*$/, '');
  lines.forEach((text, i) => {
    const scan = /(Seq Scan on|(?:Index|Index Only) Scan(?: Backward)? using (\S+) on|Bitmap Index Scan on) (\S+)/.exec(text);
    if (!scan) return;
    const [, kind, usingIndex, name] = scan;
    // A bitmap index scan names its index; a sequential scan, its table.
    const index = kind === 'Bitmap Index Scan on' ? name! : usingIndex;
    if (!index) {
      if (GROWING.includes(name!)) walks.push(node(text));
      return;
    }
    const keys = probes.get(index);
    if (!keys) return;
    // A node's details are the lines under it, indented deeper, up to the next node.
    const depth = text.search(/\S/);
    let cond = '';
    for (let j = i + 1; j < lines.length && lines[j]!.search(/\S/) > depth && !lines[j]!.includes('->'); j++) {
      if (/^\s*Index Cond:/.test(lines[j]!)) cond = lines[j]!;
    }
    if (keys.some((key) => !cond.includes(`(${key} `))) walks.push(node(text));
  });
  return walks;
}

/** EXECUTE of a prepared statement with every parameter NULL (enough to explain its generic plan). */
const executeOf = (name: string, types: readonly string[]) => (types.length > 0 ? `${name}(${types.map(() => 'NULL').join(', ')})` : name);

describe('walksOf', () => {
  it('finds sequential scans, and index scans leaving a key column free, on growing tables, and nothing else', () => {
    const plan = [
      'Update on deliveries d',
      '  ->  Hash Join',
      '        ->  Seq Scan on deliveries d  (cost=0.00..29.00 rows=400 width=38)',
      '        ->  Hash',
      '              ->  Function Scan on u',
      '  ->  Index Scan using deliveries_webhook_waiting on deliveries  (cost=0.14..8.18 rows=1 width=130)',
      '        Filter: ((status = \'waiting\'::text) AND (after_id = ANY ($4)))',
      '  ->  Index Scan using deliveries_waiting on deliveries  (cost=0.15..13.59 rows=1 width=130)',
      '        Index Cond: (after_id = ANY ($4))',
      '  ->  Bitmap Index Scan on deliveries_webhook_waiting  (cost=0.00..4.15 rows=2 width=0)',
      '  ->  Bitmap Index Scan on deliveries_id_key  (cost=0.00..4.15 rows=2 width=0)',
      '        Index Cond: (id = ANY ($1))',
      '  ->  Seq Scan on webhooks  (cost=0.00..1.01 rows=1 width=38)',
      // A condition on a later key column alone, or on some of a unique key's: still a walk.
      '  ->  Index Scan using deliveries_org_status on deliveries  (cost=0.29..1045.60 rows=1 width=130)',
      "        Index Cond: (status = 'waiting'::text)",
      '  ->  Bitmap Index Scan on users_pkey  (cost=0.00..4.15 rows=2 width=0)',
      '        Index Cond: (org_id = ANY ($1))',
      '  ->  Bitmap Index Scan on users_pkey  (cost=0.00..4.15 rows=2 width=0)',
      '        Index Cond: ((org_id = ANY ($1)) AND (id = ANY ($2)))',
    ].join('\n');
    const probes: Probes = new Map([
      ['deliveries_webhook_waiting', ['webhook_id']],
      ['deliveries_waiting', ['after_id']],
      ['deliveries_id_key', ['id']],
      ['deliveries_org_status', ['org_id', 'status']],
      ['users_pkey', ['org_id', 'id']],
    ]);
    expect(walksOf(plan, probes)).toEqual([
      '->  Seq Scan on deliveries d',
      '->  Index Scan using deliveries_webhook_waiting on deliveries',
      '->  Bitmap Index Scan on deliveries_webhook_waiting',
      '->  Index Scan using deliveries_org_status on deliveries',
      '->  Bitmap Index Scan on users_pkey',
    ]);
  });
});

// Never analyzed: the first minute of a fresh database. Analyzed while young: its first autoanalyze
// comes at ~50 rows, and the next only once the table has grown a tenth again and autovacuum wakes
// (up to a minute later), so plans made on those statistics are kept while a busy minute's rows pile in.
describe.skipIf(!POSTGRES_URL).each([
  ['never analyzed', false],
  ['analyzed while young', true],
])('PostgreSQL plans made on a young table (%s), run on a grown one', (_name, analyzedYoung) => {
  let database: TestDatabase;
  let db: PgDatabase;
  let store: Store;
  let admin: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    // No analyze may come between (it would make every connection plan again).
    for (const table of GROWING) await admin.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    // One connection: every path's statements are prepared, and their plans kept, on it.
    db = new PgDatabase({ url: database.url, poolSize: 1, connectTimeoutMs: 5_000, queryTimeoutMs: 10_000 });
    store = postgresStoreOn(db);
  });

  afterAll(async () => {
    await store?.close();
    await admin?.end();
    await database?.drop();
  });

  it('reads the rows each statement changes through their keys, not by walking the table', async () => {
    const tenant = await createTenant(store);
    await createWebhook(store, tenant.org.id);
    const busy = await createWebhook(store, tenant.org.id);
    const lease = (now: number) => ({ owner: OWNER, until: now + LEASE_MS });
    const record = (now: number, outcomes: AttemptOutcome[]) =>
      store.deliveries.recordResults({ now, lease: lease(now), outcomes, onExhausted: keepEnabled });

    // Young: each path (ingest, results with a retry and with releases, claims, lease renewals and
    // releases) runs more than five times, so the connection settles each statement's plan.
    // Every ingest reads the directory too (users by reference, numbers, outcome rules); every
    // other one brings two calls (the calls are then read by an unnest of keys, not by one key).
    const reads = { userRefs: ['500', 'ann@example.com'], rules: true, numbers: true };
    let now = T0;
    for (let i = 0; i < YOUNG_CALLS; i++) {
      // Cached plans are made again after an analyze: on its statistics, for the rest of the loop.
      if (analyzedYoung && i === 2) await admin.query(`ANALYZE ${GROWING.join(', ')}`);
      const callId = `young-${i}`;
      now += SECOND;
      const pair = i % 2 === 1 ? [started(`${callId}-b`, now)] : [];
      const { fresh } = await ingest(store, tenant, [started(callId, now), answered(callId, now), ended(callId, now), ...pair], { now, reads });
      expect(fresh.length).toBeGreaterThan(0);
      await record(now, fresh.map((job) => retryAt(job, now, now + 1)));
      now += SECOND;
      let jobs: DeliveryJob[] = await store.deliveries.claimDue({ owner: OWNER, now, leaseMs: LEASE_MS, limit: 100, perWebhookLimit: 32 });
      expect(jobs.length).toBeGreaterThan(0);
      await store.deliveries.renewLeases({ owner: OWNER, leases: jobs.map((j) => ({ deliveryId: j.deliveryId, version: j.lease.version })), until: now + LEASE_MS });
      while (jobs.length > 0) jobs = (await record(now, jobs.map((job) => success(job, now)))).promoted;
      await store.deliveries.releaseLeases(OWNER, [`dlv_none_${i}`]);
    }
    // Every statement the connection prepared gets its generic plan now, on the young table: the
    // server may switch any of them to it after its fifth run, so none may depend on its choice.
    await db.transaction(async (tx) => {
      const prepared = await tx.rowsPlannedEachTime<{ name: string; types: string[] }>('SELECT name, parameter_types::text[] AS types FROM pg_prepared_statements');
      await tx.rowsPlannedEachTime('SET LOCAL plan_cache_mode = force_generic_plan');
      for (const p of prepared) await tx.rowsPlannedEachTime(`EXPLAIN EXECUTE ${executeOf(p.name, p.types)}`);
    });

    // Grown, and never analyzed: a busy first minute's calls, events, deliveries (a few still
    // owed: pending in an hour, or waiting behind those) and attempts, and an imported directory.
    const n = GROWN_DELIVERIES;
    await admin.query(
      `INSERT INTO calls (org_id, call_id, connection_id, started_at, state, updated_at)
       SELECT $1, 'grown-' || k, $2, k, '{}', k FROM generate_series(1, ${n / 4}) k`,
      [tenant.org.id, tenant.connection.id],
    );
    await admin.query(
      `INSERT INTO events (id, org_id, call_id, type, occurred_at, created_at, data)
       SELECT 'evt_grown_' || k, $1, 'grown-' || (k / 4 + 1), 'call.ended', k, k, '{}' FROM generate_series(1, ${n}) k`,
      [tenant.org.id],
    );
    await admin.query(
      `INSERT INTO deliveries (id, org_id, webhook_id, event_id, event_type, call_id, status, after_id, next_attempt_at, content_type, body, created_at, updated_at)
       SELECT 'dlv_grown_' || k, $1, $2, 'evt_grown_' || k, 'call.ended', 'grown-' || (k / 4 + 1),
              CASE WHEN k % 50 = 1 THEN 'pending' WHEN k % 50 = 2 THEN 'waiting' ELSE 'succeeded' END,
              CASE WHEN k % 50 = 2 THEN 'dlv_grown_' || (k - 1) END,
              CASE WHEN k % 50 = 1 THEN $3::bigint END,
              'application/json', repeat('x', 600), k, k
       FROM generate_series(1, ${n}) k`,
      [tenant.org.id, busy.id, now + 3_600_000],
    );
    await admin.query(
      `INSERT INTO users (id, org_id, name, extension, email, created_at)
       SELECT 'usr_grown_' || k, $1, 'User ' || k, (1000 + k)::text, 'user' || k || '@example.com', k FROM generate_series(1, ${n / 10}) k`,
      [tenant.org.id],
    );
    await admin.query(
      `INSERT INTO numbers (id, org_id, number, user_id, is_main, created_at)
       SELECT 'num_grown_' || k, $1, '+3120' || (1000000 + k), 'usr_grown_' || k, false, k FROM generate_series(1, ${n / 10}) k`,
      [tenant.org.id],
    );
    await admin.query(
      `INSERT INTO attempts (id, delivery_id, org_id, webhook_id, number, trigger, started_at, duration_ms, url, request_headers, status, response_body_truncated, succeeded)
       SELECT 'att_grown_' || k, 'dlv_grown_' || k, $1, $2, 1, 'scheduled', k, 10, 'http://127.0.0.1:9/hook', '{}', 200, false, true
       FROM generate_series(1, ${n}) k`,
      [tenant.org.id, busy.id],
    );

    // Every statement the connection prepared, explained on its generic plan: the one made on the
    // young table, and kept. (Those planned for their values each run are not prepared: planned on
    // the table as it is, they hold none.)
    const walking = await db.transaction(async (tx) => {
      const prepared = await tx.rowsPlannedEachTime<{ name: string; statement: string; types: string[]; generic_plans: number }>(
        'SELECT name, statement, parameter_types::text[] AS types, generic_plans FROM pg_prepared_statements ORDER BY name',
      );
      // Not vacuous: the young table's plans were kept (the ingest write's, at least, is generic by design).
      expect(prepared.some((p) => p.generic_plans > 0 && /INSERT INTO deliveries/.test(p.statement))).toBe(true);
      const indexes = await tx.rowsPlannedEachTime<{ name: string; unique: boolean; keys: string[] }>(
        `SELECT c.relname AS name, i.indisunique AS unique,
                ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k) AS keys
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
         WHERE t.relname = ANY($1)`,
        [GROWING],
      );
      const probes: Probes = new Map(indexes.map((ix) => [ix.name, ix.unique || ix.keys.length === 1 ? ix.keys : ix.keys.slice(0, -1)]));
      const found: Array<{ statement: string; walks: string[]; plan: string }> = [];
      await tx.rowsPlannedEachTime('SET LOCAL plan_cache_mode = force_generic_plan');
      for (const p of prepared) {
        const plan = (await tx.rowsPlannedEachTime<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE ${executeOf(p.name, p.types)}`))
          .map((r) => r['QUERY PLAN'])
          .join('\n');
        const walks = walksOf(plan, probes);
        if (walks.length > 0) found.push({ statement: p.statement.replace(/\s+/g, ' ').slice(0, 160), walks, plan });
      }
      return found;
    });
    expect(walking).toEqual([]);
  });
});
