// The load: an organization with one connection and one standard webhook to the receiver, then N
// calls (started → answered → ended) through the ingest API, `concurrency` calls in flight; each
// step waits for the previous step's 202 (or all three go in one request with --batch). Remembers
// when each step's request was sent, keyed `<callId> <event type>`, for the delivery latency.
// With several callhook processes the requests are spread round-robin: step k of call n goes to
// process (n + k) mod N, so a call's steps land on different processes (a batch goes to n mod N).
// Or open loop (`pushAtRate`): steps at a fixed pace, a call's steps a second apart, whatever the
// answers: the shared driver's fixed-rate phase, where every step is its own transaction.
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { OPERATOR_TOKEN } from './service.ts';

export interface Setup {
  orgId: string;
  ingestToken: string;
  webhookId: string;
}

export interface LoadResult {
  /** performance.now() of the first ingest request. */
  startedAt: number;
  /** performance.now() of the last ingest response. */
  endedAt: number;
  requests: number;
  failures: number;
  /** Ingest request → 202, ms, one per request. */
  ingestLatencies: number[];
  /** `<callId> <event type>` → performance.now() when that step's request was sent. */
  sentAt: Map<string, number>;
  /** Requests sent to each process (the order of `bases`). */
  requestsPerProcess: number[];
  /** Open loop only: how late each step was sent after its planned time, ms. */
  sendLags?: number[];
}

/** A call's steps are this far apart in the open loop (the shared driver's STEP_GAP_MS). */
const STEP_GAP_MS = 1_000;

/** The event each step produces on an inbound call. */
export const EVENT_OF_STEP = { started: 'call.incoming', answered: 'call.answered', ended: 'call.ended' } as const;

