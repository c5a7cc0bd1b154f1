// The SIP dialog tracker: mirrored SIP messages of one Call-ID in, call steps (started, answered,
// ended) out. Pure: state in, state and steps out, time passed in; the state is plain JSON.
//
// Decisions (see issue 4):
// - Mirrored copies and retransmissions collapse by state, not by a message key: started, answered
//   and ended each happen once per Call-ID. A key of (CSeq, status, tags, bottom Via branch) does not
//   hold on real kamailio mirrors: hop-by-hop CANCEL and ACK copies carry only kamailio's Via, and
//   kamailio mirrors the 487 it relays upstream with no Via at all.
// - Forking: a final failure only ends the call when it is the response that goes back to the
//   caller: its top Via is the top Via of the INVITE copy with the fewest Vias (the one the first
//   hop received), or it has no Via at all (kamailio mirrors the response it relays upstream so).
//   Branch responses (callee → proxy) answer the proxy's own Via branch instead, so a failing
//   branch never ends a call another branch may still answer; the proxy's verdict upstream does. A
//   single-copy mirror (PBX, UA) has the same top Via on INVITE and response: every final counts.
// - Cancel: the call ends on the final response to the INVITE (the 487), not the CANCEL itself,
//   because a 200 OK can still win the race; `at` is the latest CANCEL's time, when the caller gave
//   up. No final response within settleMs of the CANCEL: ended as if the 487 came.
// - Completed elsewhere (CANCEL or 487 with Reason cause=200), no 2xx seen: when the final response
//   ends this leg, answered (answeredBy empty) and ended ANSWERED 'completed-elsewhere' at the CANCEL
//   time, since nothing more of the call is seen on this leg; a BYE first ends it 'bye'.
// - Early messages (a response, CANCEL or BYE before any initial INVITE of the Call-ID) are held in
//   state for settleMs and replayed when the INVITE arrives, else dropped without steps.
// - A final response the caller may answer with the same INVITE again (final-responses.ts: 3xx,
//   401/407, 422, 491, 500/503 with Retry-After …) ends nothing yet: a new INVITE of the same Call-ID
//   and From tag with a higher CSeq continues the call. No retry within the row's wait (the retry
//   window, 32 s by default: an INVITE transaction's life, 64·T1): ended UNANSWERED with that
//   code, at the response's capture time. A call the caller cancelled is not retried.
// - Two clocks: steps carry capture times (the phone system's clock); every timer (settle, retry,
//   lost BYE, ringing too long, forgetting) counts on arrival times (our clock), so a phone system
//   whose clock is off by seconds or hours changes no outcome.
// - answeredBy lists who answered by the SIP evidence, most telling first: the 2xx's Contact user,
//   the answered INVITE's Request-URI user, the To user. WebRTC and softphones register random
//   Contact users; the source takes the first one its directory knows.
// - Lost BYE: an answered call silent for maxCallMs ends ANSWERED 'lost-bye' at its last message's
//   capture time (a lower bound on talk time backed by evidence, never invented); a call still
//   ringing maxCallMs after its INVITE ends UNANSWERED, sipCode 408 (what a proxy's INVITE timer
//   answers), at its last message.
// - Step times never go backwards (a replayed early 200 is answered no earlier than started).
//   `at` is the capture time of the copy that decided the step, so swapping two copies of a
//   message can shift an `at` by the copies' gap; the reorder buffer in front sorts by capture time.
import { type DialogState, type HeldMessage, type SipDigest, digestOf, freshState } from './dialog-state.ts';
import { retryWaitMs } from './final-responses.ts';
import type { SipMessage } from './sip-message.ts';

export type { DialogState } from './dialog-state.ts';

export interface SipObservation {
  message: SipMessage;
  /** HEP capture time, epoch ms (the phone system's clock): the time of the steps it decides. */
  atMs: number;
  /** Arrival time, epoch ms (our clock): what timers count on. */
  seenMs: number;
}

