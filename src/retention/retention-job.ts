// Retention: purges attempts, finished deliveries (their bodies with them), events and ended
// calls older than the configured age — never what is still owed — and recordings older than
// theirs, never while a delivery that links to them is owed (their links answer 410 from then on).
// Small batches with a pause between them, so ingest and dispatch are never held up behind a purge.
// It also sweeps what recording uploads cut short by a crash left behind.
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { RecordingStore } from '../recordings/recording-store.ts';
import type { PurgeCounts, RecordingIndex, RetentionStore } from '../store/store.ts';
import { backgroundLoop } from '../background-loop.ts';

const DAY_MS = 86_400_000;
const BATCH = 500;
/** Recordings a batch: each is a file (or rows) to delete, not just a row. */
const RECORDING_BATCH = 50;
const PAUSE_MS = 20;
const EVERY_MS = 3_600_000;
/** A partial upload untouched this long belongs to no live upload (an upload writes as it reads). */
const UPLOAD_ABANDONED_MS = 3_600_000;

export interface RetentionTotals extends PurgeCounts {
  /** Recordings purged (marked, and their bytes deleted). */
  recordings: number;
  /** Finished recording fetch jobs. */
  fetches: number;
  /** Leftovers of uploads a crash cut short. */
  abandonedUploads: number;
}

export interface RetentionJob {
  /** Purges everything that is old enough now; resolves with what was removed. */
  tick(): Promise<RetentionTotals>;
  start(): void;
  stop(): Promise<void>;
}

export function createRetentionJob(deps: {
  store: RetentionStore;
  clock: Clock;
  log: Logger;
  days: number;
  recordings?: { index: RecordingIndex; blobs: RecordingStore; days: number } | undefined;
}): RetentionJob {
  let current: Promise<RetentionTotals> | null = null;
  const pause = () => new Promise((resolve) => setTimeout(resolve, PAUSE_MS));

  /** Runs `batch` until it does less than `size`; answers the sum. */
  async function drain(size: number, batch: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await batch();
      total += n;
      if (n < size) return total;
      await pause();
    }
  }

  async function purgeRecordings(totals: RetentionTotals): Promise<void> {
    const r = deps.recordings;
    if (!r) return;
    if (r.days > 0) {
      const before = deps.clock.now() - r.days * DAY_MS;
      await drain(RECORDING_BATCH, () => r.index.markPurged({ before, now: deps.clock.now(), limit: RECORDING_BATCH }));
    }
    // The bytes of what is marked (now, or by a run a crash cut short).
    totals.recordings += await drain(RECORDING_BATCH, async () => {
      const unlinked = await r.index.unlinkedBlobs(RECORDING_BATCH);
      for (const { id, orgId, blobKey } of unlinked) {
        await r.blobs.delete({ orgId, key: blobKey });
        await r.index.blobDeleted(id);
      }
      return unlinked.length;
    });
    if (deps.days > 0) {
      const before = deps.clock.now() - deps.days * DAY_MS;
      totals.fetches += await drain(BATCH, () => r.index.purgeFetches({ before, limit: BATCH }));
    }
    // Files' times are the file system's (wall clock), not the service's.
    totals.abandonedUploads += await r.blobs.sweep(Date.now() - UPLOAD_ABANDONED_MS);
  }

  async function purgeAll(): Promise<RetentionTotals> {
    const total: RetentionTotals = { attempts: 0, deliveries: 0, events: 0, calls: 0, recordings: 0, fetches: 0, abandonedUploads: 0 };
    if (deps.days > 0) {
      const before = deps.clock.now() - deps.days * DAY_MS;
      for (;;) {
        const batch = await deps.store.purge({ before, limit: BATCH });
        for (const key of Object.keys(batch) as Array<keyof PurgeCounts>) total[key] += batch[key];
        if (Object.values(batch).every((n) => n < BATCH)) break;
        await pause();
      }
    }
    await purgeRecordings(total);
    if (Object.values(total).some((n) => n > 0)) deps.log.info({ purged: total, olderThanDays: deps.days, recordingsOlderThanDays: deps.recordings?.days }, 'retention purge');
    return total;
  }

  function tick(): Promise<RetentionTotals> {
    current ??= purgeAll().finally(() => {
      current = null;
    });
    return current;
  }

  const loop = backgroundLoop({ everyMs: EVERY_MS, run: tick, log: deps.log, what: 'retention purge' });

  return {
    tick,
    start() {
      // Always: even with nothing to purge, crashed uploads are swept.
      loop.start();
    },
    async stop() {
      loop.stop();
      await current?.catch(() => undefined);
    },
  };
}
