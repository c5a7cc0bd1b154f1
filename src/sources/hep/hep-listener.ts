// The HEP collector's sockets: UDP datagrams and TCP streams (framed by HEP's length field) on
// one port, handed to the HEP source; a loop releases the reorder window and sweeps due dialogs.
// The UDP socket asks for a large receive buffer to ride out bursts; what the kernel still drops
// is a metric, as are the bytes TCP streams skipped to find the next packet.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { type AddressInfo, type Server, type Socket, createServer, isIPv6 } from 'node:net';
import { backgroundLoop } from '../../background-loop.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { HepSource } from './hep-source.ts';
import { HepStreamSplitter } from './hep-stream.ts';
import { udpDropsOf } from './udp-drops.ts';

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
  metrics: Metrics;
  /** SO_RCVBUF asked for; Linux grants at most net.core.rmem_max (doubled for its bookkeeping). */
  udpReceiveBufferBytes: number;
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
  const { source, log, metrics, pauseBacklog } = options;
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
  const receiveBufferBytes = askReceiveBuffer(udp, options.udpReceiveBufferBytes, log);
  metrics.gauge('callhook_hep_udp_receive_buffer_bytes', 'Receive buffer of the HEP UDP socket as the kernel granted it', () => receiveBufferBytes);
  const drops = udpDropsOf(port);
  if (drops) metrics.sampled('callhook_hep_udp_drops_total', 'HEP datagrams the kernel dropped because the UDP receive buffer was full (/proc/net/udp)', 'counter', () => [{ value: drops() }]);
  const skipped = metrics.counter('callhook_hep_tcp_bytes_skipped_total', 'Bytes of HEP TCP streams that were no packet (garbage, or a frame whose length was a lie), skipped to the next "HEP3"');

  const streams = new Set<Socket>();
  const paused = new Set<Socket>();
  const tcp: Server = createServer((socket) => {
    streams.add(socket);
    const splitter = new HepStreamSplitter();
    socket.on('data', (chunk: Buffer) => {
      const droppedBefore = splitter.droppedBytes;
      for (const packet of splitter.push(chunk)) void source.receive(packet).catch((error) => log.error({ err: error }, 'HEP packet failed'));
      if (splitter.droppedBytes > droppedBefore) skipped.inc(splitter.droppedBytes - droppedBefore);
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

/** Asks for the buffer and answers what the kernel granted; a smaller grant is worth one line. */
function askReceiveBuffer(udp: UdpSocket, bytes: number, log: Logger): number {
  try {
    udp.setRecvBufferSize(bytes);
  } catch (error) {
    log.warn({ err: error, bytes }, 'HEP UDP receive buffer: the size asked for was refused');
  }
  const granted = udp.getRecvBufferSize();
  if (granted < bytes) {
    log.warn({ asked: bytes, granted }, `HEP UDP receive buffer: asked for ${bytes} bytes, the kernel granted ${granted}; raise net.core.rmem_max (sysctl) to ride out bursts`);
  }
  return granted;
}
