// How `npm run bench -- --source hep` reaches the collector: UDP paced by the collector's socket
// (/proc/net/udp) and counters, or TCP back to back; and a port free for both.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type CounterWatch, type HepCounters, total } from './hep-counters.ts';

/**
 * UDP, closed loop: datagrams go out in small batches while the collector's socket holds fewer than
 * this many unread bytes (/proc/net/udp rx_queue, in the kernel's accounting, ~1.5–2 KiB per
 * loopback datagram). Its receive buffer is at least the kernel default (net.core.rmem_default,
 * 208 KiB; the collector asks for 8 MiB, up to net.core.rmem_max), so a third of that leaves room
 * for a batch in flight. Without /proc: at most UDP_WINDOW
 * datagrams beyond the collector's received counter.
 */
export const UDP_QUEUE_BYTES = 64 * 1024;
const UDP_BATCH = 16;
export const UDP_WINDOW = 64;
/**
 * Datagrams sent beyond the last one the collector has processed (closed loop, no --rate). The
 * collector reads and parses whatever arrives and queues it for its tracker (up to
 * CALLHOOK_HEP_MAX_BACKLOG; TCP streams pause from a fifth of it, UDP past it drops what arrives,
 * counted as "overload"), so an open firehose measures that queue, not the collector. A fraction
 * of a second of work at full speed.
 */
export const PROCESSING_WINDOW = 2_000;
/** TCP: datagrams are written in chunks of about this size. */
const TCP_CHUNK_BYTES = 64 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The collector's UDP socket as the kernel sees it (/proc/net/udp): bytes waiting to be read
 * (rx_queue, counted as the kernel charges them against the receive buffer) and datagrams dropped
 * because that buffer was full. null without /proc or when the socket is not listed.
 */
export function udpSocketState(port: number): { queuedBytes: number; drops: number } | null {
  let table: string;
  try {
    table = readFileSync('/proc/net/udp', 'utf8');
  } catch {
    return null;
  }
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (!fields[1]?.endsWith(local)) continue;
    const [, rx = '0'] = (fields[4] ?? '').split(':');
    return { queuedBytes: parseInt(rx, 16), drops: Number(fields[12] ?? 0) };
  }
  return null;
}

/** A port free for both UDP and TCP on 127.0.0.1 (the collector takes the same number for both). */
export async function freeHepPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => resolve(udp.address().port));
    });
    const tcp = createServer();
    const free = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (free) {
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      return port;
    }
  }
  throw new Error('no port free for both UDP and TCP');
}

export interface SendResult {
  startedAt: number;
  endedAt: number;
  /** performance.now() when each datagram was handed to the socket. */
  sentAt: Float64Array;
  /** Times the sender waited: for the collector (closed loop) or for the next slot (--rate). */
  waits: number;
}

/** A way to the collector: hands datagrams [from, to) to the socket, stamping when each went. */
export interface Wire {
  send(from: number, to: number, sentAt: Float64Array): Promise<void>;
  close(): Promise<void>;
  /** Times it waited for the collector's socket to empty (UDP, closed loop). */
  waits(): number;
}

/**
 * UDP. Paced: batches of UDP_BATCH while the collector's socket holds < UDP_QUEUE_BYTES unread
 * (so the kernel never has to drop); `paced` is false for --rate (open loop, drops counted).
 */
export async function udpWire(port: number, datagrams: Buffer[], paced: boolean): Promise<Wire> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, '127.0.0.1', () => resolve());
  });
  let waits = 0;
  return {
    async send(from, to, sentAt) {
      for (let i = from; i < to; ) {
        if (paced && (udpSocketState(port)?.queuedBytes ?? 0) > UDP_QUEUE_BYTES) {
          waits++;
          await sleep(1);
          continue;
        }
        const end = paced ? Math.min(to, i + UDP_BATCH) : to;
        const now = performance.now();
        for (; i < end; i++) {
          socket.send(datagrams[i]!);
          sentAt[i] = now;
        }
        if (paced) await new Promise((resolve) => setImmediate(resolve)); // libuv hands them to the kernel
      }
    },
    async close() {
      await sleep(50); // libuv's send queue drains first
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
    waits: () => waits,
  };
}

/** TCP: the datagrams back to back (HEP's length field frames them), written in ~64 KiB chunks. */
export async function tcpWire(port: number, datagrams: Buffer[]): Promise<Wire> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => resolve());
  });
  socket.setNoDelay(true);
  return {
    async send(from, to, sentAt) {
      for (let i = from; i < to; ) {
        const chunk: Buffer[] = [];
        let bytes = 0;
        const now = performance.now();
        while (i < to && bytes < TCP_CHUNK_BYTES) {
          chunk.push(datagrams[i]!);
          sentAt[i] = now;
          bytes += datagrams[i++]!.length;
        }
        if (!socket.write(Buffer.concat(chunk, bytes))) await new Promise((resolve) => socket.once('drain', resolve));
      }
    },
    async close() {
      socket.destroy();
    },
    waits: () => 0,
  };
}

/**
 * Sends every datagram. `--rate`: open loop, `rate` per second in 1 ms slices. Otherwise closed
 * loop on the collector's counters: at most PROCESSING_WINDOW datagrams beyond the last one it has
 * processed (known from the call steps it emitted: each step is decided by a known datagram, and
 * the collector works through them in capture-time order, which is the send order); over UDP also
 * what the wire's own pacing allows, or without /proc UDP_WINDOW beyond its received counter.
 */
export async function sendAll(
  wire: Wire,
  datagrams: Buffer[],
  options: { rate: number | null; receivedWindow: boolean; counters: CounterWatch; base: HepCounters; decisive: Int32Array },
): Promise<SendResult> {
  const { rate, receivedWindow, counters, base, decisive } = options;
  const n = datagrams.length;
  const sentAt = new Float64Array(n);
  let waits = 0;
  const startedAt = performance.now();
  const allowance = () => {
    if (rate !== null) return Math.floor(((performance.now() - startedAt) / 1_000) * rate) + 1;
    const c = counters.latest();
    const steps = total(c.steps) - total(base.steps) + c.refused - base.refused;
    const processed = steps === 0 ? 0 : decisive[Math.min(steps, decisive.length) - 1]! + 1;
    return Math.min(processed + PROCESSING_WINDOW, receivedWindow ? c.received - base.received + UDP_WINDOW : Infinity);
  };
  let i = 0;
  while (i < n) {
    const upTo = Math.min(n, allowance());
    if (upTo <= i) {
      waits++;
      await (rate === null ? counters.next() : sleep(1));
      continue;
    }
    await wire.send(i, upTo, sentAt);
    i = upTo;
    await new Promise((resolve) => setImmediate(resolve)); // let the counters come in
  }
  const endedAt = performance.now();
  await wire.close();
  return { startedAt, endedAt, sentAt, waits: waits + wire.waits() };
}
