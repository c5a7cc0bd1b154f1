// Samples callhook's /metrics once a second during the run: the dispatcher's queue and in-flight
// gauges (is the lane full, i.e. sending is the limit, or empty, i.e. work waits elsewhere?) and
// the stale-result counter. Best effort: a failed scrape is skipped. With several processes each
// sample is the sum over all of them (scraped together), plus the stale counter of each.
export interface DispatcherSample {
  queued: number;
  inFlight: number;
  stale: number;
}

export interface MetricsSampler {
  latest(): DispatcherSample | null;
  stop(): { samples: number; maxQueued: number; avgQueued: number; avgInFlight: number; stale: number; stalePerProcess?: number[] };
}

/** The first sample of a metric, labelled or not: a line `name value` or `name{…} value`. */
function value(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

function scrape(baseUrl: string): Promise<DispatcherSample> {
  return fetch(`${baseUrl}/metrics`)
    .then((r) => r.text())
    .then((text) => ({
      queued: value(text, 'callhook_dispatcher_queued'),
      inFlight: value(text, 'callhook_dispatcher_in_flight'),
      stale: value(text, 'callhook_delivery_stale_results_total'),
    }));
}

export function sampleMetrics(baseUrls: string[], intervalMs = 1_000): MetricsSampler {
  const samples: DispatcherSample[] = [];
  const stalePerProcess = baseUrls.map(() => 0);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    Promise.all(baseUrls.map(scrape))
      .then((each) => {
        each.forEach((s, i) => (stalePerProcess[i] = s.stale));
        samples.push(each.reduce((sum, s) => ({ queued: sum.queued + s.queued, inFlight: sum.inFlight + s.inFlight, stale: sum.stale + s.stale })));
      })
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, intervalMs);
  const avg = (pick: (s: DispatcherSample) => number) => (samples.length ? Math.round(samples.reduce((a, s) => a + pick(s), 0) / samples.length) : 0);
  return {
    latest: () => samples.at(-1) ?? null,
    stop() {
      clearInterval(timer);
      return {
        samples: samples.length,
        maxQueued: Math.max(0, ...samples.map((s) => s.queued)),
        avgQueued: avg((s) => s.queued),
        avgInFlight: avg((s) => s.inFlight),
        stale: samples.at(-1)?.stale ?? 0,
        ...(baseUrls.length > 1 ? { stalePerProcess } : {}),
      };
    },
  };
}
