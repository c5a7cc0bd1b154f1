// The SIP dialog tracker against message sequences as sipp through kamailio produces them (both
// mirrored copies, kamailio's Via on the relayed one), then against the shared real captures.
import { describe, expect, it } from 'vitest';
import { type CaptureName, type RecordedCaptureName, loadCapture } from '../../../test/fixtures/sip/captures.ts';
import { DEFAULT_RETRY_WINDOW_MS, type DialogState, type DialogStep, type SipObservation, type TrackerConfig, expire, observe } from './dialog-tracker.ts';
import { restoreState } from './dialog-state.ts';
import { RETRYABLE_FINALS } from './final-responses.ts';
import { decodeHep } from './hep-packet.ts';
import type { NameAddr, SipMessage, Via } from './sip-message.ts';
import { parseSip } from './sip-parse.ts';

const T = 1_795_290_869_000;
const CONFIG: TrackerConfig = { maxCallMs: 3_600_000, forgetAfterMs: 60_000, settleMs: 2_000 };
const UAC = '127.0.0.1:5070';
const UAS = '127.0.0.1:5080';

type Call = { id: string; from: string; to: string };
const A: Call = { id: 'call-a@127.0.0.1', from: '+31850609001', to: '500' };
const B: Call = { id: 'call-b@127.0.0.1', from: '+31850609004', to: '503' };

interface Spec {
  seq?: number;
  /** CSeq method of a response; INVITE unless given. */
  cseq?: string;
  toTag?: string | null;
  byCallee?: boolean;
  contact?: string | null;
  via?: Via[];
  reason?: number;
  fromUser?: string;
  headers?: Record<string, string>;
}

const via = (sentBy: string, branch: string): Via => ({ protocol: 'SIP/2.0/UDP', sentBy, branch, params: { branch } });
const addr = (user: string | null, tag: string | null = null): NameAddr =>
  ({ displayName: null, uri: user === null ? 'sip:127.0.0.1' : `sip:${user}@127.0.0.1`, user, tag, params: {} });

/** A SIP message of `call` as its originator sent it: a request by method, a response by status. */
function sip(call: Call, first: string | number, spec: Spec = {}): SipMessage {
  const method = typeof first === 'string' ? first : (spec.cseq ?? 'INVITE');
  const seq = spec.seq ?? 1;
  const caller = addr(spec.fromUser ?? call.from, 'caller-tag');
  const callee = addr(call.to, spec.toTag ?? null);
  const common = {
    callId: call.id,
    cseq: { seq, method },
    from: spec.byCallee === true ? callee : caller,
    to: spec.byCallee === true ? caller : callee,
    via: spec.via ?? [via(spec.byCallee === true ? UAS : UAC, `z9hG4bK-${call.id}-${method}-${seq}`)],
    contact: spec.contact === null ? null : addr(spec.contact ?? (typeof first === 'string' ? call.from : call.to)),
    reason: spec.reason === undefined ? null : { protocol: 'SIP', cause: spec.reason, text: null },
    headers: new Map(Object.entries(spec.headers ?? {}).map(([name, value]): [string, string[]] => [name, [value]])),
    body: '',
  };
  return typeof first === 'string'
    ? { ...common, kind: 'request', method: first, requestUri: `sip:${call.to}@127.0.0.1:5060` }
    : { ...common, kind: 'response', status: first, reasonPhrase: '' };
}

/** Captured and arrived at the same moment; `track` also runs every feed with the capture clock off. */
const obs = (message: SipMessage, at: number): SipObservation => ({ message, atMs: T + at, seenMs: T + at });
const withVia = (message: SipMessage, branch: string): SipMessage => ({ ...message, via: [via('127.0.0.1', branch), ...message.via] });
type Copies = [SipObservation, SipObservation];
/** A request kamailio relays: as received at `at`, as sent on (its Via on top) 1 ms later. */
const relay = (message: SipMessage, at: number, branch = 'z9hG4bKk.0'): Copies => [obs(message, at), obs(withVia(message, branch), at + 1)];
/** A response kamailio relays: from the callee (kamailio's Via on top) at `at`, upstream 1 ms later. */
const relayBack = (message: SipMessage, at: number, branch = 'z9hG4bKk.0'): Copies => [obs(withVia(message, branch), at), obs(message, at + 1)];

