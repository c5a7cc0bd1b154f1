// Captures recorded through kamailio (test/fixtures/sip/record.ts), replayed to a running callhook
// on its fake clock: a caller that sends the INVITE again after a final response is one call;
// phone-system clocks far off ours change no outcome; who answered and which way a call goes come
// from the organization's directory.
import { describe, expect, it } from 'vitest';
import { type CapturedDatagram, passTime, readCapture, replay } from '../helpers/hep-replay.ts';
import type { Received } from '../helpers/receiver.ts';
import { testScope } from '../helpers/scope.ts';

interface CallData {
  callId: string;
  direction: string;
  from: string;
  to: string;
  user: { extension: string } | null;
  answeredBy: { extension: string } | null;
  outcome: string | null;
  sipCode: number | null;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
}

interface StandardBody {
  type: string;
  data: CallData;
}

const bodies = (received: Received[]) => received.map((r) => JSON.parse(r.body) as StandardBody);
const ms = (iso: string | null) => (iso === null ? Number.NaN : Date.parse(iso));

/** The capture time (shifted to start at `startMs`) of datagram `index`, as the collector reads it. */
const timeOf = (datagrams: CapturedDatagram[], index: number, startMs: number) => Math.floor(startMs + (datagrams[index]!.timestampUs - datagrams[0]!.timestampUs) / 1_000);
/** When `replay` lets datagram `index` arrive (the fake clock counts whole ms). */
const arrivalOf = (datagrams: CapturedDatagram[], index: number, startMs: number) => startMs + Math.round((datagrams[index]!.timestampUs - datagrams[0]!.timestampUs) / 1_000);

