// Command-line flags of `npm run bench` (node:util parseArgs). Bad values are a usage error
// (exit 2), so a typo never silently benchmarks something else.
import { parseArgs } from 'node:util';

export type BenchStore = 'sqlite' | 'postgres';
/** Where the calls come from: the ingest API (HTTP), or SIP mirrored as HEPv3 (bench/hep.ts). */
export type BenchSource = 'ingest' | 'hep';
export type HepTransport = 'udp' | 'tcp';
/** `--backlog`: how the dead receiver fails each attempt (bench/backlog.ts). */
export type DeadReceiver = 'refused' | 'silent';

const DEFAULT_CALLS: Record<BenchSource, number> = { ingest: 2_000, hep: 5_000 };

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchArgs {
  source: BenchSource;
  calls: number;
  concurrency: number;
  batch: boolean;
  rawCount: number;
  store: BenchStore;
  /** callhook processes; always 1 for sqlite (the embedded store is one process). */
  processes: number;
  /** The PostgreSQL server the bench creates its own database on (postgres only). */
  postgresUrl: string;
  /** Route callhook's PostgreSQL connections through a counting wire-protocol proxy (postgres only). */
  pgTrace: boolean;
  /** Folder for a V8 CPU profile of each callhook child (`--cpu-prof`), or null. */
  cpuProf: string | null;
  /**
   * `--compare`: run sqlite × 1 and postgres × 1..maxProcesses, each as its own bench process with
   * the same flags, and print the figures side by side. null for a single run.
   */
  compare: { maxProcesses: number; rounds: number } | null;
  /** `--source hep`: how the datagrams reach the collector. */
  hepTransport: HepTransport;
  /**
   * `--rate`: open loop at this pace, or null for closed loop (`concurrency` calls in flight).
   * Ingest: call steps (= deliveries) per second, each call's steps a second apart, as the shared
   * driver's fixed-rate phase. `--source hep`: SIP messages per second.
   */
  rate: number | null;
  /**
   * `--warmup N`: calls pushed through every callhook process before the measured ones, and not
   * counted: the first calls of a process run on code the JIT has not optimized yet, and with
   * several processes each would warm up on its share of the measured calls.
   */
  warmup: number;
  /** `--backlog N`: N pending retries seeded into a fresh store (bench/backlog.ts); null otherwise. */
  backlog: number | null;
  /** `--backlog`: nothing listens on the receiver's port, or it accepts and never answers. */
  deadReceiver: DeadReceiver;
}

export class UsageError extends Error {}

export const USAGE = `Usage: npm run bench -- [flags]

  --source <kind>      ingest (the HTTP ingest API) or hep (SIP mirrored as HEPv3)  default ingest
  --calls <n>          calls to push through the ingest API (3 steps each)   default 2000
                       with --source hep: SIP calls to generate (7–13 messages each) default 5000
  --concurrency <n>    calls in flight at once                                default 64
  --batch              one ingest request per call with all three steps
  --raw-count <n>      plain undici POSTs for the ceiling                     default 20000
  --store <kind>       sqlite (embedded, one process) or postgres             default sqlite
  --processes <n>      callhook processes sharing the store (postgres only)   default 1
  --warmup <n>         calls per callhook process before the measured ones, not counted
                       (JIT, connections, prepared statements); 0 for none    default 300
  --postgres-url <url> PostgreSQL server; the bench creates (and drops) its own database on it
                       default $CALLHOOK_BENCH_POSTGRES_URL or ${DEFAULT_POSTGRES_URL}
  --pg-trace           count SQL round trips and time per statement/transaction through a
                       wire-protocol proxy in the bench process (adds a hop: slower; postgres only)
  --compare            run sqlite × 1, then postgres × 1, 2 … --processes (default 3), each in its
                       own bench process with the same flags; last line: {"runs":[…]}
  --rounds <n>         with --compare: repeat the whole sequence n times     default 1
  --rate <steps/s>     open loop instead of --concurrency: call steps (one delivery each) at this pace,
                       a call's steps a second apart (the shared driver's fixed-rate phase); the
                       JSON adds \`rate\` (the pace, and how late the sender was against it)
  --cpu-prof <dir>     write a V8 CPU profile of each callhook child into <dir>

  With --source hep (the embedded store, one process; see bench/README.md):
  --hep-transport <t>  udp (a window of datagrams in flight, paced by the collector's received
                       counter) or tcp (framed back to back, TCP flow control)  default udp
  --rate <msg/s>       send at this pace instead (open loop; UDP may then drop: the JSON says how many)

  --backlog <n>        n pending retries (a dead receiver, hourly schedule) seeded into a fresh store
                       (--store sqlite|postgres, --postgres-url); then callhook on it: start-up, RSS,
                       latency of the delivery log (see bench/README.md)
  --dead-receiver <how>  with --backlog: refused (nothing listens) or silent (accepts, never answers;
                       every attempt takes its whole deadline)                  default refused
`;