const hop = (branch: string): Via[] => [via('127.0.0.1', branch)];

/** INVITE at `at`, kamailio's 100, 180 — whose first copy is mirrored before the forwarded INVITE. */
function ringing(call: Call, at = 0, toTag = 'uas-1', invite: Spec = {}): SipObservation[] {
  const [received, forwarded] = relay(sip(call, 'INVITE', invite), at);
  const [ring, ringUp] = relayBack(sip(call, 180, { toTag, seq: invite.seq }), at + 0.8);
  return [received, obs(sip(call, 100, { seq: invite.seq }), at + 0.5), ring, forwarded, ringUp];
}
function answer(call: Call, at: number, spec: Spec = {}, branch = 'z9hG4bKk.0'): SipObservation[] {
  const toTag = spec.toTag ?? 'uas-1';
  return [...relayBack(sip(call, 200, { contact: call.to, ...spec, toTag }), at, branch), ...relay(sip(call, 'ACK', { toTag, seq: spec.seq }), at + 2)];
}
function hangUp(call: Call, at: number, byCallee = false, seq = 2, toTag = 'uas-1'): SipObservation[] {
  const byeSpec = { seq, toTag, byCallee };
  return [...relay(sip(call, 'BYE', byeSpec), at), ...relayBack(sip(call, 200, { ...byeSpec, cseq: 'BYE' }), at + 2)];
}
/** A final failure: the callee's to kamailio, kamailio's ACK, the one relayed upstream, the caller's ACK. */
function reject(call: Call, status: number, at: number, toTag = 'uas-1', branch = 'z9hG4bKk.0', seq = 1, headers: Record<string, string> = {}): SipObservation[] {
  const [down, up] = relayBack(sip(call, status, { toTag, seq, headers }), at, branch);
  const ack = (vias: Via[]) => sip(call, 'ACK', { toTag, seq, via: vias });
  return [down, obs(ack(hop(`${branch}-ack`)), at + 0.5), up, obs(ack([via(UAC, `z9hG4bK-ack-${status}`)]), at + 1.5)];
}

type StartedExtra = { from?: string; caller?: string | null; subject?: string };
const started = (call: Call, at: number, extra: StartedExtra = {}): DialogStep =>
  ({ type: 'started', callId: call.id, at: T + at, from: call.from, to: call.to, caller: call.from, callee: call.to, ...extra });
const answered = (call: Call, at: number, answeredBy: string[] = [call.to]): DialogStep => ({ type: 'answered', callId: call.id, at: T + at, answeredBy });
type Why = 'bye' | 'cancel' | 'failure' | 'completed-elsewhere' | 'lost-bye';
function ended(call: Call, at: number, outcome: 'ANSWERED' | 'UNANSWERED', why: Why, sipCode?: number): DialogStep {
  return { type: 'ended', callId: call.id, at: T + at, outcome, why, ...(sipCode === undefined ? {} : { sipCode }) };
}

type Feed = SipObservation | { expireAt: number };

/**
 * Phone-system clocks off from ours: behind by 2.5 s and by 4 hours, ahead by 2 days. Every timer
 * counts on arrival time, so the steps are the same, their times moved by the skew.
 */
const SKEWS_MS = [-2_500, -4 * 3_600_000, 2 * 86_400_000];

/**
 * The feed's steps, checked every way: as is, persisted between every item, every observation
 * twice, and with the capture clock skewed.
 */
function track(feed: Feed[]): DialogStep[] {
  const plain = drive(feed, false);
  expect(drive(feed, true)).toEqual(plain);
  expect(drive(feed.flatMap((item): Feed[] => ('expireAt' in item ? [item] : [item, item])), true)).toEqual(plain);
  for (const skewMs of SKEWS_MS) {
    const skewed = feed.map((item): Feed => ('expireAt' in item ? item : { ...item, atMs: item.atMs + skewMs }));
    expect(drive(skewed, true), `capture clock off by ${skewMs} ms`).toEqual(plain.map((step) => ({ ...step, at: step.at + skewMs })));
  }
  return plain;
}

