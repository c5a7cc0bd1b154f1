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

/** A clock that runs with real time (for behaviour that races real timeouts), still movable by hand. */
export class RunningClock extends FakeClock {
  private offsetMs = 0;

  override now(): number {
    return Date.now() + this.offsetMs;
  }

  override advance(ms: number): void {
    this.offsetMs += ms;
  }
}
