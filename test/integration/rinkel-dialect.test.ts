// What real Rinkel receivers demand beyond the seed examples (issue 11), over real HTTP with real
// receivers: numbers always E.164 (the organization's side resolved from its direct and main
// numbers), userId on outgoingCall, never an empty string, answeredBy e-mails kept.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ApiResponse, type OrgSetup, type TestService, ingest, setupOrg, startTestService } from '../helpers/service.ts';
import type { Receiver } from '../helpers/receiver.ts';
import { testScope } from '../helpers/scope.ts';

const T0 = Date.parse('2025-03-03T09:00:00.000Z');
const ANNA = '17295348437628309790'; // extension 500, anna@newcompany.example (setupOrg)
const BOB = 'u-501'; // extension 501, no direct number

function expectProblem(response: ApiResponse, status: number, field: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.field, JSON.stringify(response.body)).toBe(field);
}

describe('the Rinkel dialect as real receivers demand it', () => {
  let t: TestService;
  let org: OrgSetup;
  /** Each test's own receiver, so counting what arrived never races another test's deliveries. */
  let receiver: Receiver;
  const scope = testScope();
  const numbersUrl = () => `/v1/orgs/${org.orgId}/numbers`;
  /** A Rinkel webhook per event, each to its own path; answers the webhook ids by event. */
  const rinkelHooks = async (setup: OrgSetup, contentType = 'application/json', prefix = '') => {
    const ids: Record<string, string> = {};
    for (const event of ['call.incoming', 'call.outgoing', 'call.answered', 'call.ended', 'call.insights']) {
      const created = await t.api.post(`/v1/orgs/${setup.orgId}/webhooks`, { url: `${receiver.url}/${prefix}${event}`, events: [event], format: 'rinkel', contentType }, setup.apiKey);
      expect(created.status).toBe(201);
      ids[event] = created.body.id;
    }
    return ids;
  };
  const bodiesAt = (path: string) => receiver.received.filter((r) => r.path === path).map((r) => r.body);

  beforeAll(async () => {
    t = await startTestService();
    org = await setupOrg(t.api, { defaultCountry: 'NL' });
  });
  beforeEach(async () => {
    receiver = await scope.receiver();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('keeps numbers: the first is main, one may be marked main, a number may be a user’s direct number', async () => {
    const main = await t.api.post(numbersUrl(), { number: '+31850609000', label: 'Reception' }, org.apiKey);
    expect(main.status).toBe(201);
    expect(main.body).toMatchObject({ number: '+31850609000', label: 'Reception', userId: null, main: true });
    const direct = await t.api.post(numbersUrl(), { number: '+31850609005', userId: ANNA, label: '' }, org.apiKey);
    expect(direct.body).toMatchObject({ userId: ANNA, main: false, label: null });
    const spare = await t.api.post(numbersUrl(), { number: '+31850609009' }, org.apiKey);
    expect(spare.body.main).toBe(false);

    expectProblem(await t.api.patch(`${numbersUrl()}/${spare.body.id}`, { userId: ANNA }, org.apiKey), 409, 'userId');
    expectProblem(await t.api.patch(`${numbersUrl()}/${spare.body.id}`, { userId: 'nobody' }, org.apiKey), 422, 'userId');
    expectProblem(await t.api.patch(`${numbersUrl()}/${main.body.id}`, { main: false }, org.apiKey), 422, 'main');
    expectProblem(await t.api.delete(`${numbersUrl()}/${main.body.id}`, org.apiKey), 409, 'main');
    expect((await t.api.patch(`${numbersUrl()}/num_missing`, { main: true }, org.apiKey)).status).toBe(404);

    // Marking the spare main moves it there; marking the first again moves it back.
    expect((await t.api.patch(`${numbersUrl()}/${spare.body.id}`, { main: true }, org.apiKey)).body.main).toBe(true);
    expect((await t.api.patch(`${numbersUrl()}/${main.body.id}`, { main: true }, org.apiKey)).body.main).toBe(true);
    const list = (await t.api.get(numbersUrl(), org.apiKey)).body.data as Array<{ number: string; main: boolean; userId: string | null }>;
    expect(list.filter((n) => n.main).map((n) => n.number)).toEqual(['+31850609000']);
    expect(list.find((n) => n.number === '+31850609005')?.userId).toBe(ANNA);
    expect((await t.api.delete(`${numbersUrl()}/${spare.body.id}`, org.apiKey)).status).toBe(204);
  });

  it('sends incomingCall `to` and outgoingCall `from` as the organization’s number (direct, else main), and outgoingCall a userId', async () => {
    const hooks = await rinkelHooks(org, 'application/json', 'e164/');
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/e164/ringotel`, format: 'ringotel', events: ['call.incoming', 'call.outgoing'] }, org.apiKey);
    const started = (callId: string, direction: string, from: string, to: string, user?: string) => ({ type: 'started', callId, direction, from, to, ...(user ? { user } : {}), at: T0 });
    const answer = await ingest(t.api, org.ingestToken, {
      steps: [
        started('in-anna', 'inbound', '353212028252', '500', '500'), // the README's first call
        started('in-bob', 'inbound', '0612345678', '501', '501'),
        started('in-line', 'inbound', '+31612345678', '0850609009'),
        started('out-anna', 'outbound', '500', '0201234567', '500'),
        started('out-bob', 'outbound', '501', '0031201234567', '501'),
      ],
    });
    expect(answer.status).toBe(202);
    expect(answer.body.results.every((r: { warnings?: unknown }) => r.warnings === undefined)).toBe(true);
    const got = await receiver.waitFor(10);
    const incoming = Object.fromEntries(bodiesAt('/e164/call.incoming').map((b) => [JSON.parse(b).id, b]));
    const outgoing = Object.fromEntries(bodiesAt('/e164/call.outgoing').map((b) => [JSON.parse(b).id, b]));
    const at = '2025-03-03T09:00:00.000Z';
    expect(incoming['in-anna']).toBe(`{"id":"in-anna","datetime":"${at}","to":"+31850609005","from":"+353212028252"}`);
    expect(incoming['in-bob']).toBe(`{"id":"in-bob","datetime":"${at}","to":"+31850609000","from":"+31612345678"}`);
    expect(incoming['in-line']).toBe(`{"id":"in-line","datetime":"${at}","to":"+31850609009","from":"+31612345678"}`);
    expect(outgoing['out-anna']).toBe(`{"id":"out-anna","datetime":"${at}","to":"+31201234567","from":"+31850609005","userId":"${ANNA}"}`);
    expect(outgoing['out-bob']).toBe(`{"id":"out-bob","datetime":"${at}","to":"+31201234567","from":"+31850609000","userId":"${BOB}"}`);
    // Ringotel keeps the numbers as the phone system gave them, as its seed example does (called_number "500").
    const ringotel = got.filter((r) => r.path === '/e164/ringotel').map((r) => JSON.parse(r.body).params);
    expect(ringotel.find((p) => p.call_id === 'in-anna')).toMatchObject({ called_number: '500', caller_number: '353212028252' });
    // The standard format carries the same resolution next to the raw numbers.
    const call = (await t.api.get(`/v1/orgs/${org.orgId}/calls/in-anna`, org.apiKey)).body.call;
    expect(call).toMatchObject({ to: '500', toE164: '+31850609005', from: '353212028252', fromE164: '+353212028252' });
    const outCall = (await t.api.get(`/v1/orgs/${org.orgId}/calls/out-bob`, org.apiKey)).body.call;
    expect(outCall).toMatchObject({ from: '501', fromE164: '+31850609000', toE164: '+31201234567' });
    for (const id of Object.values(hooks)) await t.api.delete(`/v1/orgs/${org.orgId}/webhooks/${id}`, org.apiKey);
  });

  it('refuses at ingest a number that cannot be made E.164, naming the field, and applies nothing', async () => {
    const bare = await setupOrg(t.api); // no defaultCountry
    const base = { type: 'started', callId: 'nat-1', direction: 'inbound', from: '+31612345678', to: '+31850609000', at: T0 };
    const national = await ingest(t.api, bare.ingestToken, { steps: [base, { ...base, callId: 'nat-2', from: '0612345678' }] });
    expectProblem(national, 422, 'steps[1].from');
    expect(national.body.detail).toContain('defaultCountry');
    expectProblem(await ingest(t.api, bare.ingestToken, { ...base, to: '12345678' }), 422, 'to');
    expectProblem(await ingest(t.api, bare.ingestToken, { ...base, direction: 'outbound', from: '500', to: '+12345' }), 422, 'to');
    expect((await t.api.get(`/v1/orgs/${bare.orgId}/calls`, bare.apiKey)).body.data).toEqual([]);
    // The same national number reads fine for an organization in that country.
    expect((await ingest(t.api, org.ingestToken, { ...base, callId: 'nat-ok', from: '0612345678' })).status).toBe(202);
  });

  it('without any number, accepts an extension-only call for every format but Rinkel, and says so', async () => {
    const bare = await setupOrg(t.api);
    const hooks = await rinkelHooks(bare, 'application/json', 'bare/');
    const ringotel = await t.api.post(`/v1/orgs/${bare.orgId}/webhooks`, { url: `${receiver.url}/bare/ringotel`, format: 'ringotel' }, bare.apiKey);
    const answer = await ingest(t.api, bare.ingestToken, {
      steps: [
        { type: 'started', callId: 'ext-1', direction: 'inbound', from: '+31612345678', to: '500', user: '500', at: T0 },
        { type: 'answered', callId: 'ext-1', at: T0 + 5_000 },
        { type: 'ended', callId: 'ext-1', at: T0 + 35_000 },
      ],
    });
    expect(answer.status).toBe(202);
    expect(answer.body.results[0].warnings).toEqual([{ field: 'steps[0].to', detail: expect.stringContaining('main number') }]);
    expect(answer.body.results[1].warnings).toBeUndefined();
    // Deliveries are written with the step: the Ringotel webhook has its two, the Rinkel ones none.
    const deliveries = (await t.api.get(`/v1/orgs/${bare.orgId}/deliveries?callId=ext-1`, bare.apiKey)).body.data as Array<{ webhookId: string }>;
    expect(deliveries.map((d) => d.webhookId)).toEqual([ringotel.body.id, ringotel.body.id]);
    expect(deliveries.some((d) => Object.values(hooks).includes(d.webhookId))).toBe(false);

    // Once the organization has a main number, its next call goes to Rinkel too.
    await t.api.post(`/v1/orgs/${bare.orgId}/numbers`, { number: '+31850609100' }, bare.apiKey);
    const next = await ingest(t.api, bare.ingestToken, { type: 'started', callId: 'ext-2', direction: 'inbound', from: '+31612345678', to: '500', user: '500', at: T0 });
    expect(next.body.results[0].warnings).toBeUndefined();
    await receiver.waitFor(4); // Ringotel: ext-1 Start + Stop, ext-2 Start; Rinkel: ext-2 incomingCall
    await t.service.dispatcher.idle();
    expect(bodiesAt('/bare/call.incoming').map((b) => JSON.parse(b))).toEqual([{ id: 'ext-2', datetime: '2025-03-03T09:00:00.000Z', to: '+31850609100', from: '+31612345678' }]);
  });

  it('never sends an empty string: blank optional fields are absent, a blank summary is refused', async () => {
    const hooks = await rinkelHooks(org, 'application/x-www-form-urlencoded', 'blank/');
    const blank = { subject: '', description: ' ' };
    expectProblem(await ingest(t.api, org.ingestToken, { steps: [{ type: 'insights', callId: 'in-anna', sentiment: 'NEUTRAL', topics: ['x'], summary: '' }] }), 422, 'steps[0].summary');
    expectProblem(await ingest(t.api, org.ingestToken, { type: 'insights', callId: 'in-anna', sentiment: 'NEUTRAL', topics: ['x'], summary: '  ' }), 422, 'summary');
    expectProblem(await ingest(t.api, org.ingestToken, { type: 'insights', callId: 'in-anna', sentiment: 'NEUTRAL', topics: [' '], summary: 'ok' }), 422, 'topics[0]');
    // A field the step type does not have is refused, blank or not.
    expectProblem(await ingest(t.api, org.ingestToken, { type: 'ended', callId: 'in-anna', at: T0 + 1_000, user: '' }), 422, 'user');
    const answer = await ingest(t.api, org.ingestToken, {
      steps: [
        // Every optional text field of every step type, empty.
        { type: 'started', callId: 'blank-1', direction: 'inbound', from: '+31612345678', to: '+31850609000', user: '', at: T0, ...blank },
        { type: 'answered', callId: 'blank-1', at: T0 + 4_000, answeredBy: '', choice: '', ...blank },
        { type: 'ended', callId: 'blank-1', at: T0 + 30_000, ...blank },
        { type: 'recording', callId: 'blank-1', url: 'https://rec.example.com/blank-1.wav', ...blank },
        { type: 'insights', callId: 'blank-1', sentiment: 'POSITIVE', topics: ['sales'], summary: 'Fine.', ...blank },
      ],
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    // Blank is the same as left out: the same step without the blanks is a duplicate.
    const again = await ingest(t.api, org.ingestToken, { type: 'answered', callId: 'blank-1', at: T0 + 4_000 });
    expect(again.body.results[0]).toMatchObject({ status: 'duplicate', eventId: answer.body.results[1].eventId });
    const call = (await t.api.get(`/v1/orgs/${org.orgId}/calls/blank-1`, org.apiKey)).body.call;
    expect(call).toMatchObject({ user: null, choice: null, subject: null, description: null, answeredBy: null });

    await receiver.waitFor(4);
    await t.service.dispatcher.idle();
    const forms = ['call.incoming', 'call.answered', 'call.ended', 'call.insights'].map((event) => bodiesAt(`/blank/${event}`).find((b) => b.includes('blank-1'))!);
    expect(forms[1]).toBe('id=blank-1&datetime=2025-03-03T09%3A00%3A04.000Z');
    for (const form of forms) expect(form.split('&').every((pair) => /^[^=]+=.+$/.test(pair)), form).toBe(true);
    for (const id of Object.values(hooks)) await t.api.delete(`/v1/orgs/${org.orgId}/webhooks/${id}`, org.apiKey);
  });

  it('keeps the answering user’s e-mail even when no user of the directory has it', async () => {
    const hook = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/answered-by`, events: ['call.answered'], format: 'rinkel' }, org.apiKey);
    await ingest(t.api, org.ingestToken, {
      steps: [
        { type: 'started', callId: 'temp-1', direction: 'inbound', from: '+31612345678', to: '+31850609000', at: T0 },
        { type: 'answered', callId: 'temp-1', at: T0 + 3_000, answeredBy: 'temp.agent@agency.example', choice: '2' },
      ],
    });
    await receiver.waitFor(1);
    await t.service.dispatcher.idle();
    expect(bodiesAt('/answered-by').map((b) => JSON.parse(b))).toEqual([{ id: 'temp-1', datetime: '2025-03-03T09:00:03.000Z', answeredBy: 'temp.agent@agency.example', choice: '2' }]);
    await t.api.delete(`/v1/orgs/${org.orgId}/webhooks/${hook.body.id}`, org.apiKey);
  });

  it('sends a userId in the outgoingCall test event too', async () => {
    const tested = await t.api.post(`/v1/orgs/${org.orgId}/webhooks/test`, { url: `${receiver.url}/test-outgoing`, event: 'call.outgoing', format: 'rinkel' }, org.apiKey);
    expect(tested.body.ok).toBe(true);
    const rinkelTest = await t.api.request('POST', '/rinkel/v1/webhooks/outgoingCall/test', { body: { url: `${receiver.url}/rinkel-test-outgoing` }, token: null, headers: { 'x-rinkel-api-key': org.apiKey } });
    expect(rinkelTest.status).toBe(204);
    for (const path of ['/test-outgoing', '/rinkel-test-outgoing']) {
      const body = JSON.parse(bodiesAt(path)[0]!);
      expect(Object.keys(body)).toEqual(['id', 'datetime', 'to', 'from', 'userId']);
      expect(body.userId).toBe('usr_test');
    }
  });

  it('stores a webhook description of "" as null on every route', async () => {
    const own = await setupOrg(t.api);
    const v1 = `/v1/orgs/${own.orgId}/webhooks`;
    const rinkel = (method: string, path: string, body?: unknown) => t.api.request(method, `/rinkel/v1${path}`, { body, token: null, headers: { 'x-rinkel-api-key': own.apiKey } });
    const created = await t.api.post(v1, { url: `${receiver.url}/described`, format: 'standard', description: '' }, own.apiKey);
    expect(created.body.description).toBeNull();
    await t.api.patch(`${v1}/${created.body.id}`, { description: 'CRM' }, own.apiKey);
    expect((await t.api.patch(`${v1}/${created.body.id}`, { description: '' }, own.apiKey)).body.description).toBeNull();
    expect((await t.api.get(`${v1}/${created.body.id}`, own.apiKey)).body.description).toBeNull();

    expect((await rinkel('POST', '/webhooks/callEnd', { url: `${receiver.url}/described-rinkel`, description: '' })).body.data.description).toBeNull();
    await rinkel('PUT', '/webhooks/callEnd', { description: 'CRM' });
    expect((await rinkel('PUT', '/webhooks/callEnd', { description: '' })).body.data.description).toBeNull();
    const listed = (await rinkel('GET', '/webhooks')).body.data as Array<{ event: string; description: string | null }>;
    expect(listed.find((w) => w.event === 'callEnd')?.description).toBeNull();
    const all = (await t.api.get(`${v1}?limit=200`, own.apiKey)).body.data as Array<{ description: string | null }>;
    expect(all.some((w) => w.description === '')).toBe(false);
  });
});
