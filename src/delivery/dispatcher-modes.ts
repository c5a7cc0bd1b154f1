// The dispatcher's three state machines as tables (dispatcher.ts describes what each mode means),
// and the holder that refuses any move a table does not list: a bug shows up where it happens,
// not as a job sent twice or a result never written (graphile-worker's LocalQueue does the same).

/** The dispatcher's life: started by `start()` (or stepped by hand), `stop()` drains it. */
export const LIFECYCLE = {
  created: ['running', 'draining'],
  running: ['draining'],
  draining: ['stopped'],
  stopped: [],
} as const satisfies Transitions;

/** Claiming due work from the store: one claim at a time; what asks meanwhile gets one more after it. */
export const CLAIMS = {
  resting: ['claiming'],
  claiming: ['resting', 'claiming-again'],
  'claiming-again': ['claiming'],
} as const satisfies Transitions;

/** Writing attempt results: gathered for a turn of the event loop, then one batch at a time. */
export const WRITES = {
  resting: ['gathering'],
  gathering: ['writing'],
  writing: ['resting', 'gathering'],
} as const satisfies Transitions;

type Transitions = Readonly<Record<string, readonly string[]>>;
export type ModeOf<T extends Transitions> = keyof T & string;

export interface Modes<M extends string> {
  readonly current: M;
  is(...modes: M[]): boolean;
  /** Moves to `next`; throws when the table has no such move from the current mode. */
  to(next: M): void;
}

export function modes<T extends Transitions>(name: string, table: T, initial: ModeOf<T>): Modes<ModeOf<T>> {
  let current: ModeOf<T> = initial;
  return {
    get current() {
      return current;
    },
    is: (...candidates) => candidates.includes(current),
    to(next) {
      if (!(table[current] as readonly string[]).includes(next)) throw new Error(`dispatcher ${name}: no move from ${current} to ${next}`);
      current = next;
    },
  };
}
