import { PassThrough } from 'node:stream';
import { Webhook } from 'standardwebhooks';
import { request } from 'undici';
import { afterEach, describe, it, expect } from 'vitest';
import { encodeForm } from '../../src/formats/encode.ts';
import { startListener, type Listener, type ListenOptions } from '../../src/cli/listen.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const RINGOTEL_BODY = JSON.stringify({
  method: 'StartCallActivity',
  api_token: '5c2d7008-a4b9-4eec-b549-e82804521e9a',
  params: {
    connection_name: 'PBX',
    extension: '500',
    user_id: '17295348437628309790',
    connection_id: '17295345566567084859',
    activity_type: 'inbound',
    domain: 'newcompany123',
    call_start: 1729690611587,
    called_number: '500',
    caller_number: '353212028252',
    call_id: '1729693708182-2d1c3de3d3772cdc1f',
  },
});
const INSIGHTS_FORM = encodeForm({
  id: '1c8b83a7c690084224ec3984515bc1a2',
  sentiment: 'POSITIVE',
  topics: ['sales', 'support'],
  summary: 'The caller asked about pricing & plans.',
});

const listeners: Listener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
});

async function listen(options: Partial<ListenOptions> = {}) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const listener = await startListener({ port: 0, host: '127.0.0.1', secret: SECRET, json: true, ...options, out });
  listeners.push(listener);
  return { listener, output: () => text, records: () => text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) };
}

function signed(id: string, body: string, secret = SECRET) {
  const now = new Date();
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1_000)),
    'webhook-signature': new Webhook(secret).sign(id, now, body),
  };
}

async function post(url: string, body: string, headers: Record<string, string>) {
  const response = await request(url + '/hook', { method: 'POST', body, headers });
  return { status: response.statusCode, body: await response.body.text() };
}

describe('callhook listen', () => {
  it('reads a signed Ringotel JSON body: dialect, event, valid signature', async () => {
    const { listener, records } = await listen();
    const response = await post(listener.url, RINGOTEL_BODY, { 'content-type': 'application/json', ...signed('msg_1', RINGOTEL_BODY) });
    expect(response).toEqual({ status: 200, body: '{"ok":true}' });
    const [record] = records();
    expect(record).toMatchObject({
      method: 'POST',
      path: '/hook',
      contentType: 'application/json',
      dialect: 'ringotel',
      event: 'StartCallActivity',
      signature: 'valid',
      rawBody: RINGOTEL_BODY,
      body: JSON.parse(RINGOTEL_BODY),
    });
    expect(record).not.toHaveProperty('signatureError');
    expect((record!.headers as Record<string, string>)['webhook-id']).toBe('msg_1');
    expect(Date.parse(record!.receivedAt as string)).not.toBeNaN();
  });

  it('parses a form-encoded Rinkel insights body and rejects a wrong signature', async () => {
    const { listener, records } = await listen();
    const headers = signed('msg_2', INSIGHTS_FORM, 'whsec_' + Buffer.from('not the secret').toString('base64'));
    await post(listener.url, INSIGHTS_FORM, { 'content-type': 'application/x-www-form-urlencoded', ...headers });
    const [record] = records();
    expect(record).toMatchObject({
      dialect: 'rinkel',
      event: 'call insights',
      signature: 'invalid',
      signatureError: 'no signature matches the secret',
      body: { id: '1c8b83a7c690084224ec3984515bc1a2', sentiment: 'POSITIVE', topics: ['sales', 'support'], summary: 'The caller asked about pricing & plans.' },
    });
  });

  it('says which signature headers are missing', async () => {
    const { listener, records } = await listen();
    await post(listener.url, RINGOTEL_BODY, { 'content-type': 'application/json' });
    expect(records()[0]).toMatchObject({ signature: 'invalid', signatureError: 'missing webhook-id, webhook-timestamp, webhook-signature headers' });
  });

  it('answers the configured status', async () => {
    const { listener, records } = await listen({ status: 500 });
    const response = await post(listener.url, RINGOTEL_BODY, { 'content-type': 'application/json', ...signed('msg_3', RINGOTEL_BODY) });
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ ok: false });
    expect(records()[0]).toMatchObject({ signature: 'valid' });
  });

  it('waits --delay-ms before answering', async () => {
    const { listener } = await listen({ delayMs: 150 });
    const started = performance.now();
    await post(listener.url, RINGOTEL_BODY, { 'content-type': 'application/json' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('prints a readable report without --json', async () => {
    const { listener, output } = await listen({ json: false });
    await post(listener.url, RINGOTEL_BODY, { 'content-type': 'application/json', ...signed('msg_4', RINGOTEL_BODY) });
    const text = output();
    expect(text).toContain('POST /hook');
    expect(text).toContain('ringotel StartCallActivity');
    expect(text).toContain('webhook-id msg_4');
    expect(text).toContain('"caller_number": "353212028252"');
    expect(text).toContain('✓ signature valid');
    expect(text).not.toContain('\x1b[');
    expect(text.endsWith('\n\n')).toBe(true);
  });

  it('marks unchecked signatures when no secret is given', async () => {
    const { listener, output } = await listen({ json: false, secret: null });
    await post(listener.url, INSIGHTS_FORM, { 'content-type': 'application/x-www-form-urlencoded' });
    const text = output();
    expect(text).toContain('rinkel call insights');
    expect(text).toContain('(no --secret given: signature not checked) — missing webhook-id, webhook-timestamp, webhook-signature');
    expect(text).toContain('"topics": [\n    "sales",\n    "support"\n  ]');
  });
});
