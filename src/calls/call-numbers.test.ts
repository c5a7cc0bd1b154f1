import { describe, expect, it } from 'vitest';
import type { Direction } from './call.ts';
import { NO_NUMBERS, type OrgNumbers, callParties, needsOrgNumbers, withParties } from './call-numbers.ts';
import { sampleEvent } from '../formats/samples.ts';

const NUMBERS: OrgNumbers = { main: '+31850609000', direct: new Map([['u-anna', '+31850609005']]) };
const ANNA = { id: 'u-anna' };
const BOB = { id: 'u-bob' }; // no direct number

describe('callParties: the numbers a call carries in E.164', () => {
  it.each<[string, Direction, string, string, { id: string } | null, OrgNumbers, { from: string | null; to: string | null }]>([
    // inbound: `to` is the number the call came in on
    ['inbound to a number: that number', 'inbound', '0612345678', '0850609001', ANNA, NUMBERS, { from: '+31612345678', to: '+31850609001' }],
    ['inbound to an extension: the user’s direct number', 'inbound', '+31612345678', '500', ANNA, NUMBERS, { from: '+31612345678', to: '+31850609005' }],
    ['inbound to an extension, user without one: the main number', 'inbound', '+31612345678', '501', BOB, NUMBERS, { from: '+31612345678', to: '+31850609000' }],
    ['inbound to an extension, no user: the main number', 'inbound', 'anonymous', '599', null, NUMBERS, { from: 'anonymous', to: '+31850609000' }],
    ['inbound to an extension, no numbers at all: none', 'inbound', '+31612345678', '500', ANNA, NO_NUMBERS, { from: '+31612345678', to: null }],
    ['inbound from an extension (internal): no caller number', 'inbound', '502', '500', ANNA, NUMBERS, { from: null, to: '+31850609005' }],
    // outbound: `from` is the number the call presents
    ['outbound from a number: that number', 'outbound', '+31850609001', '0031201234567', ANNA, NUMBERS, { from: '+31850609001', to: '+31201234567' }],
    ['outbound from an extension: the user’s direct number', 'outbound', '500', '0201234567', ANNA, NUMBERS, { from: '+31850609005', to: '+31201234567' }],
    ['outbound from an extension, user without one: the main number', 'outbound', '501', '0201234567', BOB, NUMBERS, { from: '+31850609000', to: '+31201234567' }],
    ['outbound to an extension (internal): no callee number', 'outbound', '500', '501', ANNA, NUMBERS, { from: '+31850609005', to: null }],
  ])('%s', (_, direction, from, to, user, numbers, expected) => {
    expect(callParties({ direction, from, to, user }, numbers, 'NL')).toEqual(expected);
  });

  it('asks for the directory only when the organization’s side is not a number of its own', () => {
    expect(needsOrgNumbers({ direction: 'inbound', from: '+31612345678', to: '500' }, 'NL')).toBe(true);
    expect(needsOrgNumbers({ direction: 'inbound', from: '500', to: '+31850609000' }, 'NL')).toBe(false);
    expect(needsOrgNumbers({ direction: 'outbound', from: '500', to: '+31612345678' }, 'NL')).toBe(true);
    expect(needsOrgNumbers({ direction: 'outbound', from: '0850609000', to: '501' }, 'NL')).toBe(false);
  });
});

describe('withParties: calls stored before their parties were resolved', () => {
  it('reads them from the raw numbers, without the directory; resolved ones stay as they are', () => {
    const { e164: _, ...stored } = sampleEvent('call.incoming', 0, { org: { id: 'o', domain: 'd', defaultCountry: 'NL' } }).call;
    expect(withParties({ ...stored, from: '0612345678', to: '500' }).e164).toEqual({ from: '+31612345678', to: null });
    const resolved = { ...stored, e164: { from: '+31612345678', to: '+31850609000' } };
    expect(withParties(resolved)).toBe(resolved);
  });
});
