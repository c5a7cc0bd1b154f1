// The Rinkel dialect (seeds/rinkel-webhooks.txt): one flat body per event, keys in the seed order,
// `datetime` as ISO 8601 UTC with milliseconds, numbers in E.164 (or `anonymous`).
// What real Rinkel receivers demand beyond the seed examples (keys are only ever added):
//   - `to` (incoming) / `from` (outgoing) is the organization's number, resolved at ingest
//     (calls/call-numbers.ts); a call with no E.164 number on either side (an internal call, or an
//     extension the organization has no number for) is no call on a Rinkel number, so none of its
//     events has a Rinkel form (they are not sent; the ingest answer warns);
//   - `outgoingCall` carries `userId` when the call has a user;
//   - never an empty string: optional values are `null` (left out of form bodies).
// DESIGN.md also lists callRecordingUrl / voicemailUrl; the seed examples carry neither, so neither do we
// (a call's recording is usually stored after its end anyway: Rinkel has no event to carry it).
import type { Call } from '../calls/call.ts';
import { finalOutcome } from '../calls/call.ts';
import type { CallEvent } from '../events/event.ts';
import type { WireBody } from './format.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The Rinkel body for an event, or null when the event has no Rinkel form (call.recording, calls without numbers). */
export function renderRinkel(event: CallEvent): WireBody | null {
  const call = event.call;
  if (!hasRinkelNumbers(call)) return null;
  switch (event.type) {
    case 'call.incoming':
      return { id: call.callId, datetime: iso(call.startedAt), to: call.e164.to, from: call.e164.from };
    case 'call.outgoing': {
      const body: WireBody = { id: call.callId, datetime: iso(call.startedAt), to: call.e164.to, from: call.e164.from };
      if (call.user !== null) body.userId = call.user.id;
      return body;
    }
    case 'call.answered':
      return {
        id: call.callId,
        datetime: iso(call.answeredAt ?? event.occurredAt),
        answeredBy: answeredByEmail(call),
        choice: nonEmpty(call.choice),
      };
    case 'call.ended':
      return { id: call.callId, datetime: iso(call.endedAt ?? event.occurredAt), cause: finalOutcome(call) };
    case 'call.insights':
      // An insights event always carries insights; without them there is nothing to say.
      if (call.insights === null) return null;
      return {
        id: call.callId,
        sentiment: call.insights.sentiment,
        topics: [...call.insights.topics],
        summary: call.insights.summary,
      };
    case 'call.recording':
      return null;
  }
}

/** Both parties have an E.164 form (or are `anonymous`): the call is on one of the organization's numbers. */
export function hasRinkelNumbers(call: Pick<Call, 'e164'>): call is Pick<Call, 'e164'> & { e164: { from: string; to: string } } {
  return call.e164.from !== null && call.e164.to !== null;
}

/** The answering user's e-mail: the directory's, else the one the phone system named them by. */
function answeredByEmail(call: Call): string | null {
  const email = nonEmpty(call.answeredBy?.email ?? null);
  if (email !== null) return email;
  const ref = call.answeredByRef?.trim() ?? '';
  return EMAIL.test(ref) ? ref : null;
}

function nonEmpty(value: string | null): string | null {
  return value === null || value.trim() === '' ? null : value;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
