import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { withParties } from '../calls/call-numbers.ts';
import type { Call } from '../calls/call.ts';
import type { EventType } from '../events/catalogue.ts';
import type { CallEvent } from '../events/event.ts';
import { callCause, renderRingotel } from './ringotel.ts';
import { encodeForm } from './encode.ts';

const TOKEN = '5c2d7008-a4b9-4eec-b549-e82804521e9a';

function golden(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../test/golden/${name}.json`, import.meta.url), 'utf8'));
}

/** The call the seed examples describe; each example overrides what differs. */
function seedCall(overrides: Partial<Call> = {}): Call {
  return withParties({
    org: { id: 'org_1', domain: 'newcompany123', defaultCountry: null },
    connection: { id: '17295345566567084859', name: 'PBX' },
    callId: '1729693708182-2d1c3de3d3772cdc1f',
    direction: 'inbound',
    from: '353212028252',
    to: '500',
    user: { id: '17295348437628309790', extension: '500', email: null, name: null },
    userRef: '500',
    startedAt: 1729690611587,
    answeredAt: null,
    answeredBy: null,
    answeredByRef: null,
    choice: null,
    endedAt: null,
    outcome: null,
    sipCode: null,
    recordingUrl: null,
    insights: null,
    subject: null,
    description: null,
    ...overrides,
  });
}

function event(type: EventType, call: Call, occurredAt = call.startedAt): CallEvent {
  return { id: 'evt_1', type, occurredAt, call };
}

const endedCall = (overrides: Partial<Call> = {}) =>
  seedCall({
    startedAt: 1729693708166,
    answeredAt: 1729693714500,
    endedAt: 1729693741839,
    outcome: 'ANSWERED',
    ...overrides,
  });

describe('renderRingotel — golden (seed examples)', () => {
  it('StartCallActivity', () => {
    const body = renderRingotel(event('call.incoming', seedCall()), { apiToken: TOKEN });
    expect(JSON.stringify(body)).toBe(JSON.stringify(golden('ringotel-start-call-activity')));
  });

  it('StopCallActivity', () => {
    const call = endedCall();
    const body = renderRingotel(event('call.ended', call, call.endedAt!), { apiToken: TOKEN });
    expect(JSON.stringify(body)).toBe(JSON.stringify(golden('ringotel-stop-call-activity')));
  });

  it('UpdateCallRecording, with no api token', () => {
    const call = endedCall({ recordingUrl: 'https://uk.ringotel.co/public/LL2uIbd5NcBZLHGa.wav' });
    const body = renderRingotel(event('call.recording', call), { apiToken: null });
    expect(JSON.stringify(body)).toBe(JSON.stringify(golden('ringotel-update-call-recording')));
  });
});

describe('renderRingotel', () => {
  it('has no form for call.answered and call.insights', () => {
    expect(renderRingotel(event('call.answered', endedCall()), { apiToken: null })).toBeNull();
    expect(renderRingotel(event('call.insights', endedCall()), { apiToken: null })).toBeNull();
  });

  it('sends an outgoing call as an outbound StartCallActivity', () => {
    const call = seedCall({ direction: 'outbound', from: '500', to: '+31850609000' });
    const body = renderRingotel(event('call.outgoing', call), { apiToken: null });
    expect(body).toMatchObject({
      method: 'StartCallActivity',
      api_token: '',
      params: { activity_type: 'outbound', caller_number: '500', called_number: '+31850609000' },
    });
  });

  it('appends call_subject and call_description only when set', () => {
    const plain = renderRingotel(event('call.ended', endedCall()), { apiToken: null })!;
    expect(Object.keys(plain.params as object)).not.toContain('call_subject');
    expect(Object.keys(plain.params as object)).not.toContain('call_description');

    const noted = renderRingotel(event('call.ended', endedCall({ subject: 'Order', description: 'Wants 3' })), {
      apiToken: null,
    })!;
    expect(Object.keys(noted.params as object).slice(-2)).toEqual(['call_subject', 'call_description']);
    expect(noted.params).toMatchObject({ call_subject: 'Order', call_description: 'Wants 3' });

    const subjectOnly = renderRingotel(event('call.incoming', seedCall({ subject: 'Order' })), { apiToken: null })!;
    expect(Object.keys(subjectOnly.params as object).at(-1)).toBe('call_subject');
  });

  it('falls back to the userRef, then to empty strings, when the user is unknown', () => {
    const byRef = renderRingotel(event('call.incoming', seedCall({ user: null, userRef: '501' })), { apiToken: null });
    expect(byRef?.params).toMatchObject({ extension: '501', user_id: '' });
    const none = renderRingotel(event('call.incoming', seedCall({ user: null, userRef: null })), { apiToken: null });
    expect(none?.params).toMatchObject({ extension: '', user_id: '' });
  });

  it('reports 0 s for an unanswered call', () => {
    const call = seedCall({ endedAt: 1729690641587, outcome: 'UNANSWERED' });
    expect(renderRingotel(event('call.ended', call), { apiToken: null })?.params).toMatchObject({
      call_duration: 0,
      call_cause: '487',
      call_end: 1729690641587,
    });
  });

  it('form-encodes with bracket notation and %2B', () => {
    const call = seedCall({ from: '+353212028252' });
    const body = renderRingotel(event('call.incoming', call), { apiToken: TOKEN })!;
    expect(encodeForm(body)).toBe(
      'method=StartCallActivity&api_token=5c2d7008-a4b9-4eec-b549-e82804521e9a' +
        '&params[connection_name]=PBX&params[extension]=500&params[user_id]=17295348437628309790' +
        '&params[connection_id]=17295345566567084859&params[activity_type]=inbound&params[domain]=newcompany123' +
        '&params[call_start]=1729690611587&params[called_number]=500&params[caller_number]=%2B353212028252' +
        '&params[call_id]=1729693708182-2d1c3de3d3772cdc1f',
    );
  });
});

describe('callCause', () => {
  const cause = (outcome: Call['outcome'], sipCode: number | null = null, answeredAt: number | null = null) =>
    callCause({ outcome, sipCode, answeredAt });

  it('prefers the SIP code the source gave', () => {
    expect(cause('UNANSWERED', 486)).toBe('486');
    expect(cause('ANSWERED', 200)).toBe('200');
  });

  it('derives the cause from the outcome otherwise', () => {
    expect(cause('ANSWERED')).toBe('0');
    expect(cause('VOICEMAIL')).toBe('0');
    expect(cause('CALLCENTER')).toBe('0');
    expect(cause('BLACKLISTED')).toBe('603');
    expect(cause('UNANSWERED')).toBe('487');
    expect(cause('OUTSIDE_OPERATION_TIMES')).toBe('487');
  });

  it('reads an outcome-less call by whether it was answered', () => {
    expect(cause(null, null, 1)).toBe('0');
    expect(cause(null)).toBe('487');
  });
});
