// The dialog tracker's persisted state per Call-ID, and the small JSON-safe digest of a SIP message
// it works from (a SipMessage holds a Map, so early messages are held in state as digests).
import { retryAfterOf } from './final-responses.ts';
import type { SipMessage } from './sip-message.ts';

/** Who calls whom, read from an initial INVITE. */
export interface CallParties {
  from: string;
  to: string;
  caller: string | null;
  callee: string | null;
  subject: string | null;
}

/** What the tracker reads of one SIP message. */
export interface SipDigest {
  kind: 'request' | 'response';
  /** The request method, or the CSeq method of a response. */
  method: string;
  /** The response status; 0 for a request. */
  status: number;
  seq: number;
  fromTag: string | null;
  toTag: string | null;
  /** Via values carried. A proxy's relayed copy carries one more than the copy it received. */
  hops: number;
  /** The topmost Via's branch: whose transaction a response answers. */
  topBranch: string | null;
  /** `Reason: SIP;cause=200` — call completed elsewhere (RFC 3326). */
  completedElsewhere: boolean;
  /** Initial INVITE only. */
  parties: CallParties | null;
  /** Responses: the Contact user (who answered, unless a random WebRTC or softphone one). */
  contactUser: string | null;
  /** Responses: the To user. */
  toUser: string | null;
  /** Responses: the Retry-After in seconds, or null. */
  retryAfterS: number | null;
}

export interface HeldMessage {
  digest: SipDigest;
  /** Capture time (the phone system's clock). */
  at: number;
  /** Arrival time (our clock). */
  seenMs: number;
}

export type DialogPhase = 'pending' | 'ringing' | 'answered' | 'ended';

/**
 * One Call-ID's dialog; plain JSON (no Maps, Dates or undefined) so it can be persisted as is.
 * Two clocks: `at` fields are capture times (the phone system's clock; a step's time), `…Ms` fields
 * are arrival times (our clock; every timer counts on it, so a phone system's skew moves no timer).
 */
export interface DialogState {
  callId: string;
  /** pending: messages seen but no initial INVITE yet (nothing emitted). */
  phase: DialogPhase;
  firstSeenMs: number;
  /** Latest arrival of any message of this Call-ID. */
  lastSeenMs: number;
  /** Latest capture time of any message of this Call-ID. */
  lastAt: number;
  /** Messages that came before the initial INVITE, replayed when it arrives (pending only). */
  held: HeldMessage[];
  /**
   * The initial INVITE (the latest transaction, after retries): its CSeq and From tag, and of the
   * copy with the fewest Vias (as the first hop received it) the Via count, top branch and
   * Request-URI user; the response back to the caller carries that Via.
   */
  invite: { seq: number; fromTag: string | null; originHops: number; upstreamBranch: string | null; callee: string | null; at: number; seenMs: number } | null;
  /** The first 2xx: tag null when answered elsewhere (no 2xx seen). */
  answer: { at: number; tag: string | null } | null;
  /** The latest CANCEL of the initial INVITE; `elsewhere` once any carried cause=200. */
  cancel: { at: number; seenMs: number; elsewhere: boolean } | null;
  /** A final response the caller may answer with the INVITE again (final-responses.ts), until seenMs + waitMs. */
  retry: { at: number; seenMs: number; status: number; waitMs: number } | null;
  lastStepAt: number | null;
  /** When the end was decided (arrival or expiry time, our clock); forgetting counts from here. */
  endedMs: number | null;
}

export function freshState(callId: string, atMs: number, seenMs: number): DialogState {
  return {
    callId,
    phase: 'pending',
    firstSeenMs: seenMs,
    lastSeenMs: seenMs,
    lastAt: atMs,
    held: [],
    invite: null,
    answer: null,
    cancel: null,
    retry: null,
    lastStepAt: null,
    endedMs: null,
  };
}

/**
 * A state as persisted, also by a version that had one clock (capture times only) and kept a
 * challenge instead of a retry: read its times as arrival times too.
 */
