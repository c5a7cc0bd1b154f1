// `npm run bench`: starts a receiver and callhook (a child process), measures the raw ceiling
// (plain undici POSTs to the receiver), pushes N calls through the ingest API and prints one JSON
// object as the last line of stdout. Progress goes to stderr. Not a test: no thresholds.
import { performance } from 'node:perf_hooks';
import { USAGE, UsageError, parseBenchArgs } from './args.ts';
import { pushCalls, setUp } from './load.ts';
import { sampleMetrics } from './metrics.ts';
import { measureRaw } from './raw.ts';
import { startReceiver } from './receiver.ts';
import { type Child, startChild } from './service.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function percentiles(values: number[]): { p50: number; p95: number; p99: number } {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => (sorted.length === 0 ? NaN : round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!));
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/** callhook's own per-origin caps, which the child reads from the same environment. */
function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isSafeInteger(value) && value > 0 ? value : fallback;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message) log(`bench: ${error.message}\n`);
    log(USAGE);
    return 2;
  }
  const connections = envInt('CALLHOOK_CONNECTIONS_PER_ORIGIN', 32);
  const inFlight = envInt('CALLHOOK_IN_FLIGHT_PER_WEBHOOK', 32);

  const receiver = await startReceiver();
  let child: Child | null = null;
  const interrupted = () => {
    log('bench: interrupted; stopping callhook');
    void (child?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    log(`bench: raw ceiling, ${args.rawCount} POSTs over ${connections} connections, ${Math.min(connections, inFlight)} in flight…`);
    const raw = await measureRaw(receiver.url, { count: args.rawCount, connections, concurrency: Math.min(connections, inFlight) });
    log(`bench: raw ${Math.round(raw.postsPerS)} POSTs/s (${raw.failures} failures)`);
    receiver.reset();

    child = await startChild({ cpuProfDir: args.cpuProf, log });
    const setup = await setUp(child.url, receiver.url);
    const expected = 3 * args.calls;
    log(`bench: callhook ${child.url} (pid ${child.pid}); ${args.calls} calls × 3 steps${args.batch ? ' (batched)' : ''}, ${args.concurrency} calls in flight…`);

    const sampler = sampleMetrics(child.url);
    const dispatcherNow = () => {
      const s = sampler.latest();
      return s ? ` (dispatcher: ${s.queued} queued, ${s.inFlight} in flight)` : '';
    };
    const cpuBefore = child.cpuSeconds();
    const benchCpuBefore = process.cpuUsage();
    const load = await pushCalls(child.url, setup.ingestToken, {
      calls: args.calls,
      concurrency: args.concurrency,
      batch: args.batch,
      runId: `bench${Date.now().toString(36)}`,
      onError: (message) => log(`bench: ${message}`),
    });
    const ingestS = (load.endedAt - load.startedAt) / 1_000;
    log(`bench: ingest done in ${round(ingestS, 2)} s (${Math.round(load.requests / ingestS)} req/s, ${load.failures} failures); waiting for deliveries…`);
    const running = child;
    const complete = await receiver.waitFor(expected, 30_000, (n) => log(`bench: ${n}/${expected} delivered${dispatcherNow()}`), () => running.exited() !== null);
    if (!complete) log(`bench: ${running.exited() ? 'callhook is gone' : 'no new delivery for 30 s'}; reporting ${receiver.arrivals.size}/${expected}`);
    const lastAt = receiver.lastAt || performance.now();
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const cpuAfter = child.cpuSeconds();
    const cpuWindowS = (performance.now() - load.startedAt) / 1_000;
    const memory = child.memory();
    const dispatcher = sampler.stop();

    const latencies: number[] = [];
    let unmatched = 0;
    let duringIngest = 0;
    for (const { at, body } of receiver.arrivals.values()) {
      if (at <= load.endedAt) duringIngest++;
      const event = JSON.parse(body) as { type?: string; data?: { callId?: string } };
      const sent = load.sentAt.get(`${event.data?.callId} ${event.type}`);
      if (sent === undefined) unmatched++;
      else latencies.push(at - sent);
    }
    const elapsedS = (lastAt - load.startedAt) / 1_000;
    const deliveries = receiver.arrivals.size;
    const deliveriesPerS = deliveries / elapsedS;
    const result = {
      deliveriesPerS: round(deliveriesPerS),
      rawPostsPerS: round(raw.postsPerS),
      ratio: round(deliveriesPerS / raw.postsPerS, 3),
      latencyMs: percentiles(latencies),
      calls: args.calls,
      batch: args.batch,
      concurrency: args.concurrency,
      expected,
      deliveries,
      duplicates: receiver.duplicates,
      unmatched,
      complete,
      childExited: child.exited(),
      elapsedS: round(elapsedS, 3),
      ingestRequestsPerS: round(load.requests / ingestS),
      ingestLatencyMs: percentiles(load.ingestLatencies),
      ingestFailures: load.failures,
      // Delivery rate while the ingest ran, and after its last response (the dispatcher alone).
      phases: {
        duringIngestPerS: round(duringIngest / ingestS),
        afterIngestPerS: lastAt > load.endedAt ? round((deliveries - duringIngest) / ((lastAt - load.endedAt) / 1_000)) : null,
      },
      rawPosts: raw.posts,
      rawFailures: raw.failures,
      connectionsPerOrigin: connections,
      inFlightPerWebhook: inFlight,
      childCpuPct: cpuBefore === null || cpuAfter === null ? null : round((100 * (cpuAfter - cpuBefore)) / cpuWindowS),
      benchCpuPct: round((100 * (benchCpu.user + benchCpu.system)) / 1e6 / cpuWindowS),
      dispatcher,
      rssMb: memory.rssMb,
      rssPeakMb: memory.peakMb,
      store: args.store,
      processes: args.processes,
      node: process.version,
    };
    await child.stop();
    child = null;
    if (args.cpuProf) log(`bench: CPU profile of callhook written to ${args.cpuProf}`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    await child?.stop();
    await receiver.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`bench: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
