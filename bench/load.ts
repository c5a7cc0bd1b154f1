// The load: an organization with one connection and one standard webhook to the receiver, then N
// calls (started → answered → ended) through the ingest API, `concurrency` calls in flight; each
// step waits for the previous step's 202 (or all three go in one request with --batch). Remembers
// when each step's request was sent, keyed `<callId> <event type>`, for the delivery latency.
// With several callhook processes the requests are spread round-robin: step k of call n goes to
// process (n + k) mod N, so a call's steps land on different processes (a batch goes to n mod N).
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
}

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

export async function pushCalls(
  bases: string[],
  ingestToken: string,
  options: { calls: number; concurrency: number; batch: boolean; runId: string; onError: (message: string) => void },
): Promise<LoadResult> {
  if (bases.length === 0) throw new Error('pushCalls: no callhook to push to');
  const pools = bases.map((base) => new Pool(base, { connections: options.concurrency, keepAliveTimeout: 30_000 }));
  const requestsPerProcess = bases.map(() => 0);
  const headers = { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' };
  const sentAt = new Map<string, number>();
  const ingestLatencies: number[] = [];
  let failures = 0;
  let requests = 0;

  const post = async (to: number, body: unknown, keys: string[]): Promise<boolean> => {
    const sent = performance.now();
    for (const key of keys) sentAt.set(key, sent);
    requests++;
    requestsPerProcess[to]!++;
    try {
      const response = await pools[to]!.request({ path: '/v1/ingest/calls', method: 'POST', headers, body: JSON.stringify(body) });
      const text = await response.body.text();
      ingestLatencies.push(performance.now() - sent);
      if (response.statusCode === 202) return true;
      if (failures++ < 5) options.onError(`ingest: HTTP ${response.statusCode} ${text.slice(0, 300)}`);
    } catch (error) {
      if (failures++ < 5) options.onError(`ingest: ${(error as Error).message}`);
    }
    return false;
  };

  const oneCall = async (n: number) => {
    const callId = `${options.runId}-${n}`;
    const steps = stepsOf(callId, Date.now());
    if (options.batch) {
      await post(n % pools.length, { steps }, steps.map((s) => `${callId} ${EVENT_OF_STEP[s.type]}`));
      return;
    }
    for (const [k, step] of steps.entries()) {
      if (!(await post((n + k) % pools.length, step, [`${callId} ${EVENT_OF_STEP[step.type]}`]))) return; // the next step would be a conflict
    }
  };

  let next = 0;
  const worker = async () => {
    while (next < options.calls) await oneCall(next++);
  };
  const startedAt = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, options.calls) }, worker));
    return { startedAt, endedAt: performance.now(), requests, failures, ingestLatencies, sentAt, requestsPerProcess };
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
  }
}
