// A job that runs every so often until stopped: the shape every background loop here shares
// (dispatcher polling, e-mail outbox, presence, retention). A failed run is logged, and the next
// one still comes.
import type { Logger } from './observability/logger.ts';

export interface BackgroundLoop {
  start(): void;
  stop(): void;
  readonly running: boolean;
}

export function backgroundLoop(options: { everyMs: number; run: () => Promise<unknown>; log: Logger; what: string }): BackgroundLoop {
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  const next = () => {
    if (!running) return;
    options
      .run()
      .catch((error) => options.log.error({ err: error }, `${options.what} failed`))
      .finally(() => {
        if (running) timer = setTimeout(next, options.everyMs);
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
