// Body encoders. JSON keeps the renderer's key order. Forms are WHATWG
// application/x-www-form-urlencoded (`+` → `%2B`, space → `+`) with bracket notation for nesting,
// which PHP, Rails, `qs` and Express parse back into the same structure:
//   { params: { call_id: 'x' } } → params[call_id]=x      { topics: ['a', 'b'] } → topics[]=a&topics[]=b
//   { a: [{ k: 'v' }] }          → a[0][k]=v
// null fields are left out (receivers built for Rinkel reject an empty value but accept a missing one),
// and so are empty arrays and objects, which a form cannot express.
import type { WireBody, WireValue } from './format.ts';

export function encodeJson(body: WireBody): string {
  return JSON.stringify(body);
}

export function encodeForm(body: WireBody): string {
  const pairs: [string, string][] = [];
  for (const [key, value] of Object.entries(body)) collect(pairs, key, value);
  return pairs.map(([key, value]) => `${encodeKey(key)}=${encodeComponent(value)}`).join('&');
}

function collect(pairs: [string, string][], key: string, value: WireValue | undefined): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      const nested = item !== null && typeof item === 'object';
      collect(pairs, nested ? `${key}[${index}]` : `${key}[]`, item);
    });
  } else if (typeof value === 'object') {
    for (const [child, item] of Object.entries(value)) collect(pairs, `${key}[${child}]`, item);
  } else if (typeof value === 'number') {
    // JSON has no NaN/Infinity either (it writes null), so they are left out like null.
    if (Number.isFinite(value)) pairs.push([key, String(value)]);
  } else {
    pairs.push([key, String(value)]);
  }
}

function encodeComponent(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/** Brackets stay literal in keys, as the docs and every bracket-notation example show them;
 *  WHATWG parsers read `[` and `%5B` alike. */
function encodeKey(key: string): string {
  return encodeComponent(key).replaceAll('%5B', '[').replaceAll('%5D', ']');
}
