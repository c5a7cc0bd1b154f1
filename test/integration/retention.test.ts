// Retention: after the configured age, attempts, finished deliveries, their events and ended calls
// are purged; what is still owed (a delivery waiting for its retry) stays, with its call — on each store.
import { describe, expect, it } from 'vitest';
import { testScope } from '../helpers/scope.ts';
import { BACKENDS, ingest } from '../helpers/service.ts';

const DAY = 86_400_000;

describe.each(BACKENDS)('retention (%s)', (backend) => {
  const scope = testScope();

  it('purges old finished work after the configured days, and keeps what is owed', async () => {
    const { t, org } = await scope.service({ CALLHOOK_RETENTION_DAYS: '30' }, backend);
    const ok = await scope.receiver();
    const down = await scope.receiver({ kind: 'status', status: 503 });
    expect((await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: ok.url, events: ['call.incoming', 'call.ended'] }, org.apiKey)).status).toBe(201);
    // The down receiver's delivery waits a week for its retry (no tick runs it): it is owed.
    expect((await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: down.url, events: ['call.ended'], retryScheduleS: [7 * 86_400] }, org.apiKey)).status).toBe(201);
    const t0 = t.clock.now();
    await ingest(t.api, org.ingestToken, { type: 'started', callId: 'done', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: t0 });
    await ingest(t.api, org.ingestToken, { type: 'started', callId: 'owed', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: t0 });
    await ingest(t.api, org.ingestToken, { type: 'ended', callId: 'owed', at: t0 + 1_000 });
    await t.service.dispatcher.idle();

    t.clock.advance(29 * DAY);
    expect(await t.service.retention.tick()).toEqual({ attempts: 0, deliveries: 0, events: 0, calls: 0, recordings: 0, fetches: 0, abandonedUploads: 0 });
    t.clock.advance(2 * DAY);
    const purged = await t.service.retention.tick();
    expect(purged).toMatchObject({ deliveries: 3, events: 2, calls: 1 });
    expect(purged.attempts).toBe(4);

    const left = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries`, org.apiKey)).body.data;
    expect(left.map((d: { callId: string; event: string; status: string }) => `${d.callId} ${d.event} ${d.status}`)).toEqual(['owed call.ended pending']);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/calls/done`, org.apiKey)).status).toBe(404);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/calls/owed`, org.apiKey)).status).toBe(200);
  });

  it('keeps everything with CALLHOOK_RETENTION_DAYS=0', async () => {
    const { t, org } = await scope.service({ CALLHOOK_RETENTION_DAYS: '0' }, backend);
    const ok = await scope.receiver();
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: ok.url }, org.apiKey);
    await ingest(t.api, org.ingestToken, { type: 'started', callId: 'kept', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: t.clock.now() });
    await t.service.dispatcher.idle();
    t.clock.advance(3_650 * DAY);
    expect(await t.service.retention.tick()).toEqual({ attempts: 0, deliveries: 0, events: 0, calls: 0, recordings: 0, fetches: 0, abandonedUploads: 0 });
    expect((await t.api.get(`/v1/orgs/${org.orgId}/calls/kept`, org.apiKey)).status).toBe(200);
  });
});
