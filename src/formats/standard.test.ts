import { describe, it, expect } from 'vitest';
import { Value } from 'typebox/value';
import { EVENT_TYPES } from '../events/catalogue.ts';
import { CONTENT_TYPES, FORMATS } from './format.ts';
import { contentTypeHeader, renderBody } from './render.ts';
import { SAMPLE_USER, sampleEvent } from './samples.ts';
import { NO_NUMBERS, callParties } from '../calls/call-numbers.ts';
import { StandardCallSchema, StandardEventSchema, renderStandard } from './standard.ts';

const NOW = Date.parse('2025-03-01T10:00:00.000Z');

describe('renderStandard', () => {
  it('wraps the call snapshot with type, id and timestamp', () => {
    const event = sampleEvent('call.ended', NOW);
    const body = renderStandard(event);
    expect(Object.keys(body)).toEqual(['type', 'id', 'timestamp', 'data']);
    expect(body).toMatchObject({ type: 'call.ended', id: event.id, timestamp: '2025-03-01T10:00:00.000Z' });
    expect(Object.keys(body.data as object)).toEqual(Object.keys(StandardCallSchema.properties));
    expect(body.data).toMatchObject({
      direction: 'inbound',
      from: '+31850609001',
      fromE164: '+31850609001',
      endedAt: '2025-03-01T10:00:00.000Z',
      outcome: 'ANSWERED',
      talkTimeS: 27,
      answeredBy: { id: 'usr_test', extension: '500', email: 'jane.doe@example.com', name: 'Jane Doe' },
      organization: { id: 'org_test', domain: 'example' },
    });
  });

  it.each(EVENT_TYPES)('matches its documented schema for %s', (type) => {
    const body = renderStandard(sampleEvent(type, NOW));
    expect(Value.Check(StandardEventSchema(type), body), JSON.stringify([...Value.Errors(StandardEventSchema(type), body)])).toBe(true);
    const other = EVENT_TYPES.find((t) => t !== type)!;
    expect(Value.Check(StandardEventSchema(other), body)).toBe(false);
  });

  it('sends the resolved E.164 parties next to the raw ones: an extension comes in on the main number, or stays as given without one', () => {
    const event = sampleEvent('call.incoming', NOW, { org: { id: 'o', domain: 'd', defaultCountry: 'NL' } });
    const raw = { direction: 'inbound' as const, from: '0201234567', to: '500', user: SAMPLE_USER };
    const withMain = { ...event, call: { ...event.call, ...raw, e164: callParties(raw, { main: '+31850609000', direct: new Map() }, 'NL') } };
    expect(renderStandard(withMain).data).toMatchObject({ from: '0201234567', fromE164: '+31201234567', to: '500', toE164: '+31850609000' });
    const withoutNumbers = { ...event, call: { ...event.call, ...raw, e164: callParties(raw, NO_NUMBERS, 'NL') } };
    expect(renderStandard(withoutNumbers).data).toMatchObject({ from: '0201234567', fromE164: '+31201234567', to: '500', toE164: '500' });
  });
});

describe('sampleEvent', () => {
  it('cuts one realistic call at the tested step', () => {
    const incoming = sampleEvent('call.incoming', NOW);
    expect(incoming.id).toMatch(/^evt_test_/);
    expect(incoming.call).toMatchObject({ direction: 'inbound', from: '+31850609001', to: '+31850609000', startedAt: NOW, answeredAt: null });
    expect(sampleEvent('call.outgoing', NOW).call).toMatchObject({ direction: 'outbound', from: '+31850609000', to: '+31850609001' });
    expect(sampleEvent('call.answered', NOW).call).toMatchObject({ answeredAt: NOW, endedAt: null });
    const insights = sampleEvent('call.insights', NOW, { connection: { id: 'conn_9', name: 'Office' } }).call;
    expect(insights.insights?.topics).toHaveLength(2);
    expect(insights.recordingUrl).toMatch(/^https:\/\//);
    expect(insights.connection).toEqual({ id: 'conn_9', name: 'Office' });
  });

  it('renders in every format and content type (or is skipped where the format has no form)', () => {
    const skipped: string[] = [];
    for (const type of EVENT_TYPES) {
      for (const format of FORMATS) {
        for (const contentType of CONTENT_TYPES) {
          const body = renderBody(format, contentType, sampleEvent(type, NOW), { apiToken: 'tok' });
          if (body === null) skipped.push(`${format} ${type}`);
          else expect(body.length).toBeGreaterThan(0);
        }
      }
    }
    expect([...new Set(skipped)]).toEqual(['ringotel call.answered', 'rinkel call.recording', 'ringotel call.insights']);
  });
});

describe('renderBody', () => {
  it('encodes the format body in the content type', () => {
    const event = sampleEvent('call.ended', NOW);
    const json = renderBody('rinkel', 'application/json', event, { apiToken: null });
    expect(json).toBe(`{"id":"${event.call.callId}","datetime":"2025-03-01T10:00:00.000Z","cause":"ANSWERED"}`);
    const form = renderBody('rinkel', 'application/x-www-form-urlencoded', event, { apiToken: null });
    expect(form).toBe(`id=${event.call.callId}&datetime=2025-03-01T10%3A00%3A00.000Z&cause=ANSWERED`);
  });

  it('names the content type without a charset', () => {
    expect(contentTypeHeader('application/json')).toBe('application/json');
    expect(contentTypeHeader('application/x-www-form-urlencoded')).toBe('application/x-www-form-urlencoded');
  });
});
