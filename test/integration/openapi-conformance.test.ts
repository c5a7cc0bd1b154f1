// The OpenAPI document tells the truth: every operation in /openapi.json, walked with a valid
// input and invalid ones derived from its own schemas, under every kind of credential, answers
// only statuses it documents, in the documented content type, with a body its schema accepts —
// and never a 5xx. Table-driven off the document, so a new route is walked without a new line.
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { POSTGRES_URL, createTestDatabase } from '../helpers/postgres.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { type Hints, type Input, type Op, type OpenApiDoc, type Schema, inputsFor, operationsOf, responseChecker, sample } from '../helpers/openapi-walk.ts';
import { testScope } from '../helpers/scope.ts';
import { pushRecording } from '../helpers/recordings.ts';
import { wavFile } from '../fixtures/audio.ts';
import { OPERATOR_TOKEN, type OrgSetup, type TestService, ingest, setupOrg, startTestService } from '../helpers/service.ts';
import { eventually } from '../helpers/eventually.ts';

/** The walk's recording: a real WAV. */
const WALK_RECORDING = wavFile(1);

const ADMIN = { email: 'walk-admin@example.com', password: 'conformance walk admin passphrase' };

interface World {
  t: TestService;
  receiver: Receiver;
  a: OrgSetup;
  b: OrgSetup;
  /** Path parameter values naming things that exist in organization A. */
  ids: Record<string, string>;
  /** `METHOD /path:param` → a value of its own: a spare thing to delete, an enabled webhook to replay. */
  overrides: Record<string, string>;
  /** Query parameters a valid request needs that the schema cannot derive (a signed link's). */
  queries: Record<string, Record<string, string>>;
  cookie: string;
}

/** The kinds of credentials a caller can bring: each operation is walked under all of them. */
const CREDENTIALS = ['none', 'operator token', 'org API key', "other org's API key", 'ingest token', 'admin session', 'Rinkel key header'] as const;
type Credential = (typeof CREDENTIALS)[number];

function headersFor(credential: Credential, w: World): Record<string, string> {
  switch (credential) {
    case 'none':
      return {};
    case 'operator token':
      return { authorization: `Bearer ${OPERATOR_TOKEN}` };
    case 'org API key':
      return { authorization: `Bearer ${w.a.apiKey}` };
    case "other org's API key":
      return { authorization: `Bearer ${w.b.apiKey}` };
    case 'ingest token':
      return { authorization: `Bearer ${w.a.ingestToken}` };
    case 'admin session':
      return { cookie: w.cookie, 'x-callhook-portal': '1' };
    case 'Rinkel key header':
      return { 'x-rinkel-api-key': w.a.apiKey };
  }
}

/** Values the schemas cannot say: a reachable receiver, a real time zone, the admin's own password. */
function hintsFor(w: World): Hints {
  return {
    property(name, schema: Schema, serial) {
      if (name === 'url' && schema.type === 'string') return `${w.receiver.url}/walk-${serial}`;
      if (name === 'timeZone') return 'Europe/Amsterdam';
      if (name === 'password' || name === 'newPassword' || name === 'currentPassword') return ADMIN.password;
      if (name === 'email' && schema.format !== 'email') return ADMIN.email; // sign-in: the admin's own
      if (name === 'at') return new Date(w.t.clock.now()).toISOString();
      if (name === 'from') return '+31612345678';
      if (name === 'to') return '500';
      if (name === 'callId' && schema.type === 'string') return `walk-call-${serial}`;
      if (name === 'orgId' && schema.type === 'string') return w.a.orgId;
      return undefined;
    },
  };
}

/** Valid bodies the schemas cannot describe (a rule across fields); the rest are derived from them. */
const VALID_BODIES: Record<string, unknown> = {
  'POST /v1/orgs/{orgId}/users': { extension: '777' }, // an extension or an e-mail
};

/** Path parameters: what exists in organization A, unless the operation needs its own. */
function paramsFor(op: Op, w: World): Record<string, string> {
  const params: Record<string, string> = {};
  for (const param of op.operation.parameters ?? []) {
    if (param.in !== 'path') continue;
    params[param.name] = w.overrides[`${op.name}:${param.name}`] ?? w.ids[param.name] ?? String(param.schema.enum?.[0] ?? 'no-fixture');
  }
  return params;
}

