// Recordings callhook fetches from where a recording step points: a durable job (in the store,
// with the step), retried on a schedule until its deadline, through the same address guard as
// webhooks — except from an origin the operator listed on the connection, which is fetched with
// its credentials. Real files from a real HTTP server on loopback; the fetcher is single-stepped
// on the fake clock.
import { describe, expect, it } from 'vitest';
import { mp3File, wavFile } from '../fixtures/audio.ts';
import { POSTGRES_URL, createTestDatabase } from '../helpers/postgres.ts';
import { type RecordingServer, startRecordingServer } from '../helpers/recording-server.ts';
import { getBytes, local, pushRecording, startCall } from '../helpers/recordings.ts';
import { testScope } from '../helpers/scope.ts';
import { type OrgSetup, type TestService, ingest, setupOrg, startTestService } from '../helpers/service.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const stores = [['SQLite', 'sqlite'], ...(POSTGRES_URL ? [['PostgreSQL', 'postgres'] as const] : [])] as const;

describe.each(stores)('recordings fetched by callhook (%s)', (_name, backend) => {
  const scope = testScope();

  /** A service; strict: as in production (https and public addresses only), not the tests' usual loopback allowance. */
  async function service(options: { strict?: boolean } = {}): Promise<{ t: TestService; org: OrgSetup; pbx: RecordingServer }> {
    const env: Record<string, string> = {};
    if (options.strict) env.CALLHOOK_ALLOW_PRIVATE_TARGETS = '0';
    if (backend === 'postgres') {
      const database = await createTestDatabase();
      scope.defer(() => database.drop());
      env.CALLHOOK_DATABASE_URL = database.url;
    }
    const t = await startTestService({ env });
    scope.defer(() => t.cleanup());
    const pbx = await startRecordingServer();
    scope.defer(() => pbx.close());
    return { t, org: await setupOrg(t.api), pbx };
  }

  const detail = async (t: TestService, org: OrgSetup, callId: string) => (await t.api.get(`/v1/orgs/${org.orgId}/calls/${callId}`, org.apiKey)).body;

  it('fetches the URL of a recording step, stores the file, and only then sends call.recording with callhook’s link', async () => {
    const { t, org, pbx } = await service();
    const receiver = await scope.receiver();
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver.url}/r`, format: 'ringotel' }, org.apiKey);
    const mp3 = mp3File(2);
    pbx.serve('/recordings/call-1.mp3', mp3, { contentType: 'audio/mpeg' });
    const at = t.clock.now();
    const accepted = await ingest(t.api, org.ingestToken, {
      steps: [
        { type: 'started', callId: 'call-1', direction: 'inbound', from: '+31612345678', to: '500', user: '500', at },
        { type: 'ended', callId: 'call-1', at: at + 1_000 },
        { type: 'recording', callId: 'call-1', url: `${pbx.origin}/recordings/call-1.mp3` },
      ],
    });
    expect(accepted.status).toBe(202);
    const promised = accepted.body.results[2];
    expect(promised).toMatchObject({ type: 'recording', status: 'fetching', eventId: expect.stringMatching(/^evt_/) });
    await receiver.waitFor(2);
    // Nothing about the recording yet: it is not stored.
    expect((await detail(t, org, 'call-1')).events.map((e: { type: string }) => e.type)).toEqual(['call.incoming', 'call.ended']);

    await t.service.recordings.fetcher.tick();
    const [, , update] = await receiver.waitFor(3);
    const body = JSON.parse(update!.body);
    expect(body.method).toBe('UpdateCallRecording');
    const link: string = body.params.call_recording_url;
    expect(link.startsWith(t.service.config.http.publicUrl + '/v1/recordings/rk_')).toBe(true);
    expect(link).not.toContain(pbx.origin);
    expect((await getBytes(local(t, link))).bytes.equals(mp3)).toBe(true);
    const after = await detail(t, org, 'call-1');
    expect(after.events.map((e: { id: string; type: string }) => [e.type, e.id])).toContainEqual(['call.recording', promised.eventId]);
    expect(after.recordingFetch).toMatchObject({ status: 'done', attempts: 1 });
    expect(after.call.recording).toMatchObject({ contentType: 'audio/mpeg', bytes: mp3.length });
    // The same step again changes nothing; a later tick fetches nothing more.
    expect((await ingest(t.api, org.ingestToken, { type: 'recording', callId: 'call-1', url: `${pbx.origin}/recordings/call-1.mp3` })).body.results[0].status).toBe('duplicate');
    await t.service.recordings.fetcher.tick();
    expect(pbx.requests).toHaveLength(1);
  });

  it('retries a PBX that is not ready (404, 503) on its schedule, and gives up at the deadline', async () => {
    const { t, org, pbx } = await service();
    const wav = wavFile(1);
    pbx.serve('/late.wav', wav, { before: [404, 503] });
    await startCall(t, org.ingestToken, 'late');
    await startCall(t, org.ingestToken, 'never');
    await ingest(t.api, org.ingestToken, { steps: [{ type: 'recording', callId: 'late', url: `${pbx.origin}/late.wav` }, { type: 'recording', callId: 'never', url: `${pbx.origin}/missing.wav` }] });
    await t.service.recordings.fetcher.tick();
    expect(await detail(t, org, 'late')).toMatchObject({ recordingFetch: { status: 'pending', attempts: 1, lastError: expect.stringContaining('answered 404') } });
    await t.service.recordings.fetcher.tick(); // not due yet
    expect(pbx.requests.filter((r) => r.path === '/late.wav')).toHaveLength(1);
    t.clock.advance(30_000);
    await t.service.recordings.fetcher.tick();
    expect(await detail(t, org, 'late')).toMatchObject({ recordingFetch: { status: 'pending', attempts: 2, lastError: expect.stringContaining('answered 503') } });
    t.clock.advance(2 * MINUTE);
    await t.service.recordings.fetcher.tick();
    expect(await detail(t, org, 'late')).toMatchObject({ recordingFetch: { status: 'done' }, call: { recording: { bytes: wav.length } } });

    for (let i = 0; i < 40 && (await detail(t, org, 'never')).recordingFetch.status === 'pending'; i++) {
      t.clock.advance(HOUR);
      await t.service.recordings.fetcher.tick();
    }
    const never = await detail(t, org, 'never');
    expect(never.recordingFetch).toMatchObject({ status: 'failed', lastError: expect.stringContaining('answered 404') });
    expect(never.recordingFetch.attempts).toBeGreaterThan(5);
    expect(never.call.recording).toBeNull();
    expect(never.events.map((e: { type: string }) => e.type)).toEqual(['call.incoming']);
  });

  it('gives up at once on what trying again cannot fix: not audio', async () => {
    const { t, org, pbx } = await service();
    pbx.serve('/login', Buffer.from('<html>please sign in</html>'), { contentType: 'audio/wav' });
    await startCall(t, org.ingestToken, 'html');
    await ingest(t.api, org.ingestToken, { type: 'recording', callId: 'html', url: `${pbx.origin}/login` });
    await t.service.recordings.fetcher.tick();
    expect((await detail(t, org, 'html')).recordingFetch).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('not audio') });
  });

  it('a private PBX is fetched only when the operator listed its origin on the connection, with the credentials set there', async () => {
    const { t, org, pbx } = await service({ strict: true });
    const wav = wavFile(1.5);
    pbx.serve('/rec/private.wav', wav);
    pbx.requireAuthorization(`Basic ${Buffer.from('callhook:pbx-secret').toString('base64')}`);
    await startCall(t, org.ingestToken, 'unlisted');
    await ingest(t.api, org.ingestToken, { type: 'recording', callId: 'unlisted', url: `${pbx.origin}/rec/private.wav` });
    await t.service.recordings.fetcher.tick();
    // Loopback, http, unlisted: refused before any connection, for good.
    expect((await detail(t, org, 'unlisted')).recordingFetch).toMatchObject({ status: 'failed', lastError: expect.stringContaining('recordingSources') });
    expect(pbx.requests).toEqual([]);

    // Only the operator lists origins; an organization admin or key cannot.
    const asKey = await t.api.patch(`/v1/orgs/${org.orgId}/connections/${org.connectionId}`, { recordingSources: [{ origin: pbx.origin }] }, org.apiKey);
    expect(asKey.status).toBe(403);
    const listed = await t.api.patch(`/v1/orgs/${org.orgId}/connections/${org.connectionId}`, {
      recordingSources: [{ origin: pbx.origin.toUpperCase().replace('HTTP://', 'http://'), auth: { kind: 'basic', username: 'callhook', password: 'pbx-secret' } }],
    });
    expect(listed.status).toBe(200);
    expect(listed.body.recordingSources).toEqual([{ origin: pbx.origin, auth: 'basic' }]); // credentials are never shown
    expect(JSON.stringify(listed.body)).not.toContain('pbx-secret');
    const bad = await t.api.patch(`/v1/orgs/${org.orgId}/connections/${org.connectionId}`, { recordingSources: [{ origin: `${pbx.origin}/rec` }] });
    expect([bad.status, bad.body.field]).toEqual([422, 'recordingSources[0].origin']);

    await startCall(t, org.ingestToken, 'listed');
    await ingest(t.api, org.ingestToken, { type: 'recording', callId: 'listed', url: `${pbx.origin}/rec/private.wav` });
    await t.service.recordings.fetcher.tick();
    const fetched = await detail(t, org, 'listed');
    expect(fetched.recordingFetch).toMatchObject({ status: 'done' });
    expect(pbx.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('callhook:pbx-secret').toString('base64')}`);
    expect((await getBytes(local(t, fetched.call.recording.url))).bytes.equals(wav)).toBe(true);

    // Another organization's connection does not inherit the listing.
    const other = await setupOrg(t.api);
    await startCall(t, other.ingestToken, 'theirs');
    await ingest(t.api, other.ingestToken, { type: 'recording', callId: 'theirs', url: `${pbx.origin}/rec/private.wav` });
    const before = pbx.requests.length;
    await t.service.recordings.fetcher.tick();
    expect((await t.api.get(`/v1/orgs/${other.orgId}/calls/theirs`, other.apiKey)).body.recordingFetch).toMatchObject({ status: 'failed' });
    expect(pbx.requests).toHaveLength(before);
  });

  it('a push for a call whose recording step is still being fetched is a conflict; the fetch completes it', async () => {
    const { t, org, pbx } = await service();
    const wav = wavFile(1);
    pbx.serve('/c.wav', wav);
    await startCall(t, org.ingestToken, 'both');
    await ingest(t.api, org.ingestToken, { type: 'recording', callId: 'both', url: `${pbx.origin}/c.wav` });
    expect((await pushRecording(t, org.ingestToken, 'both', wavFile(2))).status).toBe(409);
    await t.service.recordings.fetcher.tick();
    expect((await detail(t, org, 'both')).call.recording.bytes).toBe(wav.length);
  });
});
