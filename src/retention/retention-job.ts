// Retention: purges attempts, finished deliveries (their bodies with them), events and ended
// calls older than the configured age — never what is still owed. Small batches with a pause
// between them, so ingest and dispatch are never held up behind a purge.
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { PurgeCounts, RetentionStore } from '../store/store.ts';

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
  let timer: NodeJS.Timeout | null = null;
  let running = false;
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

  function loop(): void {
    if (!running) return;
    tick()
      .catch((error) => deps.log.error({ err: error }, 'retention purge failed'))
      .finally(() => {
        if (running) timer = setTimeout(loop, EVERY_MS);
      });
  }

  return {
    tick,
    start() {
      if (deps.days <= 0) return;
      running = true;
      loop();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await current?.catch(() => undefined);
    },
  };
}
