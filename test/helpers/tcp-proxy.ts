// A TCP proxy on loopback between callhook and PostgreSQL that a test switches between the ways the
// network to a database fails: `pass` (forwards), `reset` (every connection, open or new, is reset
// at once: a stopped server), `close` (open connections are reset, new ones accepted and closed at
// once: a server shutting down, a pooler restarting), `blackhole` (connections are accepted and
// nothing is forwarded either way: a partition, a hung server). Leaving `blackhole` resets what it
// held, as a server that comes back does to connections it no longer knows.
import { type AddressInfo, type Server, type Socket, createConnection, createServer } from 'node:net';

export type ProxyMode = 'pass' | 'reset' | 'close' | 'blackhole';

export interface TcpProxy {
  /** postgres://… URL of `databaseUrl` with its host and port replaced by the proxy's. */
  readonly url: string;
  readonly port: number;
  mode(): ProxyMode;
  setMode(mode: ProxyMode): void;
  /** Client connections open now (any mode). */
  openConnections(): number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  server: Socket | null;
}

export async function startTcpProxy(databaseUrl: string): Promise<TcpProxy> {
  const target = new URL(databaseUrl);
  const targetHost = target.hostname;
  const targetPort = Number(target.port || 5432);
  let current: ProxyMode = 'pass';
  const pairs = new Set<Pair>();

  const reset = (pair: Pair) => {
    pair.client.resetAndDestroy();
    pair.server?.destroy();
    pairs.delete(pair);
  };

  const server: Server = createServer((client) => {
    const pair: Pair = { client, server: null };
    pairs.add(pair);
    client.on('error', () => undefined);
    client.on('close', () => {
      pair.server?.destroy();
      pairs.delete(pair);
    });
    if (current === 'reset') return reset(pair);
    if (current === 'close') return void client.end();
    if (current === 'blackhole') return client.pause(); // accepted; never answered
    const upstream = createConnection({ host: targetHost, port: targetPort });
    pair.server = upstream;
    upstream.on('error', () => reset(pair));
    upstream.on('close', () => {
      if (pairs.has(pair)) reset(pair);
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);

  return {
    url: url.toString(),
    port,
    mode: () => current,
    setMode(mode) {
      const previous = current;
      current = mode;
      if (mode === 'reset' || mode === 'close' || (previous === 'blackhole' && mode !== 'blackhole')) {
        for (const pair of [...pairs]) reset(pair);
      } else if (mode === 'blackhole') {
        // Open connections go silent: nothing more is read from either side or forwarded.
        for (const pair of pairs) {
          pair.client.unpipe();
          pair.server?.unpipe();
          pair.client.pause();
          pair.server?.pause();
        }
      }
    },
    openConnections: () => pairs.size,
    async close() {
      for (const pair of [...pairs]) reset(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
