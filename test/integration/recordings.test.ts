// Recordings pushed to callhook, on both stores (SQLite: files in the data folder; PostgreSQL: in
// the database, or a shared folder): real WAV and MP3 files in, callhook's own signed link out in
// every dialect, the file served back byte for byte with ranges, and nothing of one organization
// reachable from another.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mp3File, wavFile } from '../fixtures/audio.ts';
import { POSTGRES_URL, createTestDatabase } from '../helpers/postgres.ts';
import { getBytes, local, pushRecording, startCall } from '../helpers/recordings.ts';
import { testScope } from '../helpers/scope.ts';
import { ingest, setupOrg, startTestService } from '../helpers/service.ts';

const DAY = 86_400_000;

const stores = [
  ['SQLite (files in the data folder)', 'sqlite'],
  ...(POSTGRES_URL ? [['PostgreSQL (in the database)', 'postgres'], ['PostgreSQL with CALLHOOK_RECORDINGS_DIR', 'postgres-dir']] as const : []),
] as const;

describe.each(stores)('recordings pushed to callhook — %s', (_name, backend) => {
  const scope = testScope();

  async function service(env: Record<string, string> = {}) {
    if (backend !== 'sqlite') {
      const database = await createTestDatabase();
      scope.defer(() => database.drop());
      env = { CALLHOOK_DATABASE_URL: database.url, ...env };
    }
    const t = await startTestService({ env });
    if (backend === 'postgres-dir') {
      // The same folder for every process: here, one inside the test's data folder.
      await t.stop();
      const shared = join(t.dataDir, 'shared-recordings');
      const again = await startTestService({ env: { ...env, CALLHOOK_RECORDINGS_DIR: shared }, dataDir: t.dataDir, clock: t.clock });
      scope.defer(() => again.cleanup());
      return { t: again, org: await setupOrg(again.api), filesIn: shared };
    }
    scope.defer(() => t.cleanup());
    return { t, org: await setupOrg(t.api), filesIn: backend === 'sqlite' ? join(t.dataDir, 'recordings') : null };
  }

  it('a pushed WAV goes out once stored, with callhook’s link in every dialect; the link serves the same bytes, in ranges too', async () => {
    const { t, org, filesIn } = await service();
    const ringotel = await scope.receiver();
    const standard = await scope.receiver();
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${ringotel.url}/r`, format: 'ringotel', events: ['call.recording'] }, org.apiKey);
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${standard.url}/s`, format: 'standard', events: ['call.recording'] }, org.apiKey);
    await startCall(t, org.ingestToken, 'call-1');
    const wav = wavFile(2.5);

    const pushed = await pushRecording(t, org.ingestToken, 'call-1', wav);
    expect(pushed.status).toBe(201);
    expect(pushed.body).toMatchObject({ status: 'stored', recording: { contentType: 'audio/wav', bytes: wav.length, durationS: 2.5 } });
    expect(pushed.body.recording.sha256).toMatch(/^[0-9a-f]{64}$/);

    const [r] = await ringotel.waitFor(1);
    const [s] = await standard.waitFor(1);
    const update = JSON.parse(r!.body);
    expect(Object.keys(update.params)).toEqual(['call_recording_url', 'call_id']); // the seed's keys, nothing else
    expect(update).toMatchObject({ method: 'UpdateCallRecording', params: { call_id: 'call-1' } });
    const link: string = update.params.call_recording_url;
    // On the public URL (here the service's own address), unguessable, signed, with an expiry.
    expect(link.startsWith(`${t.service.config.http.publicUrl}/v1/recordings/`)).toBe(true);
    expect(link).toMatch(/\/v1\/recordings\/rk_[\w-]{22}\?expires=\d+&signature=[\w-]{43}$/);
    const event = JSON.parse(s!.body);
    expect(event.type).toBe('call.recording');
    expect(event.data.recording).toEqual({ url: link, contentType: 'audio/wav', bytes: wav.length, durationS: 2.5, sha256: pushed.body.recording.sha256 });
    expect(event.data.recordingUrl).toBe(link);

    // No credentials: the link is them.
    const whole = await getBytes(local(t, link));
    expect(whole.status).toBe(200);
    expect(whole.bytes.equals(wav)).toBe(true);
    expect(Object.fromEntries(['content-type', 'content-length', 'accept-ranges', 'etag', 'content-disposition', 'x-content-type-options'].map((h) => [h, whole.headers.get(h)]))).toEqual({
      'content-type': 'audio/wav', 'content-length': String(wav.length), 'accept-ranges': 'bytes', etag: `"${pushed.body.recording.sha256}"`,
      'content-disposition': 'inline; filename="call-call-1.wav"', 'x-content-type-options': 'nosniff',
    });
    const part = await getBytes(local(t, link), { headers: { range: 'bytes=44-1043' } });
    expect([part.status, part.headers.get('content-range'), part.headers.get('content-length')]).toEqual([206, `bytes 44-1043/${wav.length}`, '1000']);
    expect(part.bytes.equals(wav.subarray(44, 1044))).toBe(true);
    const end = await getBytes(local(t, link), { headers: { range: 'bytes=-10' } });
    expect(end.bytes.equals(wav.subarray(wav.length - 10))).toBe(true);
    const head = await getBytes(local(t, link), { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), head.bytes.length]).toEqual([200, String(wav.length), 0]);
    const beyond = await fetch(local(t, link), { headers: { range: `bytes=${wav.length}-` } });
    expect([beyond.status, beyond.headers.get('content-range'), beyond.headers.get('content-type')]).toEqual([416, `bytes */${wav.length}`, 'application/problem+json; charset=utf-8']);
    expect((await getBytes(local(t, link), { headers: { 'if-none-match': `"${pushed.body.recording.sha256}"` } })).status).toBe(304);
    expect((await getBytes(`${local(t, link)}&download=true`)).headers.get('content-disposition')).toBe('attachment; filename="call-call-1.wav"');

    // Where the bytes are: files in the folder (whole, no temporary left), or the database.
    if (filesIn) expect(readdirSync(join(filesIn, org.orgId))).toEqual([expect.stringMatching(/^rec_/)]);
  });

  it('reads the type from the file, not the request: an MP3 sent as audio/wav is an MP3; HTML sent as audio is refused; the same file again is a repeat, another one a conflict', async () => {
    const { t, org } = await service();
    await startCall(t, org.ingestToken, 'call-mp3');
    const mp3 = mp3File(3);
    const pushed = await pushRecording(t, org.ingestToken, 'call-mp3', mp3, 'audio/wav');
    expect(pushed.status).toBe(201);
    expect(pushed.body.recording.contentType).toBe('audio/mpeg');
    expect(pushed.body.recording.durationS).toBeGreaterThan(2.9);
    expect(pushed.body.recording.durationS).toBeLessThan(3.1);
    const served = await getBytes(local(t, pushed.body.recording.url));
    expect([served.headers.get('content-type'), served.headers.get('content-disposition')]).toEqual(['audio/mpeg', 'inline; filename="call-call-mp3.mp3"']);

    const again = await pushRecording(t, org.ingestToken, 'call-mp3', mp3, 'audio/mpeg');
    expect([again.status, again.body.status, again.body.eventId]).toEqual([200, 'duplicate', pushed.body.eventId]);
    const other = await pushRecording(t, org.ingestToken, 'call-mp3', wavFile(1));
    expect([other.status, other.body.type]).toEqual([409, 'https://callhook.dev/problems/call-state-conflict']);

    await startCall(t, org.ingestToken, 'call-html');
    const html = await pushRecording(t, org.ingestToken, 'call-html', '<html><body>404 Not Found</body></html>', 'audio/wav');
    expect([html.status, html.body.type, html.body.field]).toEqual([415, 'https://callhook.dev/problems/not-audio', '(body)']);
    const empty = await pushRecording(t, org.ingestToken, 'call-html', '', 'audio/wav');
    expect([empty.status, empty.body.field]).toEqual([422, '(body)']);
    const unknownCall = await pushRecording(t, org.ingestToken, 'never-started', wavFile(1));
    expect([unknownCall.status, unknownCall.body.field]).toEqual([409, 'callId']);
    const noToken = await fetch(`${t.url}/v1/ingest/calls/call-html/recording`, { method: 'PUT', body: wavFile(1) });
    expect(noToken.status).toBe(401);
    // None of the refused files left anything behind: the calls have no recording.
    for (const callId of ['call-html', 'never-started']) {
      expect((await t.api.get(`/v1/orgs/${org.orgId}/calls/${callId}/recording`, org.apiKey)).status).toBe(404);
    }
  });

  it('refuses a file over CALLHOOK_RECORDING_MAX_MB with 413, by its declared length or as it streams, keeping nothing', async () => {
    const { t, org, filesIn } = await service({ CALLHOOK_RECORDING_MAX_MB: '1' });
    await startCall(t, org.ingestToken, 'call-big');
    const big = wavFile(70, 8_000); // 1.12 MB
    const declared = await pushRecording(t, org.ingestToken, 'call-big', big);
    expect([declared.status, declared.body.type]).toEqual([413, 'https://callhook.dev/problems/recording-too-large']);
    // Chunked (no Content-Length): refused once past the cap.
    const chunked = await fetch(`${t.url}/v1/ingest/calls/call-big/recording`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${org.ingestToken}`, 'content-type': 'audio/wav' },
      body: new ReadableStream({
        start(controller) {
          for (let at = 0; at < big.length; at += 64 * 1024) controller.enqueue(big.subarray(at, at + 64 * 1024));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await t.api.get(`/v1/orgs/${org.orgId}/calls/call-big/recording`, org.apiKey)).status).toBe(404);
    if (filesIn) expect(readdirSync(join(filesIn, org.orgId))).toEqual([]);
    // Just under the cap is fine.
    expect((await pushRecording(t, org.ingestToken, 'call-big', wavFile(60, 8_000))).status).toBe(201);
  });

  it('a recording that arrives before the call ended goes out at once, before the end', async () => {
    const { t, org } = await service();
    const receiver = await scope.receiver();
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url, format: 'standard' }, org.apiKey);
    const at = t.clock.now();
    await startCall(t, org.ingestToken, 'live', at);
    await ingest(t.api, org.ingestToken, { type: 'answered', callId: 'live', at: at + 5_000 });
    expect((await pushRecording(t, org.ingestToken, 'live', wavFile(1))).status).toBe(201);
    await ingest(t.api, org.ingestToken, { type: 'ended', callId: 'live', at: at + 65_000 });
    const got = await receiver.waitFor(4);
    const events = got.map((r) => JSON.parse(r.body));
    expect(events.map((e) => e.type)).toEqual(['call.incoming', 'call.answered', 'call.recording', 'call.ended']);
    expect(events[3].data.recording.bytes).toBe(wavFile(1).length);
  });

  it('a link expires after CALLHOOK_RECORDING_LINK_DAYS and a changed one never works (403 problem+json); the organization always gets a fresh one', async () => {
    const { t, org } = await service({ CALLHOOK_RECORDING_LINK_DAYS: '7' });
    await startCall(t, org.ingestToken, 'call-x');
    const wav = wavFile(1);
    const link = local(t, (await pushRecording(t, org.ingestToken, 'call-x', wav)).body.recording.url);
    const url = new URL(link);
    const tampered = [
      link.replace(/expires=(\d+)/, (_, s: string) => `expires=${Number(s) + 86_400}`),
      link.replace(/signature=(.)/, (_, c: string) => `signature=${c === 'A' ? 'B' : 'A'}`),
      link.replace(/rk_(.)/, (_, c: string) => `rk_${c === 'A' ? 'B' : 'A'}`),
      `${url.origin}${url.pathname}`, // no signature at all
    ];
    for (const bad of tampered) {
      const response = await fetch(bad);
      expect(response.status, bad).toBe(bad.includes('?') ? 403 : 422);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect((await fetch(link)).status).toBe(200);
    t.clock.advance(7 * DAY - 60_000);
    expect((await fetch(link)).status).toBe(200);
    t.clock.advance(2 * 60_000);
    const expired = await fetch(link);
    expect(expired.status).toBe(403);
    expect(await expired.json()).toMatchObject({ type: 'https://callhook.dev/problems/link-not-valid', field: 'expires', detail: expect.stringContaining('expired') });

    const fresh = await t.api.request('GET', `/v1/orgs/${org.orgId}/calls/call-x/recording`, { token: org.apiKey, headers: { accept: 'application/json' } });
    expect(fresh.status).toBe(200);
    expect(Date.parse(fresh.body.expiresAt)).toBeGreaterThan(t.clock.now() + 6 * DAY);
    expect((await getBytes(local(t, fresh.body.url))).bytes.equals(wav)).toBe(true);
    // The organization's own route streams the file too (what the portal plays), with ranges.
    const direct = await getBytes(`${t.url}/v1/orgs/${org.orgId}/calls/call-x/recording`, { headers: { authorization: `Bearer ${org.apiKey}`, range: 'bytes=0-3' } });
    expect([direct.status, direct.bytes.toString('latin1')]).toEqual([206, 'RIFF']);
  });

  it('one organization never reaches another’s recording: not by its call id, not with its own credentials; a deleted one’s files go with it', async () => {
    const { t, org: a, filesIn } = await service();
    const b = await setupOrg(t.api);
    await startCall(t, a.ingestToken, 'same-id');
    await startCall(t, b.ingestToken, 'same-id');
    const aWav = wavFile(1);
    const bWav = wavFile(2);
    await pushRecording(t, a.ingestToken, 'same-id', aWav);
    // B's connection pushing for "its" call gets its own call, not A's.
    expect((await pushRecording(t, b.ingestToken, 'same-id', bWav)).status).toBe(201);
    const asB = await getBytes(`${t.url}/v1/orgs/${b.orgId}/calls/same-id/recording`, { headers: { authorization: `Bearer ${b.apiKey}` } });
    expect(asB.bytes.equals(bWav)).toBe(true);
    for (const [path, token] of [[`/v1/orgs/${a.orgId}/calls/same-id/recording`, b.apiKey], [`/v1/orgs/${a.orgId}/calls/same-id/recording`, b.ingestToken], [`/v1/orgs/${a.orgId}/calls/same-id/recording`, null]] as const) {
      const response = await getBytes(`${t.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      expect(response.status, String(token)).toBeGreaterThanOrEqual(401);
      expect(response.status).toBeLessThan(405);
      expect(response.bytes.includes(Buffer.from('RIFF'))).toBe(false);
    }
    const bLink = (await t.api.request('GET', `/v1/orgs/${b.orgId}/calls/same-id/recording`, { token: b.apiKey, headers: { accept: 'application/json' } })).body.url;
    expect((await t.api.delete(`/v1/orgs/${b.orgId}`)).status).toBe(204);
    expect((await fetch(local(t, bLink))).status).toBe(404);
    if (filesIn) expect(readdirSync(filesIn)).toEqual([a.orgId]);
    expect((await getBytes(`${t.url}/v1/orgs/${a.orgId}/calls/same-id/recording`, { headers: { authorization: `Bearer ${a.apiKey}` } })).bytes.equals(aWav)).toBe(true);
  });
});

