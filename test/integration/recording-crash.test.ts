// A crash mid-upload: a real `callhook serve` is killed (SIGKILL) while a phone system streams a
// recording to it. After the restart nothing of the half-written file is served — the call has no
// recording, no link leads to it — and the phone system can simply send it again.
import { request } from 'node:http';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { wavFile } from '../fixtures/audio.ts';
import { POSTGRES_URL, createTestDatabase } from '../helpers/postgres.ts';
import { getBytes, local, pushRecording } from '../helpers/recordings.ts';
import { testScope } from '../helpers/scope.ts';
import { eventually } from '../helpers/eventually.ts';
import { startServeProcess } from '../helpers/serve-process.ts';
import { OPERATOR_TOKEN, apiClient, setupOrg } from '../helpers/service.ts';


const stores = [['SQLite (files)', 'sqlite'], ...(POSTGRES_URL ? [['PostgreSQL (chunks)', 'postgres'] as const] : [])] as const;

describe.each(stores)('a crash mid-upload (%s)', (_name, backend) => {
  const scope = testScope();

  it('leaves nothing that is served, and the upload can be repeated after the restart', { timeout: 180_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callhook-crash-'));
    scope.defer(async () => rmSync(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = { CALLHOOK_DATA_DIR: dataDir, CALLHOOK_ADMIN_TOKEN: OPERATOR_TOKEN, CALLHOOK_DEV: '1', CALLHOOK_LOG_LEVEL: 'warn' };
    let chunksWritten = async () => false;
    if (backend === 'postgres') {
      const database = await createTestDatabase();
      scope.defer(() => database.drop());
      env.CALLHOOK_DATABASE_URL = database.url;
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      scope.defer(() => client.end());
      chunksWritten = async () => Number((await client.query('SELECT count(*) AS n FROM recording_chunks')).rows[0].n) > 0;
    }
    let recordingsDir = '';
    const partWritten = () => {
      try {
        return readdirSync(recordingsDir).some((name) => name.endsWith('.part') && statSync(join(recordingsDir, name)).size > 0);
      } catch {
        return false;
      }
    };

    const first = await startServeProcess({ env });
    scope.defer(() => first.stop(2_000));
    const api = apiClient(first.url);
    const org = await setupOrg(api);
    recordingsDir = join(dataDir, 'recordings', org.orgId);
    const started = await api.post('/v1/ingest/calls', { type: 'started', callId: 'crash-1', direction: 'inbound', from: '+31612345678', to: '500', at: Date.now() }, org.ingestToken);
    expect(started.status).toBe(202);

    // Stream the first part of a 2 MB recording, and keep the request open.
    const wav = wavFile(120, 8_000);
    const upload = request(`${first.url}/v1/ingest/calls/crash-1/recording`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${org.ingestToken}`, 'content-type': 'audio/wav', 'content-length': String(wav.length) },
    });
    const outcome = new Promise<string>((resolve) => {
      upload.on('response', (response) => resolve(`answered ${response.statusCode}`));
      upload.on('error', (error) => resolve(`failed: ${(error as { code?: string }).code ?? error.message}`));
    });
    upload.write(wav.subarray(0, 600_000));
    await eventually(backend === 'sqlite' ? partWritten : chunksWritten, { timeoutMs: 20_000, what: 'the server to write the first part' });

    first.signal('SIGKILL');
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(await outcome).toMatch(/^failed: /); // never acknowledged

    const second = await startServeProcess({ env });
    scope.defer(() => second.stop());
    const again = apiClient(second.url);
    // Nothing of the cut upload is a recording: not of the call, not anywhere to link to.
    expect((await again.get(`/v1/orgs/${org.orgId}/calls/crash-1/recording`, org.apiKey)).status).toBe(404);
    expect((await again.get(`/v1/orgs/${org.orgId}/calls/crash-1`, org.apiKey)).body.call.recording).toBeNull();
    if (backend === 'sqlite') expect(readdirSync(recordingsDir).filter((name) => !name.endsWith('.part'))).toEqual([]);

    // The phone system sends it again: stored whole, served byte for byte.
    const t = { url: second.url } as Parameters<typeof pushRecording>[0];
    const pushed = await pushRecording(t, org.ingestToken, 'crash-1', wav);
    expect(pushed.status).toBe(201);
    const served = await getBytes(local(t, pushed.body.recording.url));
    expect(served.status).toBe(200);
    expect(served.bytes.equals(wav)).toBe(true);
    if (backend === 'sqlite') expect(readdirSync(recordingsDir).filter((name) => !name.startsWith('.'))).toEqual([expect.stringMatching(/^rec_/)]);
  });
});
