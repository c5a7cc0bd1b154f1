// The durable recording fetch: a recording step's URL is a job in the store (written with the
// step), claimed under a lease by any dispatching process, fetched — through the address guard,
// or from an origin listed on the connection with its credentials — and streamed into the
// RecordingStore; once stored, the recording joins its call and call.recording is planned. A failed
// attempt is retried on a schedule (fetch-policy.ts) until the job's deadline; what cannot get
// better (not audio, too large, a refused URL) fails at once. Single-stepped with tick().
import { Agent, request } from 'undici';
import { backgroundLoop } from '../background-loop.ts';
import type { Clock } from '../clock.ts';
import { guardedLookup, type ResolveAll, type TargetPolicy } from '../delivery/target-guard.ts';
import { AppError, isStoreFailure } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Store } from '../store/store.ts';
import { nextFetchAt, planFetch } from './fetch-policy.ts';
import type { RecordingFetch } from './recording.ts';
import type { RecordingIntake } from './recording-intake.ts';

/** An attempt must finish well inside its lease, so no two processes fetch the same job. */
const LEASE_MS = 30 * 60_000;
const HEADERS_TIMEOUT_MS = 30_000;
/** Longest silence while the body streams. */
const BODY_IDLE_MS = 60_000;
const ATTEMPT_MS = 20 * 60_000;
const BATCH = 4;

export interface RecordingFetcher {
  /** Fetches what is due now (all of it, each to its end); resolves when done. */
  tick(): Promise<void>;
  /** A recording step was just accepted here: look at once. */
  wake(): void;
  start(): void;
  stop(): Promise<void>;
}

export function createRecordingFetcher(deps: {
  store: Store;
  intake: RecordingIntake;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  owner: string;
  policy: TargetPolicy;
  pollIntervalMs: number;
  /** Tests bring their own resolver. */
  resolve?: ResolveAll;
}): RecordingFetcher {
  const { store, clock, log } = deps;
  const fetched = deps.metrics.counter('callhook_recording_fetches_total', 'Recording fetch attempts, by result', ['result']);
  const lookup = guardedLookup(deps.policy, deps.resolve);
  const timeouts = { headersTimeout: HEADERS_TIMEOUT_MS, bodyTimeout: BODY_IDLE_MS };
  // Two kinds of connections: guarded (the public-address check at connect time) and to listed origins.
  const guarded = new Agent({ ...timeouts, connect: lookup ? { lookup } : {} });
  const listed = new Agent(timeouts);
  let current: Promise<void> = Promise.resolve();
  /** Stopping cuts attempts in flight short: their jobs are tried again (here or elsewhere) when the lease runs out. */
  const stopping = new AbortController();

  async function attempt(job: RecordingFetch): Promise<void> {
    const found = await store.connections.findById(job.connectionId);
    if (!found || found.connection.revokedAt !== null) return fail(job, 'the connection that asked for this recording is gone', true);
    const plan = planFetch(job.url, found.connection.recordingSources, deps.policy);
    if (plan.kind === 'refused') return fail(job, plan.reason, true);
    const signal = AbortSignal.any([AbortSignal.timeout(ATTEMPT_MS), stopping.signal]);
    let response;
    try {
      response = await request(plan.url, {
        method: 'GET',
        headers: { 'user-agent': 'callhook', accept: 'audio/*', ...(plan.kind === 'listed' ? plan.headers : {}) },
        dispatcher: plan.kind === 'listed' ? listed : guarded,
        signal,
      });
    } catch (error) {
      if (stopping.signal.aborted) throw error;
      return fail(job, `could not fetch ${plan.url.origin}: ${describe(error)}`, false);
    }
    if (response.statusCode < 200 || response.statusCode > 299) {
      response.body.resume();
      const redirect = response.statusCode >= 300 && response.statusCode < 400 ? ' (redirects are not followed)' : '';
      return fail(job, `${plan.url.origin} answered ${response.statusCode}${redirect}`, false);
    }
    const length = Number(response.headers['content-length']);
    try {
      const result = await deps.intake.completeFetch({
        org: found.org, connection: found.connection, fetch: job, source: response.body, declaredBytes: Number.isFinite(length) ? length : null,
      });
      fetched.inc(1, { result: result.status });
    } catch (error) {
      response.body.destroy();
      // The store away, or this process stopping: the job stays leased and is tried again when the lease runs out.
      if (isStoreFailure(error) || stopping.signal.aborted) throw error;
      // What the recording is (not audio, too large) or the call's state will not change by trying again.
      const permanent = error instanceof AppError && error.code !== 'INTERNAL';
      return fail(job, error instanceof AppError ? error.detail : `fetching ${plan.url.origin} failed: ${describe(error)}`, permanent);
    }
  }

  async function fail(job: RecordingFetch, why: string, permanent: boolean): Promise<void> {
    const now = clock.now();
    const next = permanent ? null : nextFetchAt(job.attempts + 1, now, job.deadlineAt);
    fetched.inc(1, { result: next === null ? 'failed' : 'retry' });
    if (next === null) log.warn({ fetch: job.id, callId: job.callId, org: job.orgId, error: why }, 'recording fetch failed for good');
    await store.recordings.fetchFailed({ id: job.id, owner: deps.owner, error: why, nextAttemptAt: next, now });
  }

  async function tick(): Promise<void> {
    for (;;) {
      const due = await store.recordings.claimFetches({ owner: deps.owner, now: clock.now(), leaseMs: LEASE_MS, limit: BATCH });
      await Promise.all(due.map((job) => attempt(job).catch((error: unknown) => log.warn({ err: error, fetch: job.id }, 'recording fetch attempt failed'))));
      if (due.length < BATCH) return;
    }
  }

  function serialTick(): Promise<void> {
    const run = current.then(tick);
    current = run.catch(() => undefined);
    return run;
  }

  const loop = backgroundLoop({ everyMs: deps.pollIntervalMs, run: serialTick, log, what: 'fetching recordings' });
  return {
    tick: serialTick,
    wake() {
      if (loop.running) void serialTick().catch((error: unknown) => log.warn({ err: error }, 'fetching recordings failed'));
    },
    start: loop.start,
    async stop() {
      loop.stop();
      stopping.abort();
      await current;
      await Promise.allSettled([guarded.close(), listed.close()]);
    },
  };
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.code === 'ETARGETBLOCKED' || e.cause?.code === 'ETARGETBLOCKED') return 'it is not a public address (list a private PBX origin on the connection)';
  return e.cause?.message ?? e.message ?? String(error);
}
