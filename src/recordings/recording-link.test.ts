import { describe, expect, it } from 'vitest';
import { checkLink, newLinkKey, newLinkSecret, signLink } from './recording-link.ts';

const NOW = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

function parts(url: string) {
  const u = new URL(url);
  return { key: u.pathname.split('/').pop()!, expires: u.searchParams.get('expires')!, signature: u.searchParams.get('signature')! };
}

describe('signed recording links', () => {
  const secret = newLinkSecret();
  const key = newLinkKey();
  const link = signLink({ publicUrl: 'https://callhook.example', key, expiresAt: NOW + 7 * DAY, secret });

  it('is valid until it expires, then expired', () => {
    expect(link.url.startsWith(`https://callhook.example/v1/recordings/${key}?expires=`)).toBe(true);
    expect(checkLink({ ...parts(link.url), secrets: [secret], now: NOW })).toBe('valid');
    expect(checkLink({ ...parts(link.url), secrets: [secret], now: NOW + 7 * DAY - 1_000 })).toBe('valid');
    expect(checkLink({ ...parts(link.url), secrets: [secret], now: NOW + 7 * DAY })).toBe('expired');
  });

  it('is invalid when its key, expiry or signature is changed, or with another secret', () => {
    const p = parts(link.url);
    const later = String(Number(p.expires) + 86_400);
    const flipped = (p.signature[0] === 'A' ? 'B' : 'A') + p.signature.slice(1);
    expect(checkLink({ ...p, expires: later, secrets: [secret], now: NOW })).toBe('invalid');
    expect(checkLink({ ...p, key: newLinkKey(), secrets: [secret], now: NOW })).toBe('invalid');
    expect(checkLink({ ...p, signature: flipped, secrets: [secret], now: NOW })).toBe('invalid');
    expect(checkLink({ ...p, signature: '', secrets: [secret], now: NOW })).toBe('invalid');
    expect(checkLink({ ...p, expires: '1e12', secrets: [secret], now: NOW })).toBe('invalid');
    expect(checkLink({ ...p, secrets: [newLinkSecret()], now: NOW })).toBe('invalid');
    // A tampered link is invalid, not "expired", even past its time.
    expect(checkLink({ ...p, signature: flipped, secrets: [secret], now: NOW + 30 * DAY })).toBe('invalid');
  });

  it('keeps working after a rotation while the old secret is still listed', () => {
    const rotated = [newLinkSecret(), secret];
    expect(checkLink({ ...parts(link.url), secrets: rotated, now: NOW })).toBe('valid');
    const fresh = signLink({ publicUrl: 'https://callhook.example', key, expiresAt: NOW + DAY, secret: rotated[0]! });
    expect(checkLink({ ...parts(fresh.url), secrets: rotated, now: NOW })).toBe('valid');
    expect(checkLink({ ...parts(fresh.url), secrets: [secret], now: NOW })).toBe('invalid');
  });
});
