// What the delivery log says when an attempt fails: one plain line per kind of failure, a person
// can act on, never a library's message (those carry OpenSSL file paths and internal codes).
// The kind follows from the error and how far the request got: connecting (TCP, TLS), waiting for
// the answer, or reading its body.
import { errors as undiciErrors } from 'undici';

export type AttemptStage = 'connecting' | 'waiting' | 'receiving';

export interface AttemptErrorContext {
  timeoutMs: number;
  host: string;
  /** The error code behind a generic line (`ERR_SSL_…`, `EPIPE`); never a message. */
  code: string;
}

export const ATTEMPT_ERRORS = {
  'connect-timeout': (c: AttemptErrorContext) => `could not connect within ${c.timeoutMs} ms`,
  'response-timeout': (c: AttemptErrorContext) => `no response within ${c.timeoutMs} ms`,
  'body-timeout': (c: AttemptErrorContext) => `body not finished within the ${c.timeoutMs} ms deadline`,
  refused: () => 'connection refused: nothing accepts connections on that port',
  reset: () => 'connection reset by the receiver before it answered',
  closed: () => 'connection closed by the receiver before it answered',
  'body-cut': () => 'connection closed by the receiver before the body was complete',
  'not-http': () => 'the receiver answered with something that is not HTTP/1.1',
  'tls-not-tls': () => 'TLS handshake failed: the receiver does not speak TLS on this port',
  'tls-untrusted': () => "TLS handshake failed: the receiver's certificate is self-signed or not signed by a trusted authority",
  'tls-expired': () => "TLS handshake failed: the receiver's certificate has expired",
  'tls-not-yet-valid': () => "TLS handshake failed: the receiver's certificate is not valid yet",
  'tls-wrong-host': (c: AttemptErrorContext) => `TLS handshake failed: the receiver's certificate is not for ${c.host}`,
  'tls-old-version': () => 'TLS handshake failed: the receiver offers no TLS version callhook accepts (1.2 or later)',
  'tls-other': (c: AttemptErrorContext) => `TLS handshake failed (${c.code})`,
  'host-not-found': (c: AttemptErrorContext) => `host not found: ${c.host} does not resolve`,
  'dns-failed': (c: AttemptErrorContext) => `the name ${c.host} could not be looked up (${c.code})`,
  'target-blocked': (c: AttemptErrorContext) => `target not allowed: ${c.host} is not a public address`,
  unreachable: (c: AttemptErrorContext) => `the receiver's network cannot be reached (${c.code})`,
  other: (c: AttemptErrorContext) => `request failed (${c.code})`,
} as const;

export type AttemptErrorKind = keyof typeof ATTEMPT_ERRORS;

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'CERT_REVOKED', 'INVALID_CA',
]);
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_RECORD_LAYER_FAILURE']);
const OLD_TLS = new Set(['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_UNSUPPORTED_PROTOCOL', 'ERR_SSL_NO_PROTOCOLS_AVAILABLE']);
const NOT_FOUND = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);
const UNREACHABLE = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL']);

/** Which kind of failure an error from undici (or the socket under it) is, given how far the request got. */
export function attemptErrorKind(error: unknown, stage: AttemptStage, https: boolean): AttemptErrorKind {
  const code = codeOf(error);
  const syscall = (error as { syscall?: string }).syscall ?? '';
  if (code === 'ETARGETBLOCKED') return 'target-blocked';
  if (syscall.startsWith('getaddrinfo') || syscall.startsWith('query')) return NOT_FOUND.has(code) ? 'host-not-found' : 'dns-failed';
  if (NOT_FOUND.has(code)) return 'host-not-found';
  if (code === 'ECONNREFUSED') return 'refused';
  if (UNREACHABLE.has(code)) return 'unreachable';
  if (code === 'CERT_HAS_EXPIRED') return 'tls-expired';
  if (code === 'CERT_NOT_YET_VALID') return 'tls-not-yet-valid';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'tls-wrong-host';
  if (UNTRUSTED.has(code)) return 'tls-untrusted';
  if (NOT_TLS.has(code)) return 'tls-not-tls';
  if (OLD_TLS.has(code)) return 'tls-old-version';
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return 'tls-other';
  const closed = code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE';
  // A TLS connection closed before its handshake finished: the other end rarely speaks TLS.
  if (closed && stage === 'connecting' && https) return 'tls-not-tls';
  if (closed && stage === 'receiving') return 'body-cut';
  if (code === 'ECONNRESET') return 'reset';
  if (closed) return 'closed';
  if (error instanceof undiciErrors.HTTPParserError || code === 'HTTPParserError' || code.startsWith('HPE_')) return 'not-http';
  return 'other';
}

function codeOf(error: unknown): string {
  const err = error as { code?: unknown; name?: unknown; cause?: { code?: unknown } } | null;
  const code = err?.cause?.code ?? err?.code;
  if (typeof code === 'string') return code;
  return typeof err?.name === 'string' ? err.name : 'unknown';
}

/** The log line for an error: its kind's line, with the code where the kind is a generic one. */
export function describeAttemptError(error: unknown, stage: AttemptStage, context: { timeoutMs: number; host: string; https: boolean }): string {
  const kind = attemptErrorKind(error, stage, context.https);
  return ATTEMPT_ERRORS[kind]({ timeoutMs: context.timeoutMs, host: context.host, code: codeOf(error) });
}
