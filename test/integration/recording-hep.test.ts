// Calls from SIP get recordings too: the PBX pushes the file with the SIP Call-ID as the call id,
// to the call the HEP collector tracks for its organization — also while the call is still going.
import { describe, expect, it } from 'vitest';
import { wavFile } from '../fixtures/audio.ts';
import { readCapture, replay } from '../helpers/hep-replay.ts';
import { getBytes, local, pushRecording } from '../helpers/recordings.ts';
import { testScope } from '../helpers/scope.ts';

describe('recordings of calls from SIP (HEP)', () => {
  const scope = testScope();

  it('the PBX pushes with the SIP Call-ID; the recording joins the HEP-tracked call and goes out', async () => {
    const { t, org } = await scope.service({ CALLHOOK_HEP: '1' });
    expect((await t.api.post(`/v1/orgs/${org.orgId}/connections`, { name: 'Kamailio', hep: { captureId: 2001 } })).status).toBe(201);
    const receiver = await scope.receiver();
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url, format: 'standard' }, org.apiKey);
    await replay(t, readCapture('answered-caller-bye'), { skewMs: -10_000 });
    await receiver.waitFor(3);
    const calls = (await t.api.get(`/v1/orgs/${org.orgId}/calls`, org.apiKey)).body.data;
    expect(calls).toHaveLength(1);
    const sipCallId: string = calls[0].callId;
    expect(sipCallId).toContain('@'); // a SIP Call-ID, as the PBX knows it

    // The PBX's recording push uses its connection's ingest token (the HEP connection's organization).
    const wav = wavFile(2);
    const pushed = await pushRecording(t, org.ingestToken, sipCallId, wav);
    expect(pushed.status).toBe(201);
    const [, , , recording] = await receiver.waitFor(4);
    const event = JSON.parse(recording!.body);
    expect(event).toMatchObject({ type: 'call.recording', data: { callId: sipCallId, outcome: 'ANSWERED', recording: { bytes: wav.length, durationS: 2 } } });
    expect((await getBytes(local(t, event.data.recording.url))).bytes.equals(wav)).toBe(true);
  });
});
