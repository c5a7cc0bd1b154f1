// The Rinkel dialect (seeds/rinkel-webhooks.txt): one flat body per event, keys in the seed order,
// `datetime` as ISO 8601 UTC with milliseconds, numbers in E.164 (or `anonymous`).
// DESIGN.md also lists userId / callRecordingUrl / voicemailUrl; the seed examples carry none, so neither do we.
import type { Call } from '../calls/call.ts';
import { toE164 } from '../calls/phone-number.ts';
import { finalOutcome } from '../calls/call.ts';
import type { CallEvent } from '../events/event.ts';
import type { WireBody } from './format.ts';

/** The Rinkel body for an event, or null when the event has no Rinkel form (call.recording). */
export function renderRinkel(event: CallEvent): WireBody | null {
  const call = event.call;
  switch (event.type) {
    case 'call.incoming':
    case 'call.outgoing':
      return { id: call.callId, datetime: iso(call.startedAt), to: e164(call, call.to), from: e164(call, call.from) };
    case 'call.answered':
      return {
        id: call.callId,
        datetime: iso(call.answeredAt ?? event.occurredAt),
        answeredBy: call.answeredBy?.email ?? null,
        choice: call.choice,
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

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function e164(call: Call, raw: string): string {
  return toE164(raw, call.org.defaultCountry);
}