async function buildWorld(t: TestService, receiver: Receiver): Promise<World> {
  const api = t.api;
  const [a, b, c] = [await setupOrg(api), await setupOrg(api), await setupOrg(api)];
  const ok = <T extends { status: number; body: any }>(response: T, what: string): T['body'] => {
    if (response.status >= 300) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  };
  const org = (path: string) => `/v1/orgs/${a.orgId}${path}`;
  const webhook = ok(await api.post(org('/webhooks'), { url: `${receiver.url}/hook`, format: 'standard' }), 'webhook');
  const spareWebhook = ok(await api.post(org('/webhooks'), { url: `${receiver.url}/spare`, format: 'standard' }), 'spare webhook');
  ok(await api.request('POST', '/rinkel/v1/webhooks/callEnd', { token: null, headers: { 'x-rinkel-api-key': a.apiKey }, body: { url: `${receiver.url}/rinkel` } }), 'rinkel webhook');
  const number = ok(await api.post(org('/numbers'), { number: '+31850609000', label: 'Main' }), 'number');
  const spareNumber = ok(await api.post(org('/numbers'), { number: '+31850609009', label: 'Spare' }), 'spare number');
  const spareKey = ok(await api.post(org('/api-keys'), { name: 'spare' }), 'spare key');
  const spareConnection = ok(await api.post(org('/connections'), { name: 'spare' }), 'spare connection');
  const admin = ok(await api.post('/v1/accounts', { ...ADMIN, name: 'Walk Admin', role: 'admin', orgId: a.orgId }), 'admin');
  const victim = ok(await api.post('/v1/accounts', { email: 'walk-victim@example.com', name: 'Victim', password: 'victim of the walk', role: 'admin', orgId: a.orgId }), 'victim');
  const callId = 'walk-call';
  ok(await ingest(api, a.ingestToken, { type: 'started', callId, direction: 'inbound', from: '+31612345678', to: '500', user: '500', at: t.clock.now() }), 'call');
  // Its recording: the walk's push sends the same file again (a repeat), and the links lead to it.
  const recording = ok(await pushRecording(t, a.ingestToken, callId, WALK_RECORDING), 'recording').recording;
  const link = new URL(recording.url);
  const deliveryId: string = await eventually(async () => (await api.get(org('/deliveries'))).body.data?.[0]?.id ?? false, { timeoutMs: 10_000, what: 'a delivery for the walk' });
  const world: World = {
    t,
    receiver,
    a,
    b,
    ids: { orgId: a.orgId, webhookId: webhook.id, connectionId: a.connectionId, keyId: spareKey.id, userId: 'u-501', numberId: number.id, callId, deliveryId, accountId: victim.id, event: 'callEnd', key: link.pathname.split('/').pop()! },
    queries: { 'GET /v1/recordings/{key}': { expires: link.searchParams.get('expires')!, signature: link.searchParams.get('signature')! } },
    overrides: {
      // Deleting these would take the walk's own credentials or fixtures away.
      'DELETE /v1/orgs/{orgId}:orgId': c.orgId,
      'DELETE /v1/orgs/{orgId}/webhooks/{webhookId}:webhookId': spareWebhook.id,
      'DELETE /v1/orgs/{orgId}/connections/{connectionId}:connectionId': spareConnection.id,
      // The first number is the main one, which stays while the organization has others.
      'DELETE /v1/orgs/{orgId}/numbers/{numberId}:numberId': spareNumber.id,
      // The walk disables the main webhook before it gets here; replaying needs an enabled one.
      'POST /v1/orgs/{orgId}/webhooks/{webhookId}/replay:webhookId': spareWebhook.id,
      // Subscribing needs an event nobody subscribed to yet; the others act on the existing one.
      'POST /rinkel/v1/webhooks/{event}:event': 'callStart',
    },
    cookie: '',
  };
  void admin;
  await signIn(world);
  return world;
}

