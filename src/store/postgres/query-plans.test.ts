// Every index on deliveries is written on each insert and status change, so the table has only
// those a query needs; and those queries find their rows through them, on a table of realistic
// size, whether the statement is planned for its values or (prepared, after five runs) generically.
// The hottest statements also on a young table: a generic plan is made once per connection, on the
// statistics of the moment (none, in a fresh database), and kept until the next analyze, while the
// table may grow a thousandfold (a busy first minute).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from '../../../test/helpers/postgres.ts';
import type { ApplyStepsInput, IngestPlan } from '../store.ts';
import { inline } from './inline-sql.ts';
import { BatchRows, DeliveryChains } from './ingest-rows.ts';
import { CLAIM_DUE_SQL, CLAIM_SCAN_SQL, REPLAY_SQL } from './deliveries.ts';
import { PURGE_DELIVERIES_SQL, PURGE_EVENTS_SQL } from './retention.ts';
import { HOLD_OPEN_DELIVERIES_SQL } from './webhooks.ts';

type NewDelivery = Extract<IngestPlan, { kind: 'accepted' }>['deliveries'][number];

/** Each index on deliveries and the reads it serves: a new one is a cost on every write, so it is added here on purpose. */
const DELIVERY_INDEXES: Record<string, string> = {
  deliveries_pkey: 'seq: claims',
  deliveries_id_key: "a delivery by id (API, results, attempts foreign key); locking a chain's latest delivery",
  deliveries_due: 'claims: pending deliveries by due time',
  deliveries_webhook_due: "a webhook's next due time; holding its pending deliveries",
  deliveries_waiting: 'the deliveries a finished one releases',
  deliveries_org: 'the delivery log, newest first',
  deliveries_org_call: "the log filtered by call; a chain's latest delivery; whether an event has deliveries left",
  deliveries_org_status: "the log filtered by status; a replay of a webhook's failed and held deliveries",
  deliveries_org_event: 'the log filtered by event type',
  deliveries_webhook_seq: 'the log filtered by webhook; deleting a webhook',
  deliveries_webhook_waiting: 'disabling a webhook holds what it still owes (with deliveries_webhook_due)',
  deliveries_finished: 'retention',
};

const ORG = 'org_plans';
/** The webhook the statements ask about: one delivery in ten; the rest are another, busy one's. */
const WEBHOOK = 'wh_plans';
const BUSY = 'wh_busy';
const CALLS = 5_000;
/** Deliveries per call: a realistic few, so that walking one call's is cheap and walking the table is not. */
const PER_CALL = 10;

/** A database of `calls` calls with PER_CALL events and deliveries each (one delivery in ten WEBHOOK's); analyzed, or never. */
async function seeded(calls: number, analyze: boolean): Promise<{ database: TestDatabase; client: pg.Client }> {
  const database = await createTestDatabase();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query(`INSERT INTO orgs (id, name, domain, plan, notification_emails, created_at, updated_at) VALUES ($1, 'Plans', 'plans.example', 'pro', '[]', 0, 0)`, [ORG]);
  for (const id of [WEBHOOK, BUSY]) {
    await client.query(
      `INSERT INTO webhooks (id, org_id, url, events, format, content_type, secret, enabled, created_at, updated_at)
       VALUES ($1, $2, 'http://127.0.0.1:9/hook', '["*"]', 'standard', 'application/json', 'whsec', true, 0, 0)`,
      [id, ORG],
    );
  }
  await client.query(
    `INSERT INTO calls (org_id, call_id, connection_id, started_at, state, updated_at)
     SELECT $1, 'call_' || n, 'conn_1', n, '{}', n FROM generate_series(0, ${calls - 1}) n`,
    [ORG],
  );
  await client.query(
    `INSERT INTO events (id, org_id, call_id, type, occurred_at, created_at, data)
     SELECT 'ev_' || n, $1, 'call_' || (n / ${PER_CALL}), 'call.ended', n, n, '{}' FROM generate_series(0, ${calls * PER_CALL - 1}) n`,
    [ORG],
  );
  await client.query(
    `INSERT INTO deliveries (id, org_id, webhook_id, event_id, event_type, call_id, status, content_type, body, created_at, updated_at)
     SELECT 'dl_' || n, $1, CASE WHEN n % 10 = 0 THEN $2 ELSE $3 END, 'ev_' || n, 'call.ended', 'call_' || (n / ${PER_CALL}),
            COALESCE((ARRAY['failed', 'held', 'pending', 'waiting'])[n % 97 + 1], 'succeeded'), 'application/json', '{}', n, n
     FROM generate_series(0, ${calls * PER_CALL - 1}) n`,
    [ORG, WEBHOOK, BUSY],
  );
  if (analyze) await client.query('ANALYZE');
  return { database, client };
}

