// HEPv3 (HEP3/EEP) packets: decode a mirrored datagram into its generic chunks, and encode one
// back. Rejections are values, never exceptions, whatever bytes arrive.
import { unzipSync } from 'node:zlib';

export interface HepPacket {
  ipFamily: 4 | 6;
  ipProtocol: number;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  /** Seconds * 1e6 + microseconds offset (chunks 9 and 10). */
  timestampUs: number;
  /** 1 = SIP. */
  protocolType: number;
  captureId: number;
  authKey: string | null;
  correlationId: string | null;
  payload: Buffer;
}

/** A chunk the decoder does not interpret: a non-zero vendor, or a generic type it does not know. */
export interface HepChunk {
  vendor: number;
  type: number;
  value: Buffer;
}

/**
 * - `not-hep`: no "HEP3" magic (HEPv1/v2 included);
 * - `truncated`: the bytes end before the total length or inside a chunk header;
 * - `bad-length`: the total length is not the datagram's length;
 * - `bad-chunk`: a chunk shorter than its header, past the end, duplicated, or of the wrong size;
 * - `missing-chunk`: a required chunk is absent.
 */
export type HepRejection = 'not-hep' | 'truncated' | 'bad-length' | 'bad-chunk' | 'missing-chunk';

export type HepDecode =
  | { ok: true; packet: HepPacket; unknown: HepChunk[] }
  | { ok: false; reason: HepRejection; detail: string };

export const HEP_MAGIC = Buffer.from('HEP3', 'latin1');
export const HEP_HEADER_BYTES = 6;
const CHUNK_HEADER_BYTES = 6;
const MAX_PACKET_BYTES = 0xffff;
// A HEP datagram carries at most 64 KiB, so a larger inflated payload is a zip bomb, not SIP.
const MAX_INFLATED_BYTES = 256 * 1024;

const CHUNK = {
  ipFamily: 1,
  ipProtocol: 2,
  ipv4Src: 3,
  ipv4Dst: 4,
  ipv6Src: 5,
  ipv6Dst: 6,
  srcPort: 7,
  dstPort: 8,
  tsSeconds: 9,
  tsMicros: 10,
  protocolType: 11,
  captureId: 12,
  keepAlive: 13,
  authKey: 14,
  payload: 15,
  compressedPayload: 16,
  correlationId: 17,
} as const;

/** Fixed value sizes of the numeric and address chunks; the string chunks have any length. */
const FIXED_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 4, 4: 4, 5: 16, 6: 16, 7: 2, 8: 2, 9: 4, 10: 4, 11: 1, 12: 4, 13: 2 };
const KNOWN_TYPES = new Set<number>(Object.values(CHUNK));

const AF_INET = 2;
const AF_INET6 = 10;

function reject(reason: HepRejection, detail: string): HepDecode {
  return { ok: false, reason, detail };
}

export function decodeHep(datagram: Buffer): HepDecode {
  if (datagram.length < 4 || !datagram.subarray(0, 4).equals(HEP_MAGIC)) {
    const version = datagram[0];
    const hint = version === 1 || version === 2 ? ` (looks like HEPv${version}, which is not supported)` : '';
    return reject('not-hep', `no HEP3 magic${hint}`);
  }
  if (datagram.length < HEP_HEADER_BYTES) return reject('truncated', `${datagram.length} bytes, the header alone needs 6`);
  const total = datagram.readUInt16BE(4);
  if (total < HEP_HEADER_BYTES) return reject('bad-length', `total length ${total} is shorter than the header`);
  if (total > datagram.length) return reject('truncated', `total length ${total}, only ${datagram.length} bytes received`);
  if (total < datagram.length) return reject('bad-length', `total length ${total}, but the datagram has ${datagram.length} bytes`);

  const values = new Map<number, Buffer>();
  const unknown: HepChunk[] = [];
  let offset = HEP_HEADER_BYTES;
  while (offset < total) {
    if (total - offset < CHUNK_HEADER_BYTES) {
      return reject('truncated', `chunk header at offset ${offset} needs 6 bytes, ${total - offset} left`);
    }
    const vendor = datagram.readUInt16BE(offset);
    const type = datagram.readUInt16BE(offset + 2);
    const length = datagram.readUInt16BE(offset + 4);
    if (length < CHUNK_HEADER_BYTES) return reject('bad-chunk', `chunk ${vendor}/${type} at offset ${offset} has length ${length} < 6`);
    if (offset + length > total) {
      return reject('bad-chunk', `chunk ${vendor}/${type} at offset ${offset} claims ${length} bytes, ${total - offset} left`);
    }
    const value = datagram.subarray(offset + CHUNK_HEADER_BYTES, offset + length);
    offset += length;
    if (vendor !== 0 || !KNOWN_TYPES.has(type)) {
      unknown.push({ vendor, type, value: Buffer.from(value) });
      continue;
    }
    const size = FIXED_SIZE[type];
    if (size !== undefined && value.length !== size) {
      return reject('bad-chunk', `chunk type ${type} has ${value.length} value bytes, expected ${size}`);
    }
    // A second copy of a chunk (a second auth key, say) would make the packet mean two things.
    if (values.has(type)) return reject('bad-chunk', `chunk type ${type} appears twice`);
    values.set(type, value);
  }
  return buildPacket(values, unknown);
}

