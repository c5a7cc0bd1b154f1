import { describe, expect, it } from 'vitest';
import { loadCapture } from '../../../test/fixtures/sip/captures.ts';
import { decodeHep, type HepPacket } from './hep-packet.ts';
import { ReorderBuffer } from './reorder-buffer.ts';

interface Item {
  name: string;
  /** Capture time (its node's clock). */
  at: number;
  /** Arrival (our clock); the capture time unless given. */
  seen?: number;
  node?: number;
}

function buffer(windowMs = 5, maxItems?: number): ReorderBuffer<Item> {
  return new ReorderBuffer<Item>({
    windowMs,
    timeOf: (item) => item.at,
    arrivalOf: (item) => item.seen ?? item.at,
    partitionOf: (item) => item.node ?? 0,
    ...(maxItems === undefined ? {} : { maxItems }),
  });
}

const names = (items: Item[]): string[] => items.map((item) => item.name);

describe('ReorderBuffer', () => {
  it('releases items once they arrived a window ago, sorted by time', () => {
    const reorder = buffer(5);
    reorder.push({ name: 'reply', at: 100.2 });
    reorder.push({ name: 'request', at: 99.1, seen: 100.3 });
    reorder.push({ name: 'later', at: 103 });
    expect(reorder.drain(105.29)).toEqual([]); // the request arrived at 100.3, and the reply sorts after it
    expect(reorder.size).toBe(3);
    expect(names(reorder.drain(105.3))).toEqual(['request', 'reply']);
    expect(reorder.drain(107.99)).toEqual([]);
    expect(names(reorder.drain(108))).toEqual(['later']);
    expect(reorder.size).toBe(0);
  });

  it('holds nothing back for a clock far off ours: the window counts on arrival', () => {
    const reorder = buffer(20);
    const hoursBehind = -4 * 3_600_000;
    reorder.push({ name: 'behind', at: 1_000 + hoursBehind, seen: 1_000 });
    reorder.push({ name: 'ahead', at: 1_000 + 2 * 86_400_000, seen: 1_000, node: 2 });
    expect(reorder.drain(1_019)).toEqual([]); // not at once either (old rule: capture time < now - window)
    expect(names(reorder.drain(1_020)).sort()).toEqual(['ahead', 'behind']);
  });

  it('orders only items of the same clock: a node far behind does not hold up another', () => {
    const reorder = buffer(20);
    reorder.push({ name: 'b1', at: 5_000, seen: 5_000, node: 2 });
    // node 1 runs 4 h behind and keeps sending: its items sort before node 2's on any shared scale
    for (let i = 0; i < 5; i++) {
      reorder.push({ name: `a${i}`, at: 5_000 + i * 10 - 14_400_000, seen: 5_000 + i * 10, node: 1 });
      if (i === 2) expect(names(reorder.drain(5_020)).sort()).toEqual(['a0', 'b1']);
    }
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

  it('with a zero window releases everything that has arrived', () => {
    const reorder = buffer(0);
    reorder.push({ name: 'x', at: 10 });
    expect(reorder.drain(9.99)).toEqual([]);
    expect(names(reorder.drain(10))).toEqual(['x']);
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

  it('puts an item without a usable time first, and releases it once its window passed', () => {
    const reorder = buffer(5);
    reorder.push({ name: 'ok', at: 50 });
    reorder.push({ name: 'nan', at: Number.NaN, seen: 40 });
    expect(names(reorder.drain(45))).toEqual(['nan']);
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
    const reorder = new ReorderBuffer<HepPacket>({ windowMs: 3, timeOf: (packet) => packet.timestampUs / 1_000, arrivalOf: (packet) => packet.timestampUs / 1_000 });
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
