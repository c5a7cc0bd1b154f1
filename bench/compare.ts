// `npm run bench -- --compare`: the embedded store (SQLite, one process) and PostgreSQL with 1, 2 …
// N processes (default 3), one after the other, each as its own `node bench/run.ts` with the same
// calls, concurrency and raw count, so the figures come from the same machine state. Every run's
// full JSON goes to stderr as it finishes; the last stdout line is {"runs":[…]} side by side.
// `--rounds R` repeats the whole sequence (interleaved, so drift hits every configuration alike).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchArgs } from './args.ts';

const RUN = fileURLToPath(new URL('./run.ts', import.meta.url));

interface RunJson {
  store: string;
  processes: number;
  deliveriesPerS: number;
  rawPostsPerS: number;
  ratio: number;
  latencyMs: { p50: number; p95: number; p99: number };
  complete: boolean;
  deliveries: number;
  duplicates: number;
  elapsedS: number;
  ingestRequestsPerS: number;
  ingestLatencyMs: { p50: number; p95: number; p99: number };
  phases: { duringIngestPerS: number; afterIngestPerS: number | null };
  childCpuPct: number | null;
  mainThreadPctPerProcess: Array<number | null>;
  benchCpuPct: number;
  pgCpuPct?: number | null;
  machine: { cores: number; busyPct: number | null; busyBeforePct: number | null; otherPct: number | null; cpuMsPerDelivery: Record<string, number | null> };
  db?: {
    transactionsPerDelivery: number; rowsWrittenPerDelivery: number; rowsReadPerDelivery: number; walBytesPerDelivery: number; walSyncsPerDelivery: number;
    rollbacks: number; deadlocks: number;
  } | null;
  trace?: { roundTripsPerDelivery: number; roundTripsPerIngestRequest: number; outcomesPerResultBatch: number | null; byPath: Record<string, { perDelivery: number }> };
}

let current: ReturnType<typeof spawn> | null = null;

/** One bench run in its own process; resolves with its JSON (the last stdout line). */
function benchRun(flags: string[], log: (line: string) => void): Promise<RunJson> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUN, ...flags], { stdio: ['ignore', 'pipe', 'inherit'] });
    current = child;
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => (out += text));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      current = null;
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`bench ${flags.join(' ')}: ${signal ? `killed by ${signal}` : `exit code ${code}`}`));
      try {
        resolve(JSON.parse(last) as RunJson);
      } catch {
        log(`bench: run printed no JSON: ${last.slice(0, 300)}`);
        reject(new Error(`bench ${flags.join(' ')}: no JSON on the last line`));
      }
    });
  });
}

function summary(round: number, r: RunJson) {
  return {
    store: r.store,
    processes: r.processes,
    deliveriesPerS: r.deliveriesPerS,
    rawPostsPerS: r.rawPostsPerS,
    ratio: r.ratio,
    latencyMs: r.latencyMs,
    round,
    complete: r.complete,
    deliveries: r.deliveries,
    duplicates: r.duplicates,
    elapsedS: r.elapsedS,
    ingestRequestsPerS: r.ingestRequestsPerS,
    ingestP50Ms: r.ingestLatencyMs.p50,
    afterIngestPerS: r.phases.afterIngestPerS,
    childCpuPct: r.childCpuPct,
    mainThreadPctPerProcess: r.mainThreadPctPerProcess,
    pgCpuPct: r.pgCpuPct ?? null,
    benchCpuPct: r.benchCpuPct,
    machineBusyPct: r.machine.busyPct,
    machineBusyBeforePct: r.machine.busyBeforePct,
    otherCpuPct: r.machine.otherPct,
    cpuMsPerDelivery: r.machine.cpuMsPerDelivery,
    ...(r.db
      ? {
          db: {
            transactionsPerDelivery: r.db.transactionsPerDelivery,
            rowsWrittenPerDelivery: r.db.rowsWrittenPerDelivery,
            rowsReadPerDelivery: r.db.rowsReadPerDelivery,
            walBytesPerDelivery: r.db.walBytesPerDelivery,
            walSyncsPerDelivery: r.db.walSyncsPerDelivery,
            rollbacks: r.db.rollbacks,
            deadlocks: r.db.deadlocks,
          },
        }
      : {}),
    ...(r.trace
      ? {
          trace: {
            roundTripsPerDelivery: r.trace.roundTripsPerDelivery,
            roundTripsPerIngestRequest: r.trace.roundTripsPerIngestRequest,
            outcomesPerResultBatch: r.trace.outcomesPerResultBatch,
            perDeliveryByPath: Object.fromEntries(Object.entries(r.trace.byPath).map(([path, p]) => [path, p.perDelivery])),
          },
        }
      : {}),
  };
}

export async function runComparison(args: BenchArgs, log: (line: string) => void): Promise<number> {
  const { maxProcesses, rounds } = args.compare!;
  const common = ['--calls', String(args.calls), '--raw-count', String(args.rawCount), '--warmup', String(args.warmup)];
  common.push(...(args.rate === null ? ['--concurrency', String(args.concurrency)] : ['--rate', String(args.rate)]));
  if (args.batch) common.push('--batch');
  const plan: Array<{ store: 'sqlite' | 'postgres'; processes: number }> = [{ store: 'sqlite', processes: 1 }];
  for (let n = 1; n <= maxProcesses; n++) plan.push({ store: 'postgres', processes: n });

  let stopping = false;
  const interrupted = () => {
    stopping = true;
    log('bench: interrupted; stopping the current run');
    current?.kill('SIGTERM');
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  const runs: Array<ReturnType<typeof summary> | { store: string; processes: number; round: number; error: string }> = [];
  let failed = 0;
  const total = plan.length * rounds;
  for (let round = 1; round <= rounds && !stopping; round++) {
    for (const { store, processes } of plan) {
      if (stopping) break;
      const flags = [...common, '--store', store];
      if (store === 'postgres') {
        flags.push('--processes', String(processes), '--postgres-url', args.postgresUrl);
        if (args.pgTrace) flags.push('--pg-trace');
      }
      log(`\nbench: ── run ${runs.length + 1}/${total}: ${store} × ${processes}${rounds > 1 ? ` (round ${round})` : ''} ──`);
      try {
        const result = await benchRun(flags, log);
        log(`bench: result ${JSON.stringify(result)}`);
        runs.push(summary(round, result));
      } catch (error) {
        failed++;
        log(`bench: ${(error as Error).message}`);
        runs.push({ store, processes, round, error: (error as Error).message });
      }
    }
  }
  // Target: more processes never cost more per delivery. Each PostgreSQL run against one process in the same round.
  const pg = runs.filter((r): r is ReturnType<typeof summary> => 'cpuMsPerDelivery' in r && r.store === 'postgres');
  const cpuOf = (r: ReturnType<typeof summary>) => (r.cpuMsPerDelivery.callhook ?? NaN) + (r.cpuMsPerDelivery.postgres ?? NaN);
  for (const run of pg) {
    const one = pg.find((r) => r.processes === 1 && r.round === run.round);
    if (one) Object.assign(run, { cpuPerDeliveryVsOneProcess: Math.round((100 * cpuOf(run)) / cpuOf(one)) / 100 });
  }
  const load = args.rate === null ? { concurrency: args.concurrency } : { concurrency: null, rate: args.rate };
  process.stdout.write(`${JSON.stringify({ runs, calls: args.calls, warmup: args.warmup, ...load, batch: args.batch, rounds, node: process.version })}\n`);
  return stopping ? 130 : failed > 0 ? 1 : 0;
}
