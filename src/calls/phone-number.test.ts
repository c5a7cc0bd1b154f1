import { describe, it, expect } from 'vitest';
import { isPhoneNumberLike, isWithheld, toE164 } from './phone-number.ts';

describe('isWithheld', () => {
  it('knows the withheld words, in any case', () => {
    for (const word of ['anonymous', 'Withheld', 'RESTRICTED', 'private', 'unavailable', 'unknown']) {
      expect(isWithheld(word)).toBe(true);
    }
    expect(isWithheld('+31850609000')).toBe(false);
    expect(isWithheld('')).toBe(false);
  });
});

describe('isPhoneNumberLike', () => {
  it('accepts numbers, extensions, feature codes and withheld words', () => {
    for (const raw of ['+31850609000', '353212028252', '500', '*72', '#31#', 'Anonymous', '1', '+' + '1'.repeat(31)]) {
      expect(isPhoneNumberLike(raw), raw).toBe(true);
    }
  });

  it('rejects empty, spaced, lettered and over-long values', () => {
    for (const raw of ['', '+', '+31 85 060', '0800-CALLME', 'sip:500@pbx', ' 500', '1'.repeat(33), '++31', '31+']) {
      expect(isPhoneNumberLike(raw), raw).toBe(false);
    }
  });
});

describe('toE164', () => {
  it.each([
    ['353212028252', null, '+353212028252'],
    ['500', 'NL', '500'],
    ['123456', null, '123456'],
    ['anonymous', 'NL', 'anonymous'],
    ['Private', null, 'anonymous'],
    ['0201234567', 'NL', '+31201234567'],
    ['0201234567', 'nl', '+31201234567'],
    ['0201234567', null, '0201234567'],
    ['0201234567', 'XX', '0201234567'],
    ['00441234567890', null, '+441234567890'],
    ['00441234567890', 'NL', '+441234567890'],
    ['+31850609000', null, '+31850609000'],
    ['+31 85 060 9000', null, '+31850609000'],
    ['2125551234', 'US', '+12125551234'],
    ['2125551234', null, '+2125551234'],
    ['31850609000', 'NL', '+31850609000'],
    ['+999123456789', null, '+999123456789'],
    ['sip:500@pbx.example', 'NL', 'sip:500@pbx.example'],
    ['*72', 'NL', '*72'],
  ])('%s (%s) → %s', (raw, country, expected) => {
    expect(toE164(raw, country)).toBe(expected);
  });
});
