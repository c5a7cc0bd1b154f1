import { describe, expect, it } from 'vitest';
import { CaptureClocks, EARLIEST_CAPTURE_MS, MAX_AHEAD_MS, captureTimeOf } from './capture-clocks.ts';

const NOW = Date.UTC(2026, 10, 21, 19, 54, 45);

describe('capture times', () => {
  it.each([
    ['a clock 4 hours behind is kept (steps carry the phone system’s times)', NOW - 14_400_000, NOW - 14_400_000, null],
    ['a clock a few seconds ahead is kept', NOW + 2_500, NOW + 2_500, null],
    ['a day ahead is still a clock', NOW + MAX_AHEAD_MS, NOW + MAX_AHEAD_MS, null],
    ['more than a day ahead is garbage: arrival time', NOW + MAX_AHEAD_MS + 1, NOW, 'ahead'],
    ['1970 (a clock never set): arrival time', 1_000, NOW, 'before-2000'],
    ['just before 2000: arrival time', EARLIEST_CAPTURE_MS - 1, NOW, 'before-2000'],
  ])('%s', (_, capturedMs, atMs, replaced) => {
    expect(captureTimeOf(capturedMs * 1_000 + 999, NOW)).toEqual({ atMs: replaced === null ? atMs : NOW, replaced });
  });
});

describe('capture clocks', () => {
  it('measures each capture id’s offset by its least delayed packet, and says once when it is notable', () => {
    const clocks = new CaptureClocks();
    expect(clocks.observe(2001, NOW - 14_400_000 - 30, NOW)).toBe(true); // 4 h behind: tell
    expect(clocks.observe(2001, NOW - 14_400_000 + 1_000, NOW + 1_010)).toBe(false); // once
    expect(clocks.offsetMs(2001)).toBe(-14_400_010);
    expect(clocks.observe(2002, NOW - 5, NOW)).toBe(false); // a few ms of transit: nothing to say
    expect(clocks.observe(2002, NOW + 100 - 2_900, NOW + 100)).toBe(false);
    expect(clocks.offsetMs(2002)).toBe(-5);
    expect(clocks.captureIds()).toEqual([2001, 2002]);
    expect(clocks.offsetMs(9)).toBeNull();
  });

  it('follows a clock that was corrected: the old offset is gone within two periods', () => {
    const clocks = new CaptureClocks();
    clocks.observe(2001, NOW - 10_000, NOW);
    clocks.observe(2001, NOW + 30_000 - 10_000, NOW + 30_000); // next period
    clocks.observe(2001, NOW + 60_000 - 20_000, NOW + 60_000); // corrected… to 20 s behind
    expect(clocks.offsetMs(2001)).toBe(-10_000); // the previous period still counts
    clocks.observe(2001, NOW + 90_000 - 20_000, NOW + 90_000);
    expect(clocks.offsetMs(2001)).toBe(-20_000);
  });
});
