import { describe, it, expect } from 'vitest';
import { isPhoneNumberLike, isWithheld, readNumber, toE164 } from './phone-number.ts';

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

describe('readNumber (strict: what ingest accepts and what a call carries in E.164)', () => {
  it.each([
    ['+31850609000', null, '+31850609000'],
    ['+31 85 060 9000', null, '+31850609000'],
    ['0031850609000', null, '+31850609000'],
    ['353212028252', null, '+353212028252'],
    ['0201234567', 'NL', '+31201234567'],
    ['2125551234', 'US', '+12125551234'],
    ['+14561234567', null, '+14561234567'], // possible, even where the range is not (yet) known valid
  ])('%s (%s) → E.164 %s', (raw, country, number) => {
    expect(readNumber(raw, country)).toEqual({ kind: 'e164', number });
  });

  it('answers the same number read in another country by that country (readings are kept per country)', () => {
    for (let round = 0; round < 2; round++) {
      expect(readNumber('0201234567', 'NL')).toEqual({ kind: 'e164', number: '+31201234567' });
      expect(readNumber('0201234567', 'BE')).toEqual({ kind: 'e164', number: '+32201234567' });
      expect(readNumber('0201234567', null)).toMatchObject({ kind: 'invalid' });
    }
    expect(Object.isFrozen(readNumber('0201234567', 'NL'))).toBe(true); // shared: nobody may change it
  });

  it.each([['anonymous'], ['Restricted']])('%s → anonymous', (raw) => {
    expect(readNumber(raw, 'NL')).toEqual({ kind: 'anonymous' });
  });

  it.each([['500'], ['123456'], ['*72'], ['#31#'], ['*3112345678']])('%s → an extension (internal, no E.164 of its own)', (raw) => {
    expect(readNumber(raw, 'NL')).toEqual({ kind: 'extension' });
  });

  it.each([
    ['0201234567', null, 'no defaultCountry'],
    ['0201234567', 'XX', 'no defaultCountry'],
    ['0201234567890', 'NL', 'not a possible national number of NL'],
    ['+12345', null, 'not a possible international number'],
    ['+999123456789', null, 'not a possible international number'],
    ['2125551234', null, 'send it in E.164'],
    ['12345678', 'NL', 'nor a valid national number of NL'],
    ['sip:500@pbx.example', 'NL', 'not a phone number'],
  ])('%s (%s) cannot be made E.164: %s', (raw, country, reason) => {
    const reading = readNumber(raw, country);
    expect(reading.kind).toBe('invalid');
    expect(reading.kind === 'invalid' && reading.reason).toContain(reason);
  });
});
