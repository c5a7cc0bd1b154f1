// Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-signature` carries
// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` for every active secret, space separated.
import { type KeyObject, createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { USER_AGENT } from '../version.ts';

const SECRET_PREFIX = 'whsec_';

export function newSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

// Building a key from raw bytes costs several times the HMAC itself; secrets are few and reused.
const keys = new Map<string, KeyObject>();

function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= 10_000) keys.clear();
    key = createSecretKey(Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64'));
    keys.set(secret, key);
  }
  return key;
}

export function sign(secret: string, id: string, timestampS: number, body: string): string {
  return 'v1,' + createHmac('sha256', keyOf(secret)).update(`${id}.${timestampS}.${body}`).digest('base64');
}

/** The three Standard Webhooks headers for one attempt. */
export function signatureHeaders(secrets: readonly string[], id: string, nowMs: number, body: string): Record<string, string> {
  const timestampS = Math.floor(nowMs / 1_000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampS),
    'webhook-signature': secrets.map((secret) => sign(secret, id, timestampS, body)).join(' '),
  };
}

/** The headers of every webhook request: its content type, who sends it, and the signature trio. */
export function webhookHeaders(contentType: string, secrets: readonly string[], id: string, nowMs: number, body: string): Record<string, string> {
  return { 'content-type': contentType, 'user-agent': USER_AGENT, ...signatureHeaders(secrets, id, nowMs, body) };
}

export type Verification = { ok: true } | { ok: false; reason: string };

/** Checks a request as a receiver would (used by `callhook listen`). */
export function verifySignature(
  secret: string,
  headers: { id?: string | undefined; timestamp?: string | undefined; signature?: string | undefined },
  body: string,
  nowMs: number,
  toleranceS = 300,
): Verification {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { ok: false, reason: 'webhook-id, webhook-timestamp or webhook-signature header missing' };
  const timestampS = Number(timestamp);
  if (!Number.isInteger(timestampS)) return { ok: false, reason: 'webhook-timestamp is not a number' };
  if (Math.abs(nowMs / 1_000 - timestampS) > toleranceS) return { ok: false, reason: `timestamp is more than ${toleranceS} s off` };
  const expected = Buffer.from(sign(secret, id, timestampS, body));
  const matches = signature.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? { ok: true } : { ok: false, reason: 'no signature matches the secret' };
}
