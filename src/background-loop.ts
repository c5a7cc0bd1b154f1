// A job that runs every so often until stopped: the shape every background loop here shares
// (dispatcher polling, e-mail outbox, presence, retention, the store's write probe). A failed run
// is logged, the next one waits longer (up to a few seconds), and they keep coming: a store that is
// away for a while is met again as soon as it is back, without a log line per attempt meanwhile.
import { isStoreFailure } from './errors.ts';
import type { Logger } from './observability/logger.ts';

/** Longest wait after failures: work resumes within this of the cause going away. */
export const MAX_BACKOFF_MS = 5_000;

export interface BackgroundLoop {
  start(): void;
  stop(): void;
  readonly running: boolean;
}

/** Delay before the next run after `failures` failed runs in a row. */
export function nextRunInMs(everyMs: number, failures: number): number {
  if (failures === 0) return everyMs;
  return Math.min(everyMs * 2 ** failures, Math.max(everyMs, MAX_BACKOFF_MS));
}

export function backgroundLoop(options: { everyMs: number; run: () => Promise<unknown>; log: Logger; what: string }): BackgroundLoop {
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let failures = 0;
  const next = () => {
    if (!running) return;
    options
      .run()
      .then(
        () => {
          if (failures > 0) options.log.info({ failedRuns: failures }, `${options.what} works again`);
          failures = 0;
        },
        (error: unknown) => {
          failures++;
          // The store being away is said once per spell; anything else (a bug) every time.
          if (!isStoreFailure(error)) options.log.error({ err: error }, `${options.what} failed`);
          else if (failures === 1) options.log.warn({ err: error }, `${options.what} failed; trying again every few seconds`);
        },
      )
      .finally(() => {
        if (running) timer = setTimeout(next, nextRunInMs(options.everyMs, failures));
      });
  };
  return {
    start() {
      if (running) return;
      running = true;
      next();
    },
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
    },
    get running() {
      return running;
    },
  };
}
