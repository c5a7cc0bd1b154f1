// The dispatcher's transition tables: each move they list is taken, every other one is refused,
// and each table is whole (every mode reachable, every move to a mode it knows).
import { describe, expect, it } from 'vitest';
import { CLAIMS, LIFECYCLE, WRITES, modes } from './dispatcher-modes.ts';

const TABLES = [
  { name: 'lifecycle', table: LIFECYCLE, initial: 'created' },
  { name: 'claims', table: CLAIMS, initial: 'resting' },
  { name: 'writes', table: WRITES, initial: 'resting' },
] as const;

/** A holder put in `from` by walking the table from its initial mode. */
function at(table: Record<string, readonly string[]>, initial: string, from: string) {
  const path = pathTo(table, initial, from);
  const holder = modes<Record<string, readonly string[]>>('test', table, initial);
  for (const step of path) holder.to(step);
  return holder;
}

function pathTo(table: Record<string, readonly string[]>, initial: string, goal: string): string[] {
  const queue: string[][] = [[]];
  const seen = new Set([initial]);
  while (queue.length > 0) {
    const path = queue.shift()!;
    const here = path.at(-1) ?? initial;
    if (here === goal) return path;
    for (const next of table[here] ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push([...path, next]);
    }
  }
  throw new Error(`${goal} cannot be reached from ${initial}`);
}

describe.each(TABLES)('the $name table', ({ name, table, initial }) => {
  const all = Object.keys(table);

  it('takes every move it lists and refuses every other one, naming both modes', () => {
    for (const from of all) {
      for (const to of all) {
        const holder = at(table, initial, from);
        const listed = (table as Record<string, readonly string[]>)[from]!.includes(to);
        if (listed) {
          holder.to(to);
          expect(holder.current).toBe(to);
        } else {
          expect(() => holder.to(to), `${from} → ${to}`).toThrow(`dispatcher test: no move from ${from} to ${to}`);
          expect(holder.current).toBe(from);
        }
      }
    }
  });

  it('is whole: every mode reachable from the first, every move to a mode it knows', () => {
    for (const mode of all) expect(() => pathTo(table, initial, mode), `${name}: ${mode}`).not.toThrow();
    for (const targets of Object.values(table)) for (const target of targets) expect(all).toContain(target);
  });
});

describe('the lifecycle', () => {
  it('ends in stopped, which nothing leaves; created may stop without running', () => {
    expect(LIFECYCLE.stopped).toEqual([]);
    expect(pathTo(LIFECYCLE, 'created', 'stopped')).toEqual(['draining', 'stopped']);
    expect(LIFECYCLE.running).not.toContain('created');
  });

  it('answers which mode it is in', () => {
    const holder = modes('lifecycle', LIFECYCLE, 'created');
    expect(holder.is('created', 'running')).toBe(true);
    holder.to('running');
    expect(holder.is('draining', 'stopped')).toBe(false);
  });
});