export function parseBenchArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        source: { type: 'string', default: 'ingest' },
        calls: { type: 'string' },
        concurrency: { type: 'string' },
        batch: { type: 'boolean', default: false },
        'raw-count': { type: 'string' },
        store: { type: 'string' },
        processes: { type: 'string' },
        warmup: { type: 'string' },
        'postgres-url': { type: 'string' },
        'pg-trace': { type: 'boolean', default: false },
        compare: { type: 'boolean', default: false },
        rounds: { type: 'string' },
        'cpu-prof': { type: 'string' },
        'hep-transport': { type: 'string' },
        rate: { type: 'string' },
        backlog: { type: 'string' },
        'dead-receiver': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) throw new UsageError('');
  const postgresUrl = values['postgres-url'] ?? (env.CALLHOOK_BENCH_POSTGRES_URL || DEFAULT_POSTGRES_URL);
  if (!/^postgres(ql)?:\/\//.test(postgresUrl)) throw new UsageError(`--postgres-url ${postgresUrl}: expected postgres://…`);
  const sourceText = values.source;
  if (sourceText !== 'ingest' && sourceText !== 'hep') throw new UsageError(`--source ${sourceText}: expected ingest or hep`);
  const source: BenchSource = sourceText;
  const transportText = values['hep-transport'] ?? 'udp';
  if (transportText !== 'udp' && transportText !== 'tcp') throw new UsageError(`--hep-transport ${transportText}: expected udp or tcp`);
  const hepTransport: HepTransport = transportText;
  const rate = values.rate === undefined ? null : positiveInt('rate', values.rate);
  if (source === 'ingest' && values['hep-transport'] !== undefined) throw new UsageError('--hep-transport goes with --source hep');
  if (source === 'ingest' && rate !== null) {
    // Open loop: the pace sets the load, not calls in flight; a batch is one request per call.
    if (values.concurrency !== undefined) throw new UsageError('--rate and --concurrency: one or the other (open or closed loop)');
    if (values.batch) throw new UsageError('--rate sends one step per request; drop --batch');
  }
  if (source === 'hep') {
    const ingestOnly = (['concurrency', 'batch', 'raw-count', 'compare', 'rounds', 'processes', 'warmup', 'pg-trace', 'postgres-url'] as const).filter(
      (name) => values[name] !== undefined && values[name] !== false,
    );
    if (ingestOnly.length > 0) throw new UsageError(`--${ingestOnly[0]} does not go with --source hep`);
    if (values.store !== undefined && values.store !== 'sqlite') throw new UsageError(`--store ${values.store}: --source hep runs on the embedded store (sqlite)`);
  }
  const backlog = values.backlog === undefined ? null : positiveInt('backlog', values.backlog);
  const deadText = values['dead-receiver'] ?? 'refused';
  if (deadText !== 'refused' && deadText !== 'silent') throw new UsageError(`--dead-receiver ${deadText}: expected refused or silent`);
  const deadReceiver: DeadReceiver = deadText;
  if (backlog === null && values['dead-receiver'] !== undefined) throw new UsageError('--dead-receiver goes with --backlog');
  if (backlog !== null) {
    // One callhook process on a store seeded by the bench: the load flags mean nothing here.
    const loadOnly = (['calls', 'concurrency', 'batch', 'raw-count', 'compare', 'rounds', 'processes', 'warmup', 'pg-trace', 'hep-transport', 'rate'] as const).filter(
      (name) => values[name] !== undefined && values[name] !== false,
    );
    if (loadOnly.length > 0) throw new UsageError(`--${loadOnly[0]} does not go with --backlog`);
    if (source !== 'ingest') throw new UsageError('--source does not go with --backlog');
  }
  const common = {
    source,
    backlog,
    deadReceiver,
    hepTransport,
    rate,
    calls: values.calls === undefined ? DEFAULT_CALLS[source] : positiveInt('calls', values.calls),
    concurrency: positiveInt('concurrency', values.concurrency ?? '64'),
    batch: values.batch,
    rawCount: positiveInt('raw-count', values['raw-count'] ?? '20000'),
    warmup: wholeNumber('warmup', values.warmup ?? '300'),
    postgresUrl,
    pgTrace: values['pg-trace'],
    cpuProf: values['cpu-prof'] ?? null,
  };

  if (values.compare) {
    if (values.store !== undefined) throw new UsageError('--compare runs both stores; drop --store');
    const maxProcesses = values.processes === undefined ? 3 : processCount(values.processes);
    const rounds = values.rounds === undefined ? 1 : positiveInt('rounds', values.rounds);
    return { ...common, store: 'postgres', processes: maxProcesses, compare: { maxProcesses, rounds } };
  }
  if (values.rounds !== undefined) throw new UsageError('--rounds only goes with --compare');

  const store = values.store ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'postgres') throw new UsageError(`--store ${store}: expected sqlite or postgres`);
  const processes = values.processes === undefined ? 1 : processCount(values.processes);
  if (store === 'sqlite' && processes !== 1) {
    throw new UsageError(`--processes ${processes}: the embedded SQLite store belongs to one process; use --store postgres for more`);
  }
  if (store === 'sqlite' && common.pgTrace) throw new UsageError('--pg-trace needs --store postgres');
  return { ...common, store, processes, compare: null };
}

function processCount(text: string): number {
  const n = positiveInt('processes', text);
  if (n > 16) throw new UsageError(`--processes ${text}: at most 16`);
  return n;
}

function wholeNumber(name: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} ${text}: expected a whole number (0 or more)`);
  return n;
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} ${text}: expected a positive whole number`);
  return n;
}
