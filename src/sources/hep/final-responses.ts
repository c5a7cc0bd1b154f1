// Which final responses to an initial INVITE the caller may answer with the same INVITE again: the
// same Call-ID and From tag, a higher CSeq (RFC 3261 §8.1.3.4, §8.1.3.5, §14.1, §22.2). Such a
// response ends nothing yet; the call ends with it only once no retry came within the wait.

export type RetryRule =
  /** Retried at once or after a short pause, always allowed. */
  | 'always'
  /** Retried only when the response says when (Retry-After, at most the retry window ahead). */
  | 'retry-after';

export interface RetryRow {
  /** Inclusive range of status codes. */
  from: number;
  to: number;
  rule: RetryRule;
  why: string;
}

/** Every final response not listed here ends the call at once. */
export const RETRYABLE_FINALS: readonly RetryRow[] = [
  { from: 300, to: 399, rule: 'always', why: 'redirect: the caller may send the INVITE on to a Contact (RFC 3261 §8.1.3.4)' },
  { from: 401, to: 401, rule: 'always', why: 'challenge: sent again with credentials (RFC 3261 §22.2)' },
  { from: 407, to: 407, rule: 'always', why: 'proxy challenge: sent again with credentials (RFC 3261 §22.3)' },
  { from: 413, to: 413, rule: 'always', why: 'body too large: sent again with a smaller one or none (RFC 3261 §8.1.3.5)' },
  { from: 415, to: 415, rule: 'always', why: 'unsupported media type: sent again with an accepted one (RFC 3261 §8.1.3.5)' },
  { from: 416, to: 416, rule: 'always', why: 'unsupported URI scheme: sent again with a SIP URI (RFC 3261 §8.1.3.5)' },
  { from: 420, to: 421, rule: 'always', why: 'bad / required extension: sent again without / with it (RFC 3261 §8.1.3.5, §21.4.16)' },
  { from: 422, to: 422, rule: 'always', why: 'session interval too small: sent again with a larger Session-Expires (RFC 4028 §6)' },
  { from: 423, to: 423, rule: 'always', why: 'interval too brief: sent again with a longer one (RFC 3261 §21.4.17)' },
  { from: 491, to: 491, rule: 'always', why: 'request pending: sent again after up to 4 s (RFC 3261 §14.1)' },
  { from: 494, to: 494, rule: 'always', why: 'security agreement required: sent again once agreed (RFC 3329 §2.3)' },
  { from: 500, to: 500, rule: 'retry-after', why: 'server error, temporary when Retry-After says so (RFC 3261 §21.5.1)' },
  { from: 503, to: 503, rule: 'retry-after', why: 'service unavailable for Retry-After seconds (RFC 3261 §21.5.4)' },
  // Not here on purpose: a Retry-After on 404, 480, 486, 600, 603 … says when the callee may be
  // free for a new call, which a person makes; no UA sends the same INVITE again for it.
];

/**
 * How long after this final response a retry may still come (our clock, ms), or null when the
 * response ends the call now. `retryAfterS` is the response's Retry-After, if any.
 */
export function retryWaitMs(status: number, retryAfterS: number | null, windowMs: number): number | null {
  const row = RETRYABLE_FINALS.find((r) => status >= r.from && status <= r.to);
  if (row === undefined) return null;
  if (row.rule === 'always') return windowMs;
  // A retry announced for later than the window is no retry of this call: nobody rings that long.
  if (retryAfterS === null || retryAfterS * 1_000 > windowMs) return null;
  return retryAfterS * 1_000 + windowMs;
}

/** `Retry-After: 120 (in a meeting);duration=3600` → 120; null when absent or unreadable. */
export function retryAfterOf(values: string[] | undefined): number | null {
  const match = /^\s*(\d{1,9})/.exec(values?.[0] ?? '');
  return match ? Number(match[1]) : null;
}
