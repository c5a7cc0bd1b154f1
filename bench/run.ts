// `npm run bench`: starts a receiver and callhook (child processes), measures the raw ceiling
// (plain undici POSTs to the receiver), pushes N calls through the ingest API and prints one JSON
// object as the last line of stdout. Progress goes to stderr. Not a test: no thresholds.
//
// `--store postgres --processes N`: a fresh database on the PostgreSQL server (dropped at the end),
// N `callhook serve` processes on it, the organization set up through the first, the ingest spread
// over all of them; the JSON gains `db` (what a delivery cost the database, from its statistics)
// and, with `--pg-trace`, `trace` (round trips by statement and transaction). `--compare` runs the
// embedded store and PostgreSQL with 1…N processes, one bench process each (compare.ts).
// `--source hep`: SIP mirrored as HEPv3 into the HEP collector instead of the ingest API (hep.ts).
// `--backlog N`: N pending retries seeded into a fresh store, then callhook on it (backlog.ts).
import { performance } from 'node:perf_hooks';
import { USAGE, UsageError, parseBenchArgs } from './args.ts';
import { runBacklogBench } from './backlog.ts';
import { runComparison } from './compare.ts';
import { runHepBench } from './hep.ts';
import { pushAtRate, pushCalls, setUp } from './load.ts';
import { sampleMetrics } from './metrics.ts';
import { type PgTrace, startPgTrace, summarizeTrace } from './pg-trace.ts';
import { type BenchDatabase, createBenchDatabase, dbDelta, describeUrl } from './postgres.ts';
import { cores, machineBusyPct, machineCpu, postgresCpuSeconds } from './proc.ts';
import { measureRaw } from './raw.ts';
import { startReceiver } from './receiver.ts';
import { type Child, startChild } from './service.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How often a callhook process says it is alive (src/delivery/presence.ts HEARTBEAT_MS). */
const HEARTBEAT_MS = 5_000;

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

