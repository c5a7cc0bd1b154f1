// Presence: every process says it is alive every few seconds, and learns how many dispatching
// processes share the store — they split each webhook's in-flight cap among themselves.
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { WorkerStore } from '../store/store.ts';

/** A process unheard of for three heartbeats is taken for gone. */
const HEARTBEAT_MS = 5_000;
const STALE_AFTER_MS = 3 * HEARTBEAT_MS;

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
  let timer: NodeJS.Timeout | null = null;
  let running = false;

  async function tick(): Promise<void> {
    const count = await deps.workers.beat({ owner: deps.owner, dispatches: deps.dispatches, now: deps.clock.now(), staleAfterMs: STALE_AFTER_MS });
    deps.onPeers(Math.max(1, count));
  }

  function loop(): void {
    if (!running) return;
    tick()
      .catch((error) => deps.log.warn({ err: error }, 'could not record presence'))
      .finally(() => {
        if (running) timer = setTimeout(loop, HEARTBEAT_MS);
      });
  }

  return {
    tick,
    start() {
      running = true;
      loop();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await deps.workers.leave(deps.owner).catch(() => undefined);
    },
  };
}
