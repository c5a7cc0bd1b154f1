// The Sender port and its undici adapter: one POST with a hard deadline, no redirects, the
// response body read up to a cap. It only reports what happened; whether that counts as success is
// the retry policy's business.
// Connections: every webhook has its own keep-alive pool (`poolKey`), with no connection cap of
// its own: the dispatcher's per-webhook in-flight cap bounds it, so a request never waits for a
// connection — the deadline measures the receiver, and a webhook whose receiver hangs holds only
// its own connections, never a healthy webhook's on the same host:port. Idle pools are closed.
import { performance } from 'node:perf_hooks';
import { rootCertificates } from 'node:tls';
import type { IncomingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { type AttemptStage, ATTEMPT_ERRORS, describeAttemptError } from './attempt-errors.ts';
import { type ResolveAll, type TargetPolicy, checkTargetUrl, guardedLookup } from './target-guard.ts';

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Whose connections to use (a webhook id); requests without one share a pool per origin. */
  poolKey?: string;
  /** Ends the request early; its reason (a string) becomes the error. */
  signal?: AbortSignal;
}

export type SendResult =
  | {
      kind: 'response';
      status: number;
      headers: Record<string, string>;
      body: string;
      bodyTruncated: boolean;
      /** Set when the answer began but its body did not arrive whole (deadline, connection cut). */
      bodyError: string | null;
      durationMs: number;
    }
  /** `aborted`: ended by the request's signal, not by the receiver. */
  | { kind: 'error'; error: string; durationMs: number; aborted?: boolean };

export interface Sender {
  send(request: SendRequest): Promise<SendResult>;
  close(): Promise<void>;
  stats(): { pools: number };
}

export interface HttpSenderOptions {
  policy: TargetPolicy;
  responseBodyCapBytes: number;
  /** The longest deadline a request may have (config.delivery.maxTimeoutMs). */
  maxTimeoutMs: number;
  /** How long a pool may sit unused before it is closed. */
  poolIdleMs?: number;
  /** Certificates trusted besides Node's roots (tests; operators have NODE_EXTRA_CA_CERTS). */
  trustedCa?: string[];
  /** Name resolution for the connect-time target check (tests bring a resolver of their own). */
  resolve?: ResolveAll;
}

/** A kept-alive connection the receiver has not used for this long is closed. */
const KEEP_ALIVE_MS = 4_000;
const POOL_IDLE_MS = 30_000;

interface PoolEntry {
  key: string;
  pool: Pool;
  inFlight: number;
  idleTimer: NodeJS.Timeout | null;
}

/** Ends a request on our side: the deadline passed, or enough of the body was read. */
class Stop extends Error {}

