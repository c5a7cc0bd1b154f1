// End to end with real SIP software: a real kamailio (the shared rig's config, rendered onto free
// ports) mirrors every SIP message it handles as HEPv3 to an in-process callhook's collector, and
// sipp plays caller and callee through it. For each scenario the standard-format webhooks are
// checked: event types in order, direction, parties, user, outcome, SIP code, and answer and talk
// times as the scenario's pauses.
//
// Needs the Debian packages kamailio and sip-tester (sipp): without them the suite is skipped
// locally (with a line on stderr saying so) and fails in CI (CI=true), where .ci/run installs them.
// kamailio and every sipp are child processes stopped by their PID, also when a test fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { type OrgSetup, type TestService, setupOrg, startTestService } from '../helpers/service.ts';
import { type Kamailio, SCENARIOS, type SippPairOptions, type SippRun, freeUdpPort, runSippPair, sipTools, startKamailio, stopAllChildren } from '../helpers/sip-rig.ts';
import { eventually } from '../helpers/eventually.ts';
import { sendUdp } from '../helpers/hep-replay.ts';

const CAPTURE_ID = 2001;
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const tools = sipTools();
const skip = tools.missing.length > 0 && !IN_CI;
if (skip) {
  process.stderr.write(
    `[kamailio-sipp] skipped: ${tools.missing.join(' and ')} not installed (Debian: apt-get install kamailio sip-tester; .ci/run installs them, and in CI this suite fails without them)\n`,
  );
}

/** The service's clock is the wall clock: kamailio stamps its mirrors with real time. */
class WallClock extends FakeClock {
  override now(): number {
    return Date.now();
  }
}

interface User {
  id: string;
  extension: string | null;
}

interface CallData {
  callId: string;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  user: User | null;
  answeredBy: User | null;
  outcome: string | null;
  sipCode: number | null;
  talkTimeS: number;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  /** The INVITE's Subject header: each scenario puts its name there. */
  subject: string | null;
}

interface StandardBody {
  type: string;
  data: CallData;
}

/** One call's webhooks, in the order they arrived. */
interface CallEvents {
  callId: string;
  types: string[];
  /** The call as the last webhook showed it. */
  last: CallData;
}

/** A scenario's pauses give the times to expect; SIP and the mirrors add a few ms, a busy CI more. */
const EARLY_MS = 50;
const LATE_MS = 1_000;

