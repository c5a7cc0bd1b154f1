import { describe, expect, it } from 'vitest';
import { loadAllCaptures, loadCapture } from '../../../test/fixtures/sip/captures.ts';
import { decodeHep, encodeHep, formatIpv6, parseIpv6, type HepDecode, type HepPacket } from './hep-packet.ts';

/**
 * The example packet of the HEP3 specification ("HEP3 Network Protocol Specification", sipcapture/HEP
 * docs/*.pdf), as transcribed octet by octet in sipcapture/hep-go `hep/hep_test.go` ("sample HEP3
 * message from spec"): 113 octets, the SIP payload shortened to "INVITE sip:bob".
 */
const SPEC_EXAMPLE = Buffer.from([
  0x48, 0x45, 0x50, 0x33, 0x00, 0x71, // "HEP3", total length 113
  0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x02, // IP family 2 (IPv4)
  0x00, 0x00, 0x00, 0x02, 0x00, 0x07, 0x11, // IP protocol 17 (UDP)
  0x00, 0x00, 0x00, 0x03, 0x00, 0x0a, 0xd4, 0xca, 0x00, 0x01, // src 212.202.0.1
  0x00, 0x00, 0x00, 0x04, 0x00, 0x0a, 0x52, 0x74, 0x00, 0xd3, // dst 82.116.0.211
  0x00, 0x00, 0x00, 0x07, 0x00, 0x08, 0x2e, 0xea, // src port 12010
  0x00, 0x00, 0x00, 0x08, 0x00, 0x08, 0x13, 0xc4, // dst port 5060
  0x00, 0x00, 0x00, 0x09, 0x00, 0x0a, 0x4e, 0x49, 0x82, 0xcb, // 1313440459 s
  0x00, 0x00, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x01, 0xd4, 0xc0, // 120000 µs
  0x00, 0x00, 0x00, 0x0b, 0x00, 0x07, 0x01, // protocol type 1 (SIP)
  0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x00, 0x00, 0xe4, // capture id 228
  0x00, 0x00, 0x00, 0x0f, 0x00, 0x14, ...Buffer.from('INVITE sip:bob'), // payload
]);

const SPEC_PACKET: HepPacket = {
  ipFamily: 4,
  ipProtocol: 17,
  srcIp: '212.202.0.1',
  dstIp: '82.116.0.211',
  srcPort: 12010,
  dstPort: 5060,
  timestampUs: 1_313_440_459_120_000,
  protocolType: 1,
  captureId: 228,
  authKey: null,
  correlationId: null,
  payload: Buffer.from('INVITE sip:bob'),
};

function decoded(datagram: Buffer): { packet: HepPacket; unknown: Array<{ vendor: number; type: number; value: Buffer }> } {
  const result = decodeHep(datagram);
  if (!result.ok) throw new Error(`expected a packet, got ${result.reason}: ${result.detail}`);
  return result;
}

function rejection(result: HepDecode): string {
  return result.ok ? 'ok' : result.reason;
}

/** A chunk as bytes: vendor, type, length (header included), value. */
function chunk(vendor: number, type: number, value: Buffer | number[]): Buffer {
  const body = Buffer.from(value);
  const header = Buffer.alloc(6);
  header.writeUInt16BE(vendor, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt16BE(6 + body.length, 4);
  return Buffer.concat([header, body]);
}

/** "HEP3" + a correct total length + the given chunks. */
function packetOf(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat(chunks);
  const header = Buffer.from('HEP3\0\0', 'latin1');
  header.writeUInt16BE(6 + body.length, 4);
  return Buffer.concat([header, body]);
}

/** The spec example's chunks (offsets 6..113), split into the individual chunks. */
function specChunks(): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 6; offset < SPEC_EXAMPLE.length; ) {
    const length = SPEC_EXAMPLE.readUInt16BE(offset + 4);
    out.push(SPEC_EXAMPLE.subarray(offset, offset + length));
    offset += length;
  }
  return out;
}

