// Reads asked for together share one statement; those asked while one is in flight share the next.
import { describe, expect, it } from 'vitest';
import { readBatches } from './read-batches.ts';

/** A load the test answers by hand, recording the queries of each call. */
function heldLoad() {
  const calls: Array<{ queries: number[]; answer(): void; fail(error: Error): void }> = [];
  const load = (queries: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ queries, answer: () => resolve(queries.map((q) => `answer ${q}`)), fail: reject });
    });
  return { calls, load };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('readBatches', () => {
  it('answers the reads of one turn with one load, each its own answer', async () => {
    const held = heldLoad();
    const read = readBatches(held.load);
    const answers = Promise.all([read(1), read(2), read(3)]);
    await turn();
    expect(held.calls.map((c) => c.queries)).toEqual([[1, 2, 3]]);
    held.calls[0]!.answer();
    expect(await answers).toEqual(['answer 1', 'answer 2', 'answer 3']);
  });

  it('gathers the reads asked while a load is in flight into the next one', async () => {
    const held = heldLoad();
    const read = readBatches(held.load);
    const first = read(1);
    await turn();
    const later = Promise.all([read(2), read(3)]);
    await turn();
    await turn();
    expect(held.calls).toHaveLength(1); // one in flight at a time
    held.calls[0]!.answer();
    expect(await first).toBe('answer 1');
    expect(held.calls.map((c) => c.queries)).toEqual([[1], [2, 3]]);
    held.calls[1]!.answer();
    expect(await later).toEqual(['answer 2', 'answer 3']);
  });

  it('fails only the reads of the load that failed, and goes on', async () => {
    const held = heldLoad();
    const read = readBatches(held.load);
    const failing = read(1);
    await turn();
    const next = read(2);
    held.calls[0]!.fail(new Error('connection lost'));
    await expect(failing).rejects.toThrow('connection lost');
    held.calls[1]!.answer();
    expect(await next).toBe('answer 2');
  });
});
