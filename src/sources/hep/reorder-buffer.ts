// Holds mirrored messages for a short window and releases them in timestamp order, because
// mirrors are not strictly causal (a reply can be mirrored ~1 ms before the request it answers).
// Pure: the caller passes the time in.

export interface ReorderBufferOptions<T> {
  /** How long an item is held for earlier-stamped items to catch up. */
  windowMs: number;
  /** The item's own timestamp in milliseconds (e.g. HEP `timestampUs / 1000`). */
  timeOf: (item: T) => number;
  /** Most items held at once; beyond it the oldest are dropped (and counted). Default 100,000. */
  maxItems?: number;
}

interface Entry<T> {
  item: T;
  time: number;
}

export const DEFAULT_REORDER_MAX_ITEMS = 100_000;

export class ReorderBuffer<T> {
  readonly #windowMs: number;
  readonly #timeOf: (item: T) => number;
  readonly #maxItems: number;
  /** Sorted by time; equal times keep their push order. */
  #entries: Entry<T>[] = [];
  #dropped = 0;
  #late = 0;
  #releasedUpTo = -Infinity;

  constructor(options: ReorderBufferOptions<T>) {
    if (!(options.windowMs >= 0)) throw new RangeError(`windowMs must be >= 0, got ${options.windowMs}`);
    const maxItems = options.maxItems ?? DEFAULT_REORDER_MAX_ITEMS;
    if (!(maxItems >= 1)) throw new RangeError(`maxItems must be >= 1, got ${maxItems}`);
    this.#windowMs = options.windowMs;
    this.#timeOf = options.timeOf;
    this.#maxItems = maxItems;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Items dropped because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Items that arrived stamped before something already released: they could not be put in order. */
  get late(): number {
    return this.#late;
  }

  push(item: T): void {
    const stamped = this.#timeOf(item);
    // An item without a usable time cannot be ordered; releasing it at once beats holding it forever.
    const time = Number.isFinite(stamped) ? stamped : -Infinity;
    if (time < this.#releasedUpTo) this.#late++;
    const entries = this.#entries;
    if (entries.length === 0 || entries[entries.length - 1]!.time <= time) {
      entries.push({ item, time });
    } else {
      let low = 0;
      let high = entries.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (entries[mid]!.time <= time) low = mid + 1;
        else high = mid;
      }
      entries.splice(low, 0, { item, time });
    }
    if (entries.length > this.#maxItems) {
      const excess = entries.length - this.#maxItems;
      entries.splice(0, excess);
      this.#dropped += excess;
    }
  }

  /** The items stamped before `nowMs - windowMs`, oldest first. */
  drain(nowMs: number): T[] {
    const cutoff = nowMs - this.#windowMs;
    const entries = this.#entries;
    let count = 0;
    while (count < entries.length && entries[count]!.time < cutoff) count++;
    return this.#take(count);
  }

  /** Everything held, oldest first (e.g. at shutdown). */
  flush(): T[] {
    return this.#take(this.#entries.length);
  }

  #take(count: number): T[] {
    if (count === 0) return [];
    const taken = this.#entries.splice(0, count);
    const last = taken[taken.length - 1]!.time;
    if (last > this.#releasedUpTo) this.#releasedUpTo = last;
    return taken.map((entry) => entry.item);
  }
}