describe('decodeHep', () => {
  it('decodes the HEP3 specification example packet', () => {
    expect(SPEC_EXAMPLE.length).toBe(113);
    expect(decoded(SPEC_EXAMPLE)).toEqual({ ok: true, packet: SPEC_PACKET, unknown: [] });
  });

  it('encodes the specification example back to the same 113 octets', () => {
    expect(encodeHep(SPEC_PACKET).equals(SPEC_EXAMPLE)).toBe(true);
  });

  it('decodes every datagram of the kamailio captures to the reference chunk values', () => {
    const all = loadAllCaptures();
    expect(all).toHaveLength(33);
    for (const { name, record } of all) {
      const where = `${name} #${record.seq}`;
      expect(record.raw.length, where).toBe(record.totalLen);
      const { packet, unknown } = decoded(record.raw);
      expect(unknown, where).toEqual([]);
      const ref = new Map(record.chunks.map((c) => [c.type, c.value]));
      expect(record.chunks.every((c) => c.vendor === 0), where).toBe(true);
      expect(packet.ipFamily, where).toBe(ref.get(1) === 2 ? 4 : 6);
      expect(packet.ipProtocol, where).toBe(ref.get(2));
      expect(packet.srcIp, where).toBe(ref.get(3));
      expect(packet.dstIp, where).toBe(ref.get(4));
      expect(packet.srcPort, where).toBe(ref.get(7));
      expect(packet.dstPort, where).toBe(ref.get(8));
      expect(packet.timestampUs, where).toBe((ref.get(9) as number) * 1_000_000 + (ref.get(10) as number));
      expect(packet.protocolType, where).toBe(1);
      expect(packet.captureId, where).toBe(2001);
      expect(packet.authKey, where).toBeNull();
      expect(packet.correlationId, where).toBeNull();
      expect(packet.payload.toString('utf8'), where).toBe(ref.get(15));
    }
  });

  it('re-encodes every captured datagram to its exact bytes (kamailio uses the same chunk order)', () => {
    for (const { name, record } of loadAllCaptures()) {
      expect(encodeHep(decoded(record.raw).packet).equals(record.raw), `${name} #${record.seq}`).toBe(true);
    }
  });

  it('round-trips IPv6, auth key, correlation id, an empty payload and extreme values', () => {
    const packet: HepPacket = {
      ipFamily: 6,
      ipProtocol: 6,
      srcIp: '2001:db8::1',
      dstIp: 'fe80::a:0:0:b',
      srcPort: 0,
      dstPort: 65535,
      timestampUs: 4_294_967_295 * 1_000_000 + 999_999,
      protocolType: 1,
      captureId: 4_294_967_295,
      authKey: 'sëcret',
      correlationId: 'call-1@pbx',
      payload: Buffer.alloc(0),
    };
    expect(decoded(encodeHep(packet))).toEqual({ ok: true, packet, unknown: [] });
    const withPayload = { ...packet, payload: Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n') };
    expect(decoded(encodeHep(withPayload)).packet).toEqual(withPayload);
  });

  it('defaults the microseconds, IP protocol and protocol type when their chunks are absent', () => {
    const [family, , src, dst, srcPort, dstPort, seconds, , , captureId, payload] = specChunks();
    const { packet } = decoded(packetOf(family!, src!, dst!, srcPort!, dstPort!, seconds!, captureId!, payload!));
    expect(packet.timestampUs).toBe(1_313_440_459_000_000);
    expect(packet.ipProtocol).toBe(0);
    expect(packet.protocolType).toBe(0);
  });

  it('skips unknown generic chunk types and vendor chunks, and keeps them aside', () => {
    const chunks = specChunks();
    const extra = [chunk(0, 0x0020, [0, 42]), chunk(0x0002, 0x0001, Buffer.from('kamailio-ext')), chunk(0, 13, [0, 30])];
    const { packet, unknown } = decoded(packetOf(...chunks.slice(0, 5), ...extra, ...chunks.slice(5)));
    expect(packet).toEqual(SPEC_PACKET);
    expect(unknown).toEqual([
      { vendor: 0, type: 0x20, value: Buffer.from([0, 42]) },
      { vendor: 2, type: 1, value: Buffer.from('kamailio-ext') },
    ]);
    // A vendor chunk may reuse a generic type id without being read as one.
    expect(decoded(packetOf(...chunks, chunk(7, 15, Buffer.from('not the payload')))).packet.payload.toString()).toBe('INVITE sip:bob');
  });

  it('accepts the chunks in any order and inflates a compressed payload (16)', async () => {
    const { deflateSync } = await import('node:zlib');
    const chunks = specChunks();
    const payload = chunks.pop()!;
    const shuffled = packetOf(payload, ...chunks.reverse());
    expect(decoded(shuffled).packet).toEqual(SPEC_PACKET);
    const compressed = packetOf(...chunks, chunk(0, 16, deflateSync('INVITE sip:bob')));
    expect(decoded(compressed).packet).toEqual(SPEC_PACKET);
    expect(rejection(decodeHep(packetOf(...chunks, chunk(0, 16, Buffer.from('not zlib')))))).toBe('bad-chunk');
  });

  describe('rejects malformed datagrams with a reason', () => {
    const cases: Array<[string, Buffer, string]> = [
      ['empty', Buffer.alloc(0), 'not-hep'],
      ['wrong magic', Buffer.concat([Buffer.from('HEP4'), SPEC_EXAMPLE.subarray(4)]), 'not-hep'],
      ['plain SIP', Buffer.from('INVITE sip:bob@example.com SIP/2.0\r\n\r\n'), 'not-hep'],
      // HEPv2: version 2, header length 28, family, protocol, ports, addresses, time, capture id.
      ['HEPv2', Buffer.from([0x02, 0x1c, 0x02, 0x11, 0x2e, 0xea, 0x13, 0xc4, 0xd4, 0xca, 0, 1, 0x52, 0x74, 0, 0xd3, ...Array(12).fill(0)]), 'not-hep'],
      ['only the magic', Buffer.from('HEP3'), 'truncated'],
      ['cut short (total length says more)', SPEC_EXAMPLE.subarray(0, 100), 'truncated'],
      ['trailing bytes after the total length', Buffer.concat([SPEC_EXAMPLE, Buffer.from([0, 0])]), 'bad-length'],
      ['total length below the header', Buffer.from('HEP3\x00\x03', 'latin1'), 'bad-length'],
      ['truncated in a chunk header', packetOf(...specChunks(), Buffer.from([0, 0, 0])), 'truncated'],
      ['chunk length < 6', packetOf(Buffer.from([0, 0, 0, 1, 0, 5]), ...specChunks()), 'bad-chunk'],
      ['chunk length 0', packetOf(...specChunks(), Buffer.from([0, 0, 0, 0x20, 0, 0])), 'bad-chunk'],
      ['chunk length past the end', packetOf(...specChunks(), Buffer.from([0, 0, 0, 0x20, 0, 0x40, 1, 2])), 'bad-chunk'],
      ['IPv4 address of 5 bytes', packetOf(...specChunks().slice(0, 2), chunk(0, 3, [1, 2, 3, 4, 5]), ...specChunks().slice(3)), 'bad-chunk'],
      ['unknown IP family', packetOf(chunk(0, 1, [7]), ...specChunks().slice(1)), 'bad-chunk'],
      ['duplicate auth key', packetOf(...specChunks(), chunk(0, 14, Buffer.from('a')), chunk(0, 14, Buffer.from('b'))), 'bad-chunk'],
      ['missing payload', packetOf(...specChunks().slice(0, -1)), 'missing-chunk'],
      ['missing capture id', packetOf(...specChunks().filter((c) => c.readUInt16BE(2) !== 12)), 'missing-chunk'],
      ['missing timestamp seconds', packetOf(...specChunks().filter((c) => c.readUInt16BE(2) !== 9)), 'missing-chunk'],
      ['missing a port', packetOf(...specChunks().filter((c) => c.readUInt16BE(2) !== 8)), 'missing-chunk'],
      ['IPv6 family with IPv4 addresses', packetOf(chunk(0, 1, [10]), ...specChunks().slice(1)), 'missing-chunk'],
      ['no chunks at all', packetOf(), 'missing-chunk'],
    ];
    for (const [name, datagram, reason] of cases) {
      it(name, () => {
        const result = decodeHep(datagram);
        expect(rejection(result)).toBe(reason);
        if (!result.ok) expect(result.detail).not.toBe('');
      });
    }

    it('names HEPv2 in the detail', () => {
      const result = decodeHep(Buffer.from([0x02, 0x1c, 0x02, 0x11]));
      expect(result).toMatchObject({ ok: false, reason: 'not-hep', detail: expect.stringContaining('HEPv2') });
    });
  });

  it('never throws on 2,000 random mutations and truncations of a real datagram', () => {
    const original = loadCapture('answered-caller-bye')[0]!.raw;
    let seed = 0x2001;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      return seed % n;
    };
    const seen = new Set<string>();
    for (let round = 0; round < 2_000; round++) {
      let bytes = Buffer.from(original);
      const flips = 1 + random(8);
      // Mostly hit the header and chunk headers (the first 90 bytes), where framing lives.
      for (let i = 0; i < flips; i++) bytes[random(4) === 0 ? random(bytes.length) : random(90)] = random(256);
      if (random(3) === 0) bytes = bytes.subarray(0, random(bytes.length + 1));
      if (random(5) === 0) bytes = Buffer.concat([bytes, Buffer.alloc(random(10), random(256))]);
      const result = decodeHep(bytes);
      seen.add(result.ok ? 'ok' : result.reason);
    }
    expect([...seen].sort()).toEqual(['bad-chunk', 'bad-length', 'missing-chunk', 'not-hep', 'ok', 'truncated']);
  });
});

