// Replays a HEP capture (test/fixtures/sip/captures/*.hep.jsonl) to a collector over UDP, with
// its capture times moved to `startMs` (gaps kept), so replayed calls are as fresh as live ones.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { decodeHep, encodeHep } from '../../src/sources/hep/hep-packet.ts';

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
