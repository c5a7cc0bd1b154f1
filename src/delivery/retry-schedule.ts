// The retry policy as a function of data: after a failed attempt, when is the next one — or is
// the schedule exhausted? A schedule is the list of delays between attempts, in seconds.
//
// Retry-After (on 429 and 503, as delta-seconds or an HTTP-date) is honoured the way Svix does
// (svix-webhooks#2200): it is the earliest the receiver wants to hear from us, so the next attempt
// is at the later of the scheduled time and the receiver's, never earlier than scheduled. It never
// stretches the schedule: the wait is capped at the time the schedule's last attempt would be
// made, and the scheduled attempts it passes over are skipped, so a delivery still gives up (and
// the disable rule still fires) when the schedule says.
import type { NextState } from './delivery.ts';

// Defined in config (the default schedule setting), which imports nothing of the rest of src.
export { HOURLY_FOR_A_DAY_S } from '../config/settings.ts';

/** The statuses whose Retry-After is a request to wait (RFC 9110 §10.2.3, RFC 6585 §4). */
export const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/**
 * What becomes of a delivery after an attempt.
 * @param scheduleAttempts attempts made under the current schedule, this one included
 * @param retryAfterMs how long the receiver asked us to wait (see `retryAfterMs`), if it did
 */
export function nextAfterAttempt(input: {
  succeeded: boolean;
  manual: boolean;
  scheduleAttempts: number;
  scheduleS: readonly number[];
  now: number;
  retryAfterMs?: number | null;
}): NextState {
  if (input.succeeded) return { status: 'succeeded' };
  if (input.manual) return { status: 'unchanged' };
  const remainingS = input.scheduleS.slice(input.scheduleAttempts - 1);
  const delayS = remainingS[0];
  if (delayS === undefined) return { status: 'failed' };
  const scheduledAt = input.now + delayS * 1_000;
  if (!input.retryAfterMs || input.now + input.retryAfterMs <= scheduledAt) return { status: 'pending', nextAttemptAt: scheduledAt };
  // Later than scheduled: the attempt at `at` stands in for every scheduled one due by then.
  const endAt = input.now + scheduleSpanS(remainingS) * 1_000;
  const at = Math.min(input.now + input.retryAfterMs, endAt);
  let dueAt = input.now;
  let scheduleSteps = 0;
  for (const stepS of remainingS) {
    dueAt += stepS * 1_000;
    if (dueAt > at) break;
    scheduleSteps++;
  }
  return scheduleSteps > 1 ? { status: 'pending', nextAttemptAt: at, scheduleSteps } : { status: 'pending', nextAttemptAt: at };
}

/** How many steps of its schedule a delivery moves on by with this outcome (the stores apply it). */
export function scheduleStepsOf(next: NextState): number {
  if (next.status === 'pending') return next.scheduleSteps ?? 1;
  return next.status === 'failed' ? 1 : 0;
}

/**
 * A Retry-After value as milliseconds from `now`: delta-seconds or an HTTP-date (RFC 9110
 * §10.2.3); a date in the past is 0. Anything else is not a request to wait: null.
 */
export function retryAfterMs(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text), Number.MAX_SAFE_INTEGER / 1_000) * 1_000;
  // HTTP-date: IMF-fixdate, or the obsolete RFC 850 and asctime forms; all name a weekday, and
  // all are UTC (asctime without saying so).
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)/.test(text)) return null;
  const at = Date.parse(text.endsWith('GMT') ? text : `${text} GMT`);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/** How long a schedule runs from the first attempt to the last, in seconds. */
export function scheduleSpanS(scheduleS: readonly number[]): number {
  return scheduleS.reduce((sum, delay) => sum + delay, 0);
}