function buildPacket(values: Map<number, Buffer>, unknown: HepChunk[]): HepDecode {
  const family = values.get(CHUNK.ipFamily)?.readUInt8(0);
  if (family === undefined) return reject('missing-chunk', 'no IP family chunk (type 1)');
  if (family !== AF_INET && family !== AF_INET6) return reject('bad-chunk', `unknown IP family ${family}`);
  const ipFamily = family === AF_INET ? 4 : 6;
  const [srcType, dstType] = ipFamily === 4 ? [CHUNK.ipv4Src, CHUNK.ipv4Dst] : [CHUNK.ipv6Src, CHUNK.ipv6Dst];
  const src = values.get(srcType);
  const dst = values.get(dstType);
  if (!src || !dst) return reject('missing-chunk', `IPv${ipFamily} packet without source and destination address chunks (${srcType}, ${dstType})`);
  const srcPort = values.get(CHUNK.srcPort);
  const dstPort = values.get(CHUNK.dstPort);
  if (!srcPort || !dstPort) return reject('missing-chunk', 'no source and destination port chunks (7, 8)');
  const seconds = values.get(CHUNK.tsSeconds);
  if (!seconds) return reject('missing-chunk', 'no timestamp seconds chunk (9)');
  const captureId = values.get(CHUNK.captureId);
  if (!captureId) return reject('missing-chunk', 'no capture agent id chunk (12)');

  let payload = values.get(CHUNK.payload);
  if (payload) {
    payload = Buffer.from(payload);
  } else {
    const compressed = values.get(CHUNK.compressedPayload);
    if (!compressed) return reject('missing-chunk', 'no payload chunk (15 or 16)');
    try {
      payload = unzipSync(compressed, { maxOutputLength: MAX_INFLATED_BYTES });
    } catch {
      return reject('bad-chunk', 'compressed payload (16) is not zlib/gzip data or inflates past 256 KiB');
    }
  }

  const packet: HepPacket = {
    ipFamily,
    ipProtocol: values.get(CHUNK.ipProtocol)?.readUInt8(0) ?? 0,
    srcIp: ipFamily === 4 ? formatIpv4(src) : formatIpv6(src),
    dstIp: ipFamily === 4 ? formatIpv4(dst) : formatIpv6(dst),
    srcPort: srcPort.readUInt16BE(0),
    dstPort: dstPort.readUInt16BE(0),
    timestampUs: seconds.readUInt32BE(0) * 1_000_000 + (values.get(CHUNK.tsMicros)?.readUInt32BE(0) ?? 0),
    protocolType: values.get(CHUNK.protocolType)?.readUInt8(0) ?? 0,
    captureId: captureId.readUInt32BE(0),
    authKey: values.get(CHUNK.authKey)?.toString('utf8') ?? null,
    correlationId: values.get(CHUNK.correlationId)?.toString('utf8') ?? null,
    payload,
  };
  return { ok: true, packet, unknown };
}