export type DialogStep =
  | { type: 'started'; callId: string; at: number; from: string; to: string; caller: string | null; callee: string | null; subject?: string }
  /** answeredBy: who answered by the SIP evidence, most telling first (empty: answered elsewhere). */
  | { type: 'answered'; callId: string; at: number; answeredBy: string[] }
  | {
      type: 'ended';
      callId: string;
      at: number;
      outcome: 'ANSWERED' | 'UNANSWERED';
      sipCode?: number;
      why: 'bye' | 'cancel' | 'failure' | 'completed-elsewhere' | 'lost-bye';
    };

export interface TrackerConfig {
  /** A call with no BYE seen ends after this long without a message (ringing: since its INVITE). */
  maxCallMs: number;
  /** How long an ended dialog is remembered to absorb late copies and retransmissions. */
  forgetAfterMs: number;
  /** How long to wait for a message that normally follows within milliseconds; default 2000. */
  settleMs?: number;
  /** How long a retry of the INVITE may follow a final response that allows one; default 32000 (64·T1). */
  retryWindowMs?: number;
}

export interface TrackerResult {
  state: DialogState | null;
  steps: DialogStep[];
}

const DEFAULT_SETTLE_MS = 2_000;
export const DEFAULT_RETRY_WINDOW_MS = 32_000;
const MAX_HELD = 32;
/** Without a call to belong to, only these can change the steps once its INVITE turns up. */
const HOLDABLE = new Set(['INVITE', 'CANCEL', 'BYE']);

/** When a message was captured (`at`, a step's time) and when it arrived (`seenMs`, for timers). */
interface Moment {
  at: number;
  seenMs: number;
}

export function observe(state: DialogState | null, observation: SipObservation, config: TrackerConfig): TrackerResult {
  const { message, atMs, seenMs } = observation;
  const digest = digestOf(message);
  if (state === null && digest.parties === null && !holdable(digest)) return { state: null, steps: [] };
  const next = state === null ? freshState(message.callId, atMs, seenMs) : structuredClone(state);
  next.lastSeenMs = Math.max(next.lastSeenMs, seenMs);
  next.lastAt = Math.max(next.lastAt, atMs);
  const steps: DialogStep[] = [];
  apply(next, digest, { at: atMs, seenMs }, steps, config);
  return { state: next, steps };
}

/** `nowMs` is our clock, as are every timer's starts. */
export function expire(state: DialogState, nowMs: number, config: TrackerConfig): TrackerResult {
  const settleMs = config.settleMs ?? DEFAULT_SETTLE_MS;
  const steps: DialogStep[] = [];
  switch (state.phase) {
    case 'pending':
      return nowMs - state.firstSeenMs >= settleMs ? { state: null, steps } : { state, steps };
    case 'ended':
      return nowMs - endedSince(state) >= config.forgetAfterMs ? { state: null, steps } : { state, steps };
    case 'answered': {
      if (nowMs - state.lastSeenMs < config.maxCallMs) return { state, steps };
      const next = structuredClone(state);
      end(next, next.lastAt, 'ANSWERED', 'lost-bye', null, steps);
      next.endedMs = nowMs;
      return { state: next, steps };
    }
    case 'ringing': {
      const next = structuredClone(state);
      if (next.retry !== null && nowMs - next.retry.seenMs >= next.retry.waitMs) {
        end(next, next.retry.at, 'UNANSWERED', 'failure', next.retry.status, steps);
      } else if (next.cancel !== null && nowMs - next.cancel.seenMs >= settleMs) {
        failUnanswered(next, 487, next.cancel.at, false, steps);
      } else if (next.invite !== null && nowMs - next.invite.seenMs >= config.maxCallMs) {
        end(next, next.lastAt, 'UNANSWERED', 'failure', 408, steps);
      } else {
        return { state, steps };
      }
      next.endedMs = nowMs;
      return { state: next, steps };
    }
  }
}

