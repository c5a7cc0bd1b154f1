// The call model: what callhook knows about one call, built up step by step by the tracker.
// Times are epoch milliseconds; numbers are kept exactly as the phone system gave them.

export type Direction = 'inbound' | 'outbound';

export const OUTCOMES = [
  'ANSWERED',
  'UNANSWERED',
  'BLACKLISTED',
  'VOICEMAIL',
  'CALLCENTER',
  'OUTSIDE_OPERATION_TIMES',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const SENTIMENTS = ['POSITIVE', 'NEUTRAL', 'NEGATIVE'] as const;
export type Sentiment = (typeof SENTIMENTS)[number];

export const STEP_TYPES = ['started', 'answered', 'ended', 'recording', 'insights'] as const;
export type StepType = (typeof STEP_TYPES)[number];

/** A person in the organization's directory, as far as the call needs them. */
export interface CallUser {
  id: string;
  extension: string | null;
  email: string | null;
  name: string | null;
}

/**
 * The call's parties in E.164 (or `anonymous`), the organization's side resolved to its number (the
 * number an inbound call came in on, the number an outbound call presents). Null when a party has
 * no E.164 form: an extension the organization has no number for, or an internal party.
 */
export interface CallParties {
  from: string | null;
  to: string | null;
}

export interface Insights {
  sentiment: Sentiment;
  /** At most four short strings. */
  topics: string[];
  summary: string;
}

/**
 * A recording callhook stores and serves (src/recordings/), as the call's events carry it: every
 * webhook gets callhook's own link, never the phone system's.
 */
export interface CallRecording {
  /** callhook's signed link (unguessable, with an expiry). */
  url: string;
  /** From the file's own header, not from whoever sent it. */
  contentType: string;
  bytes: number;
  /** From the file's header; null when it does not say. */
  durationS: number | null;
  /** Hex SHA-256 of the file. */
  sha256: string;
}

/** Where the call came from: copied onto every event so a rename later does not rewrite history. */
export interface CallOrigin {
  org: { id: string; domain: string; defaultCountry: string | null };
  connection: { id: string; name: string };
}

export interface Call extends CallOrigin {
  callId: string;
  direction: Direction;
  /** Caller as given; `anonymous` when withheld. */
  from: string;
  /** Called party as given (a number or an extension). */
  to: string;
  /** Both parties in E.164 (calls/call-numbers.ts), resolved when the call started. */
  e164: CallParties;
  /** The organization user on the call: rung (inbound) or dialling (outbound). */
  user: CallUser | null;
  /** What the phone system named the user by, kept when the directory does not know it. */
  userRef: string | null;
  startedAt: number;
  answeredAt: number | null;
  answeredBy: CallUser | null;
  answeredByRef: string | null;
  /** IVR choice, when the call went through a voice menu. */
  choice: string | null;
  endedAt: number | null;
  outcome: Outcome | null;
  /** Final SIP response code of an unanswered call, when known. */
  sipCode: number | null;
  /** callhook's link to the recording (the same as recording.url), once stored. */
  recordingUrl: string | null;
  recording: CallRecording | null;
  insights: Insights | null;
  subject: string | null;
  description: string | null;
}

/** How an ended call ended: the outcome it was given, or a reading of the times. */
export function finalOutcome(call: Pick<Call, 'outcome' | 'answeredAt'>): Outcome {
  return call.outcome ?? (call.answeredAt !== null ? 'ANSWERED' : 'UNANSWERED');
}

/** Talk time in whole seconds: answer → end, 0 when unanswered or not ended. */
export function talkTimeS(call: Pick<Call, 'answeredAt' | 'endedAt'>): number {
  if (call.answeredAt === null || call.endedAt === null) return 0;
  return Math.max(0, Math.floor((call.endedAt - call.answeredAt) / 1000));
}
