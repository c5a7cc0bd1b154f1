import { describe, expect, it } from 'vitest';
import { newId, newToken } from './ids.ts';

describe('ids', () => {
  it('are prefixed, 26 Crockford characters, and sort in creation order even within one millisecond', () => {
    const ids = Array.from({ length: 2_000 }, () => newId('dlv', 1_700_000_000_000));
    for (const id of ids.slice(0, 5)) expect(id).toMatch(/^dlv_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(newId('evt', 1_700_000_000_001) > ids.at(-1)!.replace('dlv', 'evt')).toBe(true);
  });
  it('takes fresh random bits for each new millisecond, however many milliseconds pass', () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => newId('dlv', 1_800_000_000_000 + i));
    expect(new Set(ids.map((id) => id.slice(-16))).size).toBe(ids.length);
  });
  it('makes secret tokens with a readable prefix and 256 bits of randomness', () => {
    const token = newToken('chk');
    expect(token).toMatch(/^chk_[A-Za-z0-9_-]{43}$/);
    expect(newToken('chk')).not.toBe(token);
  });
});
