// A real HTTP receiver on loopback that records what it gets and answers as told: a status, a
// hang past the deadline, a redirect, or a reset connection.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Behaviour =
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'hang'; ms: number }
  | { kind: 'redirect'; location: string }
  | { kind: 'reset' };

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  behave(behaviour: Behaviour): void;
  /** Resolves once `count` requests arrived (fails after timeoutMs). */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(initial: Behaviour = { kind: 'status', status: 200 }, options: { delayMs?: number } = {}): Promise<Receiver> {
  let behaviour = initial;
  const received: Received[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() });
      for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
      const answer = () => {
        switch (behaviour.kind) {
          case 'status':
            response.writeHead(behaviour.status, { 'content-type': 'text/plain' }).end(behaviour.body ?? (behaviour.status < 300 ? 'ok' : 'nope'));
            return;
          case 'hang':
            setTimeout(() => response.writeHead(200).end('too late'), behaviour.ms).unref();
            return;
          case 'redirect':
            response.writeHead(302, { location: behaviour.location }).end();
            return;
          case 'reset':
            request.socket.destroy();
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
