// Holds mirrored messages for a short window and releases them in capture-time order, because
// mirrors are not strictly causal (a reply can be mirrored ~1 ms before the request it answers).
// The window counts on arrival time (our clock), so a capture node whose clock is off holds nothing
// back; only items sharing a clock (one partition, e.g. one capture id) are ordered among
// themselves, so one node's skew never reorders another's. Pure: the caller passes the time in.

export interface ReorderBufferOptions<T> {
  /** How long an item is held after it arrived, for earlier-stamped items to catch up. */
  windowMs: number;
  /** The item's own timestamp in milliseconds (e.g. HEP `timestampUs / 1000`): the order. */
  timeOf: (item: T) => number;
  /** When the item arrived, in milliseconds on the clock `drain` is given. */
  arrivalOf: (item: T) => number;
  /** Which clock the item's timestamp is on (a capture id; few of them); one partition when absent. */
  partitionOf?: (item: T) => string | number;
  /** Most items held at once; beyond it the oldest of the partition are dropped (and counted). Default 100,000. */
  maxItems?: number;
}

interface Entry<T> {
  item: T;
  time: number;
  arrival: number;
}

interface Partition<T> {
  /** Sorted by time; equal times keep their push order. */
  entries: Entry<T>[];
  releasedUpTo: number;
}

export const DEFAULT_REORDER_MAX_ITEMS = 100_000;

export class ReorderBuffer<T> {
  readonly #windowMs: number;
  readonly #timeOf: (item: T) => number;
  readonly #arrivalOf: (item: T) => number;
  readonly #partitionOf: (item: T) => string | number;
  readonly #maxItems: number;
  readonly #partitions = new Map<string | number, Partition<T>>();
  #size = 0;
  #dropped = 0;
  #late = 0;

  constructor(options: ReorderBufferOptions<T>) {
    if (!(options.windowMs >= 0)) throw new RangeError(`windowMs must be >= 0, got ${options.windowMs}`);
    const maxItems = options.maxItems ?? DEFAULT_REORDER_MAX_ITEMS;
    if (!(maxItems >= 1)) throw new RangeError(`maxItems must be >= 1, got ${maxItems}`);
    this.#windowMs = options.windowMs;
    this.#timeOf = options.timeOf;
    this.#arrivalOf = options.arrivalOf;
    this.#partitionOf = options.partitionOf ?? (() => 0);
    this.#maxItems = maxItems;
  }

  get size(): number {
    return this.#size;
  }

  /** Items dropped because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Items that arrived stamped before something of their partition already released: they could not be put in order. */
  get late(): number {
    return this.#late;
  }

  push(item: T): void {
    const stamped = this.#timeOf(item);
    // An item without a usable time cannot be ordered: it goes first, and out once its window passed.
    const time = Number.isFinite(stamped) ? stamped : -Infinity;
    const key = this.#partitionOf(item);
    let partition = this.#partitions.get(key);
    if (!partition) {
      partition = { entries: [], releasedUpTo: -Infinity };
      this.#partitions.set(key, partition);
    }
    if (time < partition.releasedUpTo) this.#late++;
    const entries = partition.entries;
    const entry = { item, time, arrival: this.#arrivalOf(item) };
    if (entries.length === 0 || entries[entries.length - 1]!.time <= time) {
      entries.push(entry);
    } else {
      let low = 0;
      let high = entries.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (entries[mid]!.time <= time) low = mid + 1;
        else high = mid;
      }
      entries.splice(low, 0, entry);
    }
    this.#size++;
    if (this.#size > this.#maxItems) {
      entries.shift();
      this.#size--;
      this.#dropped++;
    }
  }

  /**
   * Per partition, the items in time order up to the first one that arrived less than windowMs
   * before `nowMs`: that one may still be joined by earlier-stamped items, so what follows waits.
   */
  drain(nowMs: number): T[] {
    const cutoff = nowMs - this.#windowMs;
    const out: T[] = [];
    for (const partition of this.#partitions.values()) {
      let count = 0;
      while (count < partition.entries.length && partition.entries[count]!.arrival <= cutoff) count++;
      this.#take(partition, count, out);
    }
    return out;
  }

  /** Everything held, in time order per partition (e.g. at shutdown). */
  flush(): T[] {
    const out: T[] = [];
    for (const partition of this.#partitions.values()) this.#take(partition, partition.entries.length, out);
    return out;
  }

  #take(partition: Partition<T>, count: number, out: T[]): void {
    if (count === 0) return;
    const taken = partition.entries.splice(0, count);
    this.#size -= count;
    const last = taken[taken.length - 1]!.time;
    if (last > partition.releasedUpTo) partition.releasedUpTo = last;
    for (const entry of taken) out.push(entry.item);
  }
}
