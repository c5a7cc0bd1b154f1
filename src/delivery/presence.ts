// Presence: every process says it is alive every few seconds, and learns how many dispatching
// processes share the store — they split each webhook's in-flight cap among themselves.
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { WorkerStore } from '../store/store.ts';
import { backgroundLoop } from '../background-loop.ts';

/** A process unheard of for three heartbeats is taken for gone. */
const HEARTBEAT_MS = 5_000;
export const STALE_AFTER_MS = 3 * HEARTBEAT_MS;

export interface Presence {
  tick(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function createPresence(deps: {
  workers: WorkerStore;
  clock: Clock;
  log: Logger;
  owner: string;
  dispatches: boolean;
  onPeers(count: number): void;
}): Presence {
  async function tick(): Promise<void> {
    const count = await deps.workers.beat({ owner: deps.owner, dispatches: deps.dispatches, now: deps.clock.now(), staleAfterMs: STALE_AFTER_MS });
    deps.onPeers(Math.max(1, count));
  }

  const loop = backgroundLoop({ everyMs: HEARTBEAT_MS, run: tick, log: deps.log, what: 'recording presence' });

  return {
    tick,
    start: loop.start,
    async stop() {
      loop.stop();
      await deps.workers.leave(deps.owner).catch(() => undefined);
    },
  };
}
