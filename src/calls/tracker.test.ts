import { describe, expect, it } from 'vitest';
import type { CallOrigin, CallUser } from './call.ts';
import type { CallStep } from './steps.ts';
import { type TrackedCall, type TrackResult, applyStep } from './tracker.ts';

const origin: CallOrigin = { org: { id: 'org_1', domain: 'acme', defaultCountry: 'NL' }, connection: { id: 'conn_1', name: 'PBX' } };
const anna: CallUser = { id: 'u-500', extension: '500', email: 'anna@acme.example', name: 'Anna' };
const bob: CallUser = { id: 'u-501', extension: '501', email: 'bob@acme.example', name: 'Bob' };
let n = 0;
const ctx = { origin, users: new Map([['500', anna], ['bob@acme.example', bob]]), now: 9_999, newEventId: () => `evt_${++n}` };
const T = 1_000_000;

function run(steps: CallStep[]): { tracked: TrackedCall | null; results: TrackResult[] } {
  let tracked: TrackedCall | null = null;
  const results: TrackResult[] = [];
  for (const step of steps) {
    const result = applyStep(tracked, step, ctx);
    results.push(result);
    if (result.kind === 'applied') tracked = result.tracked;
  }
  return { tracked, results };
}

const started = (extra: Partial<CallStep> = {}): CallStep => ({ type: 'started', callId: 'c', direction: 'inbound', from: '+31612345678', to: '500', user: '500', at: T, ...extra }) as CallStep;

const RECORDING = { url: 'https://callhook.example/v1/recordings/rk_1?expires=1&signature=s', contentType: 'audio/wav', bytes: 48_044, durationS: 3, sha256: 'ab'.repeat(32) };

describe('recordings in the call tracker', () => {
  it('defers a recording step: no event, but the event id it will have; the stored file then makes exactly that event, once', () => {
    const first = run([started()]).tracked!;
    const deferred = applyStep(first, { type: 'recording', callId: 'c', url: 'https://pbx.example/c.wav' }, ctx);
    expect(deferred.kind).toBe('deferred');
    if (deferred.kind !== 'deferred') return;
    expect(deferred.tracked.call.recording).toBeNull();
    expect(applyStep(deferred.tracked, { type: 'recording', callId: 'c', url: 'https://pbx.example/c.wav' }, ctx)).toEqual({ kind: 'duplicate', eventId: deferred.eventId });
    expect(applyStep(deferred.tracked, { type: 'recording', callId: 'c', url: 'https://pbx.example/other.wav' }, ctx)).toMatchObject({ kind: 'rejected', field: 'type' });
    // A push while the fetch is owed contradicts it.
    expect(applyStep(deferred.tracked, { type: 'recording-stored', callId: 'c', at: T, source: { kind: 'push' }, recording: RECORDING }, ctx)).toMatchObject({ kind: 'rejected' });
    // A stored file for another promise is not this one.
    expect(applyStep(deferred.tracked, { type: 'recording-stored', callId: 'c', at: T, source: { kind: 'fetch', eventId: 'evt_other' }, recording: RECORDING }, ctx)).toMatchObject({ kind: 'rejected' });
    const done = applyStep(deferred.tracked, { type: 'recording-stored', callId: 'c', at: T + 5, source: { kind: 'fetch', eventId: deferred.eventId }, recording: RECORDING }, ctx);
    expect(done).toMatchObject({ kind: 'applied', event: { id: deferred.eventId, type: 'call.recording', occurredAt: T + 5, call: { recording: RECORDING, recordingUrl: RECORDING.url } } });
    if (done.kind !== 'applied') return;
    expect(applyStep(done.tracked, { type: 'recording-stored', callId: 'c', at: T + 9, source: { kind: 'fetch', eventId: deferred.eventId }, recording: RECORDING }, ctx)).toEqual({ kind: 'duplicate', eventId: deferred.eventId });
  });

  it('takes a pushed file once: the same bytes again are a repeat, other bytes a conflict; not before the call started', () => {
    const first = run([started()]).tracked!;
    const pushed = applyStep(first, { type: 'recording-stored', callId: 'c', at: T, source: { kind: 'push' }, recording: RECORDING }, ctx);
    expect(pushed.kind).toBe('applied');
    if (pushed.kind !== 'applied') return;
    // The link in a repeat differs (signed again); the file is the same.
    expect(applyStep(pushed.tracked, { type: 'recording-stored', callId: 'c', at: T + 1, source: { kind: 'push' }, recording: { ...RECORDING, url: 'https://x/other' } }, ctx)).toEqual({ kind: 'duplicate', eventId: pushed.event.id });
    expect(applyStep(pushed.tracked, { type: 'recording-stored', callId: 'c', at: T + 1, source: { kind: 'push' }, recording: { ...RECORDING, sha256: 'cd'.repeat(32) } }, ctx)).toMatchObject({ kind: 'rejected', field: 'type' });
    expect(applyStep(pushed.tracked, { type: 'recording', callId: 'c', url: 'https://pbx.example/c.wav' }, ctx)).toMatchObject({ kind: 'rejected' });
    expect(applyStep(null, { type: 'recording-stored', callId: 'c', at: T, source: { kind: 'push' }, recording: RECORDING }, ctx)).toMatchObject({ kind: 'rejected', field: 'callId' });
  });
});

