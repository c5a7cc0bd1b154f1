import { describe, expect, it } from 'vitest';
import { withParties } from './call-numbers.ts';
import type { Call } from './call.ts';
import { NO_RULES, type OutcomeRules, checkOutcomeRules, deriveOutcome, isOpen } from './outcome-rules.ts';

// Monday 2025-03-03, 09:30 in Amsterdam (08:30 UTC).
const MONDAY_0930_AMS = Date.UTC(2025, 2, 3, 8, 30);
const rules: OutcomeRules = {
  timeZone: 'Europe/Amsterdam',
  operatingHours: { mon: [{ from: '09:00', to: '12:00' }, { from: '13:00', to: '17:30' }], sat: [{ from: '10:00', to: '24:00' }] },
  voicemailTargets: ['599'],
  answeringServiceTargets: ['+31850609999'],
  blocklist: ['+31612345678'],
};

function call(overrides: Partial<Call>): Call {
  return withParties({
    org: { id: 'org_1', domain: 'acme', defaultCountry: 'NL' }, connection: { id: 'conn_1', name: 'PBX' }, callId: 'c', direction: 'inbound',
    from: '+31850609001', to: '+31850609000', user: null, userRef: null, startedAt: MONDAY_0930_AMS, answeredAt: null, answeredBy: null,
    answeredByRef: null, choice: null, endedAt: null, outcome: null, sipCode: null, recordingUrl: null, insights: null, subject: null, description: null,
    ...overrides,
  });
}

describe('outcome rules', () => {
  it('answered: VOICEMAIL at a voicemail target, CALLCENTER at the answering service, else ANSWERED', () => {
    expect(deriveOutcome(call({ answeredAt: MONDAY_0930_AMS + 5_000, answeredByRef: '599' }), rules)).toBe('VOICEMAIL');
    expect(deriveOutcome(call({ answeredAt: MONDAY_0930_AMS + 5_000, to: '0850609999' }), rules)).toBe('CALLCENTER');
    expect(deriveOutcome(call({ answeredAt: MONDAY_0930_AMS + 5_000, answeredByRef: '500' }), rules)).toBe('ANSWERED');
  });

  it('unanswered: BLACKLISTED for a listed caller in any notation, OUTSIDE_OPERATION_TIMES when closed, else UNANSWERED', () => {
    for (const from of ['+31612345678', '0612345678', '0031612345678', '31612345678']) expect(deriveOutcome(call({ from }), rules), from).toBe('BLACKLISTED');
    expect(deriveOutcome(call({}), rules)).toBe('UNANSWERED');
    expect(deriveOutcome(call({ startedAt: Date.UTC(2025, 2, 3, 11, 30) }), rules)).toBe('OUTSIDE_OPERATION_TIMES'); // 12:30 lunch
    expect(deriveOutcome(call({ startedAt: Date.UTC(2025, 2, 4, 8, 30) }), rules)).toBe('OUTSIDE_OPERATION_TIMES'); // Tuesday: closed
    expect(deriveOutcome(call({ startedAt: Date.UTC(2025, 2, 4, 8, 30), direction: 'outbound' }), rules)).toBe('UNANSWERED');
  });

  it('reads the hours in the rules’ time zone, summer time included, and ends a day at 24:00', () => {
    expect(isOpen(rules, Date.UTC(2025, 2, 3, 7, 59))).toBe(false); // 08:59 CET
    expect(isOpen(rules, Date.UTC(2025, 2, 3, 8, 0))).toBe(true); // 09:00 CET
    expect(isOpen(rules, Date.UTC(2025, 6, 7, 7, 0))).toBe(true); // Monday 09:00 CEST
    expect(isOpen(rules, Date.UTC(2025, 6, 7, 6, 59))).toBe(false);
    expect(isOpen(rules, Date.UTC(2025, 2, 8, 22, 59))).toBe(true); // Saturday 23:59
    expect(isOpen(NO_RULES, 0)).toBe(true);
  });

  it('with no rules, an answered call is ANSWERED and any other UNANSWERED', () => {
    expect(deriveOutcome(call({ answeredAt: 1 }), NO_RULES)).toBe('ANSWERED');
    expect(deriveOutcome(call({ from: '+31612345678', startedAt: 0 }), NO_RULES)).toBe('UNANSWERED');
  });

  it('names what is wrong with rules', () => {
    expect(checkOutcomeRules(rules)).toEqual([]);
    expect(checkOutcomeRules({ ...rules, timeZone: 'Mars/Olympus' })).toEqual([{ field: 'timeZone', detail: expect.stringContaining('IANA') }]);
    expect(checkOutcomeRules({ ...rules, operatingHours: { fri: [{ from: '17:00', to: '09:00' }] } })).toEqual([{ field: 'operatingHours.fri[0]', detail: expect.any(String) }]);
  });
});
