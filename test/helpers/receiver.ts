// A real HTTP receiver on loopback that records what it gets and answers as told: a status (with
// headers), a hang past the deadline, a redirect, a reset connection, or a body that never ends.
// Paths may answer differently (`routes`), and it counts how many requests it held at once.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Behaviour =
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string | string[]> }
  | { kind: 'hang'; ms: number }
  | { kind: 'redirect'; location: string }
  | { kind: 'reset' }
  /** Headers and the start of a body at once, the rest never. */
  | { kind: 'endless-body'; status: number };

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

export interface ReceiverOptions {
  /** Wait this long before answering (each request). */
  delayMs?: number;
  /** Behaviour by exact path; other paths get the receiver's behaviour. */
  routes?: Record<string, Behaviour>;
}

export interface Receiver {
  url: string;
  received: Received[];
  behave(behaviour: Behaviour): void;
  /** The most requests this receiver had open (arrived, not yet answered) at one time. */
  peakOpen(): number;
  /** Requests open now: arrived, not yet answered (a hang still holding them). */
  openNow(): number;
  /** Resolves once `count` requests arrived (fails after timeoutMs). */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(initial: Behaviour = { kind: 'status', status: 200 }, options: ReceiverOptions = {}): Promise<Receiver> {
  let behaviour = initial;
  const received: Received[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const sockets = new Set<Socket>();
  let open = 0;
  let peak = 0;
  const server: Server = createServer((request, response) => {
    open++;
    peak = Math.max(peak, open);
    let counted = true;
    const done = () => {
      if (counted) open--;
      counted = false;
    };
    response.on('finish', done);
    response.on('close', done);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      received.push({ method: request.method ?? '', path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() });
      for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
      const current = options.routes?.[path.split('?')[0]!] ?? behaviour;
      const answer = () => {
        switch (current.kind) {
          case 'status':
            response.writeHead(current.status, { 'content-type': 'text/plain', ...current.headers }).end(current.body ?? (current.status < 300 ? 'ok' : 'nope'));
            return;
          case 'hang':
            setTimeout(() => response.writeHead(200).end('too late'), current.ms).unref();
            return;
          case 'redirect':
            response.writeHead(302, { location: current.location }).end();
            return;
          case 'reset':
            request.socket.destroy();
            return;
          case 'endless-body':
            response.writeHead(current.status, { 'content-type': 'text/plain', 'content-length': '1000' });
            response.write('the start of a body that never ends');
            return;
        }
      };
      if (options.delayMs) setTimeout(answer, options.delayMs);
      else answer();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    behave(next) {
      behaviour = next;
    },
    peakOpen: () => peak,
    openNow: () => open,
    waitFor(count, timeoutMs = 10_000) {
      if (received.length >= count) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver got ${received.length} of ${count} requests within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(received)) });
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