async function signIn(w: World): Promise<void> {
  const attempt = () => fetch(`${w.t.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  let response = await attempt();
  if (response.status === 429) {
    // The walk's own wrong sign-ins (invalid inputs) set the throttle off: wait it out on the clock.
    w.t.clock.advance(Number(response.headers.get('retry-after')) * 1_000 + 1_000);
    response = await attempt();
  }
  if (response.status !== 201) throw new Error(`admin sign-in: ${response.status} ${await response.text()}`);
  w.cookie = response.headers.get('set-cookie')!.split(';')[0]!;
}

async function send(w: World, op: Op, input: Input, credential: Credential): Promise<{ status: number; contentType: string | null; text: string; headers: Headers }> {
  let path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = input.params[name]!;
    return value.startsWith('%') ? value : encodeURIComponent(value); // a broken escape goes as it is
  });
  const query = new URLSearchParams(input.query).toString();
  if (query) path += `?${query}`;
  const headers = headersFor(credential, w);
  let body: string | Uint8Array | undefined;
  if (input.body && 'json' in input.body) {
    body = JSON.stringify(input.body.json);
    headers['content-type'] = 'application/json';
  } else if (input.body && 'raw' in input.body) {
    body = input.body.raw;
    headers['content-type'] = input.body.contentType;
  }
  const response = await fetch(w.t.url + path, { method: op.method, headers, body });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text(), headers: response.headers };
}

/** Deleting comes last (deepest path first), so what it removes is not needed by what follows. */
function walkOrder(ops: Op[]): Op[] {
  const depth = (op: Op) => op.path.split('/').length;
  return [...ops.filter((op) => op.method !== 'DELETE'), ...ops.filter((op) => op.method === 'DELETE').sort((x, y) => depth(y) - depth(x))];
}

const stores = [['SQLite', null], ...(POSTGRES_URL ? [['PostgreSQL', 'postgres'] as const] : [])] as const;

describe.each(stores)('the OpenAPI document tells the truth (%s)', (_name, backend) => {
  const scope = testScope();

  it('every operation, valid and invalid inputs, every credential: only documented statuses, content types and bodies; never a 5xx', { timeout: 240_000 }, async () => {
    const env: Record<string, string> = {};
    if (backend === 'postgres') {
      const database = await createTestDatabase();
      scope.defer(() => database.drop());
      env.CALLHOOK_DATABASE_URL = database.url;
    }
    const receiver = await startReceiver();
    scope.defer(() => receiver.close());
    const t = await startTestService({ env });
    scope.defer(() => t.cleanup());
    const w = await buildWorld(t, receiver);
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as OpenApiDoc;
    const check = responseChecker(doc);
    const ops = walkOrder(operationsOf(doc));
    expect(ops.length).toBeGreaterThan(50);

    const failures: string[] = [];
    const succeeded = new Set<string>();
    /** Operations that refused a request for having no body (under any credential). */
    const bodyRefused = new Set<string>();
    let requests = 0;
    for (const op of ops) {
      const bodySchema = op.operation.requestBody?.content['application/json']?.schema;
      const file = op.operation.requestBody && !bodySchema ? Object.keys(op.operation.requestBody.content)[0] : undefined;
      const body: Input['body'] = bodySchema ? { json: VALID_BODIES[op.name] ?? sample(bodySchema, doc, hintsFor(w)) } : file ? { raw: WALK_RECORDING, contentType: file } : undefined;
      const valid: Input = { label: 'valid', params: paramsFor(op, w), query: { ...w.queries[op.name] }, body };
      for (const input of inputsFor(op, doc, valid)) {
        for (const credential of CREDENTIALS) {
          const answer = await send(w, op, input, credential);
          requests++;
          const wrong = check(op, answer.status, answer.contentType, answer.text);
          if (wrong) failures.push(`${op.name} [${input.label}, ${credential}] ${wrong}`);
          if (answer.headers.get('x-content-type-options') !== 'nosniff') failures.push(`${op.name} [${input.label}, ${credential}] has no X-Content-Type-Options: nosniff`);
          if (input.label === 'valid' && answer.status < 300) succeeded.add(op.name);
          if (input.label === 'no body' && answer.status < 500 && answer.text.includes('(body)')) bodyRefused.add(op.name);
          if (op.name === 'DELETE /v1/session' && credential === 'admin session') await signIn(w);
        }
      }
    }
    // WALK_DUMP=<file> keeps every failure (the message shows the first 40).
    if (process.env.WALK_DUMP) writeFileSync(process.env.WALK_DUMP, failures.join('\n'));
    expect(failures, failures.slice(0, 40).join('\n')).toEqual([]);
    // The walk reached each operation's success answer at least once: its schema was checked too.
    expect(ops.map((op) => op.name).filter((name) => !succeeded.has(name))).toEqual([]);
    expect(requests).toBeGreaterThan(2_000);
    // `requestBody.required` says whether a bare request (`POST …/disable`) is accepted.
    const withBody = ops.filter((op) => op.operation.requestBody);
    expect(withBody.filter((op) => op.operation.requestBody!.required !== bodyRefused.has(op.name)).map((op) => `${op.name} required: ${op.operation.requestBody!.required}`)).toEqual([]);
    expect(withBody.filter((op) => !op.operation.requestBody!.required).map((op) => op.name)).toEqual(expect.arrayContaining(['POST /v1/orgs/{orgId}/webhooks/{webhookId}/disable']));
  });
});

describe("refusals before a route runs, in its family's error shape", () => {
  const scope = testScope();

  it("a path parameter longer than any id is 404, a broken escape 400, a body too large 413, not JSON 415: problem+json, or Rinkel's shape under /rinkel", async () => {
    const t = await startTestService();
    scope.defer(() => t.cleanup());
    const org = await setupOrg(t.api);
    const json = { 'content-type': 'application/json' };
    const v1 = { authorization: `Bearer ${org.apiKey}` };
    const rinkel = { 'x-rinkel-api-key': org.apiKey };
    const cases: Array<[string, string, string, Record<string, string>, string | undefined, number]> = [
      ['v1', 'GET', `/v1/orgs/${org.orgId}/webhooks/${'x'.repeat(150)}`, v1, undefined, 404],
      ['v1', 'GET', `/v1/orgs/${org.orgId}/webhooks/%E0%A4%A`, v1, undefined, 400],
      ['v1', 'POST', `/v1/orgs/${org.orgId}/webhooks`, { ...v1, ...json }, JSON.stringify({ url: 'x'.repeat(1_100_000) }), 413],
      ['v1', 'POST', `/v1/orgs/${org.orgId}/webhooks`, { ...v1, 'content-type': 'text/plain' }, 'https://example.com/hook', 415],
      ['rinkel', 'PUT', `/rinkel/v1/webhooks/${'x'.repeat(150)}`, { ...rinkel, ...json }, '{}', 404],
      ['rinkel', 'DELETE', '/rinkel/v1/webhooks/%E0%A4%A', rinkel, undefined, 400],
      ['rinkel', 'POST', '/rinkel/v1/webhooks/callEnd', { ...rinkel, ...json }, JSON.stringify({ url: 'x'.repeat(1_100_000) }), 413],
      ['rinkel', 'POST', '/rinkel/v1/webhooks/callEnd', { ...rinkel, 'content-type': 'text/plain' }, 'https://example.com/hook', 415],
    ];
    for (const [family, method, path, headers, body, status] of cases) {
      const response = await fetch(t.url + path, { method, headers, body });
      const what = `${method} ${path.slice(0, 60)}`;
      expect(response.status, what).toBe(status);
      const answer = await response.json();
      if (family === 'v1') {
        expect(response.headers.get('content-type'), what).toMatch(/^application\/problem\+json/);
        expect(answer, what).toMatchObject({ status, type: expect.stringMatching(/^https:\/\/callhook\.dev\/problems\//), detail: expect.any(String) });
      } else {
        expect(response.headers.get('content-type'), what).toMatch(/^application\/json/);
        expect(answer, what).toEqual({ errors: [{ code: expect.any(String), message: expect.any(String), detail: expect.any(String) }] });
      }
    }
    // U+0000 cannot be stored in PostgreSQL text: refused up front on every store, naming the field.
    const nul = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: 'https://example.com/hook', description: 'a\u0000b' }, org.apiKey);
    expect([nul.status, nul.body.field]).toEqual([422, 'description']);
    const nulPath = await t.api.get(`/v1/orgs/${org.orgId}/calls/a%00b`, org.apiKey);
    expect([nulPath.status, nulPath.body.field]).toEqual([422, 'path.callId']);
  });
});
