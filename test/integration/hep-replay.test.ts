// The real kamailio captures, replayed over UDP to a running callhook with its HEP collector on:
// the webhooks that come out carry the right direction, user, times, talk time and cause. The
// captures' timing is played on the service's fake clock (helpers/hep-replay.ts `replay`).
import { describe, expect, it } from 'vitest';
import { replay, readCapture, sendUdp, shifted } from '../helpers/hep-replay.ts';
import { testScope } from '../helpers/scope.ts';
import { eventually } from '../helpers/eventually.ts';
import type { Received } from '../helpers/receiver.ts';

interface StandardBody {
  type: string;
  data: { callId: string; direction: string; from: string; to: string; user: { extension: string } | null; outcome: string | null; sipCode: number | null; talkTimeS: number; startedAt: string; endedAt: string | null; answeredAt: string | null };
}

const bodies = (received: Received[]) => received.map((r) => JSON.parse(r.body) as StandardBody);

describe('HEP collector with real captures', () => {
  const scope = testScope();

  async function collector(env: Record<string, string> = {}) {
    const { t, org } = await scope.service({ CALLHOOK_HEP: '1', ...env });
    const connection = await t.api.post(`/v1/orgs/${org.orgId}/connections`, { name: 'Kamailio', hep: { captureId: 2001 } });
    expect(connection.status).toBe(201);
    const receiver = await scope.receiver();
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url, format: 'standard' }, org.apiKey);
    const ringotel = await scope.receiver();
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: ringotel.url, format: 'ringotel' }, org.apiKey);
    return { t, org, receiver, ringotel, port: t.service.hep!.port };
  }

  it('answered, caller hangs up: incoming → answered by 500 → ended ANSWERED with about 2 s of talk', async () => {
    const { t, receiver, ringotel } = await collector();
    const { captureStartMs: start } = await replay(t, readCapture('answered-caller-bye'), { skewMs: -10_000 });
    await receiver.waitFor(3);
    const [incoming, answered, ended] = bodies(receiver.received);
    expect([incoming!.type, answered!.type, ended!.type]).toEqual(['call.incoming', 'call.answered', 'call.ended']);
    expect(incoming!.data).toMatchObject({ direction: 'inbound', from: '+31850609001', to: '500', user: { extension: '500' } });
    expect(Date.parse(incoming!.data.startedAt)).toBe(start);
    expect(ended!.data).toMatchObject({ outcome: 'ANSWERED', sipCode: null });
    expect(ended!.data.talkTimeS).toBeGreaterThanOrEqual(1);
    expect(ended!.data.talkTimeS).toBeLessThanOrEqual(3);
    await ringotel.waitFor(2);
    const stop = JSON.parse(ringotel.received[1]!.body) as { method: string; params: Record<string, unknown> };
    expect(stop).toMatchObject({ method: 'StopCallActivity', params: { call_cause: '0', extension: '500', caller_number: '+31850609001', called_number: '500' } });
  });

  it('caller cancels: ended UNANSWERED with SIP 487; busy: ended UNANSWERED with SIP 486', async () => {
    const { t, receiver } = await collector();
    await replay(t, readCapture('unanswered-caller-cancel'), { skewMs: -20_000 });
    await replay(t, readCapture('busy-486'), { skewMs: -10_000 });
    await receiver.waitFor(4, 8_000);
    const ended = bodies(receiver.received).filter((b) => b.type === 'call.ended');
    expect(ended.map((b) => [b.data.from, b.data.outcome, b.data.sipCode, b.data.talkTimeS, b.data.answeredAt]).sort()).toEqual([
      ['+31850609003', 'UNANSWERED', 487, 0, null],
      ['+31850609004', 'UNANSWERED', 486, 0, null],
    ]);
    expect(bodies(receiver.received).filter((b) => b.type === 'call.answered')).toEqual([]);
  });

  it('drops packets of unknown capture ids or without the connection’s auth key, and counts them', async () => {
    const { t, org, receiver, port } = await collector();
    await t.api.post(`/v1/orgs/${org.orgId}/connections`, { name: 'Locked', hep: { captureId: 2002, authKey: 'letmein' } });
    await sendUdp(port, shifted(readCapture('busy-486'), t.clock.now() - 5_000, 2002)); // no auth key in kamailio's packets
    await sendUdp(port, shifted(readCapture('busy-486'), t.clock.now() - 5_000, 4242));
    await sendUdp(port, [Buffer.from('not a HEP packet at all')]);
    const counted = () => t.service.metrics.value('callhook_hep_packets_total');
    await eventually(() => counted() === 15, { timeoutMs: 10_000, what: 'the collector to read all 15 datagrams' });
    await t.service.hep!.source.flush();
    await t.service.dispatcher.idle();
    expect(receiver.received).toEqual([]);
    const metrics = (await t.api.get('/metrics', null)).body as string;
    expect(metrics).toMatch(/callhook_hep_packets_rejected_total\{reason="bad-auth-key"\} 7/);
    expect(metrics).toMatch(/callhook_hep_packets_rejected_total\{reason="unknown-capture-id"\} 7/);
    expect(metrics).toMatch(/callhook_hep_packets_rejected_total\{reason="not-hep"\} 1/);
  });

  it('does not hold back a PBX whose clock runs minutes ahead of ours', async () => {
    const { t, receiver } = await collector();
    await replay(t, readCapture('answered-caller-bye'), { skewMs: 5 * 60_000 });
    await receiver.waitFor(3, 3_000);
  });

  it('past its backlog cap drops arriving messages and counts them, and goes on working', async () => {
    const { t, receiver, port } = await collector({ CALLHOOK_HEP_MAX_BACKLOG: '100' });
    // Stamped now while the test clock stands still: every copy waits in the reorder window.
    const invite = shifted(readCapture('busy-486').slice(0, 1), t.clock.now())[0]!;
    const counted = () => t.service.metrics.value('callhook_hep_packets_total');
    for (let i = 1; i <= 13; i++) {
      await sendUdp(port, Array.from({ length: 10 }, () => invite));
      // ten at a time, each batch read before the next: the kernel's receive buffer holds ~100 of these
      await eventually(() => counted() >= 10 * i, { timeoutMs: 10_000, what: `the collector to read ${10 * i} datagrams` });
    }
    const metric = async (pattern: RegExp) => Number(pattern.exec((await t.api.get('/metrics', null)).body as string)?.[1] ?? 0);
    expect(await metric(/^callhook_hep_packets_total (\d+)/m)).toBe(130);
    expect(await metric(/^callhook_hep_packets_rejected_total\{reason="overload"\} (\d+)/m)).toBe(30);
    t.clock.advance(1_000);
    await receiver.waitFor(1, 3_000); // the held INVITE: its 100 copies are one call
    await replay(t, readCapture('answered-caller-bye'), { skewMs: -10_000 });
    await receiver.waitFor(4, 5_000);
    expect(bodies(receiver.received).map((b) => b.type).sort()).toEqual(['call.answered', 'call.ended', 'call.incoming', 'call.incoming']);
  });

  it('loses nothing when restarted in the middle of a call, and sends no step twice', async () => {
    const { t, org, receiver } = await collector();
    const datagrams = readCapture('answered-caller-bye');
    const byeAt = datagrams.length - 4; // the BYE and its 200 are the last four datagrams (two copies each)
    const { arrivalStartMs } = await replay(t, datagrams, { skewMs: -10_000, to: byeAt });
    await receiver.waitFor(2);
    const again = await t.restart();
    scope.defer(() => again.cleanup());
    await replay(again, datagrams, { skewMs: -10_000, arrivalStartMs, from: byeAt });
    await receiver.waitFor(3, 8_000);
    await again.service.hep!.source.flush(); // every datagram was read and ticked through (replay): a step sent twice would be out now
    await again.service.dispatcher.idle();
    expect(bodies(receiver.received).map((b) => b.type)).toEqual(['call.incoming', 'call.answered', 'call.ended']);
    const call = (await again.api.get(`/v1/orgs/${org.orgId}/calls/${bodies(receiver.received)[0]!.data.callId}`, org.apiKey)).body;
    expect(call.call).toMatchObject({ outcome: 'ANSWERED' });
    expect(call.call.talkTimeS).toBeGreaterThanOrEqual(1);
  });
});
