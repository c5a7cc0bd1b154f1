import { describe, expect, it } from 'vitest';
import { checkTarget, checkTargetUrl, guardedLookup, isPublicAddress } from './target-guard.ts';

const strict = { allowPrivate: false };
const open = { allowPrivate: true };

describe('webhook targets', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:7f00:1', '64:ff9b::a00:5', '64:ff9b::10.0.0.5', '::127.0.0.1', '::a00:1', '2002:7f00:1::1', '2002:a00:1::'])(
    '%s is not public',
    (address) => expect(isPublicAddress(address)).toBe(false),
  );
  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8', '::ffff:808:808', '64:ff9b::808:808', '2002:808:808::1'])('%s is public', (address) => expect(isPublicAddress(address)).toBe(true));

  it('wants https on a public address unless private targets are allowed', () => {
    expect(checkTargetUrl('https://93.184.215.14/hook', strict).ok).toBe(true);
    expect(checkTargetUrl('http://93.184.215.14/hook', strict)).toMatchObject({ ok: false, reason: expect.stringContaining('https') });
    expect(checkTargetUrl('https://127.0.0.1/hook', strict)).toMatchObject({ ok: false, reason: expect.stringContaining('not a public address') });
    expect(checkTargetUrl('https://[::1]:8443/hook', strict).ok).toBe(false);
    expect(checkTargetUrl('https://localhost/hook', strict).ok).toBe(false);
    expect(checkTargetUrl('https://user:pw@93.184.215.14/', strict).ok).toBe(false);
    expect(checkTargetUrl('not a url', strict).ok).toBe(false);
    expect(checkTargetUrl('ftp://93.184.215.14/', open).ok).toBe(false);
    expect(checkTargetUrl('http://127.0.0.1:9000/hook', open).ok).toBe(true);
  });

  it('resolves host names at save time and refuses ones that point inside', async () => {
    expect(await checkTarget('https://localhost.:8443/x', strict)).toMatchObject({ ok: false });
    expect(await checkTarget('https://no-such-host.invalid/x', strict)).toMatchObject({ ok: false, reason: expect.stringContaining('could not be resolved') });
  });

  it('refuses private answers at connect time, through the socket lookup', async () => {
    const lookup = guardedLookup(strict)!;
    const error = await new Promise<Error | null>((resolve) => lookup('localhost', { all: false }, (err) => resolve(err)));
    expect(error?.message).toContain('not a public address');
    expect(guardedLookup(open)).toBeUndefined();
  });
});