describe('encodeHep', () => {
  it('refuses a packet that cannot fit the 16-bit total length, and bad addresses', () => {
    expect(() => encodeHep({ ...SPEC_PACKET, payload: Buffer.alloc(65_535) })).toThrow(RangeError);
    expect(() => encodeHep({ ...SPEC_PACKET, srcIp: '300.1.1.1' })).toThrow(RangeError);
    expect(() => encodeHep({ ...SPEC_PACKET, ipFamily: 6, srcIp: '1::2::3', dstIp: '::1' })).toThrow(RangeError);
  });
});

describe('IPv6 text', () => {
  it('formats per RFC 5952 and parses back', () => {
    const cases: Array<[string, string]> = [
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
      ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
      ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'],
      ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
      ['2001:0db8:0001:0001:0001:0001:0000:0001', '2001:db8:1:1:1:1:0:1'],
      ['fe80:0000:0000:0000:0000:0000:0000:0000', 'fe80::'],
    ];
    for (const [full, short] of cases) {
      const bytes = Buffer.from(full.replaceAll(':', ''), 'hex');
      expect(formatIpv6(bytes)).toBe(short);
      expect(parseIpv6(short).equals(bytes)).toBe(true);
      expect(parseIpv6(full).equals(bytes)).toBe(true);
    }
    expect(formatIpv6(parseIpv6('::ffff:192.0.2.1'))).toBe('::ffff:c000:201');
  });
});
