// The webhook receiver: a plain keep-alive node:http server on 127.0.0.1 that answers 200 `ok` at
// once and records, per `webhook-id`, the first arrival time and the body (parsed only after the
// run, to keep the receiver's own cost low and identical for raw POSTs and callhook deliveries).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface Arrival {
  /** performance.now() of the first arrival (end of the request body). */
  at: number;
  body: string;
}

export interface Receiver {
  url: string;
  arrivals: Map<string, Arrival>;
  duplicates: number;
  /** Requests without a webhook-id header. */
  anonymous: number;
  /** performance.now() of the latest first-time arrival. */
  lastAt: number;
  /** Forgets everything recorded (between the raw phase and the callhook phase). */
  reset(): void;
  /** Resolves once `count` distinct webhook-ids arrived (true), or false after `stallMs` without a new one or once `abandon()` says so. */
  waitFor(count: number, stallMs: number, onProgress?: (n: number) => void, abandon?: () => boolean): Promise<boolean>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  let target = Infinity;
  let reached: (() => void) | null = null;

  const receiver: Receiver = {
    url: '',
    arrivals: new Map(),
    duplicates: 0,
    anonymous: 0,
    lastAt: 0,
    reset() {
      receiver.arrivals = new Map();
      receiver.duplicates = 0;
      receiver.anonymous = 0;
      receiver.lastAt = 0;
    },
    waitFor(count, stallMs, onProgress, abandon) {
      return new Promise((resolve) => {
        let seen = receiver.arrivals.size;
        let lastChange = performance.now();
        const finish = (ok: boolean) => {
          clearInterval(timer);
          reached = null;
          target = Infinity;
          resolve(ok);
        };
        const timer = setInterval(() => {
          const n = receiver.arrivals.size;
          if (n !== seen) (seen = n), (lastChange = performance.now());
          onProgress?.(n);
          if (performance.now() - lastChange > stallMs || abandon?.()) finish(false);
        }, 1_000);
        target = count;
        reached = () => finish(true);
        if (receiver.arrivals.size >= count) finish(true);
      });
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };

  const server = createServer({ keepAlive: true, keepAliveTimeout: 30_000 }, (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = performance.now();
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
      const id = req.headers['webhook-id'];
      if (typeof id !== 'string') {
        receiver.anonymous++;
        return;
      }
      if (receiver.arrivals.has(id)) {
        receiver.duplicates++;
        return;
      }
      receiver.arrivals.set(id, { at, body: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8') });
      receiver.lastAt = at;
      if (receiver.arrivals.size >= target) reached?.();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}
