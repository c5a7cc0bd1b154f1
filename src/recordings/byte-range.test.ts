import { describe, expect, it } from 'vitest';
import { readRange } from './byte-range.ts';

describe('readRange', () => {
  it('reads every form of one byte range, as audio players send them', () => {
    const table: Array<[string | undefined, ReturnType<typeof readRange>]> = [
      [undefined, { kind: 'whole' }],
      ['bytes=0-', { kind: 'part', start: 0, end: 999 }],
      ['bytes=100-199', { kind: 'part', start: 100, end: 199 }],
      ['bytes=900-5000', { kind: 'part', start: 900, end: 999 }],
      ['bytes=-100', { kind: 'part', start: 900, end: 999 }],
      ['bytes=-5000', { kind: 'part', start: 0, end: 999 }],
      ['bytes=999-999', { kind: 'part', start: 999, end: 999 }],
      ['bytes=1000-', { kind: 'unsatisfiable' }],
      ['bytes=200-100', { kind: 'unsatisfiable' }],
      ['bytes=-0', { kind: 'unsatisfiable' }],
      ['bytes=0-10, 20-30', { kind: 'whole' }],
      ['items=0-10', { kind: 'whole' }],
      ['bytes=-', { kind: 'whole' }],
    ];
    for (const [header, expected] of table) expect(readRange(header, 1_000), String(header)).toEqual(expected);
  });
});
