import { describe, expect, it } from 'vitest';
import { loggableHeaders } from './response-headers.ts';

describe('the response headers the delivery log keeps', () => {
  it.each([
    ['content-type', 'application/json'], ['Content-Length', '12'], ['content-encoding', 'gzip'], ['date', 'Mon, 01 Jan 2024 12:00:00 GMT'], ['retry-after', '120'],
    ['x-request-id', 'req_42'], ['request-id', 'r-1'], ['x-amzn-requestid', 'abc'], ['x-correlation-id', 'c-1'], ['x-github-request-id', 'g-1'], ['x-b3-traceid', 't'],
    ['cf-ray', '8a1b-AMS'], ['traceparent', '00-4bf9-00f0-01'],
  ])('keeps %s', (name, value) => expect(loggableHeaders({ [name]: value })).toEqual({ [name.toLowerCase()]: value }));

  it.each([
    'set-cookie', 'authorization', 'proxy-authenticate', 'www-authenticate', 'x-api-key', 'x-auth-token', 'x-access-token', 'x-session-id', 'x-client-secret',
    'x-amz-security-token', 'x-signature', 'x-csrf-token', 'x-request-token-id', 'server', 'x-powered-by', 'via', 'etag', 'set-cookie2', 'x-internal-host',
  ])('drops %s', (name) => expect(loggableHeaders({ [name]: 'value' })).toEqual({}));

  it('keeps where a redirect points, without credentials or secret-looking query values', () => {
    expect(loggableHeaders({ location: 'https://user:pw@crm.example.com/new?id=5&token=abc&api_key=k&code=c' })).toEqual({
      location: 'https://crm.example.com/new?id=5&token=redacted&api_key=redacted&code=redacted',
    });
    expect(loggableHeaders({ location: '/moved?session=s1&page=2' })).toEqual({ location: '/moved?session=redacted&page=2' });
    expect(loggableHeaders({ location: 'https://crm.example.com/hooks' })).toEqual({ location: 'https://crm.example.com/hooks' });
  });

  it('cuts a long value short', () => {
    expect(loggableHeaders({ 'x-request-id': 'a'.repeat(2_000) })['x-request-id']).toHaveLength(513);
  });
});
