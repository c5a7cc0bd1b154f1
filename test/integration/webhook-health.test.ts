// Issue 14, item 1: a failing webhook must not look healthy. A receiver answering 500 to 13
// deliveries: every /v1 answer about the webhook says failing (since when, how many, the last
// error, the next retry), the organization counts it, the Rinkel API keeps its exact shape, a
// failed manual retry keeps it failing and a successful one makes it healthy; disabled is disabled.
// /metrics (parsed strictly) moves with every attempt: per-webhook counters and the histograms.
import { describe, expect, it } from 'vitest';
import { POSTGRES_URL, createTestDatabase } from '../helpers/postgres.ts';
import { parseExposition, seriesValue } from '../helpers/prometheus-text.ts';
import { ingest, setupOrg, startTestService } from '../helpers/service.ts';
import { testScope } from '../helpers/scope.ts';

const HOUR = 3_600_000;
const started = (callId: string, at: number) => ({ type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '+31850609000', user: '500', at });

const stores = [['SQLite', false], ...(POSTGRES_URL ? [['PostgreSQL', true] as const] : [])] as const;

describe.each(stores)('webhook health, as every screen shows it (%s)', (_name, postgres) => {
  const scope = testScope();

  it('tells failing since the first failure with count, error and next retry, everywhere, until a retry succeeds', async () => {
    const env: Record<string, string> = {};
    if (postgres) {
      const database = await createTestDatabase();
      scope.defer(() => database.drop());
      env.CALLHOOK_DATABASE_URL = database.url;
    }
    const t = await startTestService({ env });
    scope.defer(() => t.cleanup());
    const org = await setupOrg(t.api);
    const receiver = await scope.receiver({ kind: 'status', status: 500, body: 'database down' });
    const rinkelHeaders = { 'x-rinkel-api-key': org.apiKey };
    const rinkel = await t.api.request('POST', '/rinkel/v1/webhooks/incomingCall', { body: { url: `${receiver.url}/rinkel`, contentType: 'application/json' }, token: null, headers: rinkelHeaders });
    expect(rinkel.status).toBe(201);
    const list = async () => (await t.api.get(`/v1/orgs/${org.orgId}/webhooks`, org.apiKey)).body.data as Array<{ id: string; url: string; health: Record<string, unknown> }>;
    const webhook = (await list()).find((w) => w.url === `${receiver.url}/rinkel`)!;
    expect(webhook.health).toEqual({ state: 'healthy', failingSince: null, consecutiveFailures: 0, lastError: null, lastAttemptAt: null, lastSuccessAt: null, nextAttemptAt: null });

    const t0 = t.clock.now();
    for (let i = 0; i < 13; i++) {
      expect((await ingest(t.api, org.ingestToken, started(`c${i}`, t.clock.now()))).status).toBe(202);
      await t.service.dispatcher.idle();
      t.clock.advance(60_000);
    }
    expect(receiver.received).toHaveLength(13);
    const lastFailure = t0 + 12 * 60_000;
    const failing = {
      state: 'failing',
      failingSince: new Date(t0).toISOString(),
      consecutiveFailures: 13,
      lastError: 'HTTP 500: only a 2xx answer counts as delivered',
      lastAttemptAt: new Date(lastFailure).toISOString(),
      lastSuccessAt: null,
      nextAttemptAt: new Date(t0 + HOUR).toISOString(), // the earliest of the 13 hourly retries
    };
    // The webhook list, the webhook, and every answer that returns it.
    expect((await list()).find((w) => w.id === webhook.id)!.health).toEqual(failing);
    const path = `/v1/orgs/${org.orgId}/webhooks/${webhook.id}`;
    expect((await t.api.get(path, org.apiKey)).body.health).toEqual(failing);
    expect((await t.api.patch(path, { description: 'CRM' }, org.apiKey)).body.health).toEqual(failing);
    expect((await t.api.post(`${path}/rotate-secret`, undefined, org.apiKey)).body.health).toEqual(failing);
    // The organization's header: one webhook failing (for its admin and for the operator's list).
    expect((await t.api.get(`/v1/orgs/${org.orgId}`, org.apiKey)).body.webhookHealth).toEqual({ failing: 1, disabled: 0 });
    const orgs = (await t.api.get('/v1/orgs')).body.data as Array<{ id: string; webhookHealth: unknown }>;
    expect(orgs.find((o) => o.id === org.orgId)!.webhookHealth).toEqual({ failing: 1, disabled: 0 });

    // The Rinkel-compatible API keeps its shape exactly: nothing added for receivers built for it.
    const rinkelList = await t.api.request('GET', '/rinkel/v1/webhooks', { token: null, headers: rinkelHeaders });
    expect(rinkelList.body).toEqual({ data: [{ event: 'incomingCall', url: `${receiver.url}/rinkel`, contentType: 'application/json', active: true, description: 'CRM' }] });

    // A manual retry that fails keeps it failing; one that succeeds makes it healthy.
    const deliveries = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?webhookId=${webhook.id}`, org.apiKey)).body.data as Array<{ id: string }>;
    t.clock.advance(60_000);
    const failedRetry = await t.api.post(`/v1/orgs/${org.orgId}/deliveries/${deliveries[0]!.id}/retry`, undefined, org.apiKey);
    expect(failedRetry.body.attempt.succeeded).toBe(false);
    expect((await t.api.get(path, org.apiKey)).body.health).toMatchObject({ state: 'failing', consecutiveFailures: 14, failingSince: new Date(t0).toISOString() });
    receiver.behave({ kind: 'status', status: 200 });
    t.clock.advance(60_000);
    const retried = await t.api.post(`/v1/orgs/${org.orgId}/deliveries/${deliveries[1]!.id}/retry`, undefined, org.apiKey);
    expect(retried.body.attempt.succeeded).toBe(true);
    const successAt = new Date(t.clock.now()).toISOString();
    expect((await t.api.get(path, org.apiKey)).body.health).toEqual({
      state: 'healthy', failingSince: null, consecutiveFailures: 0, lastError: null, lastAttemptAt: successAt, lastSuccessAt: successAt, nextAttemptAt: new Date(t0 + HOUR).toISOString(),
    });
    expect((await t.api.get(`/v1/orgs/${org.orgId}`, org.apiKey)).body.webhookHealth).toEqual({ failing: 0, disabled: 0 });

    // Disabled is disabled, whatever the attempts did; the organization counts it.
    const disabled = await t.api.post(`${path}/disable`, { reason: 'maintenance' }, org.apiKey);
    expect(disabled.body.health).toMatchObject({ state: 'disabled', nextAttemptAt: null });
    expect((await t.api.get(`/v1/orgs/${org.orgId}`, org.apiKey)).body.webhookHealth).toEqual({ failing: 0, disabled: 1 });
    expect((await t.api.post(`${path}/enable`, undefined, org.apiKey)).body.health.state).toBe('healthy');

    // /metrics parses, and its per-webhook series and histograms moved with the attempts.
    const metrics = await fetch(`${t.url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const families = parseExposition(await metrics.text());
    expect(seriesValue(families, 'callhook_webhook_attempts_total', { webhook_id: webhook.id, result: 'failure' })).toBe(14);
    expect(seriesValue(families, 'callhook_webhook_attempts_total', { webhook_id: webhook.id, result: 'success' })).toBe(1);
    expect(seriesValue(families, 'callhook_webhook_deliveries_total', { webhook_id: webhook.id, outcome: 'succeeded' })).toBe(1);
    expect(seriesValue(families, 'callhook_delivery_attempt_duration_seconds_count', { result: 'failure' })).toBe(14);
    expect(seriesValue(families, 'callhook_delivery_attempt_duration_seconds_count', { result: 'success' })).toBe(1);
    // Ingest → first attempt: the 13 first attempts (manual retries are not first attempts), at once on the fake clock.
    expect(seriesValue(families, 'callhook_delivery_first_attempt_delay_seconds_count')).toBe(13);
    expect(seriesValue(families, 'callhook_delivery_first_attempt_delay_seconds_bucket', { le: '0.001' })).toBe(13);
    expect(families.get('nodejs_eventloop_lag_p99_seconds')?.type).toBe('gauge');
    expect(families.get('process_cpu_seconds_total')?.type).toBe('counter');
    // The embedded store's WAL checkpoint thread: counted, and at work (PostgreSQL has none).
    if (postgres) expect(families.has('callhook_sqlite_checkpoints_total')).toBe(false);
    else {
      expect(families.get('callhook_sqlite_checkpoints_total')?.type).toBe('counter');
      expect(seriesValue(families, 'callhook_sqlite_checkpoints_total', { result: 'failed' })).toBe(0);
      expect(seriesValue(families, 'callhook_sqlite_checkpoint_thread')).toBe(1);
    }
  });
});
