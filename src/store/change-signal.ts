// The in-process half of the ChangeFeed (store.ts): subscribers of webhook changes, and the
// acknowledgements this process has heard of, for whoever waits on them. The PostgreSQL store also
// carries both between processes with LISTEN/NOTIFY.
import { performance } from 'node:perf_hooks';
import type { WebhookChange } from './store.ts';

/** Acknowledgements are kept this long after the first one of a change: far past any wait on them. */
const KEEP_ACKS_MS = 10 * 60_000;

interface Waiter {
  version: number;
  expected: ReadonlySet<string>;
  resolve(): void;
}

export class ChangeSignal {
  private readonly listeners = new Set<(change: WebhookChange | 'all') => void>();
  private readonly acks = new Map<number, { owners: Set<string>; firstAt: number }>();
  private waiters: Waiter[] = [];

  subscribe(listener: (change: WebhookChange | 'all') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: WebhookChange | 'all'): void {
    for (const listener of this.listeners) listener(change);
  }

  /** `owner` acknowledged change `version` (here, or as heard from another process). */
  acknowledged(version: number, owner: string): void {
    const now = performance.now();
    for (const [known, entry] of this.acks) if (now - entry.firstAt > KEEP_ACKS_MS) this.acks.delete(known);
    let entry = this.acks.get(version);
    if (!entry) {
      entry = { owners: new Set(), firstAt: now };
      this.acks.set(version, entry);
    }
    entry.owners.add(owner);
    this.waiters = this.waiters.filter((waiter) => {
      if (waiter.version !== version || !this.complete(waiter)) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Waits (real time: this is about other processes) until every expected owner acknowledged; answers who had not. */
  async wait(version: number, expected: ReadonlySet<string>, timeoutMs: number): Promise<string[]> {
    const waiter: Waiter = { version, expected, resolve: () => undefined };
    if (!this.complete(waiter)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve();
        }, timeoutMs);
        timer.unref();
        waiter.resolve = () => {
          clearTimeout(timer);
          resolve();
        };
        this.waiters.push(waiter);
      });
    }
    const owners = this.acks.get(version)?.owners;
    return [...expected].filter((owner) => !owners?.has(owner));
  }

  private complete(waiter: Waiter): boolean {
    const owners = this.acks.get(waiter.version)?.owners;
    return [...waiter.expected].every((owner) => owners?.has(owner));
  }
}