export async function call<T>(base: string, method: string, path: string, body?: unknown, token = OPERATOR_TOKEN): Promise<T> {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

export async function setUp(base: string, receiverUrl: string): Promise<Setup> {
  const org = await call<{ id: string }>(base, 'POST', '/v1/orgs', { name: 'Bench Company', domain: 'bench.example', notificationEmails: ['ops@bench.example'] });
  const connection = await call<{ ingestToken: string }>(base, 'POST', `/v1/orgs/${org.id}/connections`, { name: 'PBX' });
  await call(base, 'POST', `/v1/orgs/${org.id}/users`, { id: 'u-500', extension: '500', email: 'anna@bench.example', name: 'Anna' });
  const webhook = await call<{ id: string }>(base, 'POST', `/v1/orgs/${org.id}/webhooks`, { url: receiverUrl, format: 'standard' });
  return { orgId: org.id, ingestToken: connection.ingestToken, webhookId: webhook.id };
}

function stepsOf(callId: string, at: number) {
  return [
    { type: 'started', callId, direction: 'inbound', from: '+31201234567', to: '500', user: '500', at },
    { type: 'answered', callId, at: at + 3_000, answeredBy: '500' },
    { type: 'ended', callId, at: at + 65_000 },
  ] as const;
}

/** Posts one step (or a batch) to a process; remembers when each of its steps was sent. */
function ingestPoster(bases: string[], ingestToken: string, connections: number, onError: (message: string) => void) {
  if (bases.length === 0) throw new Error('no callhook to push to');
  const pools = bases.map((base) => new Pool(base, { connections, keepAliveTimeout: 30_000 }));
  const headers = { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' };
  // What a LoadResult reports of the requests, filled in as they go.
  const state: Omit<LoadResult, 'startedAt' | 'endedAt' | 'sendLags'> = { requests: 0, failures: 0, requestsPerProcess: bases.map(() => 0), sentAt: new Map(), ingestLatencies: [] };
  const post = async (to: number, body: unknown, keys: string[]): Promise<boolean> => {
    const sent = performance.now();
    for (const key of keys) state.sentAt.set(key, sent);
    state.requests++;
    state.requestsPerProcess[to]!++;
    try {
      const response = await pools[to]!.request({ path: '/v1/ingest/calls', method: 'POST', headers, body: JSON.stringify(body) });
      const text = await response.body.text();
      state.ingestLatencies.push(performance.now() - sent);
      if (response.statusCode === 202) return true;
      if (state.failures++ < 5) onError(`ingest: HTTP ${response.statusCode} ${text.slice(0, 300)}`);
    } catch (error) {
      if (state.failures++ < 5) onError(`ingest: ${(error as Error).message}`);
    }
    return false;
  };
  return { post, state, processes: pools.length, close: () => Promise.all(pools.map((pool) => pool.close())) };
}

/**
 * Open loop: `calls` calls, `rate` steps a second, call n's step k sent at n·3/rate + k·STEP_GAP_MS
 * (s), to process (n + k) mod N, without waiting for earlier answers. Resolves once every step is
 * answered.
 */
export async function pushAtRate(
  bases: string[],
  ingestToken: string,
  options: { calls: number; rate: number; runId: string; onError: (message: string) => void },
): Promise<LoadResult> {
  // Enough connections that no step waits for one: a second of steps.
  const poster = ingestPoster(bases, ingestToken, Math.max(8, Math.ceil(options.rate / bases.length)), options.onError);
  const plan: Array<{ atMs: number; n: number; k: number }> = [];
  for (let n = 0; n < options.calls; n++) for (let k = 0; k < 3; k++) plan.push({ atMs: (n * 3 * 1_000) / options.rate + k * STEP_GAP_MS, n, k });
  plan.sort((a, b) => a.atMs - b.atMs);
  const steps = new Map<number, ReturnType<typeof stepsOf>>();
  const sendLags: number[] = [];
  const answers: Array<Promise<boolean>> = [];
  const startedAt = performance.now();
  try {
    for (let i = 0; i < plan.length; ) {
      const wait = startedAt + plan[i]!.atMs - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait - 1));
      // Everything due by now goes out in this turn.
      const now = performance.now();
      for (; i < plan.length && startedAt + plan[i]!.atMs <= now + 0.5; i++) {
        const { atMs, n, k } = plan[i]!;
        const callId = `${options.runId}-${n}`;
        if (k === 0) steps.set(n, stepsOf(callId, Date.now()));
        const step = steps.get(n)![k]!;
        if (k === 2) steps.delete(n);
        sendLags.push(Math.max(0, now - (startedAt + atMs)));
        answers.push(poster.post((n + k) % poster.processes, step, [`${callId} ${EVENT_OF_STEP[step.type]}`]));
      }
    }
    await Promise.all(answers);
    return { startedAt, endedAt: performance.now(), ...poster.state, sendLags };
  } finally {
    await poster.close();
  }
}

export async function pushCalls(
  bases: string[],
  ingestToken: string,
  options: { calls: number; concurrency: number; batch: boolean; runId: string; onError: (message: string) => void },
): Promise<LoadResult> {
  const poster = ingestPoster(bases, ingestToken, options.concurrency, options.onError);
  const { post } = poster;

  const oneCall = async (n: number) => {
    const callId = `${options.runId}-${n}`;
    const steps = stepsOf(callId, Date.now());
    if (options.batch) {
      await post(n % poster.processes, { steps }, steps.map((s) => `${callId} ${EVENT_OF_STEP[s.type]}`));
      return;
    }
    for (const [k, step] of steps.entries()) {
      if (!(await post((n + k) % poster.processes, step, [`${callId} ${EVENT_OF_STEP[step.type]}`]))) return; // the next step would be a conflict
    }
  };

  let next = 0;
  const worker = async () => {
    while (next < options.calls) await oneCall(next++);
  };
  const startedAt = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, options.calls) }, worker));
    return { startedAt, endedAt: performance.now(), ...poster.state };
  } finally {
    await poster.close();
  }
}
