// The call tracker: one state machine per call, as a pure function of the stored state and a step.
// States: (none) → started → [answered] → ended; recording and insights attach to any started call.
// Every applied step yields exactly one canonical event, except a recording step (a URL to fetch):
// it is deferred — its event id is promised now and the event is made when the fetched file is
// stored (a recording-stored step). The same step twice is a duplicate (no new event, same event
// id); a different step of a kind the call already had is a conflict.
import type { CallEvent } from '../events/event.ts';
import type { EventType } from '../events/catalogue.ts';
import type { Call, CallOrigin, CallUser, StepType } from './call.ts';
import { NO_NUMBERS, type OrgNumbers, callParties } from './call-numbers.ts';
import { NO_RULES, type OutcomeRules, deriveOutcome } from './outcome-rules.ts';
import type { CallStep } from './steps.ts';

export interface AppliedStepRecord {
  /** Canonical form of the step, to tell a repeat from a contradiction. */
  fingerprint: string;
  eventId: string;
}

/** What the store keeps per call: the call and the steps it has taken. */
export interface TrackedCall {
  call: Call;
  steps: Partial<Record<StepType, AppliedStepRecord>>;
}

export interface TrackContext {
  origin: CallOrigin;
  /** Directory look-ups for the step's user references (missing = unknown to the directory). */
  users: ReadonlyMap<string, CallUser>;
  now: number;
  newEventId: () => string;
  /** How a call that ends without a stated outcome is classified; none: answered or not. */
  rules?: OutcomeRules | null;
  /** The organization's main and direct numbers, for a started call's side that is an extension. */
  numbers?: OrgNumbers;
}

export type TrackResult =
  | { kind: 'applied'; tracked: TrackedCall; event: CallEvent }
  /** A recording to fetch: the call remembers the step and the event id it will have. */
  | { kind: 'deferred'; tracked: TrackedCall; eventId: string }
  | { kind: 'duplicate'; eventId: string }
  | { kind: 'rejected'; field: string; detail: string };

export function applyStep(current: TrackedCall | null, step: CallStep, ctx: TrackContext): TrackResult {
  if (step.type === 'recording-stored') return storeRecording(current, step, ctx);
  const fingerprint = fingerprintOf(step);
  const previous = current?.steps[step.type];
  if (previous) {
    if (previous.fingerprint === fingerprint) return { kind: 'duplicate', eventId: previous.eventId };
    return reject('type', `call ${step.callId} already has a different ${step.type} step; steps cannot be changed once accepted`);
  }
  if (step.type === 'started') return start(step, fingerprint, ctx);
  if (!current) {
    return reject('callId', `call ${step.callId} has not started; send its started step first`);
  }
  const call = current.call;
  switch (step.type) {
    case 'answered': {
      if (call.endedAt !== null) return reject('type', `call ${step.callId} already ended; it cannot be answered now`);
      if (step.at < call.startedAt) return reject('at', `answered at ${iso(step.at)}, before the call started at ${iso(call.startedAt)}`);
      const answeredBy = step.answeredBy !== undefined ? (ctx.users.get(step.answeredBy) ?? null) : call.direction === 'inbound' ? call.user : null;
      const next: Call = {
        ...annotate(call, step),
        answeredAt: step.at,
        answeredBy,
        answeredByRef: step.answeredBy ?? null,
        choice: step.choice ?? null,
        // A call rung at a group has no user until someone answers it.
        user: call.user ?? answeredBy,
      };
      return applied(current, step.type, fingerprint, 'call.answered', step.at, next, ctx);
    }
    case 'ended': {
      const notBefore = call.answeredAt ?? call.startedAt;
      if (step.at < notBefore) return reject('at', `ended at ${iso(step.at)}, before the call ${call.answeredAt !== null ? 'was answered' : 'started'} at ${iso(notBefore)}`);
      if (step.outcome === 'ANSWERED' && call.answeredAt === null) {
        return reject('outcome', `call ${step.callId} was never answered, so its outcome cannot be ANSWERED`);
      }
      if (step.outcome === 'UNANSWERED' && call.answeredAt !== null) {
        return reject('outcome', `call ${step.callId} was answered, so its outcome cannot be UNANSWERED`);
      }
      if (step.sipCode !== undefined && call.answeredAt !== null) {
        return reject('sipCode', `call ${step.callId} was answered; sipCode is the final response of an unanswered call`);
      }
      const next: Call = {
        ...annotate(call, step),
        endedAt: step.at,
        outcome: step.outcome ?? deriveOutcome(call, ctx.rules ?? NO_RULES),
        sipCode: step.sipCode ?? null,
      };
      return applied(current, step.type, fingerprint, 'call.ended', step.at, next, ctx);
    }
    case 'recording': {
      const eventId = ctx.newEventId();
      return { kind: 'deferred', tracked: { call, steps: { ...current.steps, recording: { fingerprint, eventId } } }, eventId };
    }
    case 'insights': {
      const next: Call = {
        ...annotate(call, step),
        insights: { sentiment: step.sentiment, topics: step.topics, summary: step.summary },
      };
      return applied(current, step.type, fingerprint, 'call.insights', step.at ?? ctx.now, next, ctx);
    }
  }
}

