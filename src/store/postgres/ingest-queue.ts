// Group commit for ingest on PostgreSQL, as the embedded store's commit queue does for SQLite:
// requests that arrive while transactions are in flight wait and go together in the next one, so
// a busy phone system costs a few round trips per batch, not seven per request. A quiet one waits
// for nothing: with fewer than `parallel` transactions in flight, a request starts on the next turn.
import type { ApplyStepsInput, ApplyStepsResult } from '../store.ts';
import { type PgDatabase, isServerError } from './database.ts';
import { type Settled, applyBatch, callKey } from './ingest-batch.ts';

interface Queued {
  input: ApplyStepsInput;
  /** `org/call` of every call the request touches. */
  keys: string[];
  resolve(result: ApplyStepsResult): void;
  reject(error: unknown): void;
}

export interface IngestQueueOptions {
  /** Requests in one transaction at most. */
  maxBatch: number;
  /** Transactions in flight at once (each holds a pooled connection). */
  parallel: number;
}

export function createIngestQueue(db: PgDatabase, options: IngestQueueOptions): (input: ApplyStepsInput) => Promise<ApplyStepsResult> {
  let queue: Queued[] = [];
  let inFlight = 0;
  let starting = false;
  /** Calls of the batches in flight: a later request for one of them waits, so each call's requests apply in arrival order. */
  const busy = new Set<string>();

  function pump(): void {
    if (starting || inFlight >= options.parallel || queue.length === 0) return;
    starting = true;
    // The rest of this turn's requests join the batch.
    setImmediate(() => {
      starting = false;
      while (inFlight < options.parallel) {
        const batch = take();
        if (batch.length === 0) break;
        void run(batch);
      }
    });
  }

  /** The next batch in arrival order, leaving (with every later request for their calls) those whose calls are busy. */
  function take(): Queued[] {
    const batch: Queued[] = [];
    const left: Queued[] = [];
    const blocked = new Set<string>();
    for (const q of queue) {
      if (batch.length < options.maxBatch && !q.keys.some((k) => busy.has(k) || blocked.has(k))) batch.push(q);
      else {
        left.push(q);
        for (const k of q.keys) blocked.add(k);
      }
    }
    queue = left;
    for (const q of batch) for (const k of q.keys) busy.add(k);
    return batch;
  }

  async function run(batch: Queued[]): Promise<void> {
    inFlight++;
    try {
      await commit(batch);
    } finally {
      for (const q of batch) for (const k of q.keys) busy.delete(k);
      inFlight--;
      pump();
    }
  }

  async function commit(batch: Queued[]): Promise<void> {
    try {
      settle(batch, await db.scriptTransaction((tx) => applyBatch(tx, batch.map((q) => q.input)), { byKey: 'begin' }));
    } catch (error) {
      // The transaction failed as a whole. The database refusing one request's write must not fail
      // the others: each is retried in a transaction of its own, in arrival order. A database that
      // is not there (no SQLSTATE: a timeout, a lost connection) fails them all at once.
      if (batch.length === 1 || !isServerError(error)) for (const q of batch) q.reject(error);
      else for (const q of batch) await commit([q]);
    }
  }

  return (input) =>
    new Promise<ApplyStepsResult>((resolve, reject) => {
      queue.push({ input, keys: input.callIds.map((callId) => callKey(input.orgId, callId)), resolve, reject });
      pump();
    });
}

function settle(batch: Queued[], results: Settled[]): void {
  batch.forEach((q, i) => {
    const result = results[i]!;
    if (result.ok) q.resolve(result.value);
    else q.reject(result.error);
  });
}
