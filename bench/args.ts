// Command-line flags of `npm run bench` (node:util parseArgs). Bad values are a usage error
// (exit 2), so a typo never silently benchmarks something else.
import { parseArgs } from 'node:util';

export interface BenchArgs {
  calls: number;
  concurrency: number;
  batch: boolean;
  rawCount: number;
  store: 'sqlite';
  processes: 1;
  /** Folder for a V8 CPU profile of the callhook child (`--cpu-prof`), or null. */
  cpuProf: string | null;
}

export class UsageError extends Error {}

export const USAGE = `Usage: npm run bench -- [flags]

  --calls <n>          calls to push through the ingest API (3 steps each)   default 2000
  --concurrency <n>    calls in flight at once                                default 64
  --batch              one ingest request per call with all three steps
  --raw-count <n>      plain undici POSTs for the ceiling                     default 20000
  --store <kind>       sqlite (PostgreSQL comes later)                        default sqlite
  --processes <n>      callhook processes (only 1 for now)                    default 1
  --cpu-prof <dir>     write a V8 CPU profile of the callhook child into <dir>
`;

export function parseBenchArgs(argv: string[]): BenchArgs {
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
        store: { type: 'string', default: 'sqlite' },
        processes: { type: 'string', default: '1' },
        'cpu-prof': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) throw new UsageError('');
  if (values.store !== 'sqlite') throw new UsageError(`--store ${values.store}: only sqlite is supported for now (PostgreSQL comes later)`);
  if (values.processes !== '1') throw new UsageError(`--processes ${values.processes}: only 1 is supported for now`);
  return {
    calls: positiveInt('calls', values.calls),
    concurrency: positiveInt('concurrency', values.concurrency),
    batch: values.batch,
    rawCount: positiveInt('raw-count', values['raw-count']),
    store: 'sqlite',
    processes: 1,
    cpuProf: values['cpu-prof'] ?? null,
  };
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} ${text}: expected a positive whole number`);
  return n;
}
