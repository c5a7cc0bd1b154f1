// Which of a receiver's response headers the delivery log keeps. Everyone who can read the log
// sees them, so it keeps an allow-list of headers that explain an answer (type, size, date, when
// to retry, where a redirect points, the receiver's request id) and drops the rest: cookies,
// credentials, challenges, and whatever a receiver's framework adds.
const SHOWN = new Set(['content-type', 'content-length', 'content-encoding', 'date', 'retry-after', 'location', 'cf-ray', 'traceparent']);
/** Request and trace ids: x-request-id, request-id, x-amzn-requestid, x-correlation-id, x-trace-id … */
const ID = /^(x-)?([a-z0-9]+-)*(request|correlation|trace)-?id$/;
/** A name that says it carries a secret is dropped whatever else it matches. */
const SECRET = /token|secret|key|auth|cookie|session|passw|signature|credential/;
/** Query parameters of a Location URL whose values are not shown. */
const SECRET_PARAM = /token|secret|key|auth|code|session|passw|sig|credential|ticket/i;
const MAX_VALUE_CHARS = 512;

export function loggableHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [raw, value] of Object.entries(headers)) {
    const name = raw.toLowerCase();
    if (SECRET.test(name) || !(SHOWN.has(name) || ID.test(name))) continue;
    const shown = name === 'location' ? redactLocation(value) : value;
    out[name] = shown.length > MAX_VALUE_CHARS ? `${shown.slice(0, MAX_VALUE_CHARS)}…` : shown;
  }
  return out;
}

/** A redirect target without a user name, password or secret-looking query values. */
function redactLocation(value: string): string {
  let url: URL;
  try {
    url = new URL(value, 'http://relative.invalid');
  } catch {
    return '[not a URL]';
  }
  if (url.username || url.password) {
    url.username = '';
    url.password = '';
  }
  for (const name of [...url.searchParams.keys()]) if (SECRET_PARAM.test(name)) url.searchParams.set(name, 'redacted');
  const text = url.href;
  return url.origin === 'http://relative.invalid' && !value.startsWith('http://relative.invalid') ? text.slice('http://relative.invalid'.length) : text;
}
