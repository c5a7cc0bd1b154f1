// Recordings are purged after CALLHOOK_RECORDING_RETENTION_DAYS — never while a delivery that links
// to them is owed — in small batches; their links then answer 410 and their files are gone.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wavFile } from '../fixtures/audio.ts';
import { getBytes, local, pushRecording, startCall } from '../helpers/recordings.ts';
import { testScope } from '../helpers/scope.ts';

const DAY = 86_400_000;

describe('recording retention', () => {
  const scope = testScope();

  it('purges recordings after their days, not while a delivery linking to them is owed; links then answer 410', async () => {
    const { t, org } = await scope.service({ CALLHOOK_RETENTION_DAYS: '90', CALLHOOK_RECORDING_RETENTION_DAYS: '10', CALLHOOK_RECORDING_LINK_DAYS: '30' });
    const ok = await scope.receiver();
    const down = await scope.receiver({ kind: 'status', status: 503 });
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${ok.url}/ok`, format: 'standard', events: ['call.recording'] }, org.apiKey);
    const recordings: Record<string, { url: string }> = {};
    for (const callId of ['done-1', 'done-2', 'owed']) {
      // The down receiver gets only the "owed" call's recording (its retry is weeks away): that stays owed.
      if (callId === 'owed') {
        const hook = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${down.url}/down`, format: 'standard', events: ['call.recording'], retryScheduleS: [7 * 86_400, 7 * 86_400] }, org.apiKey);
        expect(hook.status).toBe(201);
      }
      await startCall(t, org.ingestToken, callId);
      recordings[callId] = (await pushRecording(t, org.ingestToken, callId, wavFile(1))).body.recording;
    }
    await t.service.dispatcher.idle();
    const files = join(t.dataDir, 'recordings', org.orgId);
    expect(readdirSync(files)).toHaveLength(3);

    t.clock.advance(9 * DAY);
    expect(await t.service.retention.tick()).toMatchObject({ recordings: 0 });
    t.clock.advance(2 * DAY);
    expect(await t.service.retention.tick()).toMatchObject({ recordings: 2 });
    for (const callId of ['done-1', 'done-2']) {
      const gone = await fetch(local(t, recordings[callId]!.url));
      expect(gone.status).toBe(410);
      expect(await gone.json()).toMatchObject({ type: 'https://callhook.dev/problems/recording-gone' });
      expect((await t.api.get(`/v1/orgs/${org.orgId}/calls/${callId}/recording`, org.apiKey)).status).toBe(410);
    }
    expect((await getBytes(local(t, recordings.owed!.url))).status).toBe(200);
    expect(readdirSync(files)).toHaveLength(1);
    // The calls themselves are kept (their retention is 90 days).
    expect((await t.api.get(`/v1/orgs/${org.orgId}/calls/done-1`, org.apiKey)).status).toBe(200);

    // Once nothing is owed any more (the receiver is back and takes its delivery), it goes too.
    down.behave({ kind: 'status', status: 200 });
    const owed = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?callId=owed&status=pending`, org.apiKey)).body.data[0];
    expect((await t.api.post(`/v1/orgs/${org.orgId}/deliveries/${owed.id}/retry`, undefined, org.apiKey)).status).toBe(200);
    expect(await t.service.retention.tick()).toMatchObject({ recordings: 1 });
    expect(readdirSync(files)).toEqual([]);
    expect((await fetch(local(t, recordings.owed!.url))).status).toBe(410);
  });

  it('sweeps what an upload cut short by a crash left, once it is old', async () => {
    const { t, org } = await scope.service({ CALLHOOK_RECORDING_RETENTION_DAYS: '0' });
    await startCall(t, org.ingestToken, 'kept');
    expect((await pushRecording(t, org.ingestToken, 'kept', wavFile(1))).status).toBe(201);
    const files = join(t.dataDir, 'recordings', org.orgId);
    // What a killed process leaves: a dot file being written (crash-upload.test.ts makes a real one).
    const { writeFileSync, utimesSync } = await import('node:fs');
    const part = join(files, '.rec_crashed.0123456789ab.part');
    writeFileSync(part, wavFile(1).subarray(0, 1_000));
    expect(await t.service.retention.tick()).toMatchObject({ abandonedUploads: 0 }); // it may be an upload in progress
    const longAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(part, longAgo, longAgo);
    expect(await t.service.retention.tick()).toMatchObject({ abandonedUploads: 1, recordings: 0 });
    expect(existsSync(part)).toBe(false);
    expect(readdirSync(files)).toEqual([expect.stringMatching(/^rec_/)]);
    t.clock.advance(3_650 * DAY);
    expect(await t.service.retention.tick()).toMatchObject({ recordings: 0 });
  });
});
