import { describe, expect, it } from 'vitest';
import { RETRYABLE_FINALS, retryAfterOf, retryWaitMs } from './final-responses.ts';

const WINDOW_MS = 32_000;

describe('final responses the caller may answer with the INVITE again', () => {
  it('every final status code: retryable exactly when a row of the table says so', () => {
    const retryable: number[] = [];
    for (let status = 300; status <= 699; status++) if (retryWaitMs(status, 5, WINDOW_MS) !== null) retryable.push(status);
    const expected = [...Array.from({ length: 100 }, (_, i) => 300 + i), 401, 407, 413, 415, 416, 420, 421, 422, 423, 491, 494, 500, 503];
    expect(retryable).toEqual(expected);
    for (const row of RETRYABLE_FINALS) expect(row.from).toBeLessThanOrEqual(row.to);
  });

  it('waits the window; with Retry-After (500, 503 only) that long more, and not at all without one or beyond the window', () => {
    expect(retryWaitMs(401, null, WINDOW_MS)).toBe(WINDOW_MS);
    expect(retryWaitMs(302, null, WINDOW_MS)).toBe(WINDOW_MS);
    expect(retryWaitMs(503, null, WINDOW_MS)).toBeNull();
    expect(retryWaitMs(503, 0, WINDOW_MS)).toBe(WINDOW_MS);
    expect(retryWaitMs(500, 30, WINDOW_MS)).toBe(30_000 + WINDOW_MS);
    expect(retryWaitMs(503, 33, WINDOW_MS)).toBeNull();
    expect(retryWaitMs(486, 5, WINDOW_MS)).toBeNull();
    expect(retryWaitMs(200, null, WINDOW_MS)).toBeNull();
  });

  it('reads Retry-After with a comment and parameters, and nothing else', () => {
    expect(retryAfterOf(['120 (I am in a meeting);duration=3600'])).toBe(120);
    expect(retryAfterOf(['  5'])).toBe(5);
    expect(retryAfterOf(['soon'])).toBeNull();
    expect(retryAfterOf(undefined)).toBeNull();
  });
});
