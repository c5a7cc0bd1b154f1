// The Ringotel dialect (seeds/ringotel-webhook.txt): `{ method, api_token, params }`, params in the
// seed examples' order. Ids are strings, times epoch-ms numbers, numbers exactly as the call gave them.
// The seed examples carry no `calling_number` / `call_url` aliases (only its parameter list names
// them), and receivers are written against the examples, so neither alias is sent.
import type { Call } from '../calls/call.ts';
import { finalOutcome, talkTimeS } from '../calls/call.ts';
import type { CallEvent } from '../events/event.ts';
import { RINGOTEL_METHOD } from '../events/catalogue.ts';
import type { RenderOptions, WireBody } from './format.ts';

/** SIP causes for calls without a recorded final response: 603 Decline, 487 Request Terminated. */
const CAUSE_COMPLETED = '0';
const CAUSE_DECLINED = '603';
const CAUSE_TERMINATED = '487';

/** The Ringotel body for an event, or null when the event has no Ringotel form. */
export function renderRingotel(event: CallEvent, options: RenderOptions): WireBody | null {
  const method = RINGOTEL_METHOD[event.type];
  if (method === undefined) return null;
  const params = paramsFor(method, event);
  if (params === null) return null;
  return { method, api_token: options.apiToken ?? '', params: withNotes(params, event.call) };
}

function paramsFor(method: string, event: CallEvent): WireBody | null {
  const call = event.call;
  switch (method) {
    case 'StartCallActivity':
      return {
        connection_name: call.connection.name,
        extension: extensionOf(call),
        user_id: call.user?.id ?? '',
        connection_id: call.connection.id,
        activity_type: call.direction,
        domain: call.org.domain,
        call_start: call.startedAt,
        called_number: call.to,
        caller_number: call.from,
        call_id: call.callId,
      };
    case 'StopCallActivity':
      return {
        extension: extensionOf(call),
        call_end: call.endedAt ?? event.occurredAt,
        call_id: call.callId,
        call_duration: talkTimeS(call),
        connection_name: call.connection.name,
        user_id: call.user?.id ?? '',
        connection_id: call.connection.id,
        activity_type: call.direction,
        domain: call.org.domain,
        call_cause: callCause(call),
        call_start: call.startedAt,
        called_number: call.to,
        caller_number: call.from,
      };
    case 'UpdateCallRecording':
      return { call_recording_url: call.recordingUrl ?? '', call_id: call.callId };
    default:
      return null;
  }
}

function extensionOf(call: Call): string {
  return call.user?.extension ?? call.userRef ?? '';
}

function withNotes(params: WireBody, call: Call): WireBody {
  if (call.subject !== null) params.call_subject = call.subject;
  if (call.description !== null) params.call_description = call.description;
  return params;
}

/** `call_cause`: the final SIP code when the source gave one, else derived from the outcome. */
export function callCause(call: Pick<Call, 'sipCode' | 'outcome' | 'answeredAt'>): string {
  if (call.sipCode !== null) return String(call.sipCode);
  switch (finalOutcome(call)) {
    case 'ANSWERED':
    case 'VOICEMAIL':
    case 'CALLCENTER':
      return CAUSE_COMPLETED;
    case 'BLACKLISTED':
      return CAUSE_DECLINED;
    default:
      return CAUSE_TERMINATED;
  }
}
