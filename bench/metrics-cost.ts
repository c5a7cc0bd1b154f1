// `node bench/metrics-cost.ts`: what the metrics facade costs on the hot path — ns per counter
// increment (without and with labels, as the dispatcher does per attempt), per histogram observe
// (when the facade has histograms) and per /metrics render. Prints one JSON line. Not a test.
import { performance } from 'node:perf_hooks';
import { Metrics } from '../src/observability/metrics.ts';

const N = Number(process.argv[2] ?? 2_000_000);
const ROUNDS = 5;

/** Best of ROUNDS runs of `n` calls, in ns per call (the best is the least disturbed by others). */
function nsPerCall(n: number, run: (i: number) => void): number {
  let best = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    for (let i = 0; i < n; i++) run(i);
    best = Math.min(best, ((performance.now() - started) * 1e6) / n);
  }
  return Math.round(best * 10) / 10;
}

const metrics = new Metrics() as Metrics & { histogram?: (name: string, help: string, options: { buckets: number[]; labelNames?: string[] }) => { observe(v: number, labels?: Record<string, string>): void } };
const plain = metrics.counter('bench_plain_total', 'no labels');
// Declared label names where the facade takes them (prom-client needs them up front).
const counter = (metrics.counter as (name: string, help: string, labelNames?: string[]) => ReturnType<Metrics['counter']>).bind(metrics);
const labelled = counter('bench_labelled_total', 'one label', ['result']);
const perWebhook = counter('bench_webhook_total', 'two labels, 50 webhooks', ['webhook_id', 'result']);
const webhooks = Array.from({ length: 50 }, (_, i) => `wh_${i.toString().padStart(20, '0')}`);
const results = ['success', 'failure'];

const out: Record<string, number> = {
  incNoLabelsNs: nsPerCall(N, () => plain.inc()),
  incOneLabelNs: nsPerCall(N, (i) => labelled.inc(1, { result: results[i & 1]! })),
  incTwoLabelsNs: nsPerCall(N, (i) => perWebhook.inc(1, { webhook_id: webhooks[i % 50]!, result: results[i & 1]! })),
};
if (typeof metrics.histogram === 'function') {
  const h = metrics.histogram('bench_seconds', 'a histogram', { buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
  out.observeNs = nsPerCall(N, (i) => h.observe((i % 1000) / 1000));
}
const rendered = await Promise.resolve(metrics.render());
const started = performance.now();
for (let i = 0; i < 100; i++) await Promise.resolve(metrics.render());
out.renderUs = Math.round(((performance.now() - started) * 1e3) / 100);
out.renderBytes = rendered.length;
process.stdout.write(JSON.stringify({ n: N, ...out }) + '\n');