/** The earliest time (our clock) at which `expire` would change this state: when to call it next. */
export function dueAt(state: DialogState, config: TrackerConfig): number {
  const settleMs = config.settleMs ?? DEFAULT_SETTLE_MS;
  switch (state.phase) {
    case 'pending':
      return state.firstSeenMs + settleMs;
    case 'ended':
      return endedSince(state) + config.forgetAfterMs;
    case 'answered':
      return state.lastSeenMs + config.maxCallMs;
    case 'ringing': {
      const due = [(state.invite?.seenMs ?? state.firstSeenMs) + config.maxCallMs];
      if (state.retry !== null) due.push(state.retry.seenMs + state.retry.waitMs);
      if (state.cancel !== null) due.push(state.cancel.seenMs + settleMs);
      return Math.min(...due);
    }
  }
}

function endedSince(state: DialogState): number {
  return Math.max(state.lastSeenMs, state.endedMs ?? state.lastSeenMs);
}

function holdable(digest: SipDigest): boolean {
  return digest.kind === 'request' ? digest.method !== 'INVITE' && HOLDABLE.has(digest.method) : HOLDABLE.has(digest.method);
}

function apply(state: DialogState, digest: SipDigest, moment: Moment, steps: DialogStep[], config: TrackerConfig): void {
  if (state.phase === 'ended') return;
  if (digest.parties !== null) {
    onInitialInvite(state, digest, moment, steps, config);
    return;
  }
  if (state.phase === 'pending') {
    if (holdable(digest) && state.held.length < MAX_HELD) state.held.push({ digest, ...moment });
    return;
  }
  if (digest.kind === 'request') onRequest(state, digest, moment, steps);
  else onResponse(state, digest, moment, steps, config);
}

function onInitialInvite(state: DialogState, digest: SipDigest, moment: Moment, steps: DialogStep[], config: TrackerConfig): void {
  const parties = digest.parties;
  if (parties === null) return;
  const invite = state.invite;
  if (invite !== null) {
    if (digest.seq > invite.seq) {
      // Another caller reusing the Call-ID is none of this call's business.
      if (invite.fromTag !== null && digest.fromTag !== invite.fromTag) return;
      // the same call asked again (with credentials, to a redirect's Contact …): a new transaction
      invite.seq = digest.seq;
      state.retry = null;
    } else if (digest.seq < invite.seq || digest.hops >= invite.originHops) {
      return;
    }
    invite.originHops = digest.hops;
    invite.upstreamBranch = digest.topBranch;
    invite.callee = parties.callee;
    return;
  }
  state.phase = 'ringing';
  state.invite = {
    seq: digest.seq,
    fromTag: digest.fromTag,
    originHops: digest.hops,
    upstreamBranch: digest.topBranch,
    callee: parties.callee,
    at: moment.at,
    seenMs: moment.seenMs,
  };
  const started: DialogStep = {
    type: 'started',
    callId: state.callId,
    at: stepAt(state, moment.at),
    from: parties.from,
    to: parties.to,
    caller: parties.caller,
    callee: parties.callee,
  };
  if (parties.subject !== null) started.subject = parties.subject;
  steps.push(started);
  const held: HeldMessage[] = state.held.toSorted((a, b) => a.at - b.at);
  state.held = [];
  for (const early of held) apply(state, early.digest, { at: early.at, seenMs: early.seenMs }, steps, config);
}

function onRequest(state: DialogState, digest: SipDigest, moment: Moment, steps: DialogStep[]): void {
  const { at } = moment;
  if (digest.method === 'CANCEL' && digest.toTag === null && state.phase === 'ringing') {
    const cancel = state.cancel;
    state.cancel = {
      at: Math.max(at, cancel?.at ?? at),
      seenMs: Math.max(moment.seenMs, cancel?.seenMs ?? moment.seenMs),
      elsewhere: (cancel?.elsewhere ?? false) || digest.completedElsewhere,
    };
    return;
  }
  if (digest.method !== 'BYE') return;
  if (state.phase === 'answered') {
    if (inAnsweredDialog(state, digest)) end(state, at, 'ANSWERED', 'bye', null, steps);
    return;
  }
  if (state.cancel?.elsewhere === true) {
    answer(state, state.cancel.at, [], null, steps);
    end(state, at, 'ANSWERED', 'bye', null, steps);
    return;
  }
  end(state, at, 'UNANSWERED', 'bye', null, steps);
}
/** A BYE of another forked branch's dialog (a second 2xx the caller hangs up) ends nothing. */
function inAnsweredDialog(state: DialogState, digest: SipDigest): boolean {
  const tag = state.answer?.tag ?? null;
  return tag === null || digest.toTag === tag || digest.fromTag === tag;
}