/**
 * Encodes chunks in kamailio's order (1, 2, 3|5, 4|6, 7–12, then 14, 17, extras, payload), so a
 * kamailio datagram re-encodes to the same bytes. Throws on a packet that cannot be encoded
 * (bad address, value out of range, over 64 KiB): callers build these themselves.
 */
export function encodeHep(packet: HepPacket, extraChunks: readonly HepChunk[] = []): Buffer {
  const v4 = packet.ipFamily === 4;
  const chunks: Array<[vendor: number, type: number, value: Buffer]> = [
    [0, CHUNK.ipFamily, uint(1, v4 ? AF_INET : AF_INET6)],
    [0, CHUNK.ipProtocol, uint(1, packet.ipProtocol)],
    [0, v4 ? CHUNK.ipv4Src : CHUNK.ipv6Src, v4 ? parseIpv4(packet.srcIp) : parseIpv6(packet.srcIp)],
    [0, v4 ? CHUNK.ipv4Dst : CHUNK.ipv6Dst, v4 ? parseIpv4(packet.dstIp) : parseIpv6(packet.dstIp)],
    [0, CHUNK.srcPort, uint(2, packet.srcPort)],
    [0, CHUNK.dstPort, uint(2, packet.dstPort)],
    [0, CHUNK.tsSeconds, uint(4, Math.floor(packet.timestampUs / 1_000_000))],
    [0, CHUNK.tsMicros, uint(4, packet.timestampUs % 1_000_000)],
    [0, CHUNK.protocolType, uint(1, packet.protocolType)],
    [0, CHUNK.captureId, uint(4, packet.captureId)],
  ];
  if (packet.authKey !== null) chunks.push([0, CHUNK.authKey, Buffer.from(packet.authKey, 'utf8')]);
  if (packet.correlationId !== null) chunks.push([0, CHUNK.correlationId, Buffer.from(packet.correlationId, 'utf8')]);
  for (const extra of extraChunks) chunks.push([extra.vendor, extra.type, extra.value]);
  chunks.push([0, CHUNK.payload, packet.payload]);

  const total = HEP_HEADER_BYTES + chunks.reduce((sum, [, , value]) => sum + CHUNK_HEADER_BYTES + value.length, 0);
  if (total > MAX_PACKET_BYTES) throw new RangeError(`HEP packet of ${total} bytes exceeds the 65535-byte total length`);
  const out = Buffer.allocUnsafe(total);
  HEP_MAGIC.copy(out, 0);
  out.writeUInt16BE(total, 4);
  let offset = HEP_HEADER_BYTES;
  for (const [vendor, type, value] of chunks) {
    out.writeUInt16BE(vendor, offset);
    out.writeUInt16BE(type, offset + 2);
    out.writeUInt16BE(CHUNK_HEADER_BYTES + value.length, offset + 4);
    value.copy(out, offset + CHUNK_HEADER_BYTES);
    offset += CHUNK_HEADER_BYTES + value.length;
  }
  return out;
}

function uint(bytes: 1 | 2 | 4, value: number): Buffer {
  const out = Buffer.alloc(bytes);
  out.writeUIntBE(value, 0, bytes);
  return out;
}

function formatIpv4(bytes: Buffer): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

function parseIpv4(text: string): Buffer {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) {
    throw new RangeError(`not an IPv4 address: ${text}`);
  }
  return Buffer.from(parts.map(Number));
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
export function formatIpv6(bytes: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function parseIpv6(text: string): Buffer {
  const fail = (): never => {
    throw new RangeError(`not an IPv6 address: ${text}`);
  };
  const halves = text.split('::');
  if (halves.length > 2) fail();
  const words = (part: string | undefined): number[] => {
    if (!part) return [];
    const pieces = part.split(':');
    const out: number[] = [];
    pieces.forEach((piece, index) => {
      if (index === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        out.push(v4.readUInt16BE(0), v4.readUInt16BE(2));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        fail();
      }
    });
    return out;
  };
  const head = words(halves[0]);
  const tail = words(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) fail();
  const all = [...head, ...Array<number>(halves.length === 1 ? 0 : missing).fill(0), ...tail];
  const out = Buffer.alloc(16);
  all.forEach((word, i) => out.writeUInt16BE(word, i * 2));
  return out;
}
