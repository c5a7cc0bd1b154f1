import { describe, expect, it } from 'vitest';
import { loadCapture } from '../../../test/fixtures/sip/captures.ts';
import { decodeHep, type HepPacket } from './hep-packet.ts';
import { ReorderBuffer } from './reorder-buffer.ts';

interface Item {
  name: string;
  at: number;
}

function buffer(windowMs = 5, maxItems?: number): ReorderBuffer<Item> {
  return new ReorderBuffer<Item>({ windowMs, timeOf: (item) => item.at, ...(maxItems === undefined ? {} : { maxItems }) });
}

const names = (items: Item[]): string[] => items.map((item) => item.name);

describe('ReorderBuffer', () => {
  it('releases items once they are older than the window, sorted by time', () => {
    const reorder = buffer(5);
    reorder.push({ name: 'reply', at: 100.2 });
    reorder.push({ name: 'request', at: 99.1 });
    reorder.push({ name: 'later', at: 103 });
    expect(reorder.drain(104)).toEqual([]);
    expect(reorder.size).toBe(3);
    expect(names(reorder.drain(105.5))).toEqual(['request', 'reply']);
    expect(reorder.drain(108)).toEqual([]); // 103 is not older than 108 - 5
    expect(names(reorder.drain(108.01))).toEqual(['later']);
    expect(reorder.size).toBe(0);
  });

  it('keeps push order for equal times (stable)', () => {
    const reorder = buffer(1);
    for (const name of ['a', 'b', 'c']) reorder.push({ name, at: 10 });
    reorder.push({ name: 'early', at: 9 });
    reorder.push({ name: 'd', at: 10 });
    expect(names(reorder.drain(100))).toEqual(['early', 'a', 'b', 'c', 'd']);
  });

  it('sorts a shuffled run of many items', () => {
    const reorder = buffer(0);
    const times = Array.from({ length: 500 }, (_, i) => (i * 7919) % 500);
    for (const at of times) reorder.push({ name: String(at), at });
    const out = reorder.flush();
    expect(out.map((item) => item.at)).toEqual([...times].sort((a, b) => a - b));
  });

  it('with a zero window releases everything strictly before now', () => {
    const reorder = buffer(0);
    reorder.push({ name: 'x', at: 10 });
    expect(reorder.drain(10)).toEqual([]);
    expect(names(reorder.drain(10.001))).toEqual(['x']);
  });

  it('flush() returns everything sorted and empties the buffer', () => {
    const reorder = buffer(1_000);
    reorder.push({ name: 'b', at: 2 });
    reorder.push({ name: 'a', at: 1 });
    expect(names(reorder.flush())).toEqual(['a', 'b']);
    expect(reorder.flush()).toEqual([]);
  });

  it('drops the oldest items beyond the cap and counts them', () => {
    const reorder = buffer(5, 3);
    for (const [name, at] of [['t3', 3], ['t1', 1], ['t4', 4], ['t2', 2], ['t5', 5]] as const) reorder.push({ name, at });
    expect(reorder.size).toBe(3);
    expect(reorder.dropped).toBe(2);
    expect(names(reorder.flush())).toEqual(['t3', 't4', 't5']);
  });

  it('counts items that arrive stamped before something already released, and still releases them', () => {
    const reorder = buffer(2);
    reorder.push({ name: 'a', at: 10 });
    expect(names(reorder.drain(20))).toEqual(['a']);
    reorder.push({ name: 'straggler', at: 9 });
    reorder.push({ name: 'fine', at: 11 });
    expect(reorder.late).toBe(1);
    expect(names(reorder.drain(20))).toEqual(['straggler', 'fine']);
  });

  it('releases an item without a usable time at the next drain instead of holding it', () => {
    const reorder = buffer(5);
    reorder.push({ name: 'ok', at: 50 });
    reorder.push({ name: 'nan', at: Number.NaN });
    expect(names(reorder.drain(0))).toEqual(['nan']);
  });

  it('rejects nonsense options', () => {
    expect(() => buffer(-1)).toThrow(RangeError);
    expect(() => buffer(5, 0)).toThrow(RangeError);
  });

  it('puts mirrored HEP packets back in timestamp order', () => {
    const packets = loadCapture('unanswered-caller-cancel').map((record) => {
      const result = decodeHep(record.raw);
      if (!result.ok) throw new Error(result.detail);
      return result.packet;
    });
    const reorder = new ReorderBuffer<HepPacket>({ windowMs: 3, timeOf: (packet) => packet.timestampUs / 1_000 });
    // Swap neighbours to simulate a mirror delivering a reply before the request it answers.
    const delivered = packets.flatMap((_, i) => (i % 2 === 0 ? [packets[i + 1], packets[i]] : [])).filter((p) => p !== undefined);
    const released: HepPacket[] = [];
    for (const packet of delivered) {
      reorder.push(packet);
      released.push(...reorder.drain(packet.timestampUs / 1_000));
    }
    released.push(...reorder.flush());
    expect(released.map((packet) => packet.timestampUs)).toEqual(packets.map((packet) => packet.timestampUs));
    expect(reorder.late).toBe(0);
  });
});