// A scenario that goes wrong ends within sipp's global timeout (15 s) and a few seconds of stopping.
describe.skipIf(skip)('kamailio + sipp → HEPv3 → callhook webhooks', { timeout: 45_000 }, () => {
  let dir = '';
  let t: TestService | null = null;
  let org: OrgSetup;
  let receiver: Receiver | null = null;
  let kamailio: Kamailio | null = null;

  beforeAll(async () => {
    if (tools.missing.length > 0) {
      throw new Error(`CI=true but ${tools.missing.join(' and ')} is not installed: .ci/run must install the Debian packages kamailio and sip-tester`);
    }
    dir = mkdtempSync(join(tmpdir(), 'callhook-kamailio-'));
    t = await startTestService({ env: { CALLHOOK_HEP: '1' }, clock: new WallClock() });
    org = await setupOrg(t.api);
    const connection = await t.api.post(`/v1/orgs/${org.orgId}/connections`, { name: 'Kamailio', hep: { captureId: CAPTURE_ID } });
    expect(connection.status).toBe(201);
    receiver = await startReceiver();
    const webhook = await t.api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url, format: 'standard' }, org.apiKey);
    expect(webhook.status).toBe(201);
    // the organization's own number, which the PBX presents on calls out (outbound-own-number)
    expect((await t.api.post(`/v1/orgs/${org.orgId}/numbers`, { number: '+31850609100' }, org.apiKey)).status).toBe(201);
    kamailio = await startKamailio(tools.kamailio!, dir, {
      sipPort: await freeUdpPort(),
      calleePort: await freeUdpPort(),
      hepPort: t.service.hep!.port,
      captureId: CAPTURE_ID,
    });
  }, 60_000);

  afterAll(async () => {
    await stopAllChildren(); // kamailio and any sipp a failed test left (each stops its own)
    await t?.cleanup();
    await receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  function run(scenario: string, options: Partial<SippPairOptions> = {}): Promise<SippRun> {
    return runSippPair({ sipp: tools.sipp!, dir, kamailio: kamailio!, scenario, timeoutS: 15, ...options });
  }

  /**
   * Everything kamailio mirrored so far has been read, tracked and sent on. Its mirrors went out
   * before it relayed the messages sipp waited for, so a marker datagram sent now queues behind
   * them on the collector's socket: once the marker is counted (rejected: it is no HEP), the
   * collector holds nothing back and the dispatcher is idle, nothing of those calls is left to come.
   */
  let markers = 0;
  async function collectorCaughtUp(): Promise<void> {
    const service = t!.service;
    const rejected = () => service.metrics.value('callhook_hep_packets_rejected_total', { reason: 'not-hep' });
    const before = rejected();
    markers++;
    await sendUdp(service.hep!.port, [Buffer.from('a marker behind the mirrors')]);
    await eventually(() => rejected() > before, { timeoutMs: 10_000, what: 'the collector to read the marker behind the mirrors' });
    await eventually(() => service.hep!.source.backlog() === 0, { timeoutMs: 10_000, what: 'the collector to process every SIP message it holds' });
    await service.dispatcher.idle();
  }

  /** The calls whose caller is one of `froms`, once `events` webhooks of theirs arrived and nothing more can come. */
  async function callsFrom(froms: string[], events: number): Promise<CallEvents[]> {
    const mine = () => receiver!.received.map((r) => JSON.parse(r.body) as StandardBody).filter((b) => froms.includes(b.data.from));
    await eventually(() => mine().length >= events, { timeoutMs: 10_000, what: `${events} webhooks for calls from ${froms.join(', ')}` }).catch((error: Error) => {
      throw new Error(`${error.message}, got ${mine().length}: ${JSON.stringify(mine().map((b) => [b.type, b.data]), null, 1)}`);
    });
    await collectorCaughtUp(); // a duplicate or an extra step would have arrived by then
    const calls = new Map<string, CallEvents>();
    for (const body of mine()) {
      const call = calls.get(body.data.callId) ?? { callId: body.data.callId, types: [], last: body.data };
      call.types.push(body.type);
      call.last = body.data;
      calls.set(body.data.callId, call);
    }
    return [...calls.values()];
  }

  const at = (iso: string | null) => (iso === null ? Number.NaN : Date.parse(iso));

  function expectAbout(actualMs: number, scriptedMs: number, what: string): void {
    expect(actualMs, `${what}: ${actualMs} ms for a scripted ${scriptedMs} ms`).toBeGreaterThanOrEqual(scriptedMs - EARLY_MS);
    expect(actualMs, `${what}: ${actualMs} ms for a scripted ${scriptedMs} ms`).toBeLessThanOrEqual(scriptedMs + LATE_MS);
  }

  /** An answered call: rang about ringMs, talked about talkMs, started while sipp ran. */
  function expectAnswered(call: CallData, run: SippRun, ringMs: number, talkMs: number): void {
    expect(at(call.startedAt)).toBeGreaterThanOrEqual(run.startedAt - 1_000);
    expect(at(call.startedAt)).toBeLessThanOrEqual(run.endedAt);
    expectAbout(at(call.answeredAt) - at(call.startedAt), ringMs, 'ringing');
    const talked = at(call.endedAt) - at(call.answeredAt);
    expectAbout(talked, talkMs, 'talk');
    expect(call.talkTimeS).toBe(Math.floor(talked / 1_000));
    expect(call).toMatchObject({ outcome: 'ANSWERED', sipCode: null });
  }

  /** An unanswered call: ended with `sipCode` about ringMs after it started. */
  function expectUnanswered(call: CallData, run: SippRun, sipCode: number, ringMs: number): void {
    expect(at(call.startedAt)).toBeGreaterThanOrEqual(run.startedAt - 1_000);
    expect(at(call.startedAt)).toBeLessThanOrEqual(run.endedAt);
    expectAbout(at(call.endedAt) - at(call.startedAt), ringMs, 'ringing');
    expect(call).toMatchObject({ outcome: 'UNANSWERED', sipCode, talkTimeS: 0, answeredAt: null, answeredBy: null });
  }

  // --- the shared three (../shared/fixtures/sip: the scenarios the captures were made with) -----

  it('answered, the caller hangs up: incoming → answered by 500 → ended ANSWERED, ~2 s of talk', async () => {
    const sipp = await run('answered-caller-bye');
    const [call, ...more] = await callsFrom(['+31850609001'], 3);
    expect(more).toEqual([]);
    expect(call!.types).toEqual(['call.incoming', 'call.answered', 'call.ended']);
    expect(call!.last).toMatchObject({ direction: 'inbound', from: '+31850609001', to: '500', subject: 'answered-caller-bye', user: { extension: '500' }, answeredBy: { extension: '500' } });
    expectAnswered(call!.last, sipp, 1_000, 2_000);
  });

  it('the caller cancels while it rings: ended UNANSWERED, SIP 487, after ~2 s (the 200 answers the CANCEL)', async () => {
    const sipp = await run('unanswered-caller-cancel');
    const [call, ...more] = await callsFrom(['+31850609003'], 2);
    expect(more).toEqual([]);
    expect(call!.types).toEqual(['call.incoming', 'call.ended']);
    expect(call!.last).toMatchObject({ direction: 'inbound', from: '+31850609003', to: '502', subject: 'unanswered-caller-cancel', user: null }); // 502: no user of the org
    expectUnanswered(call!.last, sipp, 487, 2_000);
  });

  it('busy: ended UNANSWERED, SIP 486', async () => {
    const sipp = await run('busy-486');
    const [call, ...more] = await callsFrom(['+31850609004'], 2);
    expect(more).toEqual([]);
    expect(call!.types).toEqual(['call.incoming', 'call.ended']);
    expect(call!.last).toMatchObject({ direction: 'inbound', from: '+31850609004', to: '503', subject: 'busy-486', user: null });
    expectUnanswered(call!.last, sipp, 486, 200);
  });

  // --- scenarios of our own (test/fixtures/sip/scenarios) ---------------------------------------

  it('answered, the callee hangs up (BYE from the callee): ended ANSWERED, ~1.5 s of talk', async () => {
    const sipp = await run('answered-callee-bye');
    const [call, ...more] = await callsFrom(['+31850609005'], 3);
    expect(more).toEqual([]);
    expect(call!.types).toEqual(['call.incoming', 'call.answered', 'call.ended']);
    expect(call!.last).toMatchObject({ direction: 'inbound', from: '+31850609005', to: '501', subject: 'answered-callee-bye', user: { extension: '501' }, answeredBy: { extension: '501' } });
    expectAnswered(call!.last, sipp, 500, 1_500);
  });

  it('183 Session Progress, then answered: the 183 is no answer; answered once, at the 200', async () => {
    const sipp = await run('early-media-183-answered');
    const [call, ...more] = await callsFrom(['+31850609006'], 3);
    expect(more).toEqual([]);
    expect(call!.types).toEqual(['call.incoming', 'call.answered', 'call.ended']);
    expect(call!.last).toMatchObject({ direction: 'inbound', from: '+31850609006', to: '500', subject: 'early-media-183-answered', user: { extension: '500' }, answeredBy: { extension: '500' } });
    expectAnswered(call!.last, sipp, 1_000, 1_000);
  });

  it('declined: 603 after ~0.5 s of ringing → ended UNANSWERED, SIP 603', async () => {
    const sipp = await run('declined-603');
    const [call, ...more] = await callsFrom(['+31850609007'], 2);
    expect(more).toEqual([]);
    expect(call!.types).toEqual(['call.incoming', 'call.ended']);
    expect(call!.last).toMatchObject({ direction: 'inbound', from: '+31850609007', to: '501', subject: 'declined-603', user: { extension: '501' } });
    expectUnanswered(call!.last, sipp, 603, 500);
  });

  it('extension 501 dials a number that does not exist: outgoing → ended UNANSWERED, SIP 404', async () => {
    const sipp = await run('outbound-not-found-404');
    const [call, ...more] = await callsFrom(['501'], 2);
    expect(more).toEqual([]);
    expect(call!.types).toEqual(['call.outgoing', 'call.ended']);
    expect(call!.last).toMatchObject({ direction: 'outbound', from: '501', to: '+31850609999', subject: 'outbound-not-found-404', user: { extension: '501' } });
    expectUnanswered(call!.last, sipp, 404, 0);
  });

  it('re-INVITE (hold), then BYE: one call, answered once, ~1.5 s of talk', async () => {
    const sipp = await run('reinvite-hold-bye');
    const calls = await callsFrom(['+31850609009'], 3);
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call!.types).toEqual(['call.incoming', 'call.answered', 'call.ended']);
    expect(call!.last).toMatchObject({ direction: 'inbound', from: '+31850609009', to: '500', subject: 'reinvite-hold-bye', user: { extension: '500' }, answeredBy: { extension: '500' } });
    expectAnswered(call!.last, sipp, 500, 1_500); // 0.5 s talk, the re-INVITE, 1 s on hold
  });

  it('two calls at once (one sipp, -m 2 -l 2 -r 10): two distinct calls, each with its own steps and user', async () => {
    const sipp = await run('concurrent-two-calls', {
      calls: 2,
      callerArgs: ['-l', '2', '-r', '10', '-inf', join(SCENARIOS, 'concurrent-two-calls.csv')],
    });
    const calls = await callsFrom(['+31850609010', '+31850609011'], 6);
    expect(calls).toHaveLength(2);
    const first = calls.find((c) => c.last.from === '+31850609010')!;
    const second = calls.find((c) => c.last.from === '+31850609011')!;
    expect(first.callId).not.toBe(second.callId);
    for (const call of [first, second]) expect(call.types).toEqual(['call.incoming', 'call.answered', 'call.ended']);
    expect(first.last).toMatchObject({ direction: 'inbound', to: '500', subject: 'concurrent-two-calls', user: { extension: '500' }, answeredBy: { extension: '500' } });
    expect(second.last).toMatchObject({ direction: 'inbound', to: '501', subject: 'concurrent-two-calls', user: { extension: '501' }, answeredBy: { extension: '501' } });
    expectAnswered(first.last, sipp, 500, 1_500);
    expectAnswered(second.last, sipp, 500, 1_500);
    // at the same time: the second rang and was answered while the first was still going
    expect(at(second.last.startedAt)).toBeLessThan(at(first.last.answeredAt));
    expect(at(second.last.answeredAt)).toBeLessThan(at(first.last.endedAt));
  });

  // --- the caller sends the INVITE again after a final response: one call ----------------------

  it('401 challenge, the INVITE again with credentials: one call, answered by 500', async () => {
    const sipp = await run('challenge-401-answered');
    const [call, ...more] = await callsFrom(['+31850609012'], 3);
    expect(more).toEqual([]);
    expect(call!.types).toEqual(['call.incoming', 'call.answered', 'call.ended']);
    expect(call!.last).toMatchObject({ direction: 'inbound', to: '500', subject: 'challenge-401-answered', user: { extension: '500' }, answeredBy: { extension: '500' } });
    expectAnswered(call!.last, sipp, 500, 1_000);
  });

  it('407 challenge, the INVITE again 3 s later: still one call, answered', async () => {
    const sipp = await run('challenge-407-late-answered');
    const [call, ...more] = await callsFrom(['+31850609013'], 3);
    expect(more).toEqual([]);
    expect(call!.types).toEqual(['call.incoming', 'call.answered', 'call.ended']);
    expect(call!.last).toMatchObject({ direction: 'inbound', to: '501', user: { extension: '501' }, answeredBy: { extension: '501' } });
    expectAnswered(call!.last, sipp, 3_500, 1_000); // rang from the first INVITE: 3 s to retry, 0.5 s ringing
  });

  it('302 to 501, the INVITE again there: one call to 500, answered by 501', async () => {
    const sipp = await run('redirect-302-answered');
    const [call, ...more] = await callsFrom(['+31850609014'], 3);
    expect(more).toEqual([]);
    expect(call!.types).toEqual(['call.incoming', 'call.answered', 'call.ended']);
    expect(call!.last).toMatchObject({ direction: 'inbound', to: '500', user: { extension: '500' }, answeredBy: { extension: '501' } });
    expectAnswered(call!.last, sipp, 500, 1_000);
  });

  it('422 Session Interval Too Small, the INVITE again with a larger one: one call, answered', async () => {
    const sipp = await run('session-timer-422-answered');
    const [call, ...more] = await callsFrom(['+31850609015'], 3);
    expect(more).toEqual([]);
    expect(call!.types).toEqual(['call.incoming', 'call.answered', 'call.ended']);
    expect(call!.last).toMatchObject({ direction: 'inbound', to: '501', user: { extension: '501' }, answeredBy: { extension: '501' } });
    expectAnswered(call!.last, sipp, 500, 1_000);
  });

  // --- the organization's directory ------------------------------------------------------------

  it('answered by a client with a random Contact user (WebRTC): answered by the called extension', async () => {
    const sipp = await run('answered-random-contact');
    const [call, ...more] = await callsFrom(['+31850609016'], 3);
    expect(more).toEqual([]);
    expect(call!.types).toEqual(['call.incoming', 'call.answered', 'call.ended']);
    expect(call!.last).toMatchObject({ direction: 'inbound', to: '500', user: { extension: '500' }, answeredBy: { extension: '500' } });
    expectAnswered(call!.last, sipp, 500, 1_000);
  });

  it('a call out presenting the organization’s own number: outgoing', async () => {
    const sipp = await run('outbound-own-number');
    const [call, ...more] = await callsFrom(['+31850609100'], 3);
    expect(more).toEqual([]);
    expect(call!.types).toEqual(['call.outgoing', 'call.answered', 'call.ended']);
    expect(call!.last).toMatchObject({ direction: 'outbound', to: '+31612345678', user: null, answeredBy: null });
    expectAnswered(call!.last, sipp, 500, 1_000);
  });

  it('decoded every datagram kamailio mirrored (none rejected; only the markers this test sent are not HEP)', async () => {
    const metrics = (await t!.api.get('/metrics', null)).body as string;
    const value = (name: string) => Number(metrics.split('\n').find((line) => line.startsWith(`${name} `))?.slice(name.length + 1) ?? Number.NaN);
    expect(markers).toBeGreaterThan(0);
    expect(value('callhook_hep_packets_total')).toBeGreaterThan(markers);
    expect(value('callhook_hep_packets_decoded_total')).toBe(value('callhook_hep_packets_total') - markers);
    const rejected = metrics.split('\n').filter((line) => line.startsWith('callhook_hep_packets_rejected_total{'));
    expect(rejected).toEqual([`callhook_hep_packets_rejected_total{reason="not-hep"} ${markers}`]);
  });
});
