import { describe, expect, it } from 'vitest';
import { nextFetchAt, normalOrigin, planFetch } from './fetch-policy.ts';

const STRICT = { allowPrivate: false };
const PBX = { origin: 'http://10.1.2.3:8088', auth: { kind: 'basic' as const, username: 'callhook', password: 's3cret' } };

describe('planFetch: which recording URLs are fetched, and how', () => {
  it('fetches from a listed origin with its credentials, whatever its address', () => {
    const plan = planFetch('http://10.1.2.3:8088/recordings/2024/call-1.wav', [PBX], STRICT);
    expect(plan).toMatchObject({ kind: 'listed', headers: { authorization: `Basic ${Buffer.from('callhook:s3cret').toString('base64')}` } });
    const bearer = planFetch('https://pbx.lan/r/1.wav', [{ origin: 'https://pbx.lan:443/', auth: { kind: 'bearer', token: 'tok' } }], STRICT);
    expect(bearer).toMatchObject({ kind: 'listed', headers: { authorization: 'Bearer tok' } });
  });

  it('treats everything else as a webhook target: https and public only, never the listed credentials', () => {
    const table: Array<[string, string]> = [
      ['http://10.1.2.3:8089/call-1.wav', 'refused'], // another port is another origin
      ['https://10.1.2.3:8088/call-1.wav', 'refused'], // another scheme too
      ['http://127.0.0.1/call-1.wav', 'refused'],
      ['https://169.254.169.254/latest/meta-data', 'refused'],
      ['https://localhost/call-1.wav', 'refused'],
      ['https://user:pw@recordings.example.com/1.wav', 'refused'],
      ['ftp://recordings.example.com/1.wav', 'refused'],
      ['not a url', 'refused'],
      ['https://recordings.example.com/1.wav', 'guarded'],
      ['https://93.184.215.14/1.wav', 'guarded'],
    ];
    for (const [url, kind] of table) {
      const plan = planFetch(url, [PBX], STRICT);
      expect(plan.kind, url).toBe(kind);
      expect('headers' in plan, url).toBe(false);
    }
    expect(planFetch('http://127.0.0.1/call-1.wav', [PBX], { allowPrivate: true }).kind).toBe('guarded');
  });

  it('reads only plain origins as listable', () => {
    expect(normalOrigin('http://PBX.lan:8088')).toBe('http://pbx.lan:8088');
    expect(normalOrigin('https://pbx.lan:443')).toBe('https://pbx.lan');
    for (const bad of ['http://pbx.lan/recordings', 'http://u:p@pbx.lan', 'ftp://pbx.lan', 'pbx.lan', 'http://pbx.lan?x=1']) expect(normalOrigin(bad), bad).toBeNull();
  });
});

describe('nextFetchAt', () => {
  it('retries quickly first, then hourly, and never past the deadline', () => {
    const now = 1_000_000;
    const deadline = now + 24 * 3_600_000;
    expect(nextFetchAt(1, now, deadline)).toBe(now + 30_000);
    expect(nextFetchAt(2, now, deadline)).toBe(now + 120_000);
    expect(nextFetchAt(9, now, deadline)).toBe(now + 3_600_000);
    expect(nextFetchAt(9, deadline - 60_000, deadline)).toBeNull();
  });
});
