// Attempt results go to the store in batches: what arrives within one turn of the event loop is
// written together, one batch at a time; results that arrive while a batch is written wait for
// the next. Modes (dispatcher-modes.ts WRITES):
//   resting    nothing gathered, nothing being written
//   gathering  results gathered; a write is due on the next turn
//   writing    a batch is being written; results arriving meanwhile are gathered for the next one
import type { AttemptOutcome } from './delivery.ts';
import { WRITES, modes } from './dispatcher-modes.ts';

export interface ResultBatches {
  add(outcome: AttemptOutcome): void;
  /** Writes what is gathered now, after the batch being written; resolves once resting. */
  flush(): Promise<void>;
  /** Resting: nothing gathered or being written. */
  readonly resting: boolean;
  readonly mode: string;
}

export function createResultBatches(deps: {
  /** Writes one batch; never rejects (a failure is the writer's to report). */
  write(outcomes: AttemptOutcome[]): Promise<void>;
  /** Back to resting: the dispatcher may have become idle. */
  onResting(): void;
}): ResultBatches {
  const mode = modes('writes', WRITES, 'resting');
  let gathered: AttemptOutcome[] = [];
  let due: NodeJS.Immediate | null = null;
  let writing: Promise<void> | null = null;

  function gather(): void {
    mode.to('gathering');
    due = setImmediate(() => void write());
  }

  async function write(): Promise<void> {
    if (due) clearImmediate(due);
    due = null;
    mode.to('writing');
    const batch = gathered;
    gathered = [];
    writing = deps.write(batch);
    await writing;
    writing = null;
    if (gathered.length > 0) gather();
    else {
      mode.to('resting');
      deps.onResting();
    }
  }

  return {
    add(outcome) {
      gathered.push(outcome);
      if (mode.is('resting')) gather();
    },
    async flush() {
      while (!mode.is('resting')) {
        if (mode.is('gathering')) await write();
        else await writing;
      }
    },
    get resting() {
      return mode.is('resting');
    },
    get mode() {
      return mode.current;
    },
  };
}