function onResponse(state: DialogState, digest: SipDigest, moment: Moment, steps: DialogStep[], config: TrackerConfig): void {
  const invite = state.invite;
  // responses to CANCEL, BYE, a re-INVITE, or an INVITE the caller already sent again
  if (digest.method !== 'INVITE' || invite === null || digest.seq !== invite.seq) return;
  if (digest.status < 200 || state.phase !== 'ringing') return;
  if (digest.status < 300) {
    answer(state, moment.at, answeredByOf(invite, digest), digest.toTag, steps);
    return;
  }
  if (!goesUpstream(invite, digest)) return; // a branch's verdict; the proxy's comes upstream
  if (state.retry !== null) return; // a copy of the response already waiting for its retry
  const retryable = state.cancel === null && !digest.completedElsewhere;
  const waitMs = retryable ? retryWaitMs(digest.status, digest.retryAfterS, config.retryWindowMs ?? DEFAULT_RETRY_WINDOW_MS) : null;
  if (waitMs !== null) {
    state.retry = { at: moment.at, seenMs: moment.seenMs, status: digest.status, waitMs };
    return;
  }
  failUnanswered(state, digest.status, moment.at, digest.completedElsewhere, steps);
}

/** The 2xx's Contact user, the answered INVITE's Request-URI user, the To user: distinct, known first is taken. */
function answeredByOf(invite: NonNullable<DialogState['invite']>, digest: SipDigest): string[] {
  return [...new Set([digest.contactUser, invite.callee, digest.toUser].filter((user): user is string => user !== null && user !== ''))];
}

function goesUpstream(invite: NonNullable<DialogState['invite']>, digest: SipDigest): boolean {
  if (digest.hops === 0) return true;
  if (invite.upstreamBranch !== null && digest.topBranch !== null) return digest.topBranch === invite.upstreamBranch;
  return digest.hops <= invite.originHops; // no branches (RFC 2543 peers): count Vias instead
}

function failUnanswered(state: DialogState, status: number, at: number, elsewhere: boolean, steps: DialogStep[]): void {
  const cancel = state.cancel;
  if (elsewhere || cancel?.elsewhere === true) {
    const when = cancel?.at ?? at;
    answer(state, when, [], null, steps);
    end(state, when, 'ANSWERED', 'completed-elsewhere', null, steps);
  } else if (status === 487) {
    end(state, cancel?.at ?? at, 'UNANSWERED', 'cancel', 487, steps);
  } else {
    end(state, at, 'UNANSWERED', 'failure', status, steps);
  }
}

function answer(state: DialogState, at: number, answeredBy: string[], tag: string | null, steps: DialogStep[]): void {
  state.phase = 'answered';
  state.answer = { at, tag };
  state.retry = null;
  steps.push({ type: 'answered', callId: state.callId, at: stepAt(state, at), answeredBy });
}

function end(
  state: DialogState,
  at: number,
  outcome: 'ANSWERED' | 'UNANSWERED',
  why: 'bye' | 'cancel' | 'failure' | 'completed-elsewhere' | 'lost-bye',
  sipCode: number | null,
  steps: DialogStep[],
): void {
  state.phase = 'ended';
  state.endedMs = state.lastSeenMs;
  const step: DialogStep = { type: 'ended', callId: state.callId, at: stepAt(state, at), outcome, why };
  if (sipCode !== null) step.sipCode = sipCode;
  steps.push(step);
}

function stepAt(state: DialogState, at: number): number {
  const clamped = Math.max(at, state.lastStepAt ?? at);
  state.lastStepAt = clamped;
  return clamped;
}
