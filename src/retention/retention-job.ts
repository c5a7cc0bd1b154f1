// Retention: purges attempts, finished deliveries (their bodies with them), events and ended
// calls older than the configured age — never what is still owed. Small batches with a pause
// between them, so ingest and dispatch are never held up behind a purge.
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { PurgeCounts, RetentionStore } from '../store/store.ts';
import { backgroundLoop } from '../background-loop.ts';

const DAY_MS = 86_400_000;
const BATCH = 500;
const PAUSE_MS = 20;
const EVERY_MS = 3_600_000;

export interface RetentionJob {
  /** Purges everything that is old enough now; resolves with what was removed. */
  tick(): Promise<PurgeCounts>;
  start(): void;
  stop(): Promise<void>;
}

export function createRetentionJob(deps: { store: RetentionStore; clock: Clock; log: Logger; days: number }): RetentionJob {
  let current: Promise<PurgeCounts> | null = null;

  async function purgeAll(): Promise<PurgeCounts> {
    const total: PurgeCounts = { attempts: 0, deliveries: 0, events: 0, calls: 0 };
    if (deps.days <= 0) return total;
    const before = deps.clock.now() - deps.days * DAY_MS;
    for (;;) {
      const batch = await deps.store.purge({ before, limit: BATCH });
      for (const key of Object.keys(total) as Array<keyof PurgeCounts>) total[key] += batch[key];
      if (Object.values(batch).every((n) => n < BATCH)) break;
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
    if (Object.values(total).some((n) => n > 0)) deps.log.info({ purged: total, olderThanDays: deps.days }, 'retention purge');
    return total;
  }

  function tick(): Promise<PurgeCounts> {
    current ??= purgeAll().finally(() => {
      current = null;
    });
    return current;
  }

  const loop = backgroundLoop({ everyMs: EVERY_MS, run: tick, log: deps.log, what: 'retention purge' });

  return {
    tick,
    start() {
      if (deps.days > 0) loop.start();
    },
    async stop() {
      loop.stop();
      await current?.catch(() => undefined);
    },
  };
}
