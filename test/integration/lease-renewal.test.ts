// The shortest lease callhook allows, and a receiver that never answers: every delivery waits in
// its webhook's lane for many attempt deadlines. Its lease must outlive the wait — renewed while it
// waits, in one write for all that need it — instead of running out, the delivery given up unsent
// and claimed again (a write each time, and out of order). Measured in store writes per delivery,
// for fresh deliveries (leased at ingest) and for deliveries the poll claims (a replay).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunningClock } from '../helpers/fake-clock.ts';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from '../helpers/postgres.ts';
import { testScope } from '../helpers/scope.ts';
import { type OrgSetup, type TestService, ingest, setupOrg, startTestService } from '../helpers/service.ts';
import { eventually } from '../helpers/eventually.ts';

const DELIVERIES = 96;
const IN_FLIGHT = 16;
const TIMEOUT_MS = 1_500;
/** The floor: CALLHOOK_LEASE_MS at its minimum (5 s), with the longest deadline it allows (a third). */
const LEASE_MS = 5_000;

describe.skipIf(!POSTGRES_URL)('deliveries waiting on a hanging receiver under the shortest lease', () => {
  const scope = testScope();
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function setup(): Promise<{ t: TestService; org: OrgSetup; webhookId: string; sql: pg.Client }> {
    await database.reset();
    const hang = await scope.receiver({ kind: 'hang', ms: 60_000 });
    const t = await startTestService({
      clock: new RunningClock(),
      background: true,
      env: {
        CALLHOOK_DATABASE_URL: database.url,
        CALLHOOK_LEASE_MS: String(LEASE_MS),
        CALLHOOK_DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS),
        CALLHOOK_IN_FLIGHT_PER_WEBHOOK: String(IN_FLIGHT),
        CALLHOOK_POLL_INTERVAL_MS: '200',
        CALLHOOK_RETRY_SCHEDULE_S: '3600', // one attempt each within the test
      },
    });
    scope.defer(() => t.cleanup());
    const org = await setupOrg(t.api);
    const webhook = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: hang.url }, org.apiKey);
    expect(webhook.status).toBe(201);
    const sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    scope.defer(() => sql.end());
    return { t, org, webhookId: webhook.body.id, sql };
  }

  const steps = (t: TestService, prefix: string) => ({
    steps: Array.from({ length: DELIVERIES }, (_, i) => ({ type: 'started', callId: `${prefix}-${i}`, direction: 'inbound', from: '+31850609001', to: '+31850609000', at: t.clock.now() })),
  });

  /**
   * Waits until every delivery was attempted; answers what it cost in writes to the deliveries:
   * claims (each bumps the lease version; the lease given at ingest comes with the insert, free),
   * renewals, and the attempt results.
   */
  async function measure(t: TestService, sql: pg.Client, webhookId: string, leasedAtInsert: number) {
    const row = await eventually(
      async () => {
        const { rows } = await sql.query('SELECT count(*)::int AS n, count(*) FILTER (WHERE attempts > 0)::int AS tried, sum(attempts)::int AS attempts, sum(lease_version)::int AS leases FROM deliveries WHERE webhook_id = $1', [webhookId]);
        const counts = rows[0] as { n: number; tried: number; attempts: number; leases: number };
        expect(counts, 'deliveries made and attempted').toMatchObject({ n: DELIVERIES, tried: DELIVERIES });
        return counts;
      },
      { timeoutMs: 60_000, what: `all ${DELIVERIES} deliveries attempted` },
    );
    const stale = t.service.metrics.value('callhook_delivery_stale_results_total');
    const renewals = t.service.metrics.value('callhook_delivery_lease_renewals_total');
    const claims = row.leases;
    return { claims, renewals, stale, attempts: row.attempts, writesPerDelivery: (claims - leasedAtInsert + renewals + row.attempts) / DELIVERIES };
  }

  it('keeps the leases of fresh deliveries while they wait, instead of giving them up and claiming them again', async () => {
    const { t, org, webhookId, sql } = await setup();
    const startedAt = Date.now();
    expect((await ingest(t.api, org.ingestToken, steps(t, 'fresh'))).status).toBe(202);
    const cost = await measure(t, sql, webhookId, DELIVERIES);
    if (process.env.CALLHOOK_TEST_VERBOSE) process.stderr.write(`lease, fresh: ${JSON.stringify(cost)} in ${Date.now() - startedAt} ms\n`);
    expect(cost.stale, 'deliveries given up because their lease ran out while they waited').toBe(0);
    expect(cost.attempts, 'one attempt each').toBe(DELIVERIES);
    expect(cost.claims, 'one lease each, taken at ingest: none claimed again').toBe(DELIVERIES);
    // At most one renewal each however long it waited, and none for the first round.
    expect(cost.renewals).toBeLessThanOrEqual(DELIVERIES - IN_FLIGHT);
    expect(cost.writesPerDelivery).toBeLessThan(2); // given up and claimed again, each cost 2 (the claim and the result)
  });

  it('keeps the leases of deliveries the poll claimed while they wait', async () => {
    const { t, org, webhookId, sql } = await setup();
    expect((await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${webhookId}/disable`, undefined, org.apiKey)).status).toBe(200);
    const since = new Date(t.clock.now() - 1_000).toISOString();
    expect((await ingest(t.api, org.ingestToken, steps(t, 'held'))).status).toBe(202);
    expect((await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${webhookId}/enable`, undefined, org.apiKey)).status).toBe(200);
    const startedAt = Date.now();
    const replayed = await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${webhookId}/replay`, { since, statuses: ['held'] }, org.apiKey);
    expect(replayed.body).toEqual({ replayed: DELIVERIES });
    const cost = await measure(t, sql, webhookId, 0);
    if (process.env.CALLHOOK_TEST_VERBOSE) process.stderr.write(`lease, polled: ${JSON.stringify(cost)} in ${Date.now() - startedAt} ms\n`);
    expect(cost.stale, 'deliveries given up because their lease ran out while they waited').toBe(0);
    expect(cost.attempts, 'one attempt each').toBe(DELIVERIES);
    expect(cost.claims, 'one claim each').toBe(DELIVERIES);
    expect(cost.renewals).toBeLessThanOrEqual(DELIVERIES - IN_FLIGHT);
    expect(cost.writesPerDelivery).toBeLessThan(3); // claimed, given up, claimed again, the result: 3 each
  });
});
