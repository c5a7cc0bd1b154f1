// Copies committed WAL frames into the database file on a thread of its own. Left to SQLite, the
// COMMIT that takes the WAL past 1,000 frames does it, on the event loop and with two fsyncs: in
// `npm run bench` that was 86 commits of ~6.5 ms each, half of all the time spent committing.
import { Worker } from 'node:worker_threads';
import type { Database } from './database.ts';

/**
 * Frames past which the writer's own connection checkpoints anyway (SQLite's wal_autocheckpoint),
 * bounding the WAL at ~40 MB. The WAL starts over only when a checkpoint caught up with it before
 * the next commit, which under sustained load the thread's rarely does: then the WAL reaches this
 * and the writer's checkpoint, with little left to copy, lets it start over (npm run bench: 8
 * commits over 5 ms where there were 86).
 */
export const BACKSTOP_FRAMES = 10_000;

/** SQLite's default, put back when the thread is gone for good. */
const SQLITE_DEFAULT_FRAMES = 1_000;

export interface CheckpointOutcome {
  /** Frames in the WAL when the checkpoint ran. */
  log: number;
  /** Of those, how many are now in the database file. */
  checkpointed: number;
}

/** For /metrics: how the checkpoints went, and whether the thread still does them. */
export interface CheckpointStats {
  runs: number;
  failures: number;
  /** The thread stopped or could not start, and the writer checkpoints for itself (not yet started is not this). */
  handedBack: boolean;
}

export interface WalCheckpointsOptions {
  /** Group commits between two checkpoints (~100 frames each under load). */
  everyCommits?: number;
}

/**
 * Asks the checkpoint thread for a PASSIVE checkpoint every `everyCommits` group commits: one that
 * never waits for the writer, so commits go on while it copies. The thread starts with the first
 * request, so a store that writes little never has one.
 */
export class WalCheckpoints {
  readonly #database: Database;
  readonly #everyCommits: number;
  #worker: Worker | null = null;
  #commits = 0;
  #running = false;
  #closed = false;
  #exited: Promise<void> | null = null;
  #handedBack = false;
  /** Checkpoints the thread has finished, and the last one's outcome (for tests and metrics). */
  runs = 0;
  failures = 0;
  last: CheckpointOutcome | null = null;
  /** Why the last checkpoint failed, if it did; the next one is tried all the same. */
  lastError: string | null = null;

  constructor(database: Database, options: WalCheckpointsOptions = {}) {
    this.#database = database;
    this.#everyCommits = options.everyCommits ?? 16;
    database.db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_FRAMES}`);
  }

  stats(): CheckpointStats {
    return { runs: this.runs, failures: this.failures, handedBack: this.#handedBack };
  }

  /** Called after each group commit. */
  committed(): void {
    if (this.#closed) return;
    this.#commits += 1;
    if (this.#running || this.#commits < this.#everyCommits) return;
    this.#commits = 0;
    this.#running = true;
    try {
      this.#thread().postMessage('checkpoint');
    } catch (error) {
      // No thread to be had (out of resources): the writer checkpoints for itself, as by default.
      this.lastError = (error as Error).message;
      this.failures += 1;
      this.#handBack();
    }
  }

  /** Waits for a running checkpoint, then lets the thread and its connection go. */
  async close(): Promise<void> {
    this.#closed = true;
    if (!this.#worker) return;
    // Unreferenced, the thread would not keep the process alive while the close is waited for.
    this.#worker.ref();
    this.#worker.postMessage('close');
    await this.#exited;
  }

  /** From now on the writer checkpoints for itself, as SQLite does by default. */
  #handBack(): void {
    this.#closed = true;
    this.#handedBack = true;
    this.#running = false;
    if (this.#database.db.isOpen) this.#database.db.exec(`PRAGMA wal_autocheckpoint = ${SQLITE_DEFAULT_FRAMES}`);
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./wal-checkpoint-thread.js', import.meta.url), {
      workerData: { path: this.#database.path },
      // It holds one connection and a few closures.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    });
    worker.unref();
    worker.on('message', (message: CheckpointOutcome | { error: string }) => {
      this.#running = false;
      if ('error' in message) {
        this.lastError = message.error;
        this.failures += 1;
      } else {
        this.runs += 1;
        this.last = message;
        this.lastError = null;
      }
    });
    this.#exited = new Promise((resolve) => {
      worker.once('exit', () => {
        this.#worker = null;
        this.#running = false;
        // Gone without being asked: the writer checkpoints for itself again.
        if (!this.#closed) this.#handBack();
        resolve();
      });
    });
    worker.on('error', (error) => {
      this.lastError = error.message;
      this.failures += 1;
    });
    this.#worker = worker;
    return worker;
  }
}
