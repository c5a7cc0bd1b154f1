// What `callhook listen` says about one received request: a record (the `--json` line) and its
// human rendering for a terminal.
import type { IncomingHttpHeaders } from 'node:http';
import { verifySignature } from '../delivery/signature.ts';
import { detectDialect, parseBody, type Dialect } from './webhook-inspect.ts';

export const SIGNATURE_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

export interface ReceivedWebhook {
  receivedAt: string;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  contentType: string | null;
  dialect: Dialect;
  event: string | null;
  /** The parsed body; null when it could not be parsed (see bodyError). */
  body: unknown;
  bodyError?: string;
  rawBody: string;
  signature: 'valid' | 'invalid' | 'unchecked';
  signatureError?: string;
  /** Signature headers the request lacks. */
  missingHeaders: string[];
}

export interface RequestFacts {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  receivedAtMs: number;
}

export function describeRequest(request: RequestFacts, secret: string | null): ReceivedWebhook {
  const { headers, rawBody } = request;
  const contentType = header(headers, 'content-type') ?? null;
  const parsed = parseBody(contentType ?? '', rawBody);
  const body = parsed.ok ? parsed.body : null;
  const { dialect, event } = detectDialect(body);
  const missingHeaders = SIGNATURE_HEADERS.filter((name) => header(headers, name) === undefined);
  const record: ReceivedWebhook = {
    receivedAt: new Date(request.receivedAtMs).toISOString(),
    method: request.method,
    path: request.path,
    headers,
    contentType,
    dialect,
    event,
    body,
    ...(parsed.ok ? {} : { bodyError: parsed.error }),
    rawBody,
    signature: 'unchecked',
    missingHeaders,
  };
  if (secret === null) return record;
  if (missingHeaders.length > 0) {
    return { ...record, signature: 'invalid', signatureError: `missing ${missingHeaders.join(', ')} header${missingHeaders.length > 1 ? 's' : ''}` };
  }
  const verification = verifySignature(
    secret,
    { id: header(headers, 'webhook-id'), timestamp: header(headers, 'webhook-timestamp'), signature: header(headers, 'webhook-signature') },
    rawBody,
    request.receivedAtMs,
  );
  return verification.ok ? { ...record, signature: 'valid' } : { ...record, signature: 'invalid', signatureError: verification.reason };
}

/** The `--json` line: everything but the bookkeeping field, which the human format alone needs. */
export function jsonLine(record: ReceivedWebhook): string {
  const { missingHeaders: _, ...rest } = record;
  return JSON.stringify(rest) + '\n';
}

const ANSI = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
type Style = keyof typeof ANSI;

export function humanReport(record: ReceivedWebhook, color: boolean): string {
  const paint = (style: Style, text: string) => (color ? `\x1b[${ANSI[style]}m${text}\x1b[0m` : text);
  const what = record.dialect === 'unknown' ? paint('yellow', 'unknown dialect') : `${record.dialect} ${paint('bold', record.event ?? '?')}`;
  const id = header(record.headers, 'webhook-id');
  const lines = [
    `${paint('dim', localTime(record.receivedAt))} ${paint('cyan', `${record.method} ${record.path}`)}  ${what}`,
    paint('dim', `${record.contentType ?? '(no content-type)'} · webhook-id ${id ?? '(none)'}`),
    ...bodyLines(record),
    signatureLine(record, paint),
  ];
  return lines.join('\n') + '\n\n';
}

function bodyLines(record: ReceivedWebhook): string[] {
  if (record.bodyError !== undefined) return [`(body ${record.bodyError})`, record.rawBody];
  if (record.rawBody === '') return ['(empty body)'];
  if (typeof record.body === 'string') return [record.body];
  return [JSON.stringify(record.body, null, 2)];
}

function signatureLine(record: ReceivedWebhook, paint: (style: Style, text: string) => string): string {
  switch (record.signature) {
    case 'valid':
      return paint('green', '✓ signature valid');
    case 'invalid':
      return paint('red', `✗ signature invalid: ${record.signatureError ?? 'unknown reason'}`);
    case 'unchecked': {
      const missing = record.missingHeaders.length > 0 ? paint('yellow', ` — missing ${record.missingHeaders.join(', ')}`) : '';
      return paint('dim', '(no --secret given: signature not checked)') + missing;
    }
  }
}

function localTime(iso: string): string {
  const date = new Date(iso);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
