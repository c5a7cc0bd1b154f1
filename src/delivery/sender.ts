// The Sender port and its undici adapter: one POST with a hard deadline, no redirects, the
// response body read up to a cap. Keep-alive pools per receiver origin, with a connection cap.
// It only reports what happened; whether that counts as success is the retry policy's business.
import { performance } from 'node:perf_hooks';
import { Agent, errors as undiciErrors } from 'undici';
import { type TargetPolicy, checkTargetUrl, guardedLookup } from './target-guard.ts';

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export type SendResult =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: string; bodyTruncated: boolean; durationMs: number }
  | { kind: 'error'; error: string; durationMs: number };

export interface Sender {
  send(request: SendRequest): Promise<SendResult>;
  close(): Promise<void>;
}

export interface HttpSenderOptions {
  policy: TargetPolicy;
  connectionsPerOrigin: number;
  responseBodyCapBytes: number;
}

export function createHttpSender(options: HttpSenderOptions): Sender {
  const lookup = guardedLookup(options.policy);
  const agent = new Agent({
    connections: options.connectionsPerOrigin,
    keepAliveTimeout: 4_000,
    connect: lookup ? { lookup } : {},
  });

  return {
    async send({ url, headers, body, timeoutMs }) {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      const target = checkTargetUrl(url, options.policy);
      if (!target.ok) return { kind: 'error', error: `target not allowed: the URL ${target.reason}`, durationMs: 0 };
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      try {
        const response = await agent.request({
          origin: target.url.origin,
          path: target.url.pathname + target.url.search,
          method: 'POST',
          headers,
          body,
          signal: abort.signal,
        });
        const read = await readCapped(response.body, options.responseBodyCapBytes);
        return {
          kind: 'response',
          status: response.statusCode,
          headers: flattenHeaders(response.headers),
          body: read.text,
          bodyTruncated: read.truncated,
          durationMs: elapsed(),
        };
      } catch (error) {
        return { kind: 'error', error: describe(error, abort.signal.aborted, timeoutMs), durationMs: elapsed() };
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await agent.close();
    },
  };
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, capBytes: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const room = capBytes - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      body.destroy(); // the rest is not worth a connection's time
      return { text: Buffer.concat(chunks).toString('utf8'), truncated: true };
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** An error a person can act on, from undici's and the socket's. */
function describe(error: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `no response within ${timeoutMs} ms`;
  const err = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.cause?.code ?? err.code;
  const message = err.cause?.message ?? err.message ?? String(error);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset by the receiver before it answered';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found (${message})`;
    case 'ETARGETBLOCKED':
      return `target not allowed: ${message}`;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `no response within ${timeoutMs} ms`;
    default:
      if (error instanceof undiciErrors.UndiciError || code) return `${message}${code ? ` (${code})` : ''}`;
      return message;
  }
}
