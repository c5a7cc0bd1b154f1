// A clock tests move by hand: 24 hours of retries pass in milliseconds.
import type { Clock } from '../../src/clock.ts';

export class FakeClock implements Clock {
  private ms: number;

  /** Starts at the real time, so signature timestamps are still fresh for verifying libraries. */
  constructor(startMs: number = Date.now()) {
    this.ms = startMs;
  }

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