function drive(feed: Feed[], persist: boolean): DialogStep[] {
  const states = new Map<string, DialogState>();
  const steps: DialogStep[] = [];
  const keep = (callId: string, result: { state: DialogState | null; steps: DialogStep[] }) => {
    steps.push(...result.steps);
    if (result.state === null) return void states.delete(callId);
    const reloaded = JSON.parse(JSON.stringify(result.state)) as DialogState;
    expect(reloaded).toStrictEqual(result.state);
    // frozen: observe and expire must not change the state they are given
    states.set(callId, persist ? reloaded : deepFreeze(result.state));
  };
  for (const item of feed) {
    if ('expireAt' in item) {
      for (const [callId, state] of [...states]) keep(callId, expire(state, T + item.expireAt, CONFIG));
    } else {
      keep(item.message.callId, observe(states.get(item.message.callId) ?? null, item, CONFIG));
    }
  }
  return steps;
}

function deepFreeze<V>(value: V): V {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

describe('dialog tracker: answered calls', () => {
  it('answered, then the caller hangs up', () => {
    expect(track([...ringing(A), ...answer(A, 1000), ...hangUp(A, 3000)])).toEqual([started(A, 0), answered(A, 1000), ended(A, 3000, 'ANSWERED', 'bye')]);
  });

  it('answered, then the callee hangs up', () => {
    const feed = [...ringing(A), ...answer(A, 1000, { contact: 'phone-500' }), ...hangUp(A, 5000, true, 1)];
    expect(track(feed)).toEqual([started(A, 0), answered(A, 1000, ['phone-500', '500']), ended(A, 5000, 'ANSWERED', 'bye')]);
  });

  it('183 early media, then the answer; no Contact: answered by the To user', () => {
    const feed = [...ringing(A), ...relayBack(sip(A, 183, { toTag: 'uas-1' }), 300), ...answer(A, 4000, { contact: null }), ...hangUp(A, 9000)];
    expect(track(feed)).toEqual([started(A, 0), answered(A, 4000), ended(A, 9000, 'ANSWERED', 'bye')]);
  });

  it('a re-INVITE (hold) is no new call and no second answer', () => {
    const hold = [...relay(sip(A, 'INVITE', { seq: 2, toTag: 'uas-1' }), 2000), ...answer(A, 2010, { seq: 2 })];
    const feed = [...ringing(A), ...answer(A, 1000), ...hold, ...hangUp(A, 6000, false, 3)];
    expect(track(feed)).toEqual([started(A, 0), answered(A, 1000), ended(A, 6000, 'ANSWERED', 'bye')]);
  });

  it('two calls interleaved', () => {
    const a = [...ringing(A), ...answer(A, 1000), ...hangUp(A, 3000)];
    const b = [...ringing(B, 500, 'uas-b'), ...reject(B, 486, 1500, 'uas-b')];
    const feed = [...a, ...b].sort((x, y) => x.atMs - y.atMs);
    expect(track(feed)).toEqual([
      started(A, 0),
      started(B, 500),
      answered(A, 1000),
      ended(B, 1501, 'UNANSWERED', 'failure', 486),
      ended(A, 3000, 'ANSWERED', 'bye'),
    ]);
  });

  it('reads the subject, and withheld callers as anonymous', () => {
    expect(track(ringing(A, 0, 'uas-1', { headers: { subject: 'Sales' } }))).toEqual([started(A, 0, { subject: 'Sales' })]);
    const anonymous = ringing(A, 0, 'uas-1', { fromUser: 'Anonymous', headers: { 'p-asserted-identity': '"Desk" <sip:201@pbx>' } });
    expect(track(anonymous)).toEqual([started(A, 0, { from: 'anonymous', caller: '201' })]);
    expect(track(ringing(A, 0, 'uas-1', { fromUser: 'anonymous' }))).toEqual([started(A, 0, { from: 'anonymous', caller: null })]);
    // Privacy: id hides the number from the world; the directory still needs the real caller
    expect(track(ringing(A, 0, 'uas-1', { headers: { privacy: 'id;critical' } }))).toEqual([started(A, 0, { from: 'anonymous' })]);
  });
});

describe('dialog tracker: unanswered calls', () => {
  it.each([486, 603, 404, 408, 480, 488, 500, 503, 504, 580, 600])('a final %i ends the call UNANSWERED with that code, at the copy sent upstream', (status) => {
    expect(track([...ringing(A), ...reject(A, status, 700)])).toEqual([started(A, 0), ended(A, 701, 'UNANSWERED', 'failure', status)]);
  });

  it('the caller cancels: ended on the 487, at the latest CANCEL copy', () => {
    const [cancel] = relay(sip(A, 'CANCEL'), 2000);
    const feed = [
      ...ringing(A),
      cancel,
      obs(sip(A, 200, { cseq: 'CANCEL', toTag: 'kamailio' }), 2000.5),
      obs(sip(A, 'CANCEL', { via: hop('z9hG4bKk.0') }), 2001), // a CANCEL's Via is per hop
      obs(sip(A, 200, { cseq: 'CANCEL', toTag: 'uas-1', via: hop('z9hG4bKk.0') }), 2001.5),
      ...reject(A, 487, 2003),
    ];
    expect(track(feed)).toEqual([started(A, 0), ended(A, 2001, 'UNANSWERED', 'cancel', 487)]);
  });

  it('a CANCEL whose 487 is lost ends once settleMs has passed', () => {
    const feed: Feed[] = [...ringing(A), ...relay(sip(A, 'CANCEL'), 2000), { expireAt: 3000 }, { expireAt: 4001 }];
    expect(track(feed)).toEqual([started(A, 0), ended(A, 2001, 'UNANSWERED', 'cancel', 487)]);
  });

  it('a 2xx that wins the race with the CANCEL answers the call', () => {
    const feed = [...ringing(A), ...relay(sip(A, 'CANCEL'), 2000), ...answer(A, 2000.5), ...hangUp(A, 2100)];
    expect(track(feed)).toEqual([started(A, 0), answered(A, 2000.5), ended(A, 2100, 'ANSWERED', 'bye')]);
  });

  it('a BYE before any 2xx ends UNANSWERED', () => {
    expect(track([...ringing(A), ...hangUp(A, 800)])).toEqual([started(A, 0), ended(A, 800, 'UNANSWERED', 'bye')]);
  });

});

describe('dialog tracker: a final response the caller may answer with the INVITE again', () => {
  const windowMs = DEFAULT_RETRY_WINDOW_MS;
  /** Every row of the table, both ends of its range; Retry-After rows with one inside the window. */
  const rows = RETRYABLE_FINALS.flatMap((row) =>
    [...new Set([row.from, row.to])].map((status) => {
      const retryAfterS = row.rule === 'retry-after' ? 10 : null;
      const headers: Record<string, string> = retryAfterS === null ? {} : { 'retry-after': `${retryAfterS};duration=60` };
      return { status, headers, waitMs: (retryAfterS ?? 0) * 1_000 + windowMs };
    }),
  );
  /** The final at 5 (upstream copy at 6), the same INVITE again at `againAt` with CSeq 2. */
  function retried(status: number, headers: Record<string, string>, againAt: number, expiries: number[] = []): Feed[] {
    return [
      ...ringing(A),
      ...reject(A, status, 5, 'uas-1', 'z9hG4bKk.0', 1, headers),
      ...expiries.map((at) => ({ expireAt: at })),
      ...ringing(A, againAt, 'uas-2', { seq: 2 }),
      ...answer(A, againAt + 900, { seq: 2, toTag: 'uas-2' }),
      ...hangUp(A, againAt + 3000, false, 3, 'uas-2'),
    ];
  }

  it.each(rows)('$status, then the INVITE again (same From tag, higher CSeq) as late as it may come: one call, answered', ({ status, headers, waitMs }) => {
    const againAt = 6 + waitMs - 10; // within the wait, timers run up to it
    const feed = retried(status, headers, againAt, [1_000, 6 + waitMs - 11]);
    expect(track(feed)).toEqual([started(A, 0), answered(A, againAt + 900), ended(A, againAt + 3000, 'ANSWERED', 'bye')]);
  });

  it.each(rows)('$status and no retry: ended UNANSWERED with it once the wait is over, at its own time', ({ status, headers, waitMs }) => {
    const feed: Feed[] = [...ringing(A), ...reject(A, status, 5, 'uas-1', 'z9hG4bKk.0', 1, headers), { expireAt: 6 + waitMs - 1 }];
    expect(track(feed)).toEqual([started(A, 0)]);
    expect(track([...feed, { expireAt: 6 + waitMs }])).toEqual([started(A, 0), ended(A, 6, 'UNANSWERED', 'failure', status)]);
  });

  it('a retry after the wait is over is too late: the call ended at the final response', () => {
    const feed = retried(401, {}, 6 + windowMs + 5, [6 + windowMs]);
    expect(track(feed)).toEqual([started(A, 0), ended(A, 6, 'UNANSWERED', 'failure', 401)]);
  });

  it.each([
    ['500 without Retry-After', 500, {}],
    ['503 without Retry-After', 503, {}],
    ['503 with a Retry-After beyond the window', 503, { 'retry-after': String(windowMs / 1_000 + 1) }],
    ['486 with Retry-After (when to call again: a new call)', 486, { 'retry-after': '5' }],
    ['480 with Retry-After', 480, { 'retry-after': '5' }],
  ])('%s ends the call at once', (_, status, headers) => {
    expect(track([...ringing(A), ...reject(A, status, 5, 'uas-1', 'z9hG4bKk.0', 1, headers)])).toEqual([started(A, 0), ended(A, 6, 'UNANSWERED', 'failure', status)]);
  });

  it('302, the INVITE again to the Contact: answered by whoever took it there', () => {
    const toBob = (message: SipMessage): SipMessage => ({ ...message, requestUri: 'sip:501@127.0.0.1:5060' }) as SipMessage;
    const again = relay(toBob(sip(A, 'INVITE', { seq: 2 })), 40);
    const feed = [...ringing(A), ...reject(A, 302, 5), ...again, ...answer(A, 900, { seq: 2, toTag: 'bob', contact: 'x7f3kq9a' }), ...hangUp(A, 2000, false, 3, 'bob')];
    expect(track(feed)).toEqual([started(A, 0), answered(A, 900, ['x7f3kq9a', '501', '500']), ended(A, 2000, 'ANSWERED', 'bye')]);
  });

  it('an INVITE with a higher CSeq but another From tag is not the caller asking again', () => {
    const stranger = relay(sip(A, 'INVITE', { seq: 2 }), 40).map((o) => ({ ...o, message: { ...o.message, from: { ...o.message.from, tag: 'stranger' } } }));
    const feed: Feed[] = [...ringing(A), ...reject(A, 401, 5), ...stranger, ...answer(A, 900, { seq: 2 }), { expireAt: 6 + windowMs }];
    expect(track(feed)).toEqual([started(A, 0), ended(A, 6, 'UNANSWERED', 'failure', 401)]);
  });

  it('a call the caller cancelled is not retried: its final ends it at once', () => {
    const feed = [...ringing(A), ...relay(sip(A, 'CANCEL'), 100), ...reject(A, 401, 105)];
    expect(track(feed)).toEqual([started(A, 0), ended(A, 106, 'UNANSWERED', 'failure', 401)]);
  });

  it('challenged twice (proxy, then callee): one call', () => {
    const feed = [
      ...ringing(A),
      ...reject(A, 407, 5),
      ...ringing(A, 10, 'uas-1', { seq: 2 }),
      ...reject(A, 401, 15, 'uas-1', 'z9hG4bKk.0', 2),
      ...ringing(A, 20, 'uas-1', { seq: 3 }),
      ...answer(A, 900, { seq: 3 }),
      ...hangUp(A, 2000, false, 4),
    ];
    expect(track(feed)).toEqual([started(A, 0), answered(A, 900), ended(A, 2000, 'ANSWERED', 'bye')]);
  });
});

describe('dialog tracker: forking', () => {
  const forked = (): SipObservation[] => {
    const [received, toAlice] = relay(sip(A, 'INVITE'), 0, 'z9hG4bKk.0');
    const toBob = obs(withVia(sip(A, 'INVITE'), 'z9hG4bKk.1'), 1.2);
    const ringAlice = relayBack(sip(A, 180, { toTag: 'alice' }), 3, 'z9hG4bKk.0');
    return [received, obs(sip(A, 100), 0.5), toAlice, toBob, ...ringAlice, ...relayBack(sip(A, 180, { toTag: 'bob' }), 4, 'z9hG4bKk.1')];
  };
  // kamailio cancels Alice's branch itself (one copy, its own Via): completed elsewhere
  const cancelAlice = [
    obs(sip(A, 'CANCEL', { via: hop('z9hG4bKk.0'), reason: 200 }), 3001.5),
    obs(sip(A, 200, { cseq: 'CANCEL', toTag: 'alice', via: hop('z9hG4bKk.0') }), 3002),
    obs(withVia(sip(A, 487, { toTag: 'alice' }), 'z9hG4bKk.0'), 3003),
    obs(sip(A, 'ACK', { toTag: 'alice', via: hop('z9hG4bKk.0') }), 3003.5),
  ];
  const bobAnswers = answer(A, 3000, { toTag: 'bob', contact: '501' }, 'z9hG4bKk.1');

  it.each([
    ['after the 2xx', [...bobAnswers, ...cancelAlice]],
    ['mirrored before the 2xx', [...cancelAlice.slice(0, 1), ...bobAnswers, ...cancelAlice.slice(1)]],
  ])('one branch answers, the other is cancelled with cause=200 (%s): one answer, ended ANSWERED', (_, middle) => {
    const feed = [...forked(), ...middle, ...hangUp(A, 8000, false, 2, 'bob')];
    expect(track(feed)).toEqual([started(A, 0), answered(A, 3000, ['501', '500']), ended(A, 8000, 'ANSWERED', 'bye')]);
  });

  it('every branch fails: UNANSWERED with the code kamailio relays upstream', () => {
    const aliceBusy = [obs(withVia(sip(A, 486, { toTag: 'alice' }), 'z9hG4bKk.0'), 500), obs(sip(A, 'ACK', { toTag: 'alice', via: hop('z9hG4bKk.0') }), 500.5)];
    const bobDeclines = reject(A, 603, 900, 'bob', 'z9hG4bKk.1');
    expect(track([...forked(), ...aliceBusy])).toEqual([started(A, 0)]);
    expect(track([...forked(), ...aliceBusy, ...bobDeclines])).toEqual([started(A, 0), ended(A, 901, 'UNANSWERED', 'failure', 603)]);
  });

  it('a second branch answering too is hung up by the caller: the call goes on', () => {
    const feed = [
      ...forked(),
      ...answer(A, 2000, { toTag: 'alice' }),
      ...answer(A, 2005, { toTag: 'bob', contact: '501' }, 'z9hG4bKk.1'),
      ...hangUp(A, 2010, false, 2, 'bob'),
      ...hangUp(A, 6000, false, 3, 'alice'),
    ];
    expect(track(feed)).toEqual([started(A, 0), answered(A, 2000), ended(A, 6000, 'ANSWERED', 'bye')]);
  });

  it('a leg cancelled with cause=200 and nothing more seen (single-copy PBX mirror): completed elsewhere', () => {
    const feed = [
      obs(sip(A, 'INVITE'), 0),
      obs(sip(A, 180, { toTag: 'desk' }), 1),
      obs(sip(A, 'CANCEL', { reason: 200 }), 4000),
      obs(sip(A, 200, { cseq: 'CANCEL', toTag: 'desk' }), 4001),
      obs(sip(A, 487, { toTag: 'desk' }), 4002),
      obs(sip(A, 'ACK', { toTag: 'desk' }), 4003),
    ];
    expect(track(feed)).toEqual([started(A, 0), answered(A, 4000, []), ended(A, 4000, 'ANSWERED', 'completed-elsewhere')]);
  });
});

describe('dialog tracker: lost messages, copies and order', () => {
  it('a lost BYE: ended ANSWERED after maxCallMs of silence, at the last message', () => {
    const silentUntil = 1003 + CONFIG.maxCallMs;
    const feed: Feed[] = [...ringing(A), ...answer(A, 1000), { expireAt: silentUntil - 1 }, { expireAt: silentUntil }, ...hangUp(A, silentUntil + 5)];
    expect(track(feed)).toEqual([started(A, 0), answered(A, 1000), ended(A, 1003, 'ANSWERED', 'lost-bye')]);
  });

  it('a call ringing for maxCallMs: ended UNANSWERED 408', () => {
    expect(track([...ringing(A), { expireAt: CONFIG.maxCallMs }])).toEqual([started(A, 0), ended(A, 1.8, 'UNANSWERED', 'failure', 408)]);
  });

  it('both copies in either order: the same steps, `at` from the copy seen first', () => {
    const pairs: Copies[] = [
      relay(sip(A, 'INVITE'), 0),
      relayBack(sip(A, 180, { toTag: 'uas-1' }), 2),
      relayBack(sip(A, 200, { toTag: 'uas-1', contact: '500' }), 1000),
      relay(sip(A, 'ACK', { toTag: 'uas-1' }), 1002),
      relay(sip(A, 'BYE', { seq: 2, toTag: 'uas-1' }), 3000),
    ];
    expect(track(pairs.flat())).toEqual([started(A, 0), answered(A, 1000), ended(A, 3000, 'ANSWERED', 'bye')]);
    expect(track(pairs.flatMap(([first, second]) => [second, first]))).toEqual([started(A, 1), answered(A, 1001), ended(A, 3001, 'ANSWERED', 'bye')]);
    const copiesOnce = pairs.flatMap(([first, second]) => [first, second, first]);
    expect(track(copiesOnce)).toEqual([started(A, 0), answered(A, 1000), ended(A, 3000, 'ANSWERED', 'bye')]);
  });

  it('responses before their INVITE are held and replayed; never answered before started', () => {
    const [invite, forwarded] = relay(sip(A, 'INVITE'), 3);
    const [ok, okUp] = relayBack(sip(A, 200, { toTag: 'uas-1' }), 1);
    expect(track([ok, okUp, invite, forwarded, ...hangUp(A, 900)])).toEqual([started(A, 3), answered(A, 3), ended(A, 900, 'ANSWERED', 'bye')]);
    expect(track([reject(A, 486, 2)[2]!, invite, forwarded])).toEqual([started(A, 3), ended(A, 3, 'UNANSWERED', 'failure', 486)]);
  });

  it('held messages whose INVITE never comes are dropped after settleMs; non-call messages keep no state', () => {
    const early = observe(null, obs(sip(A, 180, { toTag: 'uas-1' }), 0), CONFIG);
    expect(early.steps).toEqual([]);
    if (early.state === null) throw new Error('the early 180 should be held');
    expect(expire(early.state, T + 1999, CONFIG).state).not.toBeNull();
    expect(expire(early.state, T + 2000, CONFIG)).toEqual({ state: null, steps: [] });
    expect(observe(null, obs(sip(A, 'OPTIONS'), 0), CONFIG)).toEqual({ state: null, steps: [] });
    expect(observe(null, obs(sip(A, 200, { cseq: 'REGISTER' }), 0), CONFIG)).toEqual({ state: null, steps: [] });
  });

  it('a state persisted by the version with one clock (capture times only, a challenge) goes on', () => {
    const stored = {
      callId: A.id, phase: 'ringing', firstSeenMs: T, lastSeenMs: T + 6, held: [], answer: null, cancel: null, lastStepAt: T, endedMs: null,
      invite: { seq: 1, originHops: 1, upstreamBranch: `z9hG4bK-${A.id}-INVITE-1`, at: T },
      challenge: { at: T + 6, status: 407 },
    };
    const state = restoreState(JSON.parse(JSON.stringify(stored)));
    let current: DialogState = state;
    const steps: DialogStep[] = [];
    for (const item of [...ringing(A, 10, 'uas-1', { seq: 2 }), ...answer(A, 900, { seq: 2 })]) {
      const result = observe(current, item, CONFIG);
      steps.push(...result.steps);
      current = result.state!;
    }
    expect(steps).toEqual([answered(A, 900)]);
    expect(expire(state, T + 6 + 1_999, CONFIG).steps).toEqual([]);
    expect(expire(state, T + 6 + 2_000, CONFIG).steps).toEqual([ended(A, 6, 'UNANSWERED', 'failure', 407)]);
  });

  it('an ended dialog absorbs late copies, then is forgotten forgetAfterMs after its last message', () => {
    let state: DialogState | null = null;
    for (const item of [...ringing(A), ...reject(A, 486, 700)]) state = observe(state, item, CONFIG).state;
    if (state === null) throw new Error('tracked');
    const late = observe(state, obs(sip(A, 'INVITE'), 900), CONFIG);
    expect(late.steps).toEqual([]);
    if (late.state === null) throw new Error('remembered');
    expect(expire(late.state, T + 900 + CONFIG.forgetAfterMs - 1, CONFIG).state).toEqual(late.state);
    expect(expire(late.state, T + 900 + CONFIG.forgetAfterMs, CONFIG)).toEqual({ state: null, steps: [] });
  });
});

describe('dialog tracker: real kamailio captures', () => {
  function replay(name: CaptureName | RecordedCaptureName, order: 'arrival' | 'capture-time'): DialogStep[] {
    const observations = loadCapture(name).map((record): SipObservation => {
      const hep = decodeHep(record.raw);
      if (!hep.ok) throw new Error(`${name} #${record.seq}: ${hep.reason}`);
      const sipParse = parseSip(hep.packet.payload);
      if (!sipParse.ok) throw new Error(`${name} #${record.seq}: ${sipParse.reason}`);
      return { message: sipParse.message, atMs: hep.packet.timestampUs / 1000, seenMs: record.recvTsUs / 1000 };
    });
    if (order === 'capture-time') observations.sort((a, b) => a.atMs - b.atMs);
    const steps = drive(observations, true);
    expect(drive(observations, false)).toEqual(steps);
    return steps;
  }
  const at = (us: number) => us / 1000;

  it.each(['arrival', 'capture-time'] as const)('answered-caller-bye (%s order)', (order) => {
    const callId = 'answered-caller-bye-1-30645@127.0.0.1';
    expect(replay('answered-caller-bye', order)).toEqual([
      { type: 'started', callId, at: at(1795290869333795), from: '+31850609001', to: '500', caller: '+31850609001', callee: '500', subject: 'answered-caller-bye' },
      { type: 'answered', callId, at: at(1795290870341752), answeredBy: ['500'] },
      { type: 'ended', callId, at: at(1795290872345387), outcome: 'ANSWERED', why: 'bye' },
    ]);
  });

  it.each(['arrival', 'capture-time'] as const)('unanswered-caller-cancel (%s order)', (order) => {
    const callId = 'unanswered-caller-cancel-1-30824@127.0.0.1';
    expect(replay('unanswered-caller-cancel', order)).toEqual([
      { type: 'started', callId, at: at(1795290881034270), from: '+31850609003', to: '502', caller: '+31850609003', callee: '502', subject: 'unanswered-caller-cancel' },
      { type: 'ended', callId, at: at(1795290883042288), outcome: 'UNANSWERED', why: 'cancel', sipCode: 487 },
    ]);
  });

  it.each(['arrival', 'capture-time'] as const)('busy-486 (%s order)', (order) => {
    const callId = 'busy-486-1-30913@127.0.0.1';
    expect(replay('busy-486', order)).toEqual([
      { type: 'started', callId, at: at(1795290885874062), from: '+31850609004', to: '503', caller: '+31850609004', callee: '503', subject: 'busy-486' },
      { type: 'ended', callId, at: at(1795290886082643), outcome: 'UNANSWERED', why: 'failure', sipCode: 486 },
    ]);
  });

  // recorded here through kamailio (test/fixtures/sip/record.ts): every one is a single answered call
  it.each([
    ['challenge-401-answered', ['500']],
    ['challenge-407-late-answered', ['501']],
    ['redirect-302-answered', ['501', '500']], // Contact 501, the retried INVITE's Request-URI 501, To 500
    ['session-timer-422-answered', ['501']],
    ['answered-random-contact', ['x7f3kq9a', '500']],
    ['outbound-own-number', ['+31612345678']],
  ] as const)('%s: one call, answered, ended by the BYE', (name, answeredBy) => {
    for (const order of ['arrival', 'capture-time'] as const) {
      const steps = replay(name, order);
      expect(steps.map((step) => (step.type === 'ended' ? `${step.type} ${step.outcome} ${step.why}` : step.type))).toEqual(['started', 'answered', 'ended ANSWERED bye']);
      expect(steps[1]).toMatchObject({ answeredBy });
    }
  });
});
