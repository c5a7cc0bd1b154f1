// `callhook simulate`: feeds made-up calls (see simulated-calls.ts for the mix) into a running
// callhook through the ingest API. Two modes:
//   demo (default)  each call's steps are posted as they happen, the gaps between them shrunk by
//                   --speed; `at` times keep the call-time gaps, backdated so none lies in the future
//   --batch (load)  each call's steps go in one request at once, with `at` times backdated so the
//                   call has just finished; without --rate, calls start as fast as --concurrency allows
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { listFlag, numberFlag, UsageError } from './cli-flags.ts';
import { createPoster, type Post } from './ingest-poster.ts';
import { ingestSteps, lastOffsetMs, seededRng, simulatedCall, timedSteps, type SimulatedCall } from './simulated-calls.ts';
import { toneWav } from './tone-wav.ts';

interface SimulateOptions {
  ingestUrl: string;
  token: string;
  calls: number;
  /** New calls per second; 0 = unpaced. */
  rate: number;
  extensions: string[];
  numbers: string[];
  speed: number;
  batch: boolean;
  concurrency: number;
  seed: number;
  quiet: boolean;
}

/** Calls in progress at most, as a multiple of --concurrency: bounds memory when pacing is off. */
const ACTIVE_CALLS_PER_SLOT = 64;
/** With --quiet, errors beyond this many are counted but not printed. */
const QUIET_ERROR_LINES = 5;

const USAGE = `Usage: callhook simulate [options]

Sends realistic made-up calls to a running callhook through its ingest API.

  --url <url>           callhook base URL (default http://localhost:8080)
  --token <token>       the connection's ingest token (or env CALLHOOK_INGEST_TOKEN)
  --calls <n>           calls to simulate (default 10)
  --rate <n>            new calls per second (default 2; with --batch unpaced; 0 = unpaced)
  --extensions <list>   user extensions, comma separated (default 500,501,502)
  --numbers <list>      the organization's numbers inbound calls come in on (default none: \`to\`
                        is the extension rung, read as the user's direct or the main number)
  --speed <factor>      time compression of ringing and talking (default 20: 60 s talk takes 3 s)
  --batch               load mode: all of a call's steps in one request, at once, backdated
  --concurrency <n>     requests in flight at most (default 16)
  --seed <n>            random seed, to repeat a run (default: random, printed)
  --quiet               no line per call, only errors (the first ${QUIET_ERROR_LINES}) and the summary
  --help                show this help
`;

