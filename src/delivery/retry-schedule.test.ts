import { describe, expect, it } from 'vitest';
import { HOURLY_FOR_A_DAY_S, nextAfterAttempt, retryAfterMs, scheduleSpanS, scheduleStepsOf } from './retry-schedule.ts';

describe('the retry schedule', () => {
  it('is hourly for 24 hours by default (the seeds)', () => {
    expect(HOURLY_FOR_A_DAY_S).toHaveLength(24);
    expect(scheduleSpanS(HOURLY_FOR_A_DAY_S)).toBe(24 * 3_600);
  });

  it('schedules the next attempt after each failure until the schedule is exhausted', () => {
    const now = 1_000;
    const after = (scheduleAttempts: number) => nextAfterAttempt({ succeeded: false, manual: false, scheduleAttempts, scheduleS: [10, 60], now });
    expect(after(1)).toEqual({ status: 'pending', nextAttemptAt: 11_000 });
    expect(after(2)).toEqual({ status: 'pending', nextAttemptAt: 61_000 });
    expect(after(3)).toEqual({ status: 'failed' });
  });

  it('fails at once with an empty schedule, succeeds on success, and leaves manual failures alone', () => {
    expect(nextAfterAttempt({ succeeded: false, manual: false, scheduleAttempts: 1, scheduleS: [], now: 0 })).toEqual({ status: 'failed' });
    expect(nextAfterAttempt({ succeeded: true, manual: false, scheduleAttempts: 25, scheduleS: [], now: 0 })).toEqual({ status: 'succeeded' });
    expect(nextAfterAttempt({ succeeded: false, manual: true, scheduleAttempts: 1, scheduleS: [10], now: 0 })).toEqual({ status: 'unchanged' });
  });
});

describe("a receiver's Retry-After (429 and 503)", () => {
  const HOUR = 3_600_000;
  const now = Date.UTC(2024, 0, 1, 12);
  const hourly = (scheduleAttempts: number, retryAfter: number | null) =>
    nextAfterAttempt({ succeeded: false, manual: false, scheduleAttempts, scheduleS: HOURLY_FOR_A_DAY_S, now, retryAfterMs: retryAfter });

  it('reads delta-seconds and all three HTTP-date forms, relative to the clock', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Mon, 01 Jan 2024 14:30:00 GMT', now)).toBe(2.5 * HOUR); // IMF-fixdate
    expect(retryAfterMs('Monday, 01-Jan-24 14:30:00 GMT', now)).toBe(2.5 * HOUR); // RFC 850
    expect(retryAfterMs('Mon Jan  1 14:30:00 2024', now)).toBe(2.5 * HOUR); // asctime, UTC though it does not say so
    expect(retryAfterMs('Mon, 01 Jan 2024 11:00:00 GMT', now), 'a date already past').toBe(0);
  });

  it('ignores what is not a Retry-After value', () => {
    for (const value of [undefined, '', 'soon', '-5', '1.5', '2024-01-01T14:30:00Z', 'Mon, 99 Foo 2024 25:00:00 GMT']) expect(retryAfterMs(value, now), String(value)).toBeNull();
  });

  it('waits until the receiver asks when that is later than the schedule', () => {
    expect(hourly(1, 90 * 60_000)).toEqual({ status: 'pending', nextAttemptAt: now + 90 * 60_000 });
  });

  it('never brings an attempt forward: a Retry-After sooner than the schedule keeps the schedule', () => {
    expect(hourly(1, 30_000)).toEqual({ status: 'pending', nextAttemptAt: now + HOUR });
    expect(hourly(1, 0)).toEqual({ status: 'pending', nextAttemptAt: now + HOUR });
    expect(hourly(1, null)).toEqual({ status: 'pending', nextAttemptAt: now + HOUR });
  });

  it('skips the scheduled attempts a long wait passes over, so the schedule ends when it would have', () => {
    // After the first attempt, hourly: due at +1 h … +24 h. Retry-After 5 h stands in for +1 … +5 h.
    expect(hourly(1, 5 * HOUR)).toEqual({ status: 'pending', nextAttemptAt: now + 5 * HOUR, scheduleSteps: 5 });
    // Then the schedule goes on from its 6th step: the last attempt is still 24 h after the first.
    expect(nextAfterAttempt({ succeeded: false, manual: false, scheduleAttempts: 6, scheduleS: HOURLY_FOR_A_DAY_S, now: now + 5 * HOUR })).toEqual({ status: 'pending', nextAttemptAt: now + 6 * HOUR });
  });

  it("is capped at the end of the schedule's remaining window", () => {
    expect(hourly(1, 7 * 24 * HOUR)).toEqual({ status: 'pending', nextAttemptAt: now + 24 * HOUR, scheduleSteps: 24 });
    expect(hourly(20, 7 * 24 * HOUR)).toEqual({ status: 'pending', nextAttemptAt: now + 5 * HOUR, scheduleSteps: 5 });
    // That attempt is the schedule's last: failing it again exhausts the schedule.
    expect(nextAfterAttempt({ succeeded: false, manual: false, scheduleAttempts: 25, scheduleS: HOURLY_FOR_A_DAY_S, now: now + 24 * HOUR, retryAfterMs: HOUR })).toEqual({ status: 'failed' });
  });

  it('counts the steps a result moves the schedule on by, for the stores to apply', () => {
    expect(scheduleStepsOf({ status: 'pending', nextAttemptAt: 1 })).toBe(1);
    expect(scheduleStepsOf({ status: 'pending', nextAttemptAt: 1, scheduleSteps: 5 })).toBe(5);
    expect(scheduleStepsOf({ status: 'failed' })).toBe(1);
    expect(scheduleStepsOf({ status: 'succeeded' })).toBe(0);
    expect(scheduleStepsOf({ status: 'unchanged' })).toBe(0);
  });

  it('leaves manual attempts and successes alone', () => {
    expect(nextAfterAttempt({ succeeded: false, manual: true, scheduleAttempts: 1, scheduleS: [10], now, retryAfterMs: HOUR })).toEqual({ status: 'unchanged' });
    expect(nextAfterAttempt({ succeeded: true, manual: false, scheduleAttempts: 1, scheduleS: [10], now, retryAfterMs: HOUR })).toEqual({ status: 'succeeded' });
  });
});
