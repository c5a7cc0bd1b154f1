// Parses a mirrored SIP message (RFC 3261) into the SipMessage the dialog tracker reads. Lenient
// where real stacks differ (bare LF, folding, compact forms, comma lists), never throws.
import type { NameAddr, ReasonHeader, SipParse, Via } from './sip-message.ts';

/** RFC 3261 7.3.3 and later RFCs' compact header names. */
const COMPACT_NAMES: Record<string, string> = {
  a: 'accept-contact', b: 'referred-by', c: 'content-type', d: 'request-disposition', e: 'content-encoding',
  f: 'from', i: 'call-id', j: 'reject-contact', k: 'supported', l: 'content-length', m: 'contact',
  n: 'identity-info', o: 'event', r: 'refer-to', s: 'subject', t: 'to', u: 'allow-events', v: 'via',
  x: 'session-expires', y: 'identity',
};

const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;
const REQUEST_LINE = /^([A-Za-z0-9.!%*_+`'~-]+)[ \t]+(\S+)[ \t]+SIP\/\d+\.\d+[ \t]*$/i;
const STATUS_LINE = /^SIP\/\d+\.\d+[ \t]+([1-6]\d\d)(?:[ \t]+(.*))?$/i;
const MAX_CSEQ = 2 ** 31 - 1;

type Params = Record<string, string | null>;
type StartLine = { kind: 'request'; method: string; requestUri: string } | { kind: 'response'; status: number; reasonPhrase: string };

export function parseSip(payload: Buffer | string): SipParse {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const { lines, bodyStart } = readHead(bytes);
  const [startText, ...headerLines] = lines;
  if (startText === undefined) return fail('empty message');
  const start = parseStartLine(startText);
  if (!start) return fail(`not a SIP request or status line: ${clip(startText)}`);
  // No SIP header may hold a NUL (RFC 3261's grammar has none), and none may reach the store
  // (PostgreSQL text refuses U+0000): a head with one is not a message.
  const nul = bytes.subarray(0, bodyStart).indexOf(0x00);
  if (nul !== -1) return fail(`NUL byte in the message head at byte ${nul}`);

  const headers = collectHeaders(headerLines);
  const callId = headers.get('call-id')?.[0];
  if (!callId) return fail('missing Call-ID');
  const cseqText = headers.get('cseq')?.[0];
  if (cseqText === undefined) return fail('missing CSeq');
  const cseq = parseCSeq(cseqText);
  if (!cseq) return fail(`bad CSeq: ${clip(cseqText)}`);
  const fromText = headers.get('from')?.[0];
  const toText = headers.get('to')?.[0];
  if (fromText === undefined) return fail('missing From');
  if (toText === undefined) return fail('missing To');
  const from = parseNameAddr(fromText);
  if (!from) return fail(`bad From: ${clip(fromText)}`);
  const to = parseNameAddr(toText);
  if (!to) return fail(`bad To: ${clip(toText)}`);

  const via = listValues(headers, 'via').flatMap((value) => parseVia(value) ?? []);
  const contactText = listValues(headers, 'contact')[0];
  const contact = contactText === undefined ? null : parseNameAddr(contactText);
  const reasons = listValues(headers, 'reason').flatMap((value) => parseReason(value) ?? []);
  // A CANCEL may carry `Q.850;cause=…` beside `SIP;cause=200;text="Call completed elsewhere"`;
  // the SIP one is what tells a forked branch's CANCEL from a caller's.
  const reason = reasons.find((r) => r.protocol.toUpperCase() === 'SIP') ?? reasons[0] ?? null;

  const common = { callId, cseq, from, to, via, contact, reason, headers, body: readBody(bytes, bodyStart, headers) };
  if (start.kind === 'request') {
    return { ok: true, message: { kind: 'request', method: start.method, requestUri: start.requestUri, ...common } };
  }
  return { ok: true, message: { kind: 'response', status: start.status, reasonPhrase: start.reasonPhrase, ...common } };
}

function fail(reason: string): SipParse {
  return { ok: false, reason };
}

function clip(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/** Lines up to the first empty one (CRLF or bare LF); CRLFs before the start line are skipped. */
function readHead(bytes: Buffer): { lines: string[]; bodyStart: number } {
  const lines: string[] = [];
  let position = 0;
  while (position < bytes.length) {
    const newline = bytes.indexOf(0x0a, position);
    const next = newline === -1 ? bytes.length : newline + 1;
    let end = newline === -1 ? bytes.length : newline;
    if (end > position && bytes[end - 1] === 0x0d) end--;
    const line = bytes.toString('utf8', position, end);
    position = next;
    if (line === '') {
      if (lines.length === 0) continue;
      return { lines, bodyStart: position };
    }
    lines.push(line);
  }
  return { lines, bodyStart: bytes.length };
}

function parseStartLine(line: string): StartLine | null {
  const status = STATUS_LINE.exec(line);
  if (status) return { kind: 'response', status: Number(status[1]), reasonPhrase: (status[2] ?? '').trim() };
  const request = REQUEST_LINE.exec(line);
  if (request) return { kind: 'request', method: request[1]!, requestUri: request[2]! };
  return null;
}

function collectHeaders(lines: string[]): Map<string, string[]> {
  const entries: Array<{ name: string; value: string }> = [];
  for (const line of lines) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = entries[entries.length - 1];
      const more = line.trim();
      if (last && more !== '') last.value = last.value === '' ? more : `${last.value} ${more}`;
      continue;
    }
    const colon = line.indexOf(':');
    const name = line.slice(0, Math.max(colon, 0)).trim().toLowerCase();
    if (colon === -1 || !TOKEN.test(name)) continue;
    entries.push({ name: COMPACT_NAMES[name] ?? name, value: line.slice(colon + 1).trim() });
  }
  const headers = new Map<string, string[]>();
  for (const { name, value } of entries) {
    const values = headers.get(name);
    if (values) values.push(value);
    else headers.set(name, [value]);
  }
  return headers;
}

/** Every comma-separated value of a header, across all its lines. */
function listValues(headers: Map<string, string[]>, name: string): string[] {
  return (headers.get(name) ?? []).flatMap((value) => splitOutside(value, ','));
}

/** Splits on `separator` except inside quoted strings and `<…>`; trims, drops empty pieces. */
function splitOutside(text: string, separator: ',' | ';'): string[] {
  const pieces: string[] = [];
  let quoted = false;
  let angle = false;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === '<') {
      angle = true;
    } else if (ch === '>') {
      angle = false;
    } else if (ch === separator && !angle) {
      pieces.push(text.slice(from, i));
      from = i + 1;
    }
  }
  pieces.push(text.slice(from));
  return pieces.map((piece) => piece.trim()).filter((piece) => piece !== '');
}

/** A quoted string starting at `start` (which is `"`): its unescaped value and the index after it. */
function readQuoted(text: string, start: number): { value: string; end: number } | null {
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') return { value, end: i + 1 };
    if (ch === '\\' && i + 1 < text.length) {
      i++;
      value += text[i];
    } else {
      value += ch;
    }
  }
  return null;
}

function unquote(text: string): string {
  return text.startsWith('"') ? (readQuoted(text, 0)?.value ?? text) : text;
}

/** `;a=1;b;c="x;y"` (the pieces after the first `;`) as lower-case names → values. */
function parseParams(pieces: string[]): Params {
  const params: Params = Object.create(null) as Params;
  for (const piece of pieces) {
    const equals = piece.indexOf('=');
    const name = (equals === -1 ? piece : piece.slice(0, equals)).trim().toLowerCase();
    if (name === '') continue;
    params[name] = equals === -1 ? null : unquote(piece.slice(equals + 1).trim());
  }
  return params;
}

/** `"Name" <uri>;params`, `Name <uri>;params`, or a bare `uri;params` (whose params are the header's). */
export function parseNameAddr(raw: string): NameAddr | null {
  const text = raw.trim();
  let displayName: string | null = null;
  let uri: string;
  let paramsText: string;
  if (text.startsWith('"')) {
    const quoted = readQuoted(text, 0);
    if (!quoted) return null;
    displayName = quoted.value.trim();
    const rest = text.slice(quoted.end).trimStart();
    const close = rest.indexOf('>');
    if (!rest.startsWith('<') || close === -1) return null;
    uri = rest.slice(1, close);
    paramsText = rest.slice(close + 1);
  } else {
    const open = text.indexOf('<');
    if (open === -1) {
      const semi = text.indexOf(';');
      uri = semi === -1 ? text : text.slice(0, semi);
      paramsText = semi === -1 ? '' : text.slice(semi);
    } else {
      const close = text.indexOf('>', open);
      if (close === -1) return null;
      displayName = text.slice(0, open).trim();
      uri = text.slice(open + 1, close);
      paramsText = text.slice(close + 1);
    }
  }
  uri = uri.trim();
  if (uri === '' || /\s/.test(uri)) return null;
  const params = parseParams(splitOutside(paramsText, ';'));
  const tag = params.tag ?? null;
  delete params.tag;
  return { displayName: displayName === '' ? null : displayName, uri, user: userOf(uri), tag, params };
}

/** The user part of a sip:/sips: URI (`user@host`) or the number of a tel: URI, without parameters. */
export function userOf(uri: string): string | null {
  const colon = uri.indexOf(':');
  if (colon === -1) return null;
  const scheme = uri.slice(0, colon).toLowerCase();
  const rest = uri.slice(colon + 1);
  let user: string;
  if (scheme === 'sip' || scheme === 'sips') {
    const at = rest.indexOf('@');
    if (at === -1) return null;
    user = rest.slice(0, at);
    const password = user.indexOf(':');
    if (password !== -1) user = user.slice(0, password);
  } else if (scheme === 'tel') {
    user = rest;
  } else {
    return null;
  }
  // `+31850609001;npdi@host`, `tel:+31850609001;phone-context=…`: the number is before the `;`.
  const semi = user.indexOf(';');
  if (semi !== -1) user = user.slice(0, semi);
  if (user.includes('%')) {
    try {
      user = decodeURIComponent(user);
    } catch {
      // Not valid percent-encoding: keep it as written.
    }
  }
  return user === '' ? null : user;
}

function parseCSeq(text: string): { seq: number; method: string } | null {
  const [number, method, ...extra] = text.trim().split(/[ \t]+/);
  if (number === undefined || method === undefined || extra.length > 0) return null;
  if (!/^\d{1,10}$/.test(number) || !TOKEN.test(method)) return null;
  const seq = Number(number);
  return seq > MAX_CSEQ ? null : { seq, method };
}

/** `SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK…;rport` (spaces around `/` and `:` allowed). */
function parseVia(value: string): Via | null {
  const [head = '', ...paramPieces] = splitOutside(value, ';');
  const tight = tighten(head);
  const space = tight.indexOf(' ');
  if (space === -1) return null;
  const protocol = tight.slice(0, space).toUpperCase();
  const sentBy = tight.slice(space + 1);
  if (protocol.split('/').length !== 3 || sentBy === '' || sentBy.includes(' ')) return null;
  const params = parseParams(paramPieces);
  const branch = params.branch ?? null;
  delete params.branch;
  return { protocol, sentBy, branch, params };
}

/** Collapses whitespace runs to one space and drops it next to `/` and `:` (linear, no regex backtracking). */
function tighten(text: string): string {
  let out = '';
  let space = false;
  for (const ch of text.trim()) {
    if (ch === ' ' || ch === '\t') {
      space = true;
      continue;
    }
    const last = out[out.length - 1];
    if (space && ch !== '/' && ch !== ':' && last !== '/' && last !== ':') out += ' ';
    space = false;
    out += ch;
  }
  return out;
}

/** RFC 3326: `SIP;cause=200;text="Call completed elsewhere"`. */
function parseReason(value: string): ReasonHeader | null {
  const [protocol, ...paramPieces] = splitOutside(value, ';');
  if (protocol === undefined || !TOKEN.test(protocol)) return null;
  const params = parseParams(paramPieces);
  const cause = params.cause != null && /^\d{1,9}$/.test(params.cause) ? Number(params.cause) : null;
  return { protocol, cause, text: params.text ?? null };
}

/** The body after the blank line: Content-Length bytes when it is given (and valid), else the rest. */
function readBody(bytes: Buffer, bodyStart: number, headers: Map<string, string[]>): string {
  const declared = headers.get('content-length')?.[0];
  let end = bytes.length;
  if (declared !== undefined && /^\d{1,9}$/.test(declared)) end = Math.min(end, bodyStart + Number(declared));
  return end > bodyStart ? bytes.toString('utf8', bodyStart, end) : '';
}