describe('the call tracker', () => {
  it('turns each step into one canonical event carrying the call as it stands', () => {
    const { tracked, results } = run([
      started(),
      { type: 'answered', callId: 'c', at: T + 3_000, choice: '2' },
      { type: 'ended', callId: 'c', at: T + 63_500 },
      { type: 'recording-stored', callId: 'c', at: T + 70_000, source: { kind: 'push' }, recording: RECORDING },
      { type: 'insights', callId: 'c', sentiment: 'NEUTRAL', topics: ['billing'], summary: 'Asked about an invoice.' },
    ]);
    const events = results.map((r) => (r.kind === 'applied' ? r.event : null));
    expect(events.map((e) => e?.type)).toEqual(['call.incoming', 'call.answered', 'call.ended', 'call.recording', 'call.insights']);
    expect(events.map((e) => e?.occurredAt)).toEqual([T, T + 3_000, T + 63_500, T + 70_000, 9_999]);
    expect(tracked!.call).toMatchObject({ user: anna, answeredBy: anna, choice: '2', outcome: 'ANSWERED', endedAt: T + 63_500, recordingUrl: RECORDING.url, recording: RECORDING });
    // Each event keeps the call as it was then: the incoming event knows nothing of the answer.
    expect(events[0]!.call.answeredAt).toBeNull();
    expect(events[2]!.call.org).toEqual(origin.org);
  });

  it('derives UNANSWERED and keeps the SIP code of a call nobody answered', () => {
    const { tracked } = run([started(), { type: 'ended', callId: 'c', at: T + 20_000, sipCode: 486 }]);
    expect(tracked!.call).toMatchObject({ outcome: 'UNANSWERED', sipCode: 486, answeredAt: null });
  });

  it('resolves who answered through the directory, and fills the user of a call rung at a group', () => {
    const { tracked } = run([started({ user: undefined, to: '+31850609000' } as Partial<CallStep>), { type: 'answered', callId: 'c', at: T + 1, answeredBy: 'bob@acme.example' }]);
    expect(tracked!.call.answeredBy).toEqual(bob);
    expect(tracked!.call.user).toEqual(bob);
  });

  it('keeps an unknown user reference as given', () => {
    const { tracked } = run([started({ user: '777' } as Partial<CallStep>)]);
    expect(tracked!.call).toMatchObject({ user: null, userRef: '777' });
  });

  it('treats the same step again as a duplicate with the same event id, whatever the key order', () => {
    const first = run([started()]);
    const again = applyStep(first.tracked, { at: T, user: '500', to: '500', from: '+31612345678', direction: 'inbound', callId: 'c', type: 'started' }, ctx);
    expect(again).toEqual({ kind: 'duplicate', eventId: (first.results[0] as { event: { id: string } }).event.id });
  });

  it.each<[string, CallStep[], string]>([
    ['a step before the call started', [{ type: 'ended', callId: 'c', at: T }], 'callId'],
    ['a different second start', [started(), started({ at: T + 1 } as Partial<CallStep>)], 'type'],
    ['an answer after the end', [started(), { type: 'ended', callId: 'c', at: T + 5 }, { type: 'answered', callId: 'c', at: T + 6 }], 'type'],
    ['an answer before the start', [started(), { type: 'answered', callId: 'c', at: T - 1 }], 'at'],
    ['an end before the answer', [started(), { type: 'answered', callId: 'c', at: T + 10 }, { type: 'ended', callId: 'c', at: T + 9 }], 'at'],
    ['ANSWERED without an answer', [started(), { type: 'ended', callId: 'c', at: T + 9, outcome: 'ANSWERED' }], 'outcome'],
    ['UNANSWERED after an answer', [started(), { type: 'answered', callId: 'c', at: T + 1 }, { type: 'ended', callId: 'c', at: T + 9, outcome: 'UNANSWERED' }], 'outcome'],
    ['a SIP failure code after an answer', [started(), { type: 'answered', callId: 'c', at: T + 1 }, { type: 'ended', callId: 'c', at: T + 9, sipCode: 486 }], 'sipCode'],
  ])('rejects %s, naming the field', (_, steps, field) => {
    const last = run(steps).results.at(-1)!;
    expect(last.kind).toBe('rejected');
    expect((last as { field: string }).field).toBe(field);
  });
});