describe('HEP collector: retried INVITEs, clocks off ours, the directory', () => {
  const scope = testScope();

  async function collector() {
    const { t, org } = await scope.service({ CALLHOOK_HEP: '1' });
    const connection = await t.api.post(`/v1/orgs/${org.orgId}/connections`, { name: 'Kamailio', hep: { captureId: 2001 } });
    expect(connection.status).toBe(201);
    const receiver = await scope.receiver();
    await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url, format: 'standard' }, org.apiKey);
    return { t, org, receiver };
  }

  /** One call's webhooks: incoming → answered → ended ANSWERED. */
  async function answeredCall(receiver: Awaited<ReturnType<typeof collector>>['receiver']): Promise<CallData> {
    await receiver.waitFor(3);
    const received = bodies(receiver.received);
    expect(received.map((b) => b.type)).toEqual(['call.incoming', 'call.answered', 'call.ended']);
    expect(new Set(received.map((b) => b.data.callId)).size).toBe(1);
    const call = received[2]!.data;
    expect(call).toMatchObject({ outcome: 'ANSWERED', sipCode: null });
    return call;
  }

  describe('a final response the caller answers with the INVITE again is one call', () => {
    it.each([
      ['401, the INVITE again at once with credentials', 'challenge-401-answered', '500', '500'],
      ['407, the INVITE again 3 s later (a person typing a password)', 'challenge-407-late-answered', '501', '501'],
      ['302 to 501, the INVITE again there: answered by 501', 'redirect-302-answered', '500', '501'],
      ['422 Session Interval Too Small, the INVITE again with a larger one', 'session-timer-422-answered', '501', '501'],
    ])('%s', async (_, capture, user, answeredBy) => {
      const { t, receiver } = await collector();
      const { captureStartMs } = await replay(t, readCapture(capture));
      const call = await answeredCall(receiver);
      expect(call).toMatchObject({ direction: 'inbound', user: { extension: user }, answeredBy: { extension: answeredBy } });
      expect(ms(call.startedAt)).toBe(captureStartMs); // the first INVITE's time, not the retry's
    });

    it('no retry: ended UNANSWERED with the 302 once the retry window (32 s) is over, at the 302’s own time', async () => {
      const { t, org, receiver } = await collector();
      const datagrams = readCapture('redirect-302-answered');
      const { captureStartMs } = await replay(t, datagrams, { to: 7 }); // the INVITE, the 302 and the ACKs
      await receiver.waitFor(1);
      const callId = bodies(receiver.received)[0]!.data.callId;
      const call = async () => (await t.api.get(`/v1/orgs/${org.orgId}/calls/${callId}`, org.apiKey)).body.call as CallData;
      await passTime(t, 31_900);
      expect((await call()).endedAt).toBeNull(); // a retry may still come
      await passTime(t, 200);
      await receiver.waitFor(2);
      const ended = bodies(receiver.received)[1]!;
      expect(ended.type).toBe('call.ended');
      expect(ended.data).toMatchObject({ outcome: 'UNANSWERED', sipCode: 302, answeredAt: null });
      expect(ms(ended.data.endedAt)).toBe(timeOf(datagrams, 5, captureStartMs)); // the 302 relayed upstream
    });
  });

  describe('a phone system whose clock is off ours changes no outcome', () => {
    it('2.5 s behind: a challenged call is still answered', async () => {
      const { t, receiver } = await collector();
      const { captureStartMs } = await replay(t, readCapture('challenge-401-answered'), { skewMs: -2_500 });
      const call = await answeredCall(receiver);
      expect(ms(call.startedAt)).toBe(captureStartMs); // steps keep the phone system's times
      expect(t.service.metrics.value('callhook_hep_clock_offset_seconds', { capture_id: '2001' })).toBeCloseTo(-2.5, 1);
    });

    it('4 hours behind: answered, not UNANSWERED 408; the offset is a metric', async () => {
      const { t, receiver } = await collector();
      const datagrams = readCapture('answered-caller-bye');
      const { captureStartMs } = await replay(t, datagrams, { skewMs: -4 * 3_600_000 });
      const call = await answeredCall(receiver);
      expect(ms(call.startedAt)).toBe(captureStartMs);
      expect(ms(call.endedAt)).toBe(timeOf(datagrams, datagrams.length - 4, captureStartMs)); // the BYE
      expect(t.service.metrics.value('callhook_hep_clock_offset_seconds', { capture_id: '2001' })).toBeCloseTo(-14_400, 0);
      expect(t.service.metrics.value('callhook_hep_timestamps_replaced_total')).toBe(0);
    });

    it.each([
      ['two days ahead', { skewMs: 2 * 86_400_000 }, 'ahead'],
      ['stamped in 1970 (a clock never set)', { captureStartMs: 1_000 }, 'before-2000'],
    ])('%s: the times cannot be right, so they are the arrival times (counted)', async (_, options, reason) => {
      const { t, receiver } = await collector();
      const datagrams = readCapture('answered-caller-bye');
      const { arrivalStartMs } = await replay(t, datagrams, options);
      const call = await answeredCall(receiver);
      expect(ms(call.startedAt)).toBe(arrivalStartMs);
      expect(ms(call.endedAt)).toBe(arrivalOf(datagrams, datagrams.length - 4, arrivalStartMs));
      expect(t.service.metrics.value('callhook_hep_timestamps_replaced_total', { reason })).toBe(datagrams.length);
    });
  });

  describe('the organization’s directory', () => {
    it('answered by a WebRTC client with a random Contact user: answeredBy is the called extension', async () => {
      const { t, receiver } = await collector();
      await replay(t, readCapture('answered-random-contact'));
      const call = await answeredCall(receiver);
      expect(call).toMatchObject({ direction: 'inbound', to: '500', user: { extension: '500' }, answeredBy: { extension: '500' } });
    });

    it('a call out presenting one of the organization’s numbers is outgoing', async () => {
      const { t, org, receiver } = await collector();
      expect((await t.api.post(`/v1/orgs/${org.orgId}/numbers`, { number: '+31850609100' }, org.apiKey)).status).toBe(201);
      await replay(t, readCapture('outbound-own-number'));
      await receiver.waitFor(3);
      const [outgoing] = bodies(receiver.received);
      expect(outgoing!.type).toBe('call.outgoing');
      expect(outgoing!.data).toMatchObject({ direction: 'outbound', from: '+31850609100', to: '+31612345678', user: null });
    });
  });
});
