// The README's first call, end to end over real HTTP: steps in through the ingest API, webhooks
// out in each dialect and content type, in order, signed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { type OrgSetup, type TestService, ingest, setupOrg, startTestService } from '../helpers/service.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { startRecordingServer } from '../helpers/recording-server.ts';
import { getBytes, local } from '../helpers/recordings.ts';
import { wavFile } from '../fixtures/audio.ts';

const T0 = Date.parse('2024-10-23T13:56:24.969Z');

describe('a call in, webhooks out', () => {
  let t: TestService;
  let org: OrgSetup;
  let receiver: Receiver;

  beforeAll(async () => {
    t = await startTestService();
    org = await setupOrg(t.api, { domain: 'newcompany123', defaultCountry: 'IE' });
    // The README's main number (the first number added).
    expect((await t.api.post(`/v1/orgs/${org.orgId}/numbers`, { number: '+31850609000' }, org.apiKey)).body.main).toBe(true);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await t.cleanup();
    await receiver.close();
  });

  it('sends a Ringotel-style webhook every step of an inbound call, in order, byte for byte', async () => {
    const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/ringotel`, format: 'ringotel', apiToken: '5c2d7008-a4b9-4eec-b549-e82804521e9a' }, org.apiKey);
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    const callId = '1729693708182-2d1c3de3d3772cdc1f';
    // The phone system's recording, where its step says: callhook fetches it, stores it, and links its own copy.
    const pbx = await startRecordingServer();
    const wav = wavFile(1);
    pbx.serve('/public/LL2uIbd5NcBZLHGa.wav', wav);
    const response = await ingest(t.api, org.ingestToken, {
      steps: [
        { type: 'started', callId, direction: 'inbound', from: '353212028252', to: '500', user: '500', at: T0 },
        { type: 'answered', callId, at: T0 + 6_700 },
        { type: 'ended', callId, at: T0 + 33_700 },
        { type: 'recording', callId, url: `${pbx.origin}/public/LL2uIbd5NcBZLHGa.wav` },
      ],
    });
    expect(response.status).toBe(202);
    expect(response.body.results.map((r: { status: string }) => r.status)).toEqual(['applied', 'applied', 'applied', 'fetching']);
    await t.service.recordings.fetcher.tick();
    await pbx.close();

    const got = await receiver.waitFor(3);
    const bodies = got.map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => b.method)).toEqual(['StartCallActivity', 'StopCallActivity', 'UpdateCallRecording']);
    expect(got[0]!.body).toBe(
      JSON.stringify({
        method: 'StartCallActivity',
        api_token: '5c2d7008-a4b9-4eec-b549-e82804521e9a',
        params: {
          connection_name: 'PBX',
          extension: '500',
          user_id: '17295348437628309790',
          connection_id: org.connectionId,
          activity_type: 'inbound',
          domain: 'newcompany123',
          call_start: T0,
          called_number: '500',
          caller_number: '353212028252',
          call_id: callId,
        },
      }),
    );
    expect(bodies[1].params).toMatchObject({ call_end: T0 + 33_700, call_duration: 27, call_cause: '0', call_start: T0 });
    expect(bodies[2]).toEqual({ method: 'UpdateCallRecording', api_token: '5c2d7008-a4b9-4eec-b549-e82804521e9a', params: { call_recording_url: expect.stringMatching(/\/v1\/recordings\/rk_/), call_id: callId } });
    expect((await getBytes(local(t, bodies[2].params.call_recording_url))).bytes.equals(wav)).toBe(true);
    for (const request of got) {
      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['user-agent']).toMatch(/^callhook\/\d/);
    }
  });

  it('signs every request so the standardwebhooks library verifies it', async () => {
    const list = await t.api.get(`/v1/orgs/${org.orgId}/webhooks`, org.apiKey);
    const webhookId = list.body.data[0].id;
    const { body: secret } = await t.api.get(`/v1/orgs/${org.orgId}/webhooks/${webhookId}/secret`, org.apiKey);
    const verifier = new StandardWebhook(secret.secret);
    for (const request of receiver.received) {
      const headers = { 'webhook-id': String(request.headers['webhook-id']), 'webhook-timestamp': String(request.headers['webhook-timestamp']), 'webhook-signature': String(request.headers['webhook-signature']) };
      expect(() => verifier.verify(request.body, headers)).not.toThrow();
      const tampered = request.body.replace('"call_id"', '"call_Id"');
      expect(() => verifier.verify(tampered, headers)).toThrow();
    }
    // The delivery id is the webhook-id: stable across retries, distinct per delivery.
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(receiver.received.length);
  });

  it('sends Rinkel-style form bodies, one webhook per event, numbers in E.164', async () => {
    const rinkel = await startReceiver();
    try {
      for (const event of ['call.incoming', 'call.answered', 'call.ended', 'call.insights']) {
        const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${rinkel.url}/${event}`, events: [event], format: 'rinkel', contentType: 'application/x-www-form-urlencoded' }, org.apiKey);
        expect(created.status).toBe(201);
      }
      const callId = 'rinkel-call-1';
      expect((await ingest(t.api, org.ingestToken, { type: 'started', callId, direction: 'inbound', from: '0871234567', to: '+353212028252', user: '501', at: '2023-06-14T13:56:24.969Z' })).status).toBe(202);
      expect((await ingest(t.api, org.ingestToken, { type: 'answered', callId, at: '2023-06-14T13:56:30.000Z', answeredBy: 'bob@newcompany.example', choice: '1' })).status).toBe(202);
      expect((await ingest(t.api, org.ingestToken, { type: 'ended', callId, at: '2023-06-14T13:57:00.000Z' })).status).toBe(202);
      expect((await ingest(t.api, org.ingestToken, { type: 'insights', callId, sentiment: 'POSITIVE', topics: ['sales', 'support'], summary: 'A happy customer.' })).status).toBe(202);
      const got = await rinkel.waitFor(4);
      const byPath = Object.fromEntries(got.map((r) => [r.path, r]));
      expect(byPath['/call.incoming']!.body).toBe('id=rinkel-call-1&datetime=2023-06-14T13%3A56%3A24.969Z&to=%2B353212028252&from=%2B353871234567');
      expect(byPath['/call.answered']!.body).toBe('id=rinkel-call-1&datetime=2023-06-14T13%3A56%3A30.000Z&answeredBy=bob%40newcompany.example&choice=1');
      expect(byPath['/call.ended']!.body).toBe('id=rinkel-call-1&datetime=2023-06-14T13%3A57%3A00.000Z&cause=ANSWERED');
      expect(byPath['/call.insights']!.body).toBe('id=rinkel-call-1&sentiment=POSITIVE&topics[]=sales&topics[]=support&summary=A+happy+customer.');
      for (const r of got) expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
    } finally {
      await rinkel.close();
    }
  });

  it("sends the README's call to a Rinkel receiver with E.164 numbers: `to` is the number extension 500's call came in on", async () => {
    const rinkel = await startReceiver();
    try {
      const created = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: rinkel.url, events: ['call.incoming'], format: 'rinkel' }, org.apiKey);
      const answer = await ingest(t.api, org.ingestToken, { type: 'started', callId: 'readme-rinkel', direction: 'inbound', from: '353212028252', to: '500', user: '500', at: T0 });
      expect(answer.body.results[0].warnings).toBeUndefined();
      const [got] = await rinkel.waitFor(1);
      expect(got!.body).toBe('{"id":"readme-rinkel","datetime":"2024-10-23T13:56:24.969Z","to":"+31850609000","from":"+353212028252"}');
      await t.api.delete(`/v1/orgs/${org.orgId}/webhooks/${created.body.id}`, org.apiKey);
    } finally {
      await rinkel.close();
    }
  });

  it("takes the README's curl calls: a bodiless POST that still says Content-Type: application/json", async () => {
    const list = await t.api.get(`/v1/orgs/${org.orgId}/webhooks`, org.apiKey);
    const webhookId = list.body.data[0].id;
    const response = await t.api.request('POST', `/v1/orgs/${org.orgId}/webhooks/${webhookId}/enable`, { headers: { 'content-type': 'application/json' }, token: org.apiKey });
    expect(response.status).toBe(200);
    expect(response.body.enabled).toBe(true);
    const needsBody = await t.api.request('POST', `/v1/orgs/${org.orgId}/users`, { headers: { 'content-type': 'application/json' }, token: org.apiKey });
    expect(needsBody.status).toBe(422);
  });

  it('sends the standard format with the whole call in data', async () => {
    const std = await startReceiver();
    try {
      await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: std.url, events: ['call.outgoing', 'call.ended'], format: 'standard' }, org.apiKey);
      const callId = 'std-call-1';
      await ingest(t.api, org.ingestToken, { type: 'started', callId, direction: 'outbound', from: '500', to: '+31850609000', user: '17295348437628309790', at: T0, subject: 'Renewal' });
      await ingest(t.api, org.ingestToken, { type: 'ended', callId, at: T0 + 5_000, sipCode: 486 });
      const got = await std.waitFor(2);
      const [outgoing, ended] = got.map((r) => JSON.parse(r.body));
      expect(outgoing.type).toBe('call.outgoing');
      expect(outgoing.id).toMatch(/^evt_/);
      expect(outgoing.data).toMatchObject({ callId, direction: 'outbound', from: '500', to: '+31850609000', subject: 'Renewal', user: { id: '17295348437628309790', extension: '500' } });
      expect(outgoing.data).toMatchObject({ fromE164: '+31850609000', toE164: '+31850609000' }); // extension 500 presents the main number
      expect(ended.type).toBe('call.ended');
      expect(ended.data).toMatchObject({ outcome: 'UNANSWERED', sipCode: 486, talkTimeS: 0 });
    } finally {
      await std.close();
    }
  });
});
