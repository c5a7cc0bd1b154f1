// Outcome rules through the API: set them, and calls that end without a stated outcome are
// classified by them in every dialect (Rinkel `cause`, Ringotel `call_cause`, standard `outcome`).
import { describe, expect, it } from 'vitest';
import { testScope } from '../helpers/scope.ts';
import { ingest } from '../helpers/service.ts';

describe('outcome rules', () => {
  const scope = testScope();

  it('are read back as set, and refused with the field named when wrong', async () => {
    const { t, org } = await scope.service();
    expect((await t.api.get(`/v1/orgs/${org.orgId}/outcome-rules`, org.apiKey)).body).toMatchObject({ timeZone: 'UTC', operatingHours: null, blocklist: [] });
    const rules = { timeZone: 'Europe/Amsterdam', operatingHours: { mon: [{ from: '09:00', to: '17:00' }] }, voicemailTargets: ['599'], answeringServiceTargets: ['+31850609999'], blocklist: ['+31612345678'] };
    expect((await t.api.put(`/v1/orgs/${org.orgId}/outcome-rules`, rules, org.apiKey)).status).toBe(200);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/outcome-rules`, org.apiKey)).body).toEqual(rules);
    const badZone = await t.api.put(`/v1/orgs/${org.orgId}/outcome-rules`, { ...rules, timeZone: 'Mars/Olympus' }, org.apiKey);
    expect(badZone.status).toBe(422);
    expect(badZone.body.field).toBe('timeZone');
    const backwards = await t.api.put(`/v1/orgs/${org.orgId}/outcome-rules`, { ...rules, operatingHours: { tue: [{ from: '18:00', to: '08:00' }] } }, org.apiKey);
    expect(backwards.body.field).toBe('operatingHours.tue[0]');
    const unknownDay = await t.api.put(`/v1/orgs/${org.orgId}/outcome-rules`, { ...rules, operatingHours: { funday: [] } }, org.apiKey);
    expect(unknownDay.status).toBe(422);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/outcome-rules`, org.apiKey)).body).toEqual(rules); // nothing half-applied
  });

  it('classify calls that end without an outcome, in every dialect', async () => {
    const { t, org } = await scope.service();
    const rinkel = await scope.receiver();
    const ringotel = await scope.receiver();
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: rinkel.url, format: 'rinkel', events: ['call.ended'] }, org.apiKey);
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: ringotel.url, format: 'ringotel', events: ['call.ended'] }, org.apiKey);
    // Always closed (no spans on any day): every unanswered inbound call is outside operating times.
    await t.api.put(`/v1/orgs/${org.orgId}/outcome-rules`, { timeZone: 'Europe/Amsterdam', operatingHours: {}, voicemailTargets: ['599'], answeringServiceTargets: [], blocklist: ['+31612345678'] }, org.apiKey);
    const at = t.clock.now();
    const started = (callId: string, from: string) => ({ type: 'started', callId, direction: 'inbound', from, to: '+31850609000', at });
    await ingest(t.api, org.ingestToken, { steps: [started('vm', '+31850609001'), { type: 'answered', callId: 'vm', at: at + 9_000, answeredBy: '599' }, { type: 'ended', callId: 'vm', at: at + 30_000 }] });
    await ingest(t.api, org.ingestToken, { steps: [started('blocked', '0031612345678'), { type: 'ended', callId: 'blocked', at: at + 1_000, sipCode: 603 }] });
    await ingest(t.api, org.ingestToken, { steps: [started('closed', '+31850609001'), { type: 'ended', callId: 'closed', at: at + 20_000 }] });
    await ingest(t.api, org.ingestToken, { steps: [started('stated', '+31850609001'), { type: 'ended', callId: 'stated', at: at + 20_000, outcome: 'UNANSWERED' }] });
    await rinkel.waitFor(4);
    await ringotel.waitFor(4);
    const causes = Object.fromEntries(rinkel.received.map((r) => [JSON.parse(r.body).id, JSON.parse(r.body).cause]));
    expect(causes).toEqual({ vm: 'VOICEMAIL', blocked: 'BLACKLISTED', closed: 'OUTSIDE_OPERATION_TIMES', stated: 'UNANSWERED' });
    const ringotelCauses = Object.fromEntries(ringotel.received.map((r) => [JSON.parse(r.body).params.call_id, JSON.parse(r.body).params.call_cause]));
    expect(ringotelCauses).toEqual({ vm: '0', blocked: '603', closed: '487', stated: '487' });
  });
});