export function restoreState(stored: unknown): DialogState {
  const state = stored as DialogState & { challenge?: { at: number; status: number } | null };
  const restored: DialogState = { ...state, lastAt: state.lastAt ?? state.lastSeenMs, retry: state.retry ?? null };
  restored.held = state.held.map((held) => ({ ...held, seenMs: held.seenMs ?? held.at }));
  if (state.invite) {
    // Older versions kept no From tag or callee: absent in what they stored.
    const invite = state.invite as Omit<NonNullable<DialogState['invite']>, 'fromTag' | 'callee'> & Partial<Pick<NonNullable<DialogState['invite']>, 'fromTag' | 'callee'>>;
    restored.invite = { ...invite, fromTag: invite.fromTag ?? null, callee: invite.callee ?? null, seenMs: invite.seenMs ?? invite.at };
  }
  if (state.cancel) restored.cancel = { ...state.cancel, seenMs: state.cancel.seenMs ?? state.cancel.at };
  if (state.challenge) restored.retry = { ...state.challenge, seenMs: state.challenge.at, waitMs: 2_000 };
  delete (restored as { challenge?: unknown }).challenge;
  return restored;
}

export function digestOf(message: SipMessage): SipDigest {
  const isRequest = message.kind === 'request';
  const reason = message.reason;
  const initialInvite = isRequest && message.method === 'INVITE' && message.to.tag === null;
  return {
    kind: message.kind,
    method: isRequest ? message.method.toUpperCase() : message.cseq.method.toUpperCase(),
    status: isRequest ? 0 : message.status,
    seq: message.cseq.seq,
    fromTag: message.from.tag,
    toTag: message.to.tag,
    hops: message.via.length,
    topBranch: message.via[0]?.branch ?? null,
    completedElsewhere: reason !== null && reason.protocol.toUpperCase() === 'SIP' && reason.cause === 200,
    parties: initialInvite ? partiesOf(message.requestUri, message) : null,
    contactUser: isRequest ? null : (message.contact?.user ?? null),
    toUser: isRequest ? null : message.to.user,
    retryAfterS: isRequest ? null : retryAfterOf(message.headers.get('retry-after')),
  };
}

function partiesOf(requestUri: string, message: SipMessage): CallParties {
  const fromUser = message.from.user;
  const fromIsAnonymous = fromUser === null || fromUser.toLowerCase() === 'anonymous';
  const withheld = fromIsAnonymous || hasPrivacyId(message.headers.get('privacy'));
  const called = uriUser(requestUri) ?? message.to.user;
  // With Privacy: id the number is withheld from the world, but the real From (or the asserted
  // identity) is still what the organization's directory needs to see its own extension calling out.
  const caller = fromIsAnonymous ? assertedUser(message.headers.get('p-asserted-identity')) : fromUser;
  const subject = message.headers.get('subject')?.[0]?.trim() ?? '';
  return {
    from: withheld || fromUser === null ? 'anonymous' : fromUser,
    to: called ?? 'unknown',
    caller,
    callee: called,
    subject: subject === '' ? null : subject,
  };
}

function hasPrivacyId(values: string[] | undefined): boolean {
  return (values ?? []).some((value) => value.split(/[;,\s]+/).some((token) => token.toLowerCase() === 'id'));
}

function assertedUser(values: string[] | undefined): string | null {
  const first = values?.[0];
  if (first === undefined) return null;
  const bracketed = /<([^>]*)>/.exec(first);
  return uriUser(bracketed?.[1] ?? first.split(/[;,]/)[0] ?? '');
}

/** The user part of a sip:/sips:/tel: URI (`sip:500@host:5060` → `500`), or null. */
export function uriUser(uri: string): string | null {
  const match = /^\s*(sips?|tel):([^\s>]*)/i.exec(uri);
  if (!match) return null;
  const scheme = (match[1] ?? '').toLowerCase();
  const rest = match[2] ?? '';
  if (scheme === 'tel') return rest.split(';')[0] || null;
  const at = rest.indexOf('@');
  if (at <= 0) return null;
  // user[:password]@host; a telephone-subscriber user may carry ;params of its own
  return rest.slice(0, at).split(':')[0]?.split(';')[0] || null;
}
