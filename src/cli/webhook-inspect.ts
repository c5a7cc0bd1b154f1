// Reading a received webhook back: the body by its content type, and which dialect and event it is.
// Pure, so `callhook listen` and tests share it.

export type Dialect = 'ringotel' | 'rinkel' | 'standard' | 'unknown';

export interface Detected {
  dialect: Dialect;
  /** Ringotel `method`, Standard `type`, or the Rinkel event read from the keys; null when unknown. */
  event: string | null;
}

export type ParsedBody = { ok: true; body: unknown } | { ok: false; error: string };

type FormNode = Record<string, unknown> | unknown[];

/** A key segment that would reach Object.prototype instead of a plain property. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** JSON when the content type says so, bracket-notation form when it says so, else JSON or raw text. */
export function parseBody(contentType: string, raw: string): ParsedBody {
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  if (mime === 'application/x-www-form-urlencoded') return { ok: true, body: parseFormBody(raw) };
  if (raw.trim() === '') return { ok: true, body: null };
  try {
    return { ok: true, body: JSON.parse(raw) as unknown };
  } catch (error) {
    if (mime === 'application/json' || mime.endsWith('+json')) return { ok: false, error: `not valid JSON: ${(error as Error).message}` };
    return { ok: true, body: raw };
  }
}

/** Parses `params[call_id]=x&topics[]=a&a[0][k]=v` back into `{params:{call_id:'x'}, topics:['a'], a:[{k:'v'}]}`,
 *  as PHP, Rails and `qs` do. Values stay strings: a form does not say what was a number. */
export function parseFormBody(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = keyPath(key);
    if (path.some((segment) => UNSAFE_KEYS.has(segment))) continue;
    assign(root, path, value);
  }
  return root;
}

/** `a[b][]` → ['a', 'b', '']; a key without brackets, or with unbalanced ones, is one segment. */
function keyPath(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const rest = key.slice(open);
  const segments = [...rest.matchAll(/\[([^\]]*)\]/g)].map((match) => match[1]!);
  if (segments.map((s) => `[${s}]`).join('') !== rest) return [key];
  return [key.slice(0, open), ...segments];
}

function assign(root: Record<string, unknown>, path: string[], value: string): void {
  let node: FormNode = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    const nextIsIndex = !last && (path[i + 1] === '' || /^\d+$/.test(path[i + 1]!));
    const slot = segment === '' && Array.isArray(node) ? node.length : segment;
    if (last) {
      setChild(node, slot, value);
      return;
    }
    let child = getChild(node, slot);
    if (child === null || typeof child !== 'object') {
      child = nextIsIndex ? [] : {};
      setChild(node, slot, child);
    } else if (Array.isArray(child) && !nextIsIndex) {
      // `a[]=x&a[k]=y`: the array becomes an object keyed by index, as qs does.
      child = Object.fromEntries(child.map((item, index) => [String(index), item]));
      setChild(node, slot, child);
    }
    node = child as FormNode;
  }
}

function getChild(node: FormNode, slot: string | number): unknown {
  return Array.isArray(node) ? node[Number(slot)] : node[String(slot)];
}

function setChild(node: FormNode, slot: string | number, value: unknown): void {
  if (Array.isArray(node)) {
    if (slot === '') node.push(value);
    else node[Number(slot)] = value;
  } else {
    node[String(slot)] = value;
  }
}

export function detectDialect(body: unknown): Detected {
  if (!isRecord(body)) return { dialect: 'unknown', event: null };
  if (typeof body.method === 'string' && isRecord(body.params)) return { dialect: 'ringotel', event: body.method };
  if (typeof body.type === 'string' && 'data' in body) return { dialect: 'standard', event: body.type };
  if (typeof body.id === 'string' || typeof body.datetime === 'string') {
    const event = rinkelEvent(body);
    if (event !== null) return { dialect: 'rinkel', event };
  }
  return { dialect: 'unknown', event: null };
}

/** Rinkel bodies carry no event name, so it is read from the keys each event has. */
function rinkelEvent(body: Record<string, unknown>): string | null {
  if ('sentiment' in body) return 'call insights';
  if ('cause' in body) return 'call end';
  if ('answeredBy' in body || 'choice' in body) return 'call start';
  if ('to' in body && 'from' in body) return 'userId' in body ? 'outgoing call' : 'incoming/outgoing call';
  // A form-encoded call start whose answeredBy and choice were both null has only these two keys.
  const keys = Object.keys(body).sort().join(',');
  if (keys === 'datetime,id') return 'call start';
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
