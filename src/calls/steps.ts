// Call steps: what a phone system tells callhook about a call, already validated and with times
// as epoch milliseconds. Sources (the ingest API, the HEP tracker) produce these.
import type { CallRecording, Direction, Outcome, Sentiment } from './call.ts';

interface StepCommon {
  callId: string;
  /** Optional annotations of the call, sent to Ringotel receivers as call_subject / call_description. */
  subject?: string;
  description?: string;
}

export interface StartedStep extends StepCommon {
  type: 'started';
  direction: Direction;
  from: string;
  to: string;
  /** The organization user the call rings or who dials: user id or extension. */
  user?: string;
  at: number;
}

export interface AnsweredStep extends StepCommon {
  type: 'answered';
  at: number;
  /** User id, extension or e-mail of whoever answered. */
  answeredBy?: string;
  /** IVR choice, when a voice menu was involved. */
  choice?: string | null;
}

export interface EndedStep extends StepCommon {
  type: 'ended';
  at: number;
  outcome?: Outcome;
  sipCode?: number;
}

/** The phone system says where its recording is: callhook fetches it, and only then is there an event. */
export interface RecordingStep extends StepCommon {
  type: 'recording';
  url: string;
  at?: number;
}

/**
 * A recording callhook has stored (src/recordings/): pushed by the phone system, or fetched for a
 * recording step. Not an ingest step: the recordings intake makes it once the file is whole.
 */
export interface RecordingStoredStep extends StepCommon {
  type: 'recording-stored';
  recording: CallRecording;
  at: number;
  /**
   * push: the file's hash names the step (the same file twice is a repeat, another one a conflict);
   * fetch: completes the recording step that promised `eventId`.
   */
  source: { kind: 'push' } | { kind: 'fetch'; eventId: string };
}

export interface InsightsStep extends StepCommon {
  type: 'insights';
  sentiment: Sentiment;
  topics: string[];
  summary: string;
  at?: number;
}

export type CallStep = StartedStep | AnsweredStep | EndedStep | RecordingStep | InsightsStep | RecordingStoredStep;

/** The directory references a step makes (user, answeredBy), to resolve before tracking. */
export function userRefs(step: CallStep): string[] {
  if (step.type === 'started' && step.user !== undefined) return [step.user];
  if (step.type === 'answered' && step.answeredBy !== undefined) return [step.answeredBy];
  return [];
}
