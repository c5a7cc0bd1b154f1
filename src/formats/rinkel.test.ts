import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { NO_NUMBERS, type OrgNumbers, callParties, withParties } from '../calls/call-numbers.ts';
import type { Call, CallUser } from '../calls/call.ts';
import { EVENT_TYPES, type EventType } from '../events/catalogue.ts';
import type { CallEvent } from '../events/event.ts';
import { renderRinkel } from './rinkel.ts';
import { encodeForm } from './encode.ts';

const AT = Date.parse('2023-06-14T13:56:24.969Z');
const JOHN = { id: 'usr_1', extension: '201', email: 'john.doe@example.com', name: 'John Doe' };

function golden(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../test/golden/${name}.json`, import.meta.url), 'utf8'));
}

function seedCall(overrides: Partial<Call> = {}): Call {
  return withParties({
    org: { id: 'org_1', domain: 'acme', defaultCountry: 'NL' },
    connection: { id: 'conn_1', name: 'Rinkel' },
    callId: '1c8b83a7c690084224ec3984515bc1a2',
    direction: 'inbound',
    from: '+31850609001',
    to: '+31850609000',
    user: JOHN,
    userRef: null,
    startedAt: AT,
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

function event(type: EventType, call: Call, occurredAt = AT): CallEvent {
  return { id: 'evt_1', type, occurredAt, call };
}

const render = (type: EventType, call: Call) => JSON.stringify(renderRinkel(event(type, call)));

describe('renderRinkel — golden (seed examples)', () => {
  it('incoming call', () => {
    expect(render('call.incoming', seedCall())).toBe(JSON.stringify(golden('rinkel-incoming-call')));
  });

  it('outgoing call: the seed keys in the seed order, then userId when the call has a user', () => {
    expect(render('call.outgoing', seedCall({ direction: 'outbound', user: null }))).toBe(JSON.stringify(golden('rinkel-outgoing-call')));
    const withUser = JSON.stringify({ ...(golden('rinkel-outgoing-call') as object), userId: 'usr_1' });
    expect(render('call.outgoing', seedCall({ direction: 'outbound' }))).toBe(withUser);
  });

  it('call start', () => {
    const call = seedCall({ startedAt: AT - 5_000, answeredAt: AT, answeredBy: JOHN, choice: '1' });
    expect(render('call.answered', call)).toBe(JSON.stringify(golden('rinkel-call-start')));
  });

  it('call end', () => {
    const call = seedCall({ startedAt: AT - 60_000, answeredAt: AT - 50_000, answeredBy: JOHN, endedAt: AT, outcome: 'ANSWERED' });
    expect(render('call.ended', call)).toBe(JSON.stringify(golden('rinkel-call-end')));
  });

  it('call insights', () => {
    const insights = { sentiment: 'POSITIVE' as const, topics: ['sales', 'support'], summary: 'This is a summary of the call.' };
    expect(render('call.insights', seedCall({ endedAt: AT, insights }))).toBe(JSON.stringify(golden('rinkel-call-insights')));
  });
});

describe('renderRinkel', () => {
  it('has no form for call.recording', () => {
    expect(renderRinkel(event('call.recording', seedCall({ recordingUrl: 'https://r.example/1.wav' })))).toBeNull();
  });

  it('writes numbers in E.164 and withheld callers as anonymous', () => {
    expect(renderRinkel(event('call.incoming', seedCall({ from: '0201234567', to: '0850609000' })))).toMatchObject({
      from: '+31201234567',
      to: '+31850609000',
    });
    expect(renderRinkel(event('call.incoming', seedCall({ from: 'Restricted' })))?.from).toBe('anonymous');
    expect(renderRinkel(event('call.outgoing', seedCall({ to: '00441234567890' })))?.to).toBe('+441234567890');
  });

  it('always writes milliseconds', () => {
    const call = seedCall({ startedAt: Date.parse('2024-01-01T00:00:00Z') });
    expect(renderRinkel(event('call.incoming', call))?.datetime).toBe('2024-01-01T00:00:00.000Z');
  });

  it('sends null answeredBy and choice when unknown', () => {
    const body = renderRinkel(event('call.answered', seedCall({ answeredAt: AT })));
    expect(JSON.stringify(body)).toBe(
      '{"id":"1c8b83a7c690084224ec3984515bc1a2","datetime":"2023-06-14T13:56:24.969Z","answeredBy":null,"choice":null}',
    );
  });

  it('takes the cause from the outcome, else from whether the call was answered', () => {
    expect(renderRinkel(event('call.ended', seedCall({ endedAt: AT, outcome: 'VOICEMAIL' })))?.cause).toBe('VOICEMAIL');
    expect(renderRinkel(event('call.ended', seedCall({ endedAt: AT })))?.cause).toBe('UNANSWERED');
    expect(renderRinkel(event('call.ended', seedCall({ answeredAt: AT - 1, endedAt: AT })))?.cause).toBe('ANSWERED');
  });

  it('form-encodes insights with topics[] and null fields left out', () => {
    const insights = { sentiment: 'NEUTRAL' as const, topics: ['sales', 'support'], summary: 'Price + delivery, 2 items.' };
    expect(encodeForm(renderRinkel(event('call.insights', seedCall({ insights })))!)).toBe(
      'id=1c8b83a7c690084224ec3984515bc1a2&sentiment=NEUTRAL&topics[]=sales&topics[]=support' +
        '&summary=Price+%2B+delivery%2C+2+items.',
    );
    expect(encodeForm(renderRinkel(event('call.answered', seedCall({ answeredAt: AT })))!)).toBe(
      'id=1c8b83a7c690084224ec3984515bc1a2&datetime=2023-06-14T13%3A56%3A24.969Z',
    );
  });
});

describe('renderRinkel — what real Rinkel receivers demand', () => {
  const numbers: OrgNumbers = { main: '+31850609000', direct: new Map([['usr_1', '+31850609005']]) };
  const resolved = (direction: 'inbound' | 'outbound', from: string, to: string, user: CallUser | null = JOHN, orgNumbers = numbers) =>
    seedCall({ direction, from, to, user, e164: callParties({ direction, from, to, user }, orgNumbers, 'NL') });

  it('sends the number an inbound call came in on as `to`: its own, else the user’s direct number, else the main number', () => {
    expect(renderRinkel(event('call.incoming', resolved('inbound', '0201234567', '0850609001')))).toMatchObject({ to: '+31850609001', from: '+31201234567' });
    expect(renderRinkel(event('call.incoming', resolved('inbound', '+31201234567', '201')))).toMatchObject({ to: '+31850609005' });
    expect(renderRinkel(event('call.incoming', resolved('inbound', 'anonymous', '202', null)))).toMatchObject({ to: '+31850609000', from: 'anonymous' });
  });

  it('sends the number an outbound call presents as `from`, and the user as userId', () => {
    expect(JSON.stringify(renderRinkel(event('call.outgoing', resolved('outbound', '201', '0201234567'))))).toBe(
      '{"id":"1c8b83a7c690084224ec3984515bc1a2","datetime":"2023-06-14T13:56:24.969Z","to":"+31201234567","from":"+31850609005","userId":"usr_1"}',
    );
    expect(renderRinkel(event('call.outgoing', resolved('outbound', '202', '0201234567', null)))).toEqual({
      id: '1c8b83a7c690084224ec3984515bc1a2', datetime: '2023-06-14T13:56:24.969Z', to: '+31201234567', from: '+31850609000',
    });
  });

  it('has no form for any event of a call without an E.164 number on a side (no number for the extension, or an internal call)', () => {
    const noNumbers = resolved('inbound', '+31201234567', '500', JOHN, NO_NUMBERS);
    const internal = resolved('outbound', '201', '202');
    for (const call of [noNumbers, internal]) {
      for (const type of EVENT_TYPES) {
        const full = { ...call, answeredAt: AT, endedAt: AT, insights: { sentiment: 'NEUTRAL' as const, topics: ['x'], summary: 'y' } };
        expect(renderRinkel(event(type, full)), `${call.direction} ${type}`).toBeNull();
      }
    }
  });

  it('keeps the answering user’s e-mail the phone system gave, even when no user of the directory has it', () => {
    const answered = seedCall({ answeredAt: AT, answeredBy: null, answeredByRef: 'temp.agent@example.com' });
    expect(renderRinkel(event('call.answered', answered))?.answeredBy).toBe('temp.agent@example.com');
    // A reference that is no e-mail (an extension the directory does not know) says nothing.
    expect(renderRinkel(event('call.answered', seedCall({ answeredAt: AT, answeredByRef: '599' })))?.answeredBy).toBeNull();
    // The directory's e-mail wins over the reference it was found by.
    expect(renderRinkel(event('call.answered', seedCall({ answeredAt: AT, answeredBy: JOHN, answeredByRef: '201' })))?.answeredBy).toBe('john.doe@example.com');
  });

  it('never sends an empty string: an empty choice is null, left out of a form', () => {
    const body = renderRinkel(event('call.answered', seedCall({ answeredAt: AT, answeredBy: JOHN, choice: '' })))!;
    expect(body.choice).toBeNull();
    expect(encodeForm(body)).toBe('id=1c8b83a7c690084224ec3984515bc1a2&datetime=2023-06-14T13%3A56%3A24.969Z&answeredBy=john.doe%40example.com');
  });
});
