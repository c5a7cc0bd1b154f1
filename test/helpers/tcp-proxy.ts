// A TCP proxy on loopback between callhook and PostgreSQL that a test switches between the ways the
// network to a database fails: `pass` (forwards), `reset` (every connection, open or new, is reset
// at once: a stopped server), `close` (open connections are reset, new ones accepted and closed at
// once: a server shutting down, a pooler restarting), `blackhole` (connections are accepted and
// nothing is forwarded either way: a partition, a hung server). Leaving `blackhole` resets what it
// held, as a server that comes back does to connections it no longer knows. It reads each
// connection's startup message first, so a test can count a client's (re)connects by its
// application_name: the positive signal that a reconnect loop went round.
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
  /** Connections that got as far as their startup message, in any mode: all, or those of one application_name. */
  connections(applicationName?: string): number;
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
  const connections = new Map<string, number>();

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
    void startupOf(client).then((startup) => {
      if (!pairs.has(pair)) return;
      const name = applicationName(startup);
      connections.set(name, (connections.get(name) ?? 0) + 1);
      if (current === 'reset') return reset(pair);
      if (current === 'close') return void client.end();
      if (current === 'blackhole') return; // accepted; never answered (it stays paused)
      const upstream = createConnection({ host: targetHost, port: targetPort });
      pair.server = upstream;
      upstream.on('error', () => reset(pair));
      upstream.on('close', () => {
        if (pairs.has(pair)) reset(pair);
      });
      upstream.write(startup);
      client.pipe(upstream);
      upstream.pipe(client);
    });
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
    connections: (name) => (name === undefined ? [...connections.values()].reduce((sum, n) => sum + n, 0) : (connections.get(name) ?? 0)),
    async close() {
      for (const pair of [...pairs]) reset(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The client's first message (PostgreSQL's startup: length, protocol, key/value pairs); the socket is left paused. */
function startupOf(client: Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 4 || buffered.length < buffered.readUInt32BE(0)) return;
      client.pause();
      client.off('data', onData);
      resolve(buffered);
    };
    client.on('data', onData);
  });
}

/** application_name from a startup message, '' when it names none. */
function applicationName(startup: Buffer): string {
  const fields = startup.subarray(8, startup.readUInt32BE(0)).toString('utf8').split('\0');
  const at = fields.indexOf('application_name');
  return at >= 0 && at % 2 === 0 ? (fields[at + 1] ?? '') : '';
}
