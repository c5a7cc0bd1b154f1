// Several callhook processes on one PostgreSQL keep the guarantees of one: per-call order when a
// call's steps reach different processes, one in-flight cap per webhook shared among them, one
// disable e-mail, and an API-only process whose work a worker picks up at once (LISTEN/NOTIFY).
import { createServer } from 'node:http';
import pg from 'pg';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from '../helpers/postgres.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { testScope } from '../helpers/scope.ts';
import { type OrgSetup, type TestService, ingest, setupOrg, startTestService } from '../helpers/service.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';
import { eventually, within } from '../helpers/eventually.ts';

const started = (callId: string, at: number) => ({ type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '+31850609000', at });

describe.skipIf(!POSTGRES_URL)('several processes on one PostgreSQL', () => {
  const scope = testScope();
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  /** Processes on the test database, with one clock; each test truncates it first. */
  async function processes(count: number, env: Record<string, string> = {}, background = false): Promise<{ ps: TestService[]; org: OrgSetup }> {
    await database.reset();
    const clock = new FakeClock();
    const ps: TestService[] = [];
    for (let i = 0; i < count; i++) {
      const t = await startTestService({ clock, background, env: { CALLHOOK_DATABASE_URL: database.url, ...env } });
      scope.defer(() => t.cleanup());
      ps.push(t);
    }
    return { ps, org: await setupOrg(ps[0]!.api) };
  }

  it("keeps a call's events in order when its steps reach different processes", async () => {
    const { ps, org } = await processes(2);
    const receiver = await scope.receiver({ kind: 'status', status: 200 }, { delayMs: 30 });
    await ps[0]!.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url }, org.apiKey);
    const now = ps[0]!.clock.now();
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const callId = `split-${i}`;
        await ingest(ps[i % 2]!.api, org.ingestToken, started(callId, now));
        await ingest(ps[(i + 1) % 2]!.api, org.ingestToken, { type: 'answered', callId, at: now + 1_000 });
        await ingest(ps[i % 2]!.api, org.ingestToken, { type: 'ended', callId, at: now + 9_000 });
      }),
    );
    await receiver.waitFor(36);
    const seen = new Map<string, string[]>();
    for (const request of receiver.received) {
      const body = JSON.parse(request.body) as { type: string; data: { callId: string } };
      seen.set(body.data.callId, [...(seen.get(body.data.callId) ?? []), body.type]);
    }
    expect(seen.size).toBe(12);
    for (const [callId, types] of seen) expect(types, callId).toEqual(['call.incoming', 'call.answered', 'call.ended']);
  });

  it("shares one webhook's in-flight cap among the processes", async () => {
    const { ps, org } = await processes(2, { CALLHOOK_IN_FLIGHT_PER_WEBHOOK: '4' });
    for (const p of ps) await p.service.presence.tick();
    for (const p of ps) await p.service.presence.tick(); // each now knows of the other
    let open = 0;
    let most = 0;
    const slow = createServer((request, response) => {
      open++;
      most = Math.max(most, open);
      request.resume();
      setTimeout(() => {
        open--;
        response.end('ok');
      }, 300);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    scope.defer(() => new Promise<void>((resolve) => slow.close(() => resolve())));
    await ps[0]!.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/` }, org.apiKey);
    const now = ps[0]!.clock.now();
    await Promise.all(Array.from({ length: 16 }, (_, i) => ingest(ps[i % 2]!.api, org.ingestToken, started(`capped-${i}`, now))));
    await Promise.all(ps.map((p) => p.service.dispatcher.idle()));
    expect(most, 'requests in flight at once, all processes together').toBeLessThanOrEqual(4);
    expect(most).toBeGreaterThanOrEqual(2);
  });

  it('disables a failing webhook and sends one e-mail, though two processes exhaust its deliveries at once', async () => {
    const smtp: SmtpSink = await startSmtpSink();
    scope.defer(() => smtp.close());
    const { ps, org } = await processes(2, { CALLHOOK_SMTP_URL: smtp.url });
    const failing = await scope.receiver({ kind: 'status', status: 500 }, { delayMs: 50 });
    const webhook = await ps[0]!.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: failing.url, retryScheduleS: [] }, org.apiKey);
    const now = ps[0]!.clock.now();
    await Promise.all(Array.from({ length: 6 }, (_, i) => ingest(ps[i % 2]!.api, org.ingestToken, started(`doomed-${i}`, now))));
    await Promise.all(ps.map((p) => p.service.dispatcher.idle()));
    await Promise.all(ps.map((p) => p.service.outbox.tick()));
    expect((await ps[1]!.api.get(`/v1/orgs/${org.orgId}/webhooks/${webhook.body.id}`, org.apiKey)).body.enabled).toBe(false);
    await smtp.waitFor(1);
    // Each outbox goes round once more: a second e-mail owed by either process would be sent now.
    await Promise.all(ps.map((p) => p.service.outbox.tick()));
    expect(smtp.mails).toHaveLength(1);
    expect((await ps[0]!.api.get(`/v1/orgs/${org.orgId}/notifications`, org.apiKey)).body.data).toHaveLength(1);
  });

  it('lets an API-only process ingest and a worker deliver at once, woken by NOTIFY rather than a poll', async () => {
    await database.reset();
    const clock = new FakeClock();
    const env = { CALLHOOK_DATABASE_URL: database.url, CALLHOOK_POLL_INTERVAL_MS: '60000' };
    // The worker first, alone: once its one LISTEN session is up, it has made its first claim (at
    // start, and again on connecting); the next wake-up can only be a NOTIFY.
    const worker = await startTestService({ clock, background: true, env: { ...env, CALLHOOK_ROLE: 'worker' } });
    scope.defer(() => worker.cleanup());
    await eventually(async () => (await database.listenerSessions({ listening: true })) === 1, { timeoutMs: 10_000, what: "the worker's LISTEN session" });
    const api = await startTestService({ clock, env: { ...env, CALLHOOK_ROLE: 'api' } });
    scope.defer(() => api.cleanup());
    expect((await worker.api.get('/healthz')).status).toBe(200);
    expect((await worker.api.get('/v1/orgs')).status).toBe(404); // a worker serves no API
    const org = await setupOrg(api.api);
    const receiver = await scope.receiver();
    await api.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url }, org.apiKey);
    const sentAt = Date.now();
    expect((await ingest(api.api, org.ingestToken, started('via-worker', clock.now()))).status).toBe(202);
    await receiver.waitFor(1, 3_000);
    expect(Date.now() - sentAt).toBeLessThan(2_000);
    expect(api.service.dispatcher.stats()).toEqual({ queued: 0, inFlight: 0 });
  });

  // Result batches of several processes for one busy webhook must not queue behind each other on
  // its row: a batch that writes nothing to the webhook (all succeeded, not failing, a success
  // already written this second) does not lock it. Another transaction holds the row here.
  it("records a healthy webhook's successes while another transaction holds its row", async () => {
    const { ps, org } = await processes(1);
    const t = ps[0]!;
    const receiver = await scope.receiver();
    const webhook = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url }, org.apiKey);
    await ingest(t.api, org.ingestToken, started('first', t.clock.now()));
    await t.service.dispatcher.idle(); // the first success is written to the webhook: it locks it
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    scope.defer(() => holder.end());
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM webhooks WHERE id = $1 FOR NO KEY UPDATE', [webhook.body.id]);
    try {
      await ingest(t.api, org.ingestToken, started('second', t.clock.now()));
      await within(t.service.dispatcher.idle(), { timeoutMs: 5_000, what: 'the second success recorded while the webhook row is locked' });
      const statuses = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries`, org.apiKey)).body.data.map((d: { status: string }) => d.status);
      expect(statuses).toEqual(['succeeded', 'succeeded']);
    } finally {
      await holder.query('ROLLBACK');
    }
  });
});
