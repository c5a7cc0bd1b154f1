// Every index on deliveries is written on each insert and status change, so the table has only
// those a query needs; and those queries find their rows through them, on a table of realistic
// size, whether the statement is planned for its values or (prepared, after five runs) generically.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from '../../../test/helpers/postgres.ts';
import type { ApplyStepsInput, IngestPlan } from '../store.ts';
import { inline } from './inline-sql.ts';
import { BatchRows, DeliveryChains } from './ingest-rows.ts';
import { CLAIM_DUE_SQL, REPLAY_SQL } from './deliveries.ts';
import { PURGE_DELIVERIES_SQL, PURGE_EVENTS_SQL } from './retention.ts';
import { HOLD_OPEN_DELIVERIES_SQL } from './webhooks.ts';

type NewDelivery = Extract<IngestPlan, { kind: 'accepted' }>['deliveries'][number];

/** Each index on deliveries and the reads it serves: a new one is a cost on every write, so it is added here on purpose. */
const DELIVERY_INDEXES: Record<string, string> = {
  deliveries_pkey: 'seq: claims, and a chain latest delivery by its seq',
  deliveries_id_key: 'a delivery by id (API, results, attempts foreign key)',
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

describe.skipIf(!POSTGRES_URL)('PostgreSQL query plans on deliveries', () => {
  let database: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
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
      `INSERT INTO events (id, org_id, call_id, type, occurred_at, created_at, data)
       SELECT 'ev_' || n, $1, 'call_' || (n / ${PER_CALL}), 'call.ended', n, n, '{}' FROM generate_series(0, ${CALLS * PER_CALL - 1}) n`,
      [ORG],
    );
    await client.query(
      `INSERT INTO deliveries (id, org_id, webhook_id, event_id, event_type, call_id, status, content_type, body, created_at, updated_at)
       SELECT 'dl_' || n, $1, CASE WHEN n % 10 = 0 THEN $2 ELSE $3 END, 'ev_' || n, 'call.ended', 'call_' || (n / ${PER_CALL}),
              COALESCE((ARRAY['failed', 'held', 'pending', 'waiting'])[n % 97 + 1], 'succeeded'), 'application/json', '{}', n, n
       FROM generate_series(0, ${CALLS * PER_CALL - 1}) n`,
      [ORG, WEBHOOK, BUSY],
    );
    await client.query('ANALYZE');
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  /** The plan of `sql` with `params` as literals, and as a prepared statement planned generically. */
  async function plans(text: string, params: readonly unknown[]): Promise<Record<'custom' | 'generic', string>> {
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

  it('has only the indexes its reads need, each written on every insert and status change', async () => {
    const { rows } = await client.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'deliveries' ORDER BY indexname");
    expect(rows.map((r) => r.indexname)).toEqual(Object.keys(DELIVERY_INDEXES).sort());
  });

  it("finds a chain's latest delivery through its call, not by walking the table", async () => {
    const chains = new DeliveryChains();
    const rows = new BatchRows();
    const input = { orgId: ORG, connectionId: 'conn_1', now: 1, lease: { owner: 'w1', until: 2 } } as ApplyStepsInput;
    const delivery = { id: 'dl_new', orgId: ORG, webhookId: WEBHOOK, eventId: 'ev_new', eventType: 'call.ended', callId: 'call_7', contentType: 'application/json', body: '{}' } as NewDelivery;
    rows.delivery(input, delivery, chains.next(ORG, WEBHOOK, 'call_7', 'dl_new', false, true));
    const [text, params = []] = rows.statement(chains.latestKeys());
    for (const plan of Object.values(await plans(text, params))) {
      expect(plan).toMatch(/Index (Only )?Scan using deliveries_org_call on deliveries d_1\b/);
      expect(plan).not.toMatch(/Seq Scan on deliveries/);
    }
  });

  it('claims due deliveries through an index of pending ones, not a walk of every open delivery', async () => {
    for (const plan of Object.values(await plans(CLAIM_DUE_SQL, [CALLS * PER_CALL, [], 32, 256, 'w1', CALLS * PER_CALL + 1]))) {
      expect(plan).toMatch(/Index Scan using deliveries_(webhook_)?due on deliveries/);
      expect(plan).not.toMatch(/Seq Scan on deliveries|deliveries_webhook_waiting/);
    }
  });

  // A webhook's own statements read the few deliveries they change, not every one it ever had.
  it.each([
    ['disabling holds what the webhook still owes', HOLD_OPEN_DELIVERIES_SQL, [1, WEBHOOK], /BitmapOr[^]*Bitmap Index Scan on deliveries_webhook_due[^]*Bitmap Index Scan on deliveries_webhook_waiting/],
    ['a replay reads the failed and held deliveries', REPLAY_SQL, [ORG, WEBHOOK, 0, ['failed', 'held']], /(Index Scan using deliveries_org_status on deliveries|Bitmap Index Scan on deliveries_org_status)[^]*Index Cond: [^\n]*status = ANY \('\{failed,held\}'/],
  ])('%s through an index, reading those alone', async (_name, sql, params, index) => {
    for (const plan of Object.values(await plans(sql, params))) {
      expect(plan).toMatch(index);
      expect(plan).not.toMatch(/Seq Scan on deliveries|deliveries_webhook_seq/);
    }
  });

  it.each([
    ['finished deliveries', PURGE_DELIVERIES_SQL, /Index Scan using deliveries_finished on deliveries/],
    ['events with no delivery left', PURGE_EVENTS_SQL, /Index (Only )?Scan using deliveries_org_call on deliveries d\b/],
  ])('purges %s through an index', async (_name, sql, index) => {
    for (const plan of Object.values(await plans(sql, [100, 100]))) {
      expect(plan).toMatch(index);
      expect(plan).not.toMatch(/Seq Scan on deliveries/);
    }
  });
});