/** The plan of `sql` with `params` as literals, and as a prepared statement planned generically. */
async function plans(client: pg.Client, text: string, params: readonly unknown[]): Promise<Record<'custom' | 'generic', string>> {
  const explain = async (sql: string) => (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
  const custom = await explain(inline([text, params]));
  await client.query(`PREPARE planned AS ${text}`);
  try {
    await client.query('SET plan_cache_mode = force_generic_plan');
    return { custom, generic: await explain(`EXECUTE planned(${params.map((_, i) => inline([`$${i + 1}`, params])).join(', ')})`) };
  } finally {
    await client.query('RESET plan_cache_mode');
    await client.query('DEALLOCATE planned');
  }
}

/** The ingest write of one new delivery behind call_7's latest (a call in the store). */
function ingestWrite(): [string, readonly unknown[]] {
  const chains = new DeliveryChains();
  const rows = new BatchRows();
  const input = { orgId: ORG, connectionId: 'conn_1', now: 1, lease: { owner: 'w1', until: 2 } } as ApplyStepsInput;
  const delivery = { id: 'dl_new', orgId: ORG, webhookId: WEBHOOK, eventId: 'ev_new', eventType: 'call.ended', callId: 'call_7', contentType: 'application/json', body: '{}' } as NewDelivery;
  rows.delivery(input, delivery, chains.next(ORG, WEBHOOK, 'call_7', 'dl_new', false, true));
  const [text, params = []] = rows.statement(chains.latestKeys());
  return [text, params];
}

/** A chain's latest delivery: found among its call's deliveries (deliveries_org_call), then locked by its id. */
const CHAIN_LATEST = /(Index Scan Backward using deliveries_org_call on deliveries c\b|Bitmap Index Scan on deliveries_org_call)[^]*Index Scan using deliveries_id_key on deliveries\b/;

/** Both plans of the ingest write find a chain's latest delivery among its call's deliveries and lock it by id, never walking the table. */
async function expectChainLatestThroughItsCall(client: pg.Client): Promise<void> {
  const [text, params] = ingestWrite();
  for (const plan of Object.values(await plans(client, text, params))) {
    expect(plan).toMatch(CHAIN_LATEST);
    expect(plan).not.toMatch(/Seq Scan on deliveries/);
  }
}

describe.skipIf(!POSTGRES_URL)('PostgreSQL query plans on deliveries', () => {
  let database: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    ({ database, client } = await seeded(CALLS, true));
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  it('has only the indexes its reads need, each written on every insert and status change', async () => {
    const { rows } = await client.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'deliveries' ORDER BY indexname");
    expect(rows.map((r) => r.indexname)).toEqual(Object.keys(DELIVERY_INDEXES).sort());
  });

  // The look-ups of the deliveries a finished one releases ask by after_id alone (result-batch.ts).
  it('links a delivery to the one it waits behind only while it waits', async () => {
    const one = async (status: string) => (await client.query<{ id: string }>('SELECT id FROM deliveries WHERE status = $1 ORDER BY seq LIMIT 1', [status])).rows[0]!.id;
    const [waiting, pending] = [await one('waiting'), await one('pending')];
    const link = (id: string) => client.query("UPDATE deliveries SET after_id = 'dl_0' WHERE id = $1", [id]);
    try {
      await link(waiting);
      await expect(link(pending)).rejects.toMatchObject({ code: '23514' });
      // Released, or held, it lets go of the link in the same write.
      await expect(client.query("UPDATE deliveries SET status = 'pending' WHERE id = $1", [waiting])).rejects.toMatchObject({ code: '23514' });
      await client.query("UPDATE deliveries SET status = 'held', after_id = NULL WHERE id = $1", [waiting]);
    } finally {
      await client.query("UPDATE deliveries SET status = 'waiting', after_id = NULL WHERE id = $1", [waiting]);
    }
  });

  it("finds a chain's latest delivery through its call, not by walking the table", async () => {
    await expectChainLatestThroughItsCall(client);
  });

  it('claims due deliveries through an index of pending ones, not a walk of every open delivery', async () => {
    for (const plan of Object.values(await plans(client, CLAIM_DUE_SQL, [CALLS * PER_CALL, [], 32, 256, 'w1', CALLS * PER_CALL + 1]))) {
      expect(plan).toMatch(/Index Scan using deliveries_(webhook_)?due on deliveries/);
      expect(plan).not.toMatch(/Seq Scan on deliveries|deliveries_webhook_waiting/);
    }
  });

  // A webhook's own statements read the few deliveries they change, not every one it ever had.
  it.each([
    ['disabling holds what the webhook still owes', HOLD_OPEN_DELIVERIES_SQL, [1, WEBHOOK], /BitmapOr[^]*Bitmap Index Scan on deliveries_webhook_due[^]*Bitmap Index Scan on deliveries_webhook_waiting/],
    ['a replay reads the failed and held deliveries', REPLAY_SQL, [ORG, WEBHOOK, 0, ['failed', 'held']], /(Index Scan using deliveries_org_status on deliveries|Bitmap Index Scan on deliveries_org_status)[^]*Index Cond: [^\n]*status = ANY \('\{failed,held\}'/],
  ])('%s through an index, reading those alone', async (_name, sql, params, index) => {
    for (const plan of Object.values(await plans(client, sql, params))) {
      expect(plan).toMatch(index);
      expect(plan).not.toMatch(/Seq Scan on deliveries|deliveries_webhook_seq/);
    }
  });

  it.each([
    ['finished deliveries', PURGE_DELIVERIES_SQL, /Index Scan using deliveries_finished on deliveries/],
    ['events with no delivery left', PURGE_EVENTS_SQL, /Index (Only )?Scan using deliveries_org_call on deliveries d\b/],
  ])('purges %s through an index', async (_name, sql, index) => {
    for (const plan of Object.values(await plans(client, sql, [100, 100]))) {
      expect(plan).toMatch(index);
      expect(plan).not.toMatch(/Seq Scan on deliveries/);
    }
  });
});

// 30 calls: what a fresh database holds seconds into its first load, before autovacuum first looks.
describe.skipIf(!POSTGRES_URL).each([
  ['never analyzed', false],
  ['analyzed', true],
])('PostgreSQL query plans of each ingest on a young table (%s)', (_name, analyze) => {
  let database: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    ({ database, client } = await seeded(30, analyze));
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  it("finds a chain's latest delivery through its call, so the plan stays cheap as the table grows", async () => {
    await expectChainLatestThroughItsCall(client);
  });
});

// deliveries_due keeps an entry of every delivery that was ever pending until a vacuum. A busy
// minute finishes tens of thousands: the claim, run every second by every process, must pass
// their entries once, not read them all again on every poll.
describe.skipIf(!POSTGRES_URL)('PostgreSQL claims between two vacuums', () => {
  const FINISHED = 20_000;
  let database: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    ({ database, client } = await seeded(30, false));
    // No vacuum comes in between, as in the minute before autovacuum's next look.
    await client.query('ALTER TABLE deliveries SET (autovacuum_enabled = false)');
    // Due once, each of them, and since delivered: a dead entry in deliveries_due each. Bodies of a
    // realistic size spread them over pages as a real table does.
    await client.query(
      `INSERT INTO deliveries (id, org_id, webhook_id, event_id, event_type, call_id, status, next_attempt_at, content_type, body, created_at, updated_at)
       SELECT 'dl_done_' || n, $1, $2, 'ev_0', 'call.ended', 'call_0', 'pending', n, 'application/json', repeat('x', 400), n, n FROM generate_series(1, ${FINISHED}) n`,
      [ORG, BUSY],
    );
    // Analyzed while they were due (autovacuum's last look came in the middle of the burst), so
    // the planner expects many due: a bitmap scan is what it would choose.
    await client.query('ANALYZE deliveries');
    await client.query("UPDATE deliveries SET status = 'succeeded', next_attempt_at = NULL WHERE id LIKE 'dl_done_%'");
    // And a few still due, which a claim takes.
    await client.query(
      `INSERT INTO deliveries (id, org_id, webhook_id, event_id, event_type, call_id, status, next_attempt_at, content_type, body, created_at, updated_at)
       SELECT 'dl_due_' || n, $1, $2, 'ev_0', 'call.ended', 'call_0', 'pending', ${FINISHED} + n, 'application/json', '{}', n, n FROM generate_series(1, 5) n`,
      [ORG, WEBHOOK],
    );
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  /** The claim as the store runs it (CLAIM_SCAN_SQL first, in its transaction), explained with the buffers it read; rolled back. */
  async function claim(): Promise<{ plan: string; buffers: number }> {
    await client.query('BEGIN');
    try {
      await client.query(CLAIM_SCAN_SQL);
      const params = [FINISHED * 2, [], 32, 256, 'w1', FINISHED * 3];
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) ${inline([CLAIM_DUE_SQL, params])}`);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      const scan = /(?:Bitmap Heap|Index|Seq) Scan[^\n]* on deliveries[^\n]*\n(?:[^\n]*\n)*?\s*Buffers: shared hit=(\d+)(?: read=(\d+))?/.exec(plan);
      return { plan, buffers: scan ? Number(scan[1]) + Number(scan[2] ?? 0) : Number.NaN };
    } finally {
      await client.query('ROLLBACK');
    }
  }

  it('reads deliveries_due by an index scan, which passes a finished delivery\'s entry once, not on every poll', async () => {
    const first = await claim();
    expect(first.plan).toMatch(/Index Scan using deliveries_(webhook_)?due on deliveries\b/);
    expect(first.plan).not.toMatch(/Bitmap|Seq Scan on deliveries/);
    // The first poll visits each dead entry's row and marks the entry; the next skips it.
    expect(first.buffers).toBeGreaterThan(FINISHED / 100);
    const second = await claim();
    expect(second.buffers).toBeLessThan(first.buffers / 10);
    expect(second.plan).toMatch(/Update on deliveries d[^\n]*actual rows=5 /);
  });
});
