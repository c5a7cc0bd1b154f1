// Outcome rules of an organization: how a call that ended without a stated outcome is classified —
// voicemail and answering-service targets, operating hours, a blocklist. Pure: the call, the rules
// and its own time in, an outcome out.
import type { Call, Outcome } from './call.ts';
import { toE164 } from './phone-number.ts';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** `from`–`to` as `HH:MM` in the rules' time zone; `to` after `from` (24:00 ends a day). */
export interface OpeningSpan {
  from: string;
  to: string;
}

export interface OutcomeRules {
  /** IANA time zone of the operating hours, e.g. `Europe/Amsterdam`. */
  timeZone: string;
  /** Open spans per weekday; a day left out is closed. null: always open (no OUTSIDE_OPERATION_TIMES). */
  operatingHours: Partial<Record<Weekday, OpeningSpan[]>> | null;
  /** Numbers or extensions that are voicemail: a call answered there ended in VOICEMAIL. */
  voicemailTargets: string[];
  /** Numbers or extensions of an answering service: a call answered there ended in CALLCENTER. */
  answeringServiceTargets: string[];
  /** Callers whose unanswered (rejected) calls are BLACKLISTED. */
  blocklist: string[];
}

export const NO_RULES: OutcomeRules = { timeZone: 'UTC', operatingHours: null, voicemailTargets: [], answeringServiceTargets: [], blocklist: [] };

/** The outcome of a call that just ended without one stated. */
export function deriveOutcome(call: Pick<Call, 'direction' | 'from' | 'to' | 'startedAt' | 'answeredAt' | 'answeredBy' | 'answeredByRef' | 'org'>, rules: OutcomeRules): Outcome {
  const country = call.org.defaultCountry;
  const matches = (list: string[], ...candidates: Array<string | null | undefined>) =>
    candidates.some((candidate) => candidate && list.some((entry) => sameNumber(entry, candidate, country)));
  if (call.answeredAt !== null) {
    const answeredAt = [call.answeredByRef, call.answeredBy?.extension, call.answeredBy?.id, call.to];
    if (matches(rules.voicemailTargets, ...answeredAt)) return 'VOICEMAIL';
    if (matches(rules.answeringServiceTargets, ...answeredAt)) return 'CALLCENTER';
    return 'ANSWERED';
  }
  if (matches(rules.blocklist, call.from)) return 'BLACKLISTED';
  if (call.direction === 'inbound' && rules.operatingHours && !isOpen(rules, call.startedAt)) return 'OUTSIDE_OPERATION_TIMES';
  return 'UNANSWERED';
}

/** Whether the organization is open at `atMs` by its operating hours. */
export function isOpen(rules: Pick<OutcomeRules, 'timeZone' | 'operatingHours'>, atMs: number): boolean {
  if (!rules.operatingHours) return true;
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: rules.timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(atMs);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = part('weekday').toLowerCase().slice(0, 3) as Weekday;
  const minute = Number(part('hour')) * 60 + Number(part('minute'));
  return (rules.operatingHours[day] ?? []).some((span) => minuteOf(span.from) <= minute && minute < minuteOf(span.to));
}

function minuteOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** Two ways of writing one number (or one extension) are the same target. */
function sameNumber(a: string, b: string, country: string | null): boolean {
  if (a === b) return true;
  return toE164(a, country) === toE164(b, country);
}

/** Problems with rules as given, by field; empty when they are fine. */
export function checkOutcomeRules(rules: OutcomeRules): Array<{ field: string; detail: string }> {
  const problems: Array<{ field: string; detail: string }> = [];
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: rules.timeZone });
  } catch {
    problems.push({ field: 'timeZone', detail: `"${rules.timeZone}" is not an IANA time zone (e.g. Europe/Amsterdam)` });
  }
  for (const [day, spans] of Object.entries(rules.operatingHours ?? {})) {
    (spans ?? []).forEach((span, i) => {
      if (minuteOf(span.to) <= minuteOf(span.from)) problems.push({ field: `operatingHours.${day}[${i}]`, detail: `"to" (${span.to}) must be after "from" (${span.from})` });
    });
  }
  return problems;
}
