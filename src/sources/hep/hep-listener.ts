// The HEP collector's sockets: UDP datagrams and TCP streams (framed by HEP's length field) on
// one port, handed to the HEP source; a loop releases the reorder window and sweeps due dialogs.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { type AddressInfo, type Server, type Socket, createServer, isIPv6 } from 'node:net';
import { backgroundLoop } from '../../background-loop.ts';
import type { Logger } from '../../observability/logger.ts';
import type { HepSource } from './hep-source.ts';
import { HepStreamSplitter } from './hep-stream.ts';

export interface HepListener {
  host: string;
  /** The UDP and TCP port (the same number). */
  port: number;
  close(): Promise<void>;
}

export interface HepListenerOptions {
  host: string;
  port: number;
  source: HepSource;
  log: Logger;
  tickMs: number;
  /**
   * TCP flow control: above this many messages waiting for the tracker, streams stop being read
   * (the sender's kernel holds the rest) until the backlog is below half of it. UDP has no such
   * brake: past the source's cap, messages are dropped and counted (reason "overload").
   */
  pauseBacklog: number;
}

export async function startHepListener(options: HepListenerOptions): Promise<HepListener> {
  // With port 0 the UDP socket picks a free port, and TCP must get the same number: another program
  // may hold it on TCP, so a few tries.
  for (let attempt = 1; ; attempt++) {
    try {
      return await listenOn(options);
    } catch (error) {
      if (options.port !== 0 || attempt >= 10 || (error as { code?: string }).code !== 'EADDRINUSE') throw error;
    }
  }
}

async function listenOn(options: HepListenerOptions): Promise<HepListener> {
  const { source, log, pauseBacklog } = options;
  const udp: UdpSocket = createSocket({ type: isIPv6(options.host) ? 'udp6' : 'udp4', reuseAddr: false });
  udp.on('message', (datagram) => void source.receive(datagram).catch((error) => log.error({ err: error }, 'HEP datagram failed')));
  udp.on('error', (error) => log.error({ err: error }, 'HEP UDP socket error'));
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(options.port, options.host, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  const port = (udp.address() as AddressInfo).port;

  const streams = new Set<Socket>();
  const paused = new Set<Socket>();
  const tcp: Server = createServer((socket) => {
    streams.add(socket);
    const splitter = new HepStreamSplitter();
    socket.on('data', (chunk: Buffer) => {
      for (const packet of splitter.push(chunk)) void source.receive(packet).catch((error) => log.error({ err: error }, 'HEP packet failed'));
      if (source.backlog() > pauseBacklog) {
        socket.pause();
        paused.add(socket);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      streams.delete(socket);
      paused.delete(socket);
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, options.host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    throw error;
  }

  const resumeReading = () => {
    if (paused.size === 0 || source.backlog() > pauseBacklog / 2) return;
    for (const socket of paused) socket.resume();
    paused.clear();
  };
  const loop = backgroundLoop({
    everyMs: options.tickMs,
    run: async () => {
      await source.tick();
      resumeReading();
    },
    log,
    what: 'HEP processing',
  });
  loop.start();
  return {
    host: options.host,
    port,
    async close() {
      loop.stop();
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      for (const socket of streams) socket.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      await source.flush();
    },
  };
}
