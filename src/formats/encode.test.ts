import { describe, it, expect } from 'vitest';
import { encodeForm, encodeJson } from './encode.ts';
import type { WireBody } from './format.ts';

// `qs` is not installed; this is the subset of its parse semantics (and PHP's / Rails') the encoder
// relies on: `a[b]` nests an object, `a[]` appends, `a[0][k]` indexes an array of objects.
type Parsed = { [k: string]: Parsed | Parsed[] | string | string[] };
function parseBrackets(form: string): Parsed {
  const root: Parsed = {};
  for (const [key, value] of new URLSearchParams(form)) {
    const [head, ...rest] = key.split('[').map((part, i) => (i === 0 ? part : part.slice(0, -1)));
    const path = [head!, ...rest];
    let node: any = root;
    path.forEach((segment, i) => {
      const last = i === path.length - 1;
      const next = path[i + 1];
      const slot = segment === '' ? node.length : segment;
      if (last) {
        node[slot] = value;
        return;
      }
      node[slot] ??= next === '' || /^\d+$/.test(next!) ? [] : {};
      node = node[slot];
    });
  }
  return root;
}

describe('encodeJson', () => {
  it('keeps key order and types', () => {
    expect(encodeJson({ b: 1, a: 'x', c: null, d: [true] })).toBe('{"b":1,"a":"x","c":null,"d":[true]}');
  });
});

describe('encodeForm', () => {
  it('encodes + as %2B and space as +', () => {
    expect(encodeForm({ from: '+31850609001', summary: 'a b&c=d' })).toBe('from=%2B31850609001&summary=a+b%26c%3Dd');
  });

  it('leaves null and undefined fields out', () => {
    const body = { id: 'x', answeredBy: null, choice: null, gone: undefined } as unknown as WireBody;
    expect(encodeForm(body)).toBe('id=x');
    expect(encodeForm({ params: { a: null, b: '1' }, list: [null, 'x'] })).toBe('params[b]=1&list[]=x');
  });

  it('writes booleans and numbers as strings', () => {
    expect(encodeForm({ t: true, f: false, n: 1729690611587, z: 0, d: 1.5 })).toBe('t=true&f=false&n=1729690611587&z=0&d=1.5');
  });

  it('nests objects, arrays and objects in arrays with brackets', () => {
    const body: WireBody = {
      params: { call_id: '17-2d', deep: { x: 'y' } },
      topics: ['sales', 'support'],
      a: [{ k: 'v' }, { k: 'w', l: ['m'] }],
    };
    const form = encodeForm(body);
    expect(form).toBe(
      'params[call_id]=17-2d&params[deep][x]=y&topics[]=sales&topics[]=support&a[0][k]=v&a[1][k]=w&a[1][l][]=m',
    );
    expect(parseBrackets(form)).toEqual(body);
  });

  it('encodes bracket-like and unicode characters in values', () => {
    expect(encodeForm({ url: 'https://x.example/a?b=[1]', name: 'Zoë' })).toBe(
      'url=https%3A%2F%2Fx.example%2Fa%3Fb%3D%5B1%5D&name=Zo%C3%AB',
    );
  });

  it('round-trips a Ringotel body through a bracket parser', () => {
    const body: WireBody = {
      method: 'StopCallActivity',
      api_token: '',
      params: { extension: '500', call_end: 1729693741839, caller_number: '+353 21 202 8252', call_cause: '0' },
    };
    expect(parseBrackets(encodeForm(body))).toEqual({
      method: 'StopCallActivity',
      api_token: '',
      params: { extension: '500', call_end: '1729693741839', caller_number: '+353 21 202 8252', call_cause: '0' },
    });
  });
});
