// The seeds' retry contract with a fake clock: a failing receiver is retried once an hour for 24 h,
// across a restart of the service; then the webhook is disabled, the organization gets exactly one
// e-mail through a real SMTP server, later events are held, and after re-enabling a replay
// delivers everything — on each store.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type OrgSetup, type TestService, ingest, setupOrg, startTestService } from '../helpers/service.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const HOUR = 3_600_000;

describe.each(BACKENDS)('retry schedule, disable and the one e-mail (%s)', (backend) => {
  let smtp: SmtpSink;
  let receiver: Receiver;
  beforeAll(async () => {
    smtp = await startSmtpSink();
  });
  afterAll(async () => {
    await smtp.close();
  });
  afterEach(async () => {
    await receiver?.close();
  });

  it('retries hourly for 24 h across a restart, disables, mails once, holds, and replays after re-enabling', async () => {
    receiver = await startReceiver({ kind: 'status', status: 500, body: 'database down' });
    const clock = new FakeClock();
    let t: TestService = await startTestService({ backend, clock, env: { CALLHOOK_SMTP_URL: smtp.url, CALLHOOK_PUBLIC_URL: 'https://callhook.example.com' } });
    try {
      const org: OrgSetup = await setupOrg(t.api, { notificationEmails: ['ops@newcompany.example', 'cto@newcompany.example'] });
      const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/crm`, format: 'standard', description: 'CRM' }, org.apiKey);
      const webhookId = created.body.id as string;
      const t0 = clock.now();
      await ingest(t.api, org.ingestToken, { type: 'started', callId: 'c1', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: t0 });
      await t.service.dispatcher.idle();
      expect(receiver.received).toHaveLength(1);

      for (let hour = 1; hour <= 24; hour++) {
        if (hour === 10) {
          // Pending retries survive a restart and the schedule carries on where it was.
          t = await t.restart();
          expect(receiver.received).toHaveLength(10);
        }
        clock.advance(HOUR - 1);
        await t.service.dispatcher.tick();
        expect(receiver.received, `nothing is due a millisecond early (hour ${hour})`).toHaveLength(hour);
        clock.advance(1);
        await t.service.dispatcher.tick();
        expect(receiver.received, `attempt ${hour + 1} at hour ${hour}`).toHaveLength(hour + 1);
      }

      const deliveries = await t.api.get(`/v1/orgs/${org.orgId}/deliveries?webhookId=${webhookId}`, org.apiKey);
      const delivery = deliveries.body.data[0];
      expect(delivery).toMatchObject({ status: 'failed', attempts: 25, lastStatus: 500 });
      const attempts = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries/${delivery.id}/attempts`, org.apiKey)).body.data;
      expect(attempts.map((a: { startedAt: string }) => Date.parse(a.startedAt) - t0)).toEqual(Array.from({ length: 25 }, (_, i) => i * HOUR));
      // Every attempt sends the same bytes and the same webhook-id; only the signature is new.
      expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
      expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivery.id]));

      const webhook = (await t.api.get(`/v1/orgs/${org.orgId}/webhooks/${webhookId}`, org.apiKey)).body;
      expect(webhook.enabled).toBe(false);
      expect(webhook.disabledReason).toContain(delivery.id);
      expect(webhook.lastError).toContain('HTTP 500');

      await t.service.outbox.tick();
      const [mail] = await smtp.waitFor(1);
      expect(mail!.to).toEqual(['ops@newcompany.example', 'cto@newcompany.example']);
      expect(mail!.subject).toContain('Webhook disabled');
      expect(mail!.subject).toContain('CRM');
      expect(mail!.text).toContain(webhookId);
      expect(mail!.text).toContain('HTTP 500');
      expect(mail!.text).toContain(`https://callhook.example.com/v1/orgs/${org.orgId}/webhooks/${webhookId}/enable`);
      expect(mail!.text).toContain('/replay');
      const notifications = (await t.api.get(`/v1/orgs/${org.orgId}/notifications`, org.apiKey)).body.data;
      expect(notifications).toHaveLength(1);
      expect(notifications[0]).toMatchObject({ status: 'sent', subjectId: webhookId });

      // While disabled, new events are recorded as held and nothing is sent.
      await ingest(t.api, org.ingestToken, { type: 'ended', callId: 'c1', at: clock.now() });
      await t.service.dispatcher.tick();
      clock.advance(HOUR);
      await t.service.dispatcher.tick();
      await t.service.outbox.tick();
      expect(receiver.received).toHaveLength(25);
      expect(smtp.mails, 'exactly one e-mail').toHaveLength(1);
      const held = await t.api.get(`/v1/orgs/${org.orgId}/deliveries?status=held`, org.apiKey);
      expect(held.body.data.map((d: { event: string }) => d.event)).toEqual(['call.ended']);

      // Replay is refused while disabled; after fixing and re-enabling it delivers both, in order.
      const since = new Date(t0).toISOString();
      expect((await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${webhookId}/replay`, { since }, org.apiKey)).status).toBe(409);
      receiver.behave({ kind: 'status', status: 204 });
      expect((await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${webhookId}/enable`, undefined, org.apiKey)).body.enabled).toBe(true);
      const replay = await t.api.post(`/v1/orgs/${org.orgId}/webhooks/${webhookId}/replay`, { since }, org.apiKey);
      expect(replay.status).toBe(202);
      expect(replay.body.replayed).toBe(2);
      await t.service.dispatcher.tick();
      await t.service.dispatcher.idle();
      expect(receiver.received.slice(25).map((r) => JSON.parse(r.body).type)).toEqual(['call.incoming', 'call.ended']);
      const after = await t.api.get(`/v1/orgs/${org.orgId}/deliveries?webhookId=${webhookId}`, org.apiKey);
      expect(after.body.data.map((d: { status: string }) => d.status)).toEqual(['succeeded', 'succeeded']);
    } finally {
      await t.cleanup();
    }
  });

  it('does not disable a webhook that delivered something since the failing delivery began', async () => {
    receiver = await startReceiver({ kind: 'status', status: 503 });
    const clock = new FakeClock();
    const t = await startTestService({ backend, clock, env: { CALLHOOK_SMTP_URL: smtp.url } });
    const before = smtp.mails.length;
    try {
      const org = await setupOrg(t.api);
      // A quick schedule: three attempts a minute apart.
      const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url, retryScheduleS: [60, 60] }, org.apiKey);
      await ingest(t.api, org.ingestToken, { type: 'started', callId: 'failing', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: clock.now() });
      await t.service.dispatcher.idle();
      clock.advance(1_000);
      receiver.behave({ kind: 'status', status: 200 });
      await ingest(t.api, org.ingestToken, { type: 'started', callId: 'working', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: clock.now() });
      await t.service.dispatcher.idle();
      receiver.behave({ kind: 'status', status: 503 });
      for (let i = 0; i < 2; i++) {
        clock.advance(60_000);
        await t.service.dispatcher.tick();
      }
      const failing = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?callId=failing`, org.apiKey)).body.data[0];
      expect(failing).toMatchObject({ status: 'failed', attempts: 3 });
      const webhook = (await t.api.get(`/v1/orgs/${org.orgId}/webhooks/${created.body.id}`, org.apiKey)).body;
      expect(webhook.enabled).toBe(true);
      await t.service.outbox.tick();
      expect(smtp.mails).toHaveLength(before);
    } finally {
      await t.cleanup();
    }
  });

  it('keeps the e-mail in the outbox and the log when no SMTP server is configured', async () => {
    receiver = await startReceiver({ kind: 'status', status: 500 });
    const clock = new FakeClock();
    const t = await startTestService({ backend, clock });
    try {
      const org = await setupOrg(t.api);
      await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url, retryScheduleS: [] }, org.apiKey);
      await ingest(t.api, org.ingestToken, { type: 'started', callId: 'c', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: clock.now() });
      await t.service.dispatcher.idle();
      await t.service.outbox.tick();
      const notifications = (await t.api.get(`/v1/orgs/${org.orgId}/notifications`, org.apiKey)).body.data;
      expect(notifications).toHaveLength(1);
      expect(notifications[0].status).toBe('logged');
      expect(notifications[0].text).toContain('HTTP 500');
    } finally {
      await t.cleanup();
    }
  });
});
