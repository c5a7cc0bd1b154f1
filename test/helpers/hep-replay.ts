// Replays a HEP capture (test/fixtures/sip/captures/*.hep.jsonl) to a collector over UDP, with
// its capture times moved to `startMs` (gaps kept), so replayed calls are as fresh as live ones.
// `replay` also plays the capture's timing on the service's fake clock: each datagram arrives when
// the clock reached its moment, and the collector ticks in between, as it would live.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { decodeHep, encodeHep } from '../../src/sources/hep/hep-packet.ts';
import type { TestService } from './service.ts';
import { eventually } from './eventually.ts';

export interface CapturedDatagram {
  raw: Buffer;
  timestampUs: number;
}

export function readCapture(name: string): CapturedDatagram[] {
  const text = readFileSync(new URL(`../fixtures/sip/captures/${name}.hep.jsonl`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const raw = Buffer.from((JSON.parse(line) as { raw_b64: string }).raw_b64, 'base64');
      const decoded = decodeHep(raw);
      if (!decoded.ok) throw new Error(`capture ${name}: ${decoded.detail}`);
      return { raw, timestampUs: decoded.packet.timestampUs };
    });
}

/** The capture's datagrams with times moved so the first is at `startMs`; optionally another capture id. */
export function shifted(datagrams: CapturedDatagram[], startMs: number, captureId?: number): Buffer[] {
  const firstUs = Math.min(...datagrams.map((d) => d.timestampUs));
  return datagrams.map((d) => {
    const decoded = decodeHep(d.raw);
    if (!decoded.ok) throw new Error(decoded.detail);
    const packet = { ...decoded.packet, timestampUs: startMs * 1_000 + (d.timestampUs - firstUs) };
    if (captureId !== undefined) packet.captureId = captureId;
    return encodeHep(packet);
  });
}

export async function sendUdp(port: number, datagrams: Buffer[], host = '127.0.0.1'): Promise<void> {
  const socket = createSocket('udp4');
  try {
    for (const datagram of datagrams) {
      await new Promise<void>((resolve, reject) => socket.send(datagram, port, host, (error) => (error ? reject(error) : resolve())));
    }
  } finally {
    socket.close();
  }
}

export interface ReplayOptions {
  /** Capture times = arrival times + this (the phone system's clock off from ours); default 0. */
  skewMs?: number;
  /** Or: the first datagram's capture time, whatever the clock says (1970, say). */
  captureStartMs?: number;
  captureId?: number;
  /** Only these datagrams [from, to) of the capture, timed as within the whole. */
  from?: number;
  to?: number;
  /** Where the capture's first datagram arrives (our clock); default: now. Continue a replay with the same value. */
  arrivalStartMs?: number;
}

/**
 * Sends the capture's datagrams one by one in their recorded order, each once the service's fake
 * clock reached its arrival moment (the recorded gaps), waits until the collector took it and lets
 * the collector tick; at the end the clock passes the reorder window. Answers the capture and
 * arrival times of the first datagram.
 */
export async function replay(t: TestService, datagrams: CapturedDatagram[], options: ReplayOptions = {}): Promise<{ captureStartMs: number; arrivalStartMs: number }> {
  const hep = t.service.hep;
  if (!hep) throw new Error('the service has no HEP collector (CALLHOOK_HEP=1)');
  const arrivalStartMs = options.arrivalStartMs ?? t.clock.now();
  const captureStartMs = options.captureStartMs ?? arrivalStartMs + (options.skewMs ?? 0);
  const packets = shifted(datagrams, captureStartMs, options.captureId);
  const firstUs = Math.min(...datagrams.map((d) => d.timestampUs));
  const received = () => t.service.metrics.value('callhook_hep_packets_total');
  for (let i = options.from ?? 0; i < (options.to ?? datagrams.length); i++) {
    const due = arrivalStartMs + Math.round((datagrams[i]!.timestampUs - firstUs) / 1_000); // the clock counts whole ms
    if (due > t.clock.now()) t.clock.advance(due - t.clock.now());
    const before = received();
    await sendUdp(hep.port, [packets[i]!]);
    await eventually(() => received() > before, { timeoutMs: 10_000, what: `the collector to receive datagram ${i}` });
    await hep.source.tick();
  }
  t.clock.advance(REORDER_PASS_MS);
  await hep.source.tick();
  return { captureStartMs, arrivalStartMs };
}

/** More than the collector's reorder window (20 ms). */
const REORDER_PASS_MS = 50;

/** Moves the clock on by `ms` and lets the collector act on it (timers that came due). */
export async function passTime(t: TestService, ms: number): Promise<void> {
  t.clock.advance(ms);
  await t.service.hep!.source.tick();
}
