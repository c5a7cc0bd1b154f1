// One process on PostgreSQL behind a TCP proxy the test controls: a database that refuses (resets),
// black-holes (accepts, never answers) or ends its backends is met with typed answers — 503 +
// Retry-After on both error shapes, readiness 503, liveness 200 — within the client-side timeouts,
// and the process takes work again by itself once the database is back. The LISTEN connection is
// one, however the outage went, and closing the store ends it at once.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from '../helpers/postgres.ts';
import { testScope } from '../helpers/scope.ts';
import { type OrgSetup, type TestService, ingest, setupOrg, startTestService } from '../helpers/service.ts';
import { type TcpProxy, startTcpProxy } from '../helpers/tcp-proxy.ts';
import { eventually } from '../helpers/eventually.ts';

const CONNECT_TIMEOUT_MS = 500;
const QUERY_TIMEOUT_MS = 1_000;
/** A black hole is answered after at most a connect and a query timeout, and some slack on a busy machine. */
const ANSWERED_WITHIN_MS = CONNECT_TIMEOUT_MS + QUERY_TIMEOUT_MS + 2_500;

const started = (callId: string, at: number) => ({ type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '+31850609000', at });

/** What the due listener calls itself (application_name): the proxy counts its connects by it. */
const LISTENER = 'callhook-due-listener';


