import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { withParties } from '../calls/call-numbers.ts';
import type { Call } from '../calls/call.ts';
import type { EventType } from '../events/catalogue.ts';
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

  it('outgoing call', () => {
    const call = seedCall({ direction: 'outbound' });
    expect(render('call.outgoing', call)).toBe(JSON.stringify(golden('rinkel-outgoing-call')));
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
