// The retry policy as a function of data: after a failed attempt, when is the next one — or is
// the schedule exhausted? A schedule is the list of delays between attempts, in seconds.
import type { NextState } from './delivery.ts';

// Defined in config (the default schedule setting), which imports nothing of the rest of src.
export { HOURLY_FOR_A_DAY_S } from '../config/settings.ts';

/**
 * What becomes of a delivery after an attempt.
 * @param scheduleAttempts attempts made under the current schedule, this one included
 */
export function nextAfterAttempt(input: {
  succeeded: boolean;
  manual: boolean;
  scheduleAttempts: number;
  scheduleS: readonly number[];
  now: number;
}): NextState {
  if (input.succeeded) return { status: 'succeeded' };
  if (input.manual) return { status: 'unchanged' };
  const delayS = input.scheduleS[input.scheduleAttempts - 1];
  if (delayS === undefined) return { status: 'failed' };
  return { status: 'pending', nextAttemptAt: input.now + delayS * 1_000 };
}

/** How long a schedule runs from the first attempt to the last, in seconds. */
export function scheduleSpanS(scheduleS: readonly number[]): number {
  return scheduleS.reduce((sum, delay) => sum + delay, 0);
}
