// Group commit for ingest on PostgreSQL, as the embedded store's commit queue does for SQLite:
// requests that arrive while transactions are in flight wait and go together in the next one, so
// a busy phone system costs a few round trips per batch, not seven per request. A quiet one waits
// for nothing: with fewer than `parallel` transactions in flight, a request starts on the next turn.
// Result batches ride along, as the embedded store's go in its one transaction: one that comes
// while ingest is in flight or waiting goes in the next ingest transaction to start (its locks
// with the ingest's, its writes first: joined-transaction.ts), so the two cost one transaction, not
// two that wait on each other's rows. With no ingest to ride, it runs alone at once, as before; and
// always alone while other dispatching processes share the store (`riding`, from the heartbeats):
// their ingests chain behind this one's deliveries and this one's behind theirs, and a transaction
// holding both for a round trip made each wait on the other more than the riding saved.
import type { ApplyStepsInput, ApplyStepsResult } from '../store.ts';
import { type PgDatabase, type ScriptTx, isServerError } from './database.ts';
import { type Settled, applyBatch, callKey, callsOf } from './ingest-batch.ts';
import { joinTransaction } from './joined-transaction.ts';
import type { RiddenCalls } from './result-batch.ts';

/**
 * The longest a result batch waits for an ingest transaction to ride: longer than a busy batch
 * takes (~15 ms at 64 requests in flight), far shorter than a lease. An ingest held up in flight
 * (a call locked by another process) must not hold up the results waiting for it; one that has
 * boarded waits with its batch.
 */
const RIDE_WAIT_MS = 50;

/** A result batch's two ways to the store: riding an ingest batch's transaction, or alone. */
export interface Rider<T> {
  ride(tx: ScriptTx, calls: RiddenCalls): Promise<T>;
  alone(): Promise<T>;
}

export interface IngestQueue {
  apply(input: ApplyStepsInput): Promise<ApplyStepsResult>;
  carry<T>(rider: Rider<T>): Promise<T>;
}

interface Waiting {
  rider: Rider<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** Until it goes alone. */
  timer?: NodeJS.Timeout;
}

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
  /** Whether result batches may ride now (else each runs alone at once). */
  riding(): boolean;
}

export function createIngestQueue(db: PgDatabase, options: IngestQueueOptions): IngestQueue {
  let queue: Queued[] = [];
  /** Result batches waiting for an ingest transaction to ride, oldest first. */
  let riders: Waiting[] = [];
  let inFlight = 0;
  let starting = false;
  /** Calls of the batches in flight: a later request for one of them waits, so each call's requests apply in arrival order. */
  const busy = new Set<string>();

  function pump(): void {
    if (starting || queue.length === 0 || (inFlight >= options.parallel && riders.length === 0)) return;
    starting = true;
    // The rest of this turn's requests join the batch.
    setImmediate(() => {
      starting = false;
      // A waiting result batch takes the next requests along at once, beside the transactions in
      // flight, as its own transaction would have run beside them: it never waits for a turn.
      while (riders.length > 0 && queue.length > 0) {
        const batch = take();
        if (batch.length === 0) break;
        void run(batch, board());
      }
      while (inFlight < options.parallel) {
        const batch = take();
        if (batch.length === 0) break;
        void run(batch, board());
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

  /** The oldest waiting result batch, to ride the batch starting now. */
  function board(): Waiting | null {
    const waiting = riders.shift() ?? null;
    if (waiting) clearTimeout(waiting.timer);
    return waiting;
  }

  function alone(waiting: Waiting): void {
    clearTimeout(waiting.timer);
    waiting.rider.alone().then(waiting.resolve, waiting.reject);
  }

  async function run(batch: Queued[], rider: Waiting | null): Promise<void> {
    inFlight++;
    try {
      await commit(batch, rider);
    } finally {
      for (const q of batch) for (const k of q.keys) busy.delete(k);
      inFlight--;
      // Nothing left to ride: the waiting result batches go on their own.
      if (inFlight === 0 && queue.length === 0) for (const waiting of riders.splice(0)) alone(waiting);
      pump();
    }
  }

  async function commit(batch: Queued[], rider: Waiting | null = null): Promise<void> {
    const inputs = batch.map((q) => q.input);
    try {
      if (rider) {
        const [settled, ridden] = await db.scriptTransaction((tx) => joined(tx, inputs, rider.rider), { byKey: 'begin' });
        settle(batch, settled);
        rider.resolve(ridden);
        return;
      }
      settle(batch, await db.scriptTransaction((tx) => applyBatch(tx, inputs), { byKey: 'begin' }));
    } catch (error) {
      if (rider) {
        // Both parts rolled back: each goes again on its own, whatever the failure, so that neither
        // fails for the other's sake (a result batch's locks held past the query timeout, or the
        // database refusing its write, must not fail a phone system's request). With the database
        // gone, the batch fails on its own next, a timeout later.
        alone(rider);
        return commit(batch);
      }
      // The transaction failed as a whole. The database refusing one request's write must not fail
      // the others: each is retried in a transaction of its own, in arrival order. A database that
      // is not there (no SQLSTATE: a timeout, a lost connection) fails them all at once.
      if (batch.length === 1 || !isServerError(error)) for (const q of batch) q.reject(error);
      else for (const q of batch) await commit([q]);
    }
  }

  return {
    apply: (input) =>
      new Promise<ApplyStepsResult>((resolve, reject) => {
        queue.push({ input, keys: input.callIds.map((callId) => callKey(input.orgId, callId)), resolve, reject });
        pump();
      }),
    carry: <T>(rider: Rider<T>) =>
      new Promise<T>((resolve, reject) => {
        const waiting: Waiting = { rider, resolve: resolve as (value: unknown) => void, reject };
        if (!options.riding() || (inFlight === 0 && queue.length === 0)) return alone(waiting);
        waiting.timer = setTimeout(() => {
          riders = riders.filter((w) => w !== waiting);
          alone(waiting);
        }, RIDE_WAIT_MS);
        riders.push(waiting);
        pump();
      }),
  };
}

/** The batch and the rider in one transaction; a party that fails fails the other's part too. */
async function joined(tx: ScriptTx, inputs: ApplyStepsInput[], rider: Rider<unknown>): Promise<[Settled[], unknown]> {
  const transaction = joinTransaction(tx);
  const failing = (error: unknown): never => {
    transaction.fail(error);
    throw error;
  };
  const { orgIds, callIds } = callsOf(inputs);
  return Promise.all([applyBatch(transaction.host, inputs).catch(failing), rider.ride(transaction.rider, { orgIds, callIds }).catch(failing)]);
}

function settle(batch: Queued[], results: Settled[]): void {
  batch.forEach((q, i) => {
    const result = results[i]!;
    if (result.ok) q.resolve(result.value);
    else q.reject(result.error);
  });
}
