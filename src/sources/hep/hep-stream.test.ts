import { describe, expect, it } from 'vitest';
import { loadAllCaptures, loadCapture } from '../../../test/fixtures/sip/captures.ts';
import { decodeHep, encodeHep } from './hep-packet.ts';
import { HepStreamSplitter } from './hep-stream.ts';

const datagrams = loadAllCaptures().map(({ record }) => record.raw);
const stream = Buffer.concat(datagrams);

function feed(splitter: HepStreamSplitter, pieces: Buffer[]): Buffer[] {
  return pieces.flatMap((piece) => splitter.push(piece));
}

function expectSame(actual: Buffer[], expected: Buffer[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((packet, i) => expect(packet.equals(expected[i]!), `packet ${i}`).toBe(true));
}

describe('HepStreamSplitter', () => {
  it('returns every packet when the whole stream arrives in one chunk', () => {
    const splitter = new HepStreamSplitter();
    expectSame(splitter.push(stream), datagrams);
    expect(splitter.bufferedBytes).toBe(0);
    expect(splitter.packets).toBe(33);
    expect(splitter.droppedBytes).toBe(0);
  });

  it('reassembles a packet split at every byte boundary', () => {
    const packet = loadCapture('busy-486')[3]!.raw;
    for (let cut = 0; cut <= packet.length; cut++) {
      const splitter = new HepStreamSplitter();
      const first = splitter.push(packet.subarray(0, cut));
      expect(first).toHaveLength(cut === packet.length ? 1 : 0);
      const second = splitter.push(packet.subarray(cut));
      expectSame([...first, ...second], [packet]);
      expect(splitter.bufferedBytes).toBe(0);
    }
  });

  it('reassembles a stream fed one byte at a time, and in uneven slices', () => {
    const bytewise = new HepStreamSplitter();
    expectSame(feed(bytewise, Array.from(stream, (byte) => Buffer.from([byte]))), datagrams);
    const sliced = new HepStreamSplitter();
    const pieces: Buffer[] = [];
    for (let offset = 0, size = 1; offset < stream.length; offset += size, size = (size * 7 + 3) % 1_500) {
      pieces.push(stream.subarray(offset, offset + size));
    }
    expectSame(feed(sliced, pieces), datagrams);
    expect(sliced.droppedBytes).toBe(0);
  });

  it('resynchronises on the next "HEP3" after garbage, counting what it dropped', () => {
    const [a, b, c] = datagrams as [Buffer, Buffer, Buffer];
    const garbage1 = Buffer.from('\r\n\r\nHE garbage HEP'); // ends in a prefix of the magic
    const garbage2 = Buffer.from([0, 1, 2, 0x48, 0x45]);
    const splitter = new HepStreamSplitter();
    const out = feed(splitter, [garbage1, a, garbage2, b, Buffer.from('HEP3\0\x02'), c]);
    expectSame(out, [a, b, c]);
    // "HEP3" with an impossible total length (2) is garbage too.
    expect(splitter.droppedBytes).toBe(garbage1.length + garbage2.length + 6);
    expect(out.every((packet) => decodeHep(packet).ok)).toBe(true);
  });

  it('keeps a trailing partial magic across chunks, and drops it when it turns out not to be one', () => {
    const splitter = new HepStreamSplitter();
    expect(splitter.push(Buffer.from('xxHE'))).toEqual([]);
    expect(splitter.bufferedBytes).toBe(2);
    expect(splitter.droppedBytes).toBe(2);
    const packet = datagrams[0]!;
    expectSame(splitter.push(Buffer.concat([Buffer.from('Z'), packet])), [packet]);
    expect(splitter.droppedBytes).toBe(5);
  });

  it('stays bounded under a flood of garbage and keeps at most one partial packet', () => {
    const splitter = new HepStreamSplitter();
    expect(splitter.push(Buffer.alloc(2 * 1024 * 1024, 0x41))).toEqual([]);
    expect(splitter.bufferedBytes).toBe(0);
    expect(splitter.droppedBytes).toBe(2 * 1024 * 1024);
    // A header promising 65535 bytes holds them until they arrive, never more.
    const promise = Buffer.from('HEP3\xff\xff', 'latin1');
    splitter.push(Buffer.concat([promise, Buffer.alloc(60_000)]));
    expect(splitter.bufferedBytes).toBe(60_006);
    const [big] = splitter.push(Buffer.concat([Buffer.alloc(65_535 - 60_006), datagrams[0]!]));
    expect(big?.length).toBe(65_535);
    expect(splitter.bufferedBytes).toBe(0);
    expect(splitter.packets).toBe(2);
  });

  it('reset() forgets a partial packet', () => {
    const splitter = new HepStreamSplitter();
    splitter.push(datagrams[0]!.subarray(0, 100));
    expect(splitter.reset()).toBe(100);
    expectSame(splitter.push(datagrams[1]!), [datagrams[1]!]);
  });

  it('returns packets that do not share memory with the input chunk', () => {
    const input = Buffer.from(stream);
    const splitter = new HepStreamSplitter();
    const [first] = splitter.push(input);
    input.fill(0);
    expect(first?.equals(datagrams[0]!)).toBe(true);
  });

  describe('a frame whose length is a lie does not swallow what follows', () => {
    const [a, b, c] = datagrams as [Buffer, Buffer, Buffer];

    it('a length far beyond the frame: the packets behind it come out at once, not when 60 KB more arrived', () => {
      const bogus = Buffer.concat([Buffer.from('HEP3', 'latin1'), Buffer.from([0xea, 0x60]), Buffer.alloc(40, 7)]); // claims 60,000 bytes
      const splitter = new HepStreamSplitter();
      expectSame(splitter.push(Buffer.concat([bogus, a, b])), [a, b]);
      expectSame(splitter.push(c), [c]);
      expect(splitter.droppedBytes).toBe(bogus.length);
      expect(splitter.bufferedBytes).toBe(0);
    });

    it('a packet cut short by its sender: the next packets survive, whole and in order', () => {
      const cut = datagrams[5]!.subarray(0, 300);
      const splitter = new HepStreamSplitter();
      const out = feed(splitter, [cut, a.subarray(0, 100), a.subarray(100), b, c]);
      expectSame(out, [a, b, c]);
      expect(splitter.droppedBytes).toBe(300);
    });

    it('…also when the bytes of the packets behind it happen to make the cut frame complete', () => {
      const cut = datagrams[5]!.subarray(0, 300);
      const splitter = new HepStreamSplitter();
      const out = splitter.push(Buffer.concat([cut, a, b, c]));
      expectSame(out, [a, b, c]);
    });

    it('a never-completing frame at the end of a quiet stream holds nothing that came before it', () => {
      const splitter = new HepStreamSplitter();
      expectSame(splitter.push(Buffer.concat([a, datagrams[5]!.subarray(0, 300)])), [a]);
      expectSame(splitter.push(b), [b]); // and the next packet frees it
    });

    it('a real packet whose SIP text says "HEP3" is kept whole', () => {
      const decoded = decodeHep(a);
      if (!decoded.ok) throw new Error(decoded.detail);
      const text = decoded.packet.payload.toString('latin1').replace('Subject: ', 'Subject: HEP3 HEP3\0\x20 ');
      const packet = encodeHep({ ...decoded.packet, payload: Buffer.from(text, 'latin1') });
      const splitter = new HepStreamSplitter();
      expectSame(feed(splitter, [packet.subarray(0, 50), packet.subarray(50), b]), [packet, b]);
      expect(splitter.droppedBytes).toBe(0);
    });
  });
});
