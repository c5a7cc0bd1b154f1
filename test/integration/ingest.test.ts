// The ingest API's contract: 202 = stored; duplicates are idempotent; contradictions and bad input
// are problem+json naming the field; one bad item rejects the whole batch and nothing is applied.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OrgSetup, type TestService, ingest, setupOrg, startTestService } from '../helpers/service.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';

describe('ingest', () => {
  let t: TestService;
  let org: OrgSetup;
  let receiver: Receiver;
  const T0 = Date.parse('2025-03-01T09:00:00.000Z');

  beforeAll(async () => {
    t = await startTestService();
    org = await setupOrg(t.api);
    receiver = await startReceiver();
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url, format: 'standard' }, org.apiKey);
  });
  afterAll(async () => {
    await t.cleanup();
    await receiver.close();
  });

  const calls = async () => (await t.api.get(`/v1/orgs/${org.orgId}/calls`, org.apiKey)).body.data.map((c: { callId: string }) => c.callId);
  const expectProblem = (response: { status: number; body: any; headers: Headers }, status: number, field: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.field).toBe(field);
    expect(response.body.detail).toBeTruthy();
  };

  it('answers a repeated step with the same result and sends no second webhook', async () => {
    const step = { type: 'started', callId: 'dup', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: T0 };
    const first = await ingest(t.api, org.ingestToken, step);
    const again = await ingest(t.api, org.ingestToken, { at: T0, to: '+31850609000', from: '+31850609001', direction: 'inbound', callId: 'dup', type: 'started' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(first.body.results[0]).toMatchObject({ status: 'applied' });
    expect(again.body.results[0]).toEqual({ ...first.body.results[0], status: 'duplicate' });
    await t.service.dispatcher.idle();
    expect(receiver.received.filter((r) => JSON.parse(r.body).data.callId === 'dup')).toHaveLength(1);
  });

  it('rejects a different step of a kind the call already had', async () => {
    await ingest(t.api, org.ingestToken, { type: 'started', callId: 'twice', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: T0 });
    await ingest(t.api, org.ingestToken, { type: 'ended', callId: 'twice', at: T0 + 5_000 });
    expectProblem(await ingest(t.api, org.ingestToken, { type: 'ended', callId: 'twice', at: T0 + 6_000 }), 409, 'type');
  });

  it('rejects steps that contradict the call, naming the field', async () => {
    expectProblem(await ingest(t.api, org.ingestToken, { type: 'answered', callId: 'never-started', at: T0 }), 409, 'callId');
    await ingest(t.api, org.ingestToken, { type: 'started', callId: 'early', direction: 'outbound', from: '500', to: '+31850609000', at: T0 });
    expectProblem(await ingest(t.api, org.ingestToken, { type: 'answered', callId: 'early', at: T0 - 1 }), 409, 'at');
    expectProblem(await ingest(t.api, org.ingestToken, { type: 'ended', callId: 'early', at: T0 + 1_000, outcome: 'ANSWERED' }), 409, 'outcome');
  });

  it('applies a batch all or nothing: one bad item rejects every step', async () => {
    const response = await ingest(t.api, org.ingestToken, {
      steps: [
        { type: 'started', callId: 'batch-1', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: T0 },
        { type: 'ended', callId: 'batch-1', at: T0 + 4_000 },
        { type: 'insights', callId: 'batch-1', sentiment: 'NEUTRAL', topics: ['a', 'b', 'c', 'd', 'e'], summary: 'five topics' },
      ],
    });
    expectProblem(response, 422, 'steps[2].topics');
    expect(await calls()).not.toContain('batch-1');

    const conflict = await ingest(t.api, org.ingestToken, {
      steps: [
        { type: 'started', callId: 'batch-2', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: T0 },
        { type: 'answered', callId: 'batch-2', at: T0 - 5 },
      ],
    });
    expectProblem(conflict, 409, 'steps[1].at');
    expect(await calls()).not.toContain('batch-2');
  });

  it('names the field for unknown fields, malformed numbers, bad times and bad types', async () => {
    const base = { type: 'started', callId: 'bad', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: T0 };
    expectProblem(await ingest(t.api, org.ingestToken, { ...base, colour: 'red' }), 422, 'colour');
    expectProblem(await ingest(t.api, org.ingestToken, { ...base, from: '+31 85 BAD' }), 422, 'from');
    expectProblem(await ingest(t.api, org.ingestToken, { ...base, at: 'yesterday' }), 422, 'at');
    expectProblem(await ingest(t.api, org.ingestToken, { ...base, at: 9e15 }), 422, 'at');
    expectProblem(await ingest(t.api, org.ingestToken, { ...base, at: 1_700_000_000 }), 422, 'at'); // seconds, not ms
    expectProblem(await ingest(t.api, org.ingestToken, { ...base, at: '2024-02-30T10:00:00Z' }), 422, 'at');
    expectProblem(await ingest(t.api, org.ingestToken, { ...base, at: '0000-01-01T00:00:00Z' }), 422, 'at');
    expectProblem(await ingest(t.api, org.ingestToken, { ...base, direction: 'sideways' }), 422, 'direction');
    expectProblem(await ingest(t.api, org.ingestToken, { ...base, type: 'ringing' }), 422, 'type');
    expectProblem(await ingest(t.api, org.ingestToken, { steps: [base, { ...base, callId: 'bad-2', to: undefined }] }), 422, 'steps[1].to');
    const malformed = await t.api.request('POST', '/v1/ingest/calls', { raw: '{"type": "started",', headers: { 'content-type': 'application/json' }, token: org.ingestToken });
    expect(malformed.status).toBe(400);
    expect(malformed.body.type).toContain('malformed-request');
    expect(await calls()).not.toContain('bad');
  });

  it('refuses a missing or revoked ingest token', async () => {
    const step = { type: 'started', callId: 'auth', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: T0 };
    expect((await ingest(t.api, null as unknown as string, step)).status).toBe(401);
    const other = await t.api.post(`/v1/orgs/${org.orgId}/connections`, { name: 'Old PBX' });
    await t.api.delete(`/v1/orgs/${org.orgId}/connections/${other.body.id}`);
    expect((await ingest(t.api, other.body.ingestToken, step)).status).toBe(401);
  });

  it('accepts epoch milliseconds, derives the outcome and talk time, and keeps withheld callers anonymous', async () => {
    await ingest(t.api, org.ingestToken, { type: 'started', callId: 'derived', direction: 'inbound', from: 'Restricted', to: '+31850609000', at: T0 });
    await ingest(t.api, org.ingestToken, { type: 'answered', callId: 'derived', at: '2025-03-01T10:00:05+01:00' });
    await ingest(t.api, org.ingestToken, { type: 'ended', callId: 'derived', at: T0 + 65_900 });
    await ingest(t.api, org.ingestToken, { type: 'started', callId: 'missed', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: T0 });
    await ingest(t.api, org.ingestToken, { type: 'ended', callId: 'missed', at: T0 + 20_000 });
    const derived = (await t.api.get(`/v1/orgs/${org.orgId}/calls/derived`, org.apiKey)).body;
    expect(derived.call).toMatchObject({ from: 'anonymous', outcome: 'ANSWERED', talkTimeS: 60, answeredAt: '2025-03-01T09:00:05.000Z' });
    expect(derived.events.map((e: { type: string }) => e.type)).toEqual(['call.incoming', 'call.answered', 'call.ended']);
    const missed = (await t.api.get(`/v1/orgs/${org.orgId}/calls/missed`, org.apiKey)).body;
    expect(missed.call).toMatchObject({ outcome: 'UNANSWERED', talkTimeS: 0 });
  });
});