describe('rotating the link secret', () => {
  const scope = testScope();

  it('`callhook recordings rotate-link-secret`: links already sent keep working, new ones use the new secret, two rotations retire a secret', async () => {
    const { t, org } = await scope.service();
    await startCall(t, org.ingestToken, 'rot');
    const first = local(t, (await pushRecording(t, org.ingestToken, 'rot', wavFile(1))).body.recording.url);
    const rotate = async () => {
      const { execFile } = await import('node:child_process');
      const output = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['bin/callhook.js', 'recordings', 'rotate-link-secret'], { env: { PATH: process.env.PATH, CALLHOOK_DATA_DIR: t.dataDir } }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
      );
      expect(output).toContain('new secret');
    };
    await rotate();
    // The running service reads the secrets again within a minute: a restart reads them at once.
    const t2 = await t.restart();
    scope.defer(() => t2.cleanup());
    const second = local(t2, (await t2.api.request('GET', `/v1/orgs/${org.orgId}/calls/rot/recording`, { token: org.apiKey, headers: { accept: 'application/json' } })).body.url);
    const relocated = (link: string) => `${t2.url}${new URL(link).pathname}${new URL(link).search}`;
    expect(new URL(second).searchParams.get('signature')).not.toBe(new URL(first).searchParams.get('signature'));
    expect((await fetch(relocated(first))).status).toBe(200);
    expect((await fetch(second)).status).toBe(200);
    await t2.stop();
    await rotate();
    const t3 = await t2.restart();
    scope.defer(() => t3.cleanup());
    expect((await fetch(`${t3.url}${new URL(first).pathname}${new URL(first).search}`)).status).toBe(403);
    expect((await fetch(`${t3.url}${new URL(second).pathname}${new URL(second).search}`)).status).toBe(200);
  });
});