export function createHttpSender(options: HttpSenderOptions): Sender {
  const lookup = guardedLookup(options.policy, options.resolve);
  const connect = {
    // Our deadline ends every request (undici's own connect timeout would cut a long one short).
    timeout: options.maxTimeoutMs + 1_000,
    ...(lookup ? { lookup } : {}),
    ...(options.trustedCa ? { ca: [...rootCertificates, ...options.trustedCa] } : {}),
  };
  const pools = new Map<string, PoolEntry>();
  const idleMs = options.poolIdleMs ?? POOL_IDLE_MS;

  function acquire(poolKey: string, origin: string): PoolEntry {
    const key = `${poolKey} ${origin}`;
    let entry = pools.get(key);
    if (!entry) {
      entry = { key, pool: new Pool(origin, { connections: null, keepAliveTimeout: KEEP_ALIVE_MS, connect }), inFlight: 0, idleTimer: null };
      pools.set(key, entry);
    }
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = null;
    entry.inFlight++;
    return entry;
  }

  function release(entry: PoolEntry): void {
    entry.inFlight--;
    if (entry.inFlight > 0 || pools.get(entry.key) !== entry) return;
    entry.idleTimer = setTimeout(() => {
      pools.delete(entry.key);
      entry.pool.close().catch(() => undefined);
    }, idleMs);
    entry.idleTimer.unref();
  }

  function exchange(pool: Pool, url: URL, request: SendRequest, started: number): Promise<SendResult> {
    const { timeoutMs } = request;
    const context = { timeoutMs, host: url.hostname, https: url.protocol === 'https:', code: '' };
    const capBytes = options.responseBodyCapBytes;
    const elapsed = () => Math.round(performance.now() - started);
    let stage: AttemptStage = 'connecting';
    let controller: Dispatcher.DispatchController | null = null;
    let settled = false;
    let status = 0;
    let headers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;

    return new Promise<SendResult>((resolve) => {
      const settle = (result: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', aborted);
        resolve(result);
      };
      const aborted = () => {
        settle({ kind: 'error', error: String(request.signal?.reason), durationMs: elapsed(), aborted: true });
        controller?.abort(new Stop('aborted'));
      };
      request.signal?.addEventListener('abort', aborted, { once: true });
      const response = (bodyError: string | null): SendResult => ({
        kind: 'response', status, headers, body: Buffer.concat(chunks).toString('utf8'), bodyTruncated: truncated, bodyError, durationMs: elapsed(),
      });
      const failed = (error: unknown) => {
        const line = describeAttemptError(error, stage, context);
        settle(stage === 'receiving' ? response(line) : { kind: 'error', error: line, durationMs: elapsed() });
      };
      // The deadline runs from the call: no pool makes a request wait for a connection (see the
      // module head), so all it measures is the receiver's time to connect, handshake and answer.
      const timer = setTimeout(() => {
        const line =
          stage === 'receiving' ? ATTEMPT_ERRORS['body-timeout'](context) : stage === 'waiting' ? ATTEMPT_ERRORS['response-timeout'](context) : ATTEMPT_ERRORS['connect-timeout'](context);
        settle(stage === 'receiving' ? response(line) : { kind: 'error', error: line, durationMs: elapsed() });
        controller?.abort(new Stop('deadline'));
      }, timeoutMs);

      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
          if (settled) return c.abort(new Stop('deadline'));
          stage = 'waiting';
        },
        onResponseStart(_c, statusCode, responseHeaders) {
          if (statusCode < 200) return; // 1xx: the real answer follows
          stage = 'receiving';
          status = statusCode;
          headers = flattenHeaders(responseHeaders);
        },
        onResponseData(c, chunk) {
          if (settled) return;
          const room = capBytes - size;
          if (chunk.length > room) {
            chunks.push(chunk.subarray(0, room));
            truncated = true;
            settle(response(null));
            c.abort(new Stop('body cap')); // the rest is not worth a connection's time
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        },
        onResponseEnd() {
          settle(response(null));
        },
        onResponseError(_c, error) {
          if (!settled) failed(error);
        },
      };
      try {
        // headersTimeout / bodyTimeout off: the deadline above is the only clock.
        const dispatchOptions = { origin: url.origin, path: url.pathname + url.search, method: 'POST' as const, headers: request.headers, body: request.body, headersTimeout: 0, bodyTimeout: 0 };
        pool.dispatch(dispatchOptions, handler);
      } catch (error) {
        failed(error);
      }
    });
  }

  return {
    async send(request) {
      const started = performance.now();
      const target = checkTargetUrl(request.url, options.policy);
      if (!target.ok) return { kind: 'error', error: `target not allowed: the URL ${target.reason}`, durationMs: 0 };
      if (request.signal?.aborted) return { kind: 'error', error: String(request.signal.reason), durationMs: 0, aborted: true };
      const entry = acquire(request.poolKey ?? '', target.url.origin);
      try {
        return await exchange(entry.pool, target.url, request, started);
      } finally {
        release(entry);
      }
    },
    async close() {
      const entries = [...pools.values()];
      pools.clear();
      for (const entry of entries) if (entry.idleTimer) clearTimeout(entry.idleTimer);
      // Whatever is still in flight was given up by the dispatcher's drain; its lease runs out.
      await Promise.allSettled(entries.map((entry) => entry.pool.destroy()));
    },
    stats: () => ({ pools: pools.size }),
  };
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
