// Time is injected: everything with a schedule asks a Clock, so tests run 24 hours in milliseconds.
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
