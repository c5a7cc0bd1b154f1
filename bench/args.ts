// Command-line flags of `npm run bench` (node:util parseArgs). Bad values are a usage error
// (exit 2), so a typo never silently benchmarks something else.
import { parseArgs } from 'node:util';

export type BenchStore = 'sqlite' | 'postgres';

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchArgs {
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
}

export class UsageError extends Error {}

export const USAGE = `Usage: npm run bench -- [flags]

  --calls <n>          calls to push through the ingest API (3 steps each)   default 2000
  --concurrency <n>    calls in flight at once                                default 64
  --batch              one ingest request per call with all three steps
  --raw-count <n>      plain undici POSTs for the ceiling                     default 20000
  --store <kind>       sqlite (embedded, one process) or postgres             default sqlite
  --processes <n>      callhook processes sharing the store (postgres only)   default 1
  --postgres-url <url> PostgreSQL server; the bench creates (and drops) its own database on it
                       default $CALLHOOK_BENCH_POSTGRES_URL or ${DEFAULT_POSTGRES_URL}
  --pg-trace           count SQL round trips and time per statement/transaction through a
                       wire-protocol proxy in the bench process (adds a hop: slower; postgres only)
  --compare            run sqlite × 1, then postgres × 1, 2 … --processes (default 3), each in its
                       own bench process with the same flags; last line: {"runs":[…]}
  --rounds <n>         with --compare: repeat the whole sequence n times     default 1
  --cpu-prof <dir>     write a V8 CPU profile of each callhook child into <dir>
`;

export function parseBenchArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        calls: { type: 'string', default: '2000' },
        concurrency: { type: 'string', default: '64' },
        batch: { type: 'boolean', default: false },
        'raw-count': { type: 'string', default: '20000' },
        store: { type: 'string' },
        processes: { type: 'string' },
        'postgres-url': { type: 'string' },
        'pg-trace': { type: 'boolean', default: false },
        compare: { type: 'boolean', default: false },
        rounds: { type: 'string' },
        'cpu-prof': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) throw new UsageError('');
  const postgresUrl = values['postgres-url'] ?? (env.CALLHOOK_BENCH_POSTGRES_URL || DEFAULT_POSTGRES_URL);
  if (!/^postgres(ql)?:\/\//.test(postgresUrl)) throw new UsageError(`--postgres-url ${postgresUrl}: expected postgres://…`);
  const common = {
    calls: positiveInt('calls', values.calls),
    concurrency: positiveInt('concurrency', values.concurrency),
    batch: values.batch,
    rawCount: positiveInt('raw-count', values['raw-count']),
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

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} ${text}: expected a positive whole number`);
  return n;
}
