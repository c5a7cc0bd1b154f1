// The collector's counters for `npm run bench -- --source hep`, scraped from its /metrics: what the
// UDP sender paces itself by and how the bench knows processing is done.
import { performance } from 'node:perf_hooks';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface HepCounters {
  received: number;
  decoded: number;
  rejected: Record<string, number>;
  steps: Record<string, number>;
  refused: number;
  tracked: number;
}

/** Sums each metric over its label sets; `by` keeps one label's values apart. */
export function readCounters(text: string): HepCounters {
  const counters: HepCounters = { received: 0, decoded: 0, rejected: {}, steps: {}, refused: 0, tracked: 0 };
  for (const line of text.split('\n')) {
    const match = /^(callhook_hep_\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const [, name, labels = '', raw] = match;
    const value = Number(raw);
    const label = (key: string) => {
      const start = labels.indexOf(`${key}="`);
      return start < 0 ? '' : labels.slice(start + key.length + 2, labels.indexOf('"', start + key.length + 2));
    };
    if (name === 'callhook_hep_packets_total') counters.received += value;
    else if (name === 'callhook_hep_packets_decoded_total') counters.decoded += value;
    else if (name === 'callhook_hep_packets_rejected_total') counters.rejected[label('reason')] = (counters.rejected[label('reason')] ?? 0) + value;
    else if (name === 'callhook_hep_steps_total') counters.steps[label('type')] = (counters.steps[label('type')] ?? 0) + value;
    else if (name === 'callhook_hep_steps_refused_total') counters.refused += value;
    else if (name === 'callhook_hep_calls_tracked') counters.tracked = value;
  }
  return counters;
}

export const total = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);

/**
 * Scrapes the collector's counters back to back (at least `intervalMs` apart) while the run lasts:
 * the UDP sender's feedback and the end-of-processing signal.
 */
export function watchCounters(baseUrl: string, initialIntervalMs: number) {
  let latest: HepCounters = readCounters('');
  let scrapes = 0;
  let intervalMs = initialIntervalMs;
  let stopped = false;
  let waiters: Array<() => void> = [];
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        const text = await fetch(`${baseUrl}/metrics`).then((r) => r.text());
        latest = readCounters(text);
        scrapes++;
      } catch {
        // a failed scrape is skipped
      }
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
      const spent = performance.now() - started;
      if (spent < intervalMs) await sleep(intervalMs - spent);
    }
  })();
  return {
    latest: () => latest,
    /** Resolves after the next scrape. */
    next: () => new Promise<void>((resolve) => waiters.push(resolve)),
    setInterval: (ms: number) => void (intervalMs = ms),
    scrapes: () => scrapes,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

export type CounterWatch = ReturnType<typeof watchCounters>;