describe.skipIf(!POSTGRES_URL)('one process while its PostgreSQL refuses, black-holes or ends its connections', () => {
  const scope = testScope();
  let database: TestDatabase;
  let proxy: TcpProxy;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function serviceBehindProxy(background = true): Promise<{ t: TestService; org: OrgSetup }> {
    await database.reset();
    proxy = await startTcpProxy(database.url);
    scope.defer(() => proxy.close());
    const t = await startTestService({
      background,
      env: {
        CALLHOOK_DATABASE_URL: proxy.url,
        CALLHOOK_DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
        CALLHOOK_DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      },
    });
    scope.defer(() => t.cleanup());
    return { t, org: await setupOrg(t.api) };
  }

  const listenerSessions = () => database.listenerSessions();

  it('answers 503 with Retry-After (problem+json and the Rinkel shape) while the database refuses, and 202 again once it is back', async () => {
    const { t, org } = await serviceBehindProxy();
    const now = t.clock.now();
    expect((await ingest(t.api, org.ingestToken, started('before', now))).status).toBe(202);

    proxy.setMode('reset');
    const refused = await ingest(t.api, org.ingestToken, started('refused', now));
    expect(refused.status, JSON.stringify(refused.body)).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body).toMatchObject({ type: 'https://callhook.dev/problems/store-unavailable', status: 503 });
    const rinkel = await t.api.request('GET', '/rinkel/v1/webhooks', { token: null, headers: { 'x-rinkel-api-key': org.apiKey } });
    expect(rinkel.status, JSON.stringify(rinkel.body)).toBe(503);
    expect(Number(rinkel.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(rinkel.body.errors[0]).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect((await t.api.get('/readyz')).status).toBe(503);
    expect((await t.api.get('/healthz')).status).toBe(200);

    proxy.setMode('pass');
    const back = await ingest(t.api, org.ingestToken, started('refused', now));
    expect(back.status, JSON.stringify(back.body)).toBe(202);
    await eventually(async () => (await t.api.get('/readyz')).status === 200, { timeoutMs: 5_000, what: 'ready again once the database is back' });
  });

  it('answers a black-holed database with 503 within its timeouts, is not ready meanwhile, and survives the resets when it comes back', async () => {
    const { t, org } = await serviceBehindProxy();
    const now = t.clock.now();
    expect((await ingest(t.api, org.ingestToken, started('before', now))).status).toBe(202);

    proxy.setMode('blackhole');
    const answers = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        const sentAt = Date.now();
        const response = await ingest(t.api, org.ingestToken, started(`held-${i}`, now));
        return { status: response.status, retryAfter: response.headers.get('retry-after'), tookMs: Date.now() - sentAt };
      }),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).not.toBeNull();
      expect(answer.tookMs).toBeLessThan(ANSWERED_WITHIN_MS);
    }
    expect((await t.api.get('/readyz')).status).toBe(503);
    expect((await t.api.get('/healthz')).status).toBe(200);

    proxy.setMode('pass'); // resets everything the black hole held
    await eventually(async () => (await ingest(t.api, org.ingestToken, started('held-0', now))).status === 202, { timeoutMs: 5_000, what: 'ingest answers 202 again' });
    await eventually(async () => (await t.api.get('/readyz')).status === 200, { timeoutMs: 5_000, what: 'ready again' });
  });

  it('survives its backends being terminated in the middle of transactions', async () => {
    const { t, org } = await serviceBehindProxy();
    const now = t.clock.now();
    // A pool of one queues the sixteen loops' statements: one client given a query while another
    // runs is deprecated in node-pg (an error from pg 9).
    const admin = new pg.Pool({ connectionString: POSTGRES_URL!, max: 1 });
    scope.defer(() => admin.end());
    const name = new URL(database.url).pathname.slice(1);
    const statuses = new Map<number, number>();
    let n = 0;
    // Every fourth answer, the backends are ended under the other fifteen requests in flight.
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = 0; i < 10; i++) {
          const response = await ingest(t.api, org.ingestToken, started(`t-${n++}`, now));
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (n % 4 === 0) await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
        }
      }),
    );
    expect([...statuses.keys()].filter((status) => status !== 202 && status !== 503), JSON.stringify(Object.fromEntries(statuses))).toEqual([]);
    expect(statuses.get(503), 'some requests met a terminated backend').toBeGreaterThan(0);
    await eventually(async () => (await ingest(t.api, org.ingestToken, started(`after-${n++}`, now))).status === 202, { timeoutMs: 5_000, what: 'ingest answers 202 again' });
  });

  it('keeps one LISTEN connection through an outage, and closing the store ends it at once, even while black-holed', async () => {
    const { t } = await serviceBehindProxy();
    await eventually(async () => (await listenerSessions()) === 1, { timeoutMs: 5_000, what: 'the listener is connected' });
    // Reconnects fail several times over (closed at once, reset, then connect timeouts in a black
    // hole), then work: the proxy counts the listener's attempts in each mode.
    for (const mode of ['close', 'reset', 'blackhole'] as const) {
      const before = proxy.connections(LISTENER);
      proxy.setMode(mode);
      await eventually(() => proxy.connections(LISTENER) >= before + 2, { timeoutMs: 15_000, what: `the listener to try twice while the proxy does ${mode}` });
    }
    proxy.setMode('pass');
    await eventually(async () => (await listenerSessions()) >= 1, { timeoutMs: 10_000, what: 'the listener is back' });
    // A second reconnect loop left over from the outage would connect within its second of waiting.
    // Ending the session makes the one loop wait that second once more: once it is back, any
    // other would have shown up as an extra connect.
    const back = proxy.connections(LISTENER);
    const admin = new pg.Client({ connectionString: POSTGRES_URL! });
    await admin.connect();
    scope.defer(() => admin.end());
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2", [new URL(database.url).pathname.slice(1), LISTENER]);
    await eventually(async () => (await listenerSessions()) === 1 && proxy.connections(LISTENER) > back, { timeoutMs: 10_000, what: 'the listener back after its session was ended' });
    expect(proxy.connections(LISTENER)).toBe(back + 1);
    expect(await listenerSessions()).toBe(1);

    proxy.setMode('blackhole');
    const stopAt = Date.now();
    await t.stop(1_000);
    expect(Date.now() - stopAt, 'stopped within its drain time and a moment').toBeLessThan(8_000);
    proxy.setMode('pass');
    await eventually(async () => (await listenerSessions()) === 0, { timeoutMs: 5_000, what: 'no listener left after close' });
  });
});