export async function runSimulate(argv: string[], out: NodeJS.WritableStream, env: Record<string, string | undefined> = {}): Promise<number> {
  let options: SimulateOptions;
  try {
    const parsed = parseOptions(argv, env.CALLHOOK_INGEST_TOKEN);
    if (parsed === 'help') {
      out.write(USAGE);
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (!(error instanceof UsageError) && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') !== true) throw error;
    out.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }

  // First Ctrl-C: start no new calls but finish those in progress, so none is left ringing
  // forever in callhook. Second: stop at once.
  const stopStarting = new AbortController();
  const abort = new AbortController();
  const onSignal = () => {
    if (!stopStarting.signal.aborted) {
      stopStarting.abort();
      out.write('stopping: finishing the calls in progress (again to abort them)\n');
    } else {
      abort.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await simulate(options, out, { stopStarting: stopStarting.signal, abort: abort.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function parseOptions(argv: string[], envToken: string | undefined): SimulateOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      calls: { type: 'string' },
      rate: { type: 'string' },
      extensions: { type: 'string' },
      numbers: { type: 'string' },
      speed: { type: 'string' },
      batch: { type: 'boolean' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  const token = values.token ?? envToken;
  if (!token) throw new UsageError("--token (or env CALLHOOK_INGEST_TOKEN) is required: the connection's ingest token");
  const extensions = listFlag(values.extensions, ['500', '501', '502']);
  if (extensions.length === 0) throw new UsageError('--extensions needs at least one extension');
  const batch = values.batch ?? false;
  return {
    ingestUrl: ingestUrlOf(values.url ?? 'http://localhost:8080'),
    token,
    calls: numberFlag(values.calls, 'calls', 10, { min: 1 }),
    rate: numberFlag(values.rate, 'rate', batch ? 0 : 2, { min: 0, integer: false }),
    extensions,
    numbers: listFlag(values.numbers, []),
    speed: numberFlag(values.speed, 'speed', 20, { min: 0.01, integer: false }),
    batch,
    concurrency: numberFlag(values.concurrency, 'concurrency', 16, { min: 1, max: 10_000 }),
    seed: numberFlag(values.seed, 'seed', Math.floor(Math.random() * 2 ** 32), { min: 0, max: 2 ** 32 - 1 }),
    quiet: values.quiet ?? false,
  };
}

function ingestUrlOf(base: string): string {
  try {
    const url = new URL(base.endsWith('/') ? base : `${base}/`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
    return new URL('v1/ingest/calls', url).toString();
  } catch {
    throw new UsageError(`--url must be an http or https URL, not "${base}"`);
  }
}

interface StopSignals {
  /** No new calls. */
  stopStarting: AbortSignal;
  /** No more steps of calls in progress either. */
  abort: AbortSignal;
}

async function simulate(options: SimulateOptions, out: NodeJS.WritableStream, stop: StopSignals): Promise<number> {
  const signal = stop.abort;
  const rng = seededRng(options.seed);
  const runId = Date.now();
  const agent = new Agent({ connections: options.concurrency });
  const post = createPoster({ url: options.ingestUrl, token: options.token, concurrency: options.concurrency, agent });
  const stats = { calls: 0, steps: 0, errors: 0 };
  const report = (line: string) => out.write(`${line}\n`);
  const reportError = (line: string) => {
    stats.errors += 1;
    if (!options.quiet || stats.errors <= QUIET_ERROR_LINES) report(line);
    else if (stats.errors === QUIET_ERROR_LINES + 1) report('(further errors are counted, not shown)');
  };
  if (!options.quiet) {
    const pace = options.rate > 0 ? `${options.rate} calls/s` : 'unpaced';
    const mode = options.batch ? 'batch' : `speed ${options.speed}×`;
    report(`simulating ${options.calls} calls (${pace}, ${mode}, seed ${options.seed}) → ${options.ingestUrl}`);
  }

  let warned = false;
  const warnOnce = (warnings: string[]) => {
    if (warned || warnings.length === 0 || options.quiet) return;
    warned = true;
    report(`warning (said once): ${warnings[0]}`);
  };
  const runCall = async (call: SimulatedCall) => {
    const steps = options.batch ? await postBatch(call, post, signal, warnOnce) : await postAsItHappens(call, options.speed, post, signal, warnOnce);
    stats.steps += steps.accepted;
    if (steps.error !== null) reportError(`call ${call.callId}: ${steps.error}`);
    else if (steps.accepted === call.steps.length) {
      stats.calls += 1;
      if (!options.quiet) report(describeCall(call));
    }
  };

  const startedAt = performance.now();
  const maxActive = options.batch ? options.concurrency * 2 : options.concurrency * ACTIVE_CALLS_PER_SLOT;
  const active = new Set<Promise<void>>();
  try {
    for (let n = 1; n <= options.calls && !stop.stopStarting.aborted; n++) {
      const call = simulatedCall(rng, n, { extensions: options.extensions, numbers: options.numbers, runId });
      if (options.rate > 0) await sleepUntil(startedAt + ((n - 1) * 1_000) / options.rate, stop.stopStarting);
      while (active.size >= maxActive) await Promise.race(active);
      if (stop.stopStarting.aborted) break;
      const task: Promise<void> = runCall(call).finally(() => active.delete(task));
      active.add(task);
    }
    await Promise.all(active);
  } finally {
    await agent.close();
  }

  const elapsedS = (performance.now() - startedAt) / 1_000;
  const perS = elapsedS > 0 ? stats.steps / elapsedS : 0;
  const stopped = signal.aborted ? ' (aborted)' : stop.stopStarting.aborted ? ' (stopped early)' : '';
  report(`simulated ${stats.calls} calls (${stats.steps} steps) in ${elapsedS.toFixed(1)} s: ${perS.toFixed(1)} steps/s, ${stats.errors} errors${stopped}`);
  return stats.errors > 0 ? 1 : 0;
}

type CallResult = { accepted: number; error: string | null };

type Warn = (warnings: string[]) => void;

async function postAsItHappens(call: SimulatedCall, speed: number, post: Post, signal: AbortSignal, warn: Warn): Promise<CallResult> {
  const wallStart = performance.now();
  const last = lastOffsetMs(call);
  // Call time runs `speed` times faster than the wall clock; anchoring the call so that its last
  // step lands at the wall time it is posted keeps every `at` in the past.
  const startMs = Math.round(Date.now() + last / speed - last);
  const bodies = timedSteps(call, startMs);
  let accepted = 0;
  for (const [index, step] of call.steps.entries()) {
    if (!(await sleepUntil(wallStart + step.offsetMs / speed, signal))) return { accepted, error: null };
    const body = bodies[index]!;
    const result = body.type === 'recording-file' ? await post(null, { callId: body.callId, file: toneWav(body.seconds) }) : await post(body);
    if (!result.ok) {
      const skipped = call.steps.length - index - 1;
      return { accepted, error: `${step.body.type} step failed: ${result.message}${skipped > 0 ? ` (its ${skipped} later step${skipped > 1 ? 's' : ''} not sent)` : ''}` };
    }
    warn(result.warnings);
    accepted += 1;
  }
  return { accepted, error: null };
}

async function postBatch(call: SimulatedCall, post: Post, signal: AbortSignal, warn: Warn): Promise<CallResult> {
  if (signal.aborted) return { accepted: 0, error: null };
  const steps = ingestSteps(call, Date.now() - lastOffsetMs(call));
  const result = await post({ steps });
  if (!result.ok) return { accepted: 0, error: `batch of ${steps.length} steps failed: ${result.message}` };
  warn(result.warnings);
  // The recording file goes after the steps: it joins a call that has started.
  const file = call.steps.find((step) => step.body.type === 'recording-file')?.body;
  if (file?.type === 'recording-file') {
    const pushed = await post(null, { callId: file.callId, file: toneWav(file.seconds) });
    if (!pushed.ok) return { accepted: steps.length, error: `recording failed: ${pushed.message}` };
  }
  return { accepted: call.steps.length, error: null };
}

/** Waits until `performance.now()` reaches `atMs`; false when aborted first. */
async function sleepUntil(atMs: number, signal: AbortSignal): Promise<boolean> {
  const waitMs = atMs - performance.now();
  if (signal.aborted) return false;
  if (waitMs <= 0) return true;
  try {
    await sleep(waitMs, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

export function describeCall(call: SimulatedCall): string {
  const to = call.direction === 'inbound' && call.to !== call.user ? `${call.to} (${call.user})` : call.to;
  const parts: string[] = [];
  switch (call.outcome) {
    case 'answered':
      parts.push('answered');
      if (call.choice !== null) parts.push(`IVR ${call.choice}`);
      parts.push(`${call.talkS} s talk`, `${call.hungUpBy} hung up`);
      if (call.extra !== null) parts.push(call.extra);
      break;
    case 'unanswered':
      parts.push(`unanswered, cancelled after ${call.ringS} s ringing (487)`);
      break;
    case 'busy':
      parts.push('busy (486)');
      break;
    case 'declined':
      parts.push(`declined after ${call.ringS} s ringing (603)`);
      break;
  }
  return `call ${call.callId} ${call.direction} ${call.from} → ${to}: ${parts.join(', ')}`;
}
