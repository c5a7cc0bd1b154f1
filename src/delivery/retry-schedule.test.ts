import { describe, expect, it } from 'vitest';
import { HOURLY_FOR_A_DAY_S, nextAfterAttempt, scheduleSpanS } from './retry-schedule.ts';

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
