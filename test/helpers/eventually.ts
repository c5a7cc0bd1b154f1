// The one way a test waits: for a condition to hold (`eventually`) or a promise to settle
// (`within`), always with an explicit timeout that names what was awaited — so a loaded machine
// makes a test slower, never wrong. Tests never sleep (lint: callhook/no-sleep-in-tests); to show
// that something did NOT happen, wait for a positive signal that the system got past the point
// where it would have (a later delivery arrived, a counter moved on), then assert on the record.

export interface WaitOptions {
  /** How long to keep trying. Explicit on purpose: each wait says how slow is too slow. */
  timeoutMs: number;
  /**
   * What is awaited, for the failure message ("the retry of delivery dl_…"); a function is asked
   * at the moment of failure, to tell the state things were left in.
   */
  what: string | (() => string | Promise<string>);
}

/** First pause between probes; it grows to MAX_INTERVAL_MS so a long wait costs a loaded machine little. */
const FIRST_INTERVAL_MS = 2;
const MAX_INTERVAL_MS = 100;

/**
 * Calls `probe` until it returns without throwing and with something other than `false`, and
 * resolves with that value: `await eventually(() => expect(rows()).toHaveLength(3), …)` or
 * `const row = await eventually(() => rows().find(isDone) ?? false, …)`. After `timeoutMs` it
 * probes once more, then rejects with `what` and the probe's last error.
 */
export async function eventually<T>(probe: () => T | Promise<T>, options: WaitOptions): Promise<Exclude<T, false>> {
  const deadline = Date.now() + options.timeoutMs;
  let interval = FIRST_INTERVAL_MS;
  let lastError: unknown = null;
  for (;;) {
    const last = Date.now() >= deadline;
    try {
      const value = await probe();
      if (value !== false) return value as Exclude<T, false>;
      lastError = null;
    } catch (error) {
      lastError = error;
    }
    if (last) break;
    await pause(Math.min(interval, Math.max(1, deadline - Date.now())));
    interval = Math.min(interval * 2, MAX_INTERVAL_MS);
  }
  const message = `not within ${options.timeoutMs} ms: ${await describe(options.what)}`;
  if (lastError instanceof Error) {
    lastError.message = `${message}\n${lastError.message}`;
    throw lastError;
  }
  throw new Error(lastError === null ? message : `${message}\n${String(lastError)}`);
}

/** Resolves as `promise` does, or rejects naming `what` once `timeoutMs` has passed first. */
export async function within<T>(promise: Promise<T>, options: WaitOptions): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => void describe(options.what).then((what) => reject(new Error(`not within ${options.timeoutMs} ms: ${what}`))), options.timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function describe(what: WaitOptions['what']): Promise<string> {
  if (typeof what === 'string') return what;
  try {
    return await what();
  } catch (error) {
    return `(describing the state failed: ${String(error)})`;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
