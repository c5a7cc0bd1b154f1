// Makes committed WAL frames durable off the event loop. The group commit commits with
// synchronous=NORMAL (no fsync inside COMMIT, which would stop every request and delivery for the
// fsync's length) and then asks this for one fdatasync of the WAL file on libuv's thread pool; its
// units are answered once that returns. One fsync covers every commit made before it started.
import { closeSync, fdatasync, fstatSync, openSync, statSync } from 'node:fs';

type Done = (error: Error | null) => void;

export class WalSync {
  readonly #walPath: string;
  readonly #sync: (fd: number, done: (error: Error | null) => void) => void;
  #fd: number | null = null;
  #ino = -1;
  #running = false;
  #waiting: Done[] = [];
  #idle: Array<() => void> = [];

  constructor(walPath: string, sync: (fd: number, done: (error: Error | null) => void) => void = fdatasync) {
    this.#walPath = walPath;
    this.#sync = sync;
  }

  /** Calls `done` once everything committed before this call is on disk (or with why it is not). */
  after(done: Done): void {
    this.#waiting.push(done);
    if (!this.#running) this.#start();
  }

  /** Resolves once no sync is running or waiting; then the file is let go. */
  async close(): Promise<void> {
    if (this.#running) await new Promise<void>((resolve) => this.#idle.push(resolve));
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }

  #start(): void {
    const batch = this.#waiting;
    this.#waiting = [];
    let fd: number;
    try {
      fd = this.#open();
    } catch (error) {
      for (const done of batch) done(error as Error);
      return;
    }
    this.#running = true;
    this.#sync(fd, (error) => {
      this.#running = false;
      for (const done of batch) done(error);
      if (this.#waiting.length > 0) this.#start();
      else for (const resolve of this.#idle.splice(0)) resolve();
    });
  }

  /** The WAL file; opened again if SQLite replaced it (a new file under the same name). */
  #open(): number {
    const { ino } = statSync(this.#walPath);
    if (this.#fd !== null && ino === this.#ino) return this.#fd;
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = openSync(this.#walPath, 'r');
    this.#ino = fstatSync(this.#fd).ino;
    return this.#fd;
  }
}
