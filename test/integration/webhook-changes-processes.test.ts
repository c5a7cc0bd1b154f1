// Changes reach every process before they are answered: a `callhook serve --role api` process takes
// the change while a `--role worker` process holds deliveries of the webhook in memory (one in
// flight to a slow receiver, the rest queued behind it). Once the API has answered, no request
// with the old settings leaves the worker: not for a new URL, a disable, a delete, a new signing
// secret, or the organization losing its webhook plan (and the Rinkel API's PUT). The attempt in
// flight is aborted, not waited for. The same holds for one process on SQLite, where the signal
// never leaves the process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from '../helpers/postgres.ts';
import { type Receiver, type Received, startReceiver } from '../helpers/receiver.ts';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.ts';
import { type ApiClient, type ApiResponse, OPERATOR_TOKEN, type OrgSetup, apiClient, ingest, setupOrg, startTestService } from '../helpers/service.ts';
import { testScope } from '../helpers/scope.ts';
import { eventually } from '../helpers/eventually.ts';

/** Deliveries the worker holds when the change comes: one in flight, the rest queued (in-flight cap 1). */
const CALLS = 6;
/** The old receiver answers this late, so the worker's queue is still full when the change comes. */
const SLOW_MS = 300;

describe.skipIf(!POSTGRES_URL)('webhook changes reach the worker before the API answers (--role api + --role worker on PostgreSQL)', () => {
  let database: TestDatabase | undefined;
  const processes: ServeProcess[] = [];
  const dirs: string[] = [];
  const receivers: Receiver[] = [];
  let api: ApiClient;
  let worker: ServeProcess;

  async function serve(role: 'api' | 'worker'): Promise<ServeProcess> {
    const dataDir = mkdtempSync(join(tmpdir(), `callhook-changes-${role}-`));
    dirs.push(dataDir);
    const started = await startServeProcess({
      env: {
        CALLHOOK_DATABASE_URL: database!.url,
        CALLHOOK_ROLE: role,
        CALLHOOK_ADMIN_TOKEN: OPERATOR_TOKEN,
        CALLHOOK_DATA_DIR: dataDir,
        CALLHOOK_ALLOW_PRIVATE_TARGETS: '1',
        CALLHOOK_LOG_LEVEL: 'warn',
        CALLHOOK_IN_FLIGHT_PER_WEBHOOK: '1',
        CALLHOOK_POLL_INTERVAL_MS: '200',
        // A loaded machine must not turn the slow receiver's answers into failures; one that fails anyway is retried in a second.
        CALLHOOK_DELIVERY_TIMEOUT_MS: '10000',
        CALLHOOK_RETRY_SCHEDULE_S: '1,1,1,1,1',
      },
    });
    processes.push(started);
    return started;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    const [apiProcess, workerProcess] = await Promise.all([serve('api'), serve('worker')]);
    api = apiClient(apiProcess!.url);
    worker = workerProcess!;
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.stop(10_000)));
    await Promise.allSettled(receivers.map((r) => r.close()));
    await database?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  async function receiver(delayMs = 0): Promise<Receiver> {
    const started = await startReceiver({ kind: 'status', status: 200 }, { delayMs });
    receivers.push(started);
    return started;
  }

  /** The worker's dispatcher, from its /metrics: deliveries queued in memory and requests in flight. */
  async function workerHolds(): Promise<{ queued: number; inFlight: number }> {
    const text = await (await fetch(`${worker.url}/metrics`)).text();
    const gauge = (name: string) => Number(text.split('\n').find((line) => line.startsWith(`${name} `))?.slice(name.length + 1) ?? NaN);
    return { queued: gauge('callhook_dispatcher_queued'), inFlight: gauge('callhook_dispatcher_in_flight') };
  }

  async function statuses(org: OrgSetup): Promise<string[]> {
    const page = await api.get<{ data: Array<{ status: string }> }>(`/v1/orgs/${org.orgId}/deliveries?limit=100`, org.apiKey);
    return page.body.data.map((d) => d.status).sort();
  }

  /**
   * An organization whose webhook at a slow receiver has CALLS deliveries in the worker: one in
   * flight, the others queued. Then `change` through the API; answers when it was answered.
   */
  async function changeWhileQueued(
    change: (context: { org: OrgSetup; webhookId: string; old: Receiver }) => Promise<ApiResponse>,
    options: { rinkel?: boolean } = {},
  ): Promise<{ org: OrgSetup; webhookId: string; old: Receiver; answeredAt: number; secret: string; inFlight: Received }> {
    const org = await setupOrg(api);
    const old = await receiver(SLOW_MS);
    const created = options.rinkel
      ? await api.request('POST', '/rinkel/v1/webhooks/incomingCall', { body: { url: old.url }, token: null, headers: { 'x-rinkel-api-key': org.apiKey } })
      : await api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: old.url, format: 'standard' }, org.apiKey);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const list = await api.get<{ data: Array<{ id: string }> }>(`/v1/orgs/${org.orgId}/webhooks`, org.apiKey);
    const webhookId = list.body.data[0]!.id;
    const secret = (await api.get<{ secret: string }>(`/v1/orgs/${org.orgId}/webhooks/${webhookId}/secret`, org.apiKey)).body.secret;
    const at = Date.now() - 60_000;
    const steps = Array.from({ length: CALLS }, (_, i) => ({ type: 'started', callId: `held-${i}`, direction: 'inbound', from: '+31850609001', to: '+31850609000', at: at + i }));
    const ingested = await api.post('/v1/ingest/calls', { steps }, org.ingestToken);
    expect(ingested.status, JSON.stringify(ingested.body)).toBe(202);
    await eventually(
      async () => {
        const held = await workerHolds();
        return old.received.length >= 1 && held.inFlight === 1 && held.queued >= 2;
      },
      { timeoutMs: 10_000, what: async () => `the worker never held the deliveries: ${JSON.stringify(await workerHolds())}, old receiver got ${old.received.length}` },
    );
    const inFlight = old.received.at(-1)!;
    const response = await change({ org, webhookId, old });
    const answeredAt = Date.now();
    expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
    // The worker acknowledged once its attempt in flight with the old settings was over: aborted
    // (recorded as such) rather than waited for, so the answer need not wait for the slow receiver.
    return { org, webhookId, old, answeredAt, secret, inFlight };
  }

  /** Waits until the worker holds nothing more (so it can send nothing more), and `settled` holds. */
  async function afterWorkerIsDone(settled: () => Promise<boolean>, what: () => Promise<string>): Promise<void> {
    await eventually(
      async () => {
        const held = await workerHolds();
        return held.queued === 0 && held.inFlight === 0 && (await settled());
      },
      { timeoutMs: 15_000, what: async () => `${await what()}; the worker holds ${JSON.stringify(await workerHolds())}` },
    );
  }

  const sentAfter = (receiver: Receiver, answeredAt: number): Received[] => receiver.received.filter((r) => r.receivedAt > answeredAt);

  it('a new URL: the old one gets nothing after the answer, the new one gets the rest', async () => {
    const next = await receiver();
    const { org, old, answeredAt, inFlight } = await changeWhileQueued(({ org, webhookId }) => api.patch(`/v1/orgs/${org.orgId}/webhooks/${webhookId}`, { url: next.url }, org.apiKey));
    await afterWorkerIsDone(
      async () => (await statuses(org)).every((s) => s === 'succeeded'),
      async () => `deliveries ${JSON.stringify(await statuses(org))}, new receiver got ${next.received.length}`,
    );
    expect(sentAfter(old, answeredAt)).toEqual([]);
    const deliveredTo = new Set([...old.received, ...next.received].map((r) => r.headers['webhook-id']));
    expect(deliveredTo.size, 'deliveries that reached the old or the new URL').toBe(CALLS);
    expect(next.received.length).toBeGreaterThanOrEqual(CALLS - old.received.length);
    // The attempt in flight at the change: answered by the old URL before the answer, or aborted by
    // the worker (not the receiver's failure) and then delivered to the new one.
    const attempts = await api.get<{ data: Array<{ succeeded: boolean; error: string | null; startedAt: string; durationMs: number; request: { url: string } }> }>(
      `/v1/orgs/${org.orgId}/deliveries/${String(inFlight.headers['webhook-id'])}/attempts`, org.apiKey,
    );
    const [first, ...later] = attempts.body.data;
    expect(first!.request.url).toBe(old.url);
    if (!first!.succeeded) {
      expect(first!.error).toMatch(/^aborted: the webhook changed/);
      expect(Date.parse(first!.startedAt) + first!.durationMs, 'the aborted attempt ended before the answer').toBeLessThanOrEqual(answeredAt);
      expect(later.map((a) => [a.request.url, a.succeeded])).toEqual([[next.url, true]]);
    }
  });

  it('disable: nothing is sent after the answer, the rest is held', async () => {
    const { org, old, answeredAt } = await changeWhileQueued(({ org, webhookId }) => api.post(`/v1/orgs/${org.orgId}/webhooks/${webhookId}/disable`, undefined, org.apiKey));
    await afterWorkerIsDone(
      async () => (await statuses(org)).every((s) => s === 'succeeded' || s === 'held'),
      async () => `deliveries ${JSON.stringify(await statuses(org))}`,
    );
    expect(sentAfter(old, answeredAt)).toEqual([]);
    expect((await statuses(org)).filter((s) => s === 'held').length).toBeGreaterThanOrEqual(CALLS - old.received.length);
  });

  it('delete: nothing is sent after the answer', async () => {
    const { org, old, answeredAt } = await changeWhileQueued(({ org, webhookId }) => api.delete(`/v1/orgs/${org.orgId}/webhooks/${webhookId}`, org.apiKey));
    await afterWorkerIsDone(async () => (await statuses(org)).length === 0, async () => `deliveries ${JSON.stringify(await statuses(org))}`);
    expect(sentAfter(old, answeredAt)).toEqual([]);
  });

  it('a new signing secret: everything sent after the answer is signed with it', async () => {
    let rotated = '';
    const { org, old, answeredAt, secret } = await changeWhileQueued(async ({ org, webhookId }) => {
      const response = await api.post(`/v1/orgs/${org.orgId}/webhooks/${webhookId}/rotate-secret`, undefined, org.apiKey);
      rotated = response.body.secret;
      return response;
    });
    expect(rotated).not.toBe(secret);
    await afterWorkerIsDone(
      async () => (await statuses(org)).every((s) => s === 'succeeded'),
      async () => `deliveries ${JSON.stringify(await statuses(org))}`,
    );
    const later = sentAfter(old, answeredAt);
    expect(later.length, 'requests after the rotation').toBeGreaterThan(0);
    const unsigned = later.filter((request) => {
      try {
        new StandardWebhook(rotated).verify(request.body, request.headers as Record<string, string>);
        return false;
      } catch {
        return true;
      }
    });
    expect(unsigned.map((r) => r.headers['webhook-id']), 'sent after the answer without the new secret').toEqual([]);
  });

  it("the organization's plan loses webhooks: nothing is sent after the answer, the rest is held", async () => {
    const { org, old, answeredAt } = await changeWhileQueued(({ org }) => api.patch(`/v1/orgs/${org.orgId}`, { plan: 'basic' }));
    await afterWorkerIsDone(
      async () => {
        // The organization's deliveries can no longer be listed with its key (no webhooks in its plan): ask as the operator.
        const page = await api.get<{ data: Array<{ status: string }> }>(`/v1/orgs/${org.orgId}/deliveries?limit=100`);
        return page.status === 200 && page.body.data.every((d) => d.status === 'succeeded' || d.status === 'held');
      },
      async () => JSON.stringify((await api.get(`/v1/orgs/${org.orgId}/deliveries?limit=100`)).body),
    );
    expect(sentAfter(old, answeredAt)).toEqual([]);
  });

  it("the Rinkel API's PUT (a new URL and inactive at once): nothing is sent after the answer", async () => {
    const next = await receiver();
    const { org, old, answeredAt } = await changeWhileQueued(
      ({ org }) => api.request('PUT', '/rinkel/v1/webhooks/incomingCall', { body: { url: next.url, active: false }, token: null, headers: { 'x-rinkel-api-key': org.apiKey } }),
      { rinkel: true },
    );
    await afterWorkerIsDone(
      async () => (await statuses(org)).every((s) => s === 'succeeded' || s === 'held'),
      async () => `deliveries ${JSON.stringify(await statuses(org))}`,
    );
    expect(sentAfter(old, answeredAt)).toEqual([]);
    expect(next.received).toEqual([]);
  });
});

