// Sample events for the webhook *Test* button: one realistic call, cut at the step being tested,
// with the step happening at `nowMs`. Ids carry `test` so a receiver can tell them from real calls.
import type { Call, CallOrigin, CallRecording, CallUser } from '../calls/call.ts';
import type { EventType } from '../events/catalogue.ts';
import type { CallEvent } from '../events/event.ts';
import { newId } from '../ids.ts';

const ORG_NUMBER = '+31850609000';
const OUTSIDE_NUMBER = '+31850609001';
const RING_MS = 6_000;
const TALK_MS = 27_400; // → talkTimeS 27
const RECORDING_DELAY_MS = 2_000;
const INSIGHTS_DELAY_MS = 30_000;

export const SAMPLE_USER: CallUser = {
  id: 'usr_test',
  extension: '500',
  email: 'jane.doe@example.com',
  name: 'Jane Doe',
};

/** A recording as callhook links it (a test sample: the link leads nowhere). */
const SAMPLE_RECORDING: CallRecording = {
  url: 'https://callhook.example/v1/recordings/rk_sample?expires=1767225600&signature=test',
  contentType: 'audio/wav',
  bytes: 431_244,
  durationS: 26.95,
  sha256: 'a3f1c6d5e0b2f4a6c8e0d2b4f6a8c0e2d4f6a8b0c2e4f6a8b0c2d4e6f8a0b2c4',
};

const DEFAULT_ORIGIN: CallOrigin = {
  org: { id: 'org_test', domain: 'example', defaultCountry: 'NL' },
  connection: { id: 'conn_test', name: 'PBX' },
};

export function sampleEvent(type: EventType, nowMs: number, origin: Partial<CallOrigin> = {}): CallEvent {
  const endedAt = endTime(type, nowMs);
  const answeredAt = type === 'call.answered' ? nowMs : endedAt === null ? null : endedAt - TALK_MS;
  const startedAt = answeredAt === null ? nowMs : answeredAt - RING_MS;
  const outbound = type === 'call.outgoing';
  const callId = `call_test_${newId('call', startedAt).slice('call_'.length)}`;
  const call: Call = {
    org: origin.org ?? DEFAULT_ORIGIN.org,
    connection: origin.connection ?? DEFAULT_ORIGIN.connection,
    callId,
    direction: outbound ? 'outbound' : 'inbound',
    from: outbound ? ORG_NUMBER : OUTSIDE_NUMBER,
    to: outbound ? OUTSIDE_NUMBER : ORG_NUMBER,
    e164: { from: outbound ? ORG_NUMBER : OUTSIDE_NUMBER, to: outbound ? OUTSIDE_NUMBER : ORG_NUMBER },
    user: SAMPLE_USER,
    userRef: SAMPLE_USER.extension,
    startedAt,
    answeredAt,
    answeredBy: answeredAt === null ? null : SAMPLE_USER,
    answeredByRef: answeredAt === null ? null : SAMPLE_USER.extension,
    choice: answeredAt === null ? null : '1',
    endedAt,
    outcome: endedAt === null ? null : 'ANSWERED',
    sipCode: null,
    recordingUrl: after(type, 'call.recording') ? SAMPLE_RECORDING.url : null,
    recording: after(type, 'call.recording') ? SAMPLE_RECORDING : null,
    insights: after(type, 'call.insights')
      ? {
          sentiment: 'POSITIVE',
          topics: ['sales', 'support'],
          summary: 'The caller asked about pricing and was helped to upgrade their plan.',
        }
      : null,
    subject: null,
    description: null,
  };
  return { id: `evt_test_${newId('evt', nowMs).slice('evt_'.length)}`, type, occurredAt: nowMs, call };
}

function endTime(type: EventType, nowMs: number): number | null {
  switch (type) {
    case 'call.ended':
      return nowMs;
    case 'call.recording':
      return nowMs - RECORDING_DELAY_MS;
    case 'call.insights':
      return nowMs - INSIGHTS_DELAY_MS;
    default:
      return null;
  }
}

/** Insights come after the recording, so an insights sample has both. */
function after(type: EventType, step: 'call.recording' | 'call.insights'): boolean {
  return type === step || (step === 'call.recording' && type === 'call.insights');
}