/**
 * A stored recording joins the call. Pushed: a step of its own, named by the file's hash. Fetched:
 * it completes the recording step that promised its event id (once; a repeat is a duplicate).
 */
function storeRecording(current: TrackedCall | null, step: Extract<CallStep, { type: 'recording-stored' }>, ctx: TrackContext): TrackResult {
  if (!current) return reject('callId', `call ${step.callId} has not started; send its started step first`);
  const previous = current.steps.recording;
  const next: Call = { ...annotate(current.call, step), recording: step.recording, recordingUrl: step.recording.url };
  if (step.source.kind === 'fetch') {
    if (previous?.eventId !== step.source.eventId) return reject('callId', `call ${step.callId} has no recording step waiting for event ${step.source.eventId}`);
    if (current.call.recording) return { kind: 'duplicate', eventId: previous.eventId };
    const event: CallEvent = { id: previous.eventId, type: 'call.recording', occurredAt: step.at, call: next };
    return { kind: 'applied', tracked: { call: next, steps: current.steps }, event };
  }
  const fingerprint = JSON.stringify([['push', step.recording.sha256]]);
  if (previous) {
    if (previous.fingerprint === fingerprint) return { kind: 'duplicate', eventId: previous.eventId };
    return reject('type', `call ${step.callId} already has a different recording; a recording cannot be changed once accepted`);
  }
  return applied(current, 'recording', fingerprint, 'call.recording', step.at, next, ctx);
}

function start(step: Extract<CallStep, { type: 'started' }>, fingerprint: string, ctx: TrackContext): TrackResult {
  const user = step.user !== undefined ? (ctx.users.get(step.user) ?? null) : null;
  const call: Call = {
    ...ctx.origin,
    callId: step.callId,
    direction: step.direction,
    from: step.from,
    to: step.to,
    e164: callParties({ ...step, user }, ctx.numbers ?? NO_NUMBERS, ctx.origin.org.defaultCountry),
    user,
    userRef: step.user ?? null,
    startedAt: step.at,
    answeredAt: null,
    answeredBy: null,
    answeredByRef: null,
    choice: null,
    endedAt: null,
    outcome: null,
    sipCode: null,
    recordingUrl: null,
    recording: null,
    insights: null,
    subject: step.subject ?? null,
    description: step.description ?? null,
  };
  const type: EventType = step.direction === 'inbound' ? 'call.incoming' : 'call.outgoing';
  return applied({ call, steps: {} }, 'started', fingerprint, type, step.at, call, ctx);
}

function applied(
  current: TrackedCall,
  stepType: StepType,
  fingerprint: string,
  eventType: EventType,
  occurredAt: number,
  call: Call,
  ctx: TrackContext,
): TrackResult {
  const eventId = ctx.newEventId();
  return {
    kind: 'applied',
    tracked: { call, steps: { ...current.steps, [stepType]: { fingerprint, eventId } } },
    event: { id: eventId, type: eventType, occurredAt, call },
  };
}

function annotate(call: Call, step: CallStep): Call {
  return {
    ...call,
    subject: step.subject ?? call.subject,
    description: step.description ?? call.description,
  };
}

function reject(field: string, detail: string): TrackResult {
  return { kind: 'rejected', field, detail };
}

/** Stable JSON of the step (keys sorted), so key order in the request does not matter. */
export function fingerprintOf(step: CallStep): string {
  const entries = Object.entries(step)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