describe('webhook changes in one process on SQLite', () => {
  const scope = testScope();

  it('a new URL while deliveries are queued: the old one gets nothing after the answer', async () => {
    const t = await startTestService({ background: true, env: { CALLHOOK_IN_FLIGHT_PER_WEBHOOK: '1' } });
    scope.defer(() => t.cleanup());
    const org = await setupOrg(t.api);
    const old = await scope.receiver({ kind: 'status', status: 200 }, { delayMs: SLOW_MS });
    const next = await scope.receiver();
    const webhook = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: old.url }, org.apiKey);
    const at = t.clock.now();
    const steps = Array.from({ length: CALLS }, (_, i) => ({ type: 'started', callId: `held-${i}`, direction: 'inbound', from: '+31850609001', to: '+31850609000', at: at + i }));
    expect((await ingest(t.api, org.ingestToken, { steps })).status).toBe(202);
    await old.waitFor(1);
    expect(t.service.dispatcher.stats()).toEqual({ queued: CALLS - 1, inFlight: 1 });

    const inFlight = old.received.at(-1)!;
    expect((await t.api.patch(`/v1/orgs/${org.orgId}/webhooks/${webhook.body.id}`, { url: next.url }, org.apiKey)).status).toBe(200);
    const answeredAt = Date.now();
    await next.waitFor(CALLS - old.received.length);
    await t.service.dispatcher.idle();
    expect(old.received.filter((r) => r.receivedAt > answeredAt)).toEqual([]);
    // The one in flight was aborted and went to the new URL too, unless the old one answered first.
    const attemptsOf = () => t.service.store.deliveries.attempts(org.orgId, String(inFlight.headers['webhook-id']));
    const [first] = await attemptsOf();
    if (first!.succeeded) expect(next.received).toHaveLength(CALLS - 1);
    else {
      expect(first!.error).toMatch(/^aborted: the webhook changed/);
      await eventually(() => next.received.length === CALLS, { timeoutMs: 5_000, what: () => `the new URL got ${next.received.length}` });
      await t.service.dispatcher.idle();
      expect((await attemptsOf()).map((a) => [a.url, a.succeeded])).toEqual([[old.url, false], [next.url, true]]);
    }
  });
});
