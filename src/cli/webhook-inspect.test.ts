import { describe, it, expect } from 'vitest';
import { encodeForm } from '../formats/encode.ts';
import { detectDialect, parseBody, parseFormBody } from './webhook-inspect.ts';

describe('parseFormBody', () => {
  it('reads back what encodeForm writes', () => {
    const body = {
      method: 'StopCallActivity',
      params: { call_id: 'c-1', caller_number: '+31612345678', note: 'a & b = c' },
      topics: ['sales', 'support'],
      list: [{ k: 'v' }, { k: 'w' }],
    };
    expect(parseFormBody(encodeForm(body))).toEqual(body);
  });

  it('keeps plain keys, percent-encoded brackets and unbalanced keys readable', () => {
    expect(parseFormBody('a=1&b%5Bc%5D=2&d[=3&e[x]y=4')).toEqual({ a: '1', b: { c: '2' }, 'd[': '3', 'e[x]y': '4' });
  });

  it('ignores keys that would reach the prototype', () => {
    const parsed = parseFormBody('__proto__[polluted]=1&a[constructor][x]=2&ok=1');
    expect(parsed).toEqual({ ok: '1' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parseBody', () => {
  it('parses by content type and says when JSON is broken', () => {
    expect(parseBody('application/json; charset=utf-8', '{"a":1}')).toEqual({ ok: true, body: { a: 1 } });
    expect(parseBody('application/x-www-form-urlencoded', 'a=1')).toEqual({ ok: true, body: { a: '1' } });
    expect(parseBody('application/json', '{').ok).toBe(false);
    expect(parseBody('text/plain', 'hello')).toEqual({ ok: true, body: 'hello' });
    expect(parseBody('', '')).toEqual({ ok: true, body: null });
  });
});

describe('detectDialect', () => {
  it('knows Ringotel by method and Standard by type', () => {
    expect(detectDialect({ method: 'UpdateCallRecording', api_token: '', params: {} })).toEqual({ dialect: 'ringotel', event: 'UpdateCallRecording' });
    expect(detectDialect({ type: 'call.ended', id: 'evt_1', timestamp: '2024-01-01T00:00:00.000Z', data: {} })).toEqual({ dialect: 'standard', event: 'call.ended' });
  });

  it('reads the Rinkel event from the keys', () => {
    const id = '1c8b83a7c690084224ec3984515bc1a2';
    const datetime = '2023-06-14T13:56:24.969Z';
    expect(detectDialect({ id, sentiment: 'NEUTRAL', topics: [], summary: '' }).event).toBe('call insights');
    expect(detectDialect({ id, datetime, cause: 'ANSWERED' }).event).toBe('call end');
    expect(detectDialect({ id, datetime, answeredBy: null, choice: '1' }).event).toBe('call start');
    expect(detectDialect({ id, datetime }).event).toBe('call start');
    expect(detectDialect({ id, datetime, to: '+31850609000', from: '+31612345678' })).toEqual({ dialect: 'rinkel', event: 'incoming/outgoing call' });
    expect(detectDialect({ id, datetime, to: '+31612345678', from: '+31850609000', userId: 7 }).event).toBe('outgoing call');
  });

  it('says unknown for anything else', () => {
    expect(detectDialect({ hello: 'world' })).toEqual({ dialect: 'unknown', event: null });
    expect(detectDialect('text')).toEqual({ dialect: 'unknown', event: null });
    expect(detectDialect(null)).toEqual({ dialect: 'unknown', event: null });
  });
});