/** Starts every child; if one fails, the ones that started are stopped again. */
async function startChildren(count: number, start: (i: number) => Promise<Child>, into: Child[]): Promise<void> {
  const settled = await Promise.allSettled(Array.from({ length: count }, (_, i) => start(i)));
  for (const s of settled) if (s.status === 'fulfilled') into.push(s.value);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
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
  if (args.compare) return runComparison(args, log);
  if (args.source === 'hep') return runHepBench(args, log);
  if (args.backlog !== null) return runBacklogBench(args, log);

  const inFlight = envInt('CALLHOOK_IN_FLIGHT_PER_WEBHOOK', 32);
  const postgres = args.store === 'postgres';

  const receiver = await startReceiver();
  const children: Child[] = [];
  let database: BenchDatabase | null = null;
  let trace: PgTrace | null = null;
  let cleaning: Promise<void> | null = null;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      await Promise.allSettled(children.splice(0).map((child) => child.stop()));
      await trace?.close();
      trace = null;
      await database?.drop().catch((error: unknown) => log(`bench: could not drop database ${database?.name}: ${(error as Error).message}`));
    })());
  const interrupted = () => {
    log('bench: interrupted; stopping callhook');
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    // Everything here shares the machine: a busy one before the start makes every figure lower.
    const busyBeforePct = await machineBusyPct(1_000);
    if (busyBeforePct !== null && busyBeforePct > 25) log(`bench: the machine is busy before the start (${busyBeforePct}% of a core); figures will be low`);
    // A webhook sends over connections of its own, as many as it has requests in flight.
    log(`bench: raw ceiling, ${args.rawCount} POSTs over ${inFlight} connections, ${inFlight} in flight…`);
    const raw = await measureRaw(receiver.url, { count: args.rawCount, connections: inFlight, concurrency: inFlight });
    log(`bench: raw ${Math.round(raw.postsPerS)} POSTs/s (${raw.failures} failures)`);
    receiver.reset();

    const env: Record<string, string> = {};
    if (postgres) {
      database = await createBenchDatabase(args.postgresUrl);
      let url = database.url;
      if (args.pgTrace) {
        const server = new URL(args.postgresUrl);
        trace = await startPgTrace({ host: server.hostname || '127.0.0.1', port: Number(server.port || 5432) });
        url = trace.via(url);
      }
      env.CALLHOOK_DATABASE_URL = url;
      log(`bench: database ${describeUrl(database.url)}${trace ? ` (through the tracing proxy ${describeUrl(url)})` : ''}`);
    }
    const n = args.processes;
    await startChildren(n, (i) => startChild({ cpuProfDir: args.cpuProf, log, env, name: n > 1 ? `callhook#${i + 1}` : 'callhook' }), children);
    const urls = children.map((c) => c.url);
    const setup = await setUp(urls[0]!, receiver.url);
    if (database && n > 1) {
      // Each process splits the per-webhook in-flight cap by the processes it saw at its last
      // heartbeat: wait until all have registered, then one more heartbeat, so all count all.
      const deadline = Date.now() + 30_000;
      while ((await database.workers()) < n && Date.now() < deadline) await sleep(200);
      log(`bench: ${await database.workers()} processes registered; waiting one heartbeat (${HEARTBEAT_MS / 1_000} s) so each splits the in-flight cap by ${n}…`);
      await sleep(HEARTBEAT_MS + 500);
    }
    if (args.warmup > 0) {
      const calls = args.warmup * n;
      log(`bench: warm-up, ${calls} calls (${args.warmup} per process), not counted…`);
      const warm = await pushCalls(urls, setup.ingestToken, {
        calls, concurrency: args.concurrency, batch: args.batch, runId: `warm${Date.now().toString(36)}`, onError: (message) => log(`bench: warm-up ${message}`),
      });
      // Every warm-up delivery in before the counting starts, or a late one would be counted.
      if (warm.failures > 0 || !(await receiver.waitFor(3 * calls, 30_000))) {
        throw new Error(`warm-up: ${warm.failures} ingest failures, ${receiver.arrivals.size}/${3 * calls} delivered; not measuring`);
      }
      receiver.reset();
    }
    const expected = 3 * args.calls;
    log(
      `bench: callhook ${urls.join(' ')} (pid ${children.map((c) => c.pid).join(' ')}); ${args.store}; ${args.calls} calls × 3 steps` +
        (args.rate === null ? `${args.batch ? ' (batched)' : ''}, ${args.concurrency} calls in flight…` : `, ${args.rate} steps/s (open loop, a call's steps 1 s apart)…`),
    );

    // A checkpoint now rather than in the middle of the run; then the database's counters.
    await database?.checkpoint();
    const dbBefore = await database?.stats();
    trace?.reset();

    const sampler = sampleMetrics(urls);
    const dispatcherNow = () => {
      const s = sampler.latest();
      return s ? ` (dispatcher: ${s.queued} queued, ${s.inFlight} in flight)` : '';
    };
    const cpuBefore = children.map((c) => c.cpuSeconds());
    const mainBefore = children.map((c) => c.mainThreadCpuSeconds());
    const pgCpuBefore = postgresCpuSeconds();
    const machineBefore = machineCpu();
    const benchCpuBefore = process.cpuUsage();
    const runId = `bench${Date.now().toString(36)}`;
    const onError = (message: string) => log(`bench: ${message}`);
    const load =
      args.rate === null
        ? await pushCalls(urls, setup.ingestToken, { calls: args.calls, concurrency: args.concurrency, batch: args.batch, runId, onError })
        : await pushAtRate(urls, setup.ingestToken, { calls: args.calls, rate: args.rate, runId, onError });
    const ingestS = (load.endedAt - load.startedAt) / 1_000;
    log(`bench: ingest done in ${round(ingestS, 2)} s (${Math.round(load.requests / ingestS)} req/s, ${load.failures} failures); waiting for deliveries…`);
    const gone = () => children.some((c) => c.exited() !== null);
    const complete = await receiver.waitFor(expected, 30_000, (k) => log(`bench: ${k}/${expected} delivered${dispatcherNow()}`), gone);
    if (!complete) log(`bench: ${gone() ? 'a callhook process is gone' : 'no new delivery for 30 s'}; reporting ${receiver.arrivals.size}/${expected}`);
    const lastAt = receiver.lastAt || performance.now();
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const cpuAfter = children.map((c) => c.cpuSeconds());
    const mainAfter = children.map((c) => c.mainThreadCpuSeconds());
    const pgCpuAfter = postgresCpuSeconds();
    const machineAfter = machineCpu();
    const cpuWindowS = (performance.now() - load.startedAt) / 1_000;
    const memory = children.map((c) => c.memory());
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
    const traced = trace ? summarizeTrace(trace.counts(), deliveries, load.requests) : null;

    const pctOf = (before: Array<number | null>, after: Array<number | null>) =>
      before.map((b, i) => {
        const a = after[i];
        return b === null || a === null || a === undefined ? null : round((100 * (a - b)) / cpuWindowS);
      });
    const cpuPct = pctOf(cpuBefore, cpuAfter);
    const mainThreadPct = pctOf(mainBefore, mainAfter);
    const sumOrNull = (values: Array<number | null>) => (values.some((v) => v === null) ? null : round(values.reduce<number>((a, v) => a + v!, 0)));
    const childCpuPct = sumOrNull(cpuPct);
    const benchCpuPct = round((100 * (benchCpu.user + benchCpu.system)) / 1e6 / cpuWindowS);
    // The whole local PostgreSQL server (backends, WAL writer, checkpointer …), percent of one core.
    const pgCpuPct = pgCpuBefore === null || pgCpuAfter === null ? null : round((100 * (pgCpuAfter - pgCpuBefore)) / cpuWindowS);
    const perDelivery = (pct: number | null) => (pct === null || deliveries === 0 ? null : round((pct / 100) * cpuWindowS * 1_000 / deliveries, 3));
    const busyPct = machineBefore && machineAfter ? round((100 * (machineAfter.busyS - machineBefore.busyS)) / cpuWindowS) : null;
    const exited = children.map((c) => c.exited());

    // Stop callhook before reading the database's counters: a backend flushes its statistics when
    // its session ends (and may hold them up to 10 s while idle).
    await Promise.allSettled(children.splice(0).map((child) => child.stop()));
    let db = null;
    if (database && dbBefore) {
      if (!(await database.waitNoSessions(10_000))) log('bench: sessions still open on the bench database after 10 s; its counters may be short');
      db = { database: database.name, ...dbDelta(dbBefore, await database.stats(), deliveries) };
    }

    const result = {
      deliveriesPerS: round(deliveriesPerS),
      rawPostsPerS: round(raw.postsPerS),
      ratio: round(deliveriesPerS / raw.postsPerS, 3),
      latencyMs: percentiles(latencies),
      calls: args.calls,
      warmupCalls: args.warmup * n,
      batch: args.batch,
      concurrency: args.rate === null ? args.concurrency : null,
      // Open loop: the pace, and how late the sender was against it (a late sender measures itself,
      // not callhook). deliveriesPerS then counts the first and last second too, when calls start or end.
      ...(args.rate !== null && load.sendLags ? { rate: { stepsPerS: args.rate, sendLagMs: percentiles(load.sendLags) } } : {}),
      expected,
      deliveries,
      duplicates: receiver.duplicates,
      unmatched,
      complete,
      childExited: n === 1 ? exited[0]! : exited.some((e) => e !== null) ? exited : null,
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
      inFlightPerWebhook: inFlight,
      // All callhook processes together (percent of one core); per process below.
      childCpuPct,
      benchCpuPct,
      dispatcher,
      rssMb: sumOrNull(memory.map((m) => m.rssMb)),
      rssPeakMb: sumOrNull(memory.map((m) => m.peakMb)),
      store: args.store,
      processes: n,
      node: process.version,
      requestsPerProcess: load.requestsPerProcess,
      childCpuPctPerProcess: cpuPct,
      // Near 100, a process's event loop is what bounds it, whatever the cores left.
      mainThreadPctPerProcess: mainThreadPct,
      rssMbPerProcess: memory.map((m) => m.rssMb),
      rssPeakMbPerProcess: memory.map((m) => m.peakMb),
      // Everything shares these cores (percent of one core, up to 100 × cores): callhook, the bench
      // (load + receiver), the PostgreSQL server, and whatever else ran (other: kernel, other work).
      machine: {
        cores,
        busyPct,
        callhookPct: childCpuPct,
        benchPct: benchCpuPct,
        postgresPct: pgCpuPct,
        otherPct: busyPct === null || childCpuPct === null ? null : round(busyPct - childCpuPct - benchCpuPct - (pgCpuPct ?? 0)),
        /** The machine's busy percent in the second before the bench started: other work. */
        busyBeforePct,
        // CPU time per delivery (ms): what one delivery costs, whatever the parallelism.
        cpuMsPerDelivery: {
          callhook: perDelivery(childCpuPct),
          postgres: postgres ? perDelivery(pgCpuPct) : null,
          bench: perDelivery(benchCpuPct),
        },
      },
      ...(postgres
        ? {
            pgCpuPct,
            db,
            ...(traced ? { trace: traced } : {}),
          }
        : {}),
    };
    await cleanUp();
    if (args.cpuProf) log(`bench: CPU profile of callhook written to ${args.cpuProf}`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    await cleanUp();
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
