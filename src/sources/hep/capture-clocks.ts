// The capture nodes' clocks against ours. A step's time is the capture time a packet carries, but
// a phone system's clock can be off by seconds or hours: timers run on arrival time instead, each
// capture id's offset is measured (a metric; logged once when it is more than a few seconds), and
// a capture time that cannot be right (before 2000, more than a day ahead) is replaced by arrival.

/** Earlier capture times are a clock that was never set (1970) or garbage. */
export const EARLIEST_CAPTURE_MS = Date.UTC(2000, 0, 1);
/** A capture time further ahead of its arrival than this is garbage, not a clock a little fast. */
export const MAX_AHEAD_MS = 86_400_000;
/** An offset beyond this is worth telling the operator (once per capture id). */
export const NOTABLE_OFFSET_MS = 3_000;
/** The offset is the freshest packet's (least delayed) of the last one or two of these periods. */
const OFFSET_PERIOD_MS = 30_000;

export type Replaced = 'before-2000' | 'ahead';

/** The capture time to use for a packet: its own, or its arrival when it cannot be right. */
export function captureTimeOf(timestampUs: number, seenMs: number): { atMs: number; replaced: Replaced | null } {
  const atMs = Math.floor(timestampUs / 1_000);
  if (!(atMs >= EARLIEST_CAPTURE_MS)) return { atMs: seenMs, replaced: 'before-2000' };
  if (atMs - seenMs > MAX_AHEAD_MS) return { atMs: seenMs, replaced: 'ahead' };
  return { atMs, replaced: null };
}

interface NodeClock {
  /** Largest capture − arrival of this period and of the one before (transit only ever lowers it). */
  current: number;
  previous: number;
  periodStart: number;
  told: boolean;
}

export class CaptureClocks {
  readonly #nodes = new Map<number, NodeClock>();

  /**
   * Takes one packet's capture and arrival times into its capture id's offset; answers true the
   * first time that offset is notable (log it then).
   */
  observe(captureId: number, atMs: number, seenMs: number): boolean {
    const offset = atMs - seenMs;
    let node = this.#nodes.get(captureId);
    if (!node) {
      node = { current: offset, previous: Number.NEGATIVE_INFINITY, periodStart: seenMs, told: false };
      this.#nodes.set(captureId, node);
    } else if (seenMs - node.periodStart >= OFFSET_PERIOD_MS) {
      node.previous = seenMs - node.periodStart >= 2 * OFFSET_PERIOD_MS ? Number.NEGATIVE_INFINITY : node.current;
      node.current = offset;
      node.periodStart = seenMs;
    } else {
      node.current = Math.max(node.current, offset);
    }
    if (node.told || Math.abs(this.offsetMs(captureId)!) <= NOTABLE_OFFSET_MS) return false;
    node.told = true;
    return true;
  }

  /** Capture time minus arrival time (ms) of the capture id: positive when its clock is ahead of ours. */
  offsetMs(captureId: number): number | null {
    const node = this.#nodes.get(captureId);
    return node ? Math.max(node.current, node.previous) : null;
  }

  captureIds(): number[] {
    return [...this.#nodes.keys()];
  }
}
