// Signed links to recordings: `<public url>/v1/recordings/<key>?expires=<epoch s>&signature=<sig>`.
// The key is random (unguessable on its own); the signature, an HMAC-SHA256 of key and expiry with
// a server secret, makes the expiry binding. Secrets are a list, newest first: links are signed
// with the newest and checked against all, so a rotation leaves links already sent working.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type LinkCheck = 'valid' | 'expired' | 'invalid';

export interface SignedLink {
  url: string;
  expiresAt: number;
}

/** A fresh link key: 128 random bits. */
export function newLinkKey(): string {
  return `rk_${randomBytes(16).toString('base64url')}`;
}

/** A fresh signing secret. */
export function newLinkSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function linkSignature(secret: string, key: string, expiresS: number): string {
  return createHmac('sha256', secret).update(`${key}.${expiresS}`).digest('base64url');
}

/** The link for `key` valid until `expiresAt` (epoch ms, rounded up to a whole second). */
export function signLink(input: { publicUrl: string; key: string; expiresAt: number; secret: string }): SignedLink {
  const expiresS = Math.ceil(input.expiresAt / 1_000);
  const signature = linkSignature(input.secret, input.key, expiresS);
  return { url: `${input.publicUrl}/v1/recordings/${input.key}?expires=${expiresS}&signature=${signature}`, expiresAt: expiresS * 1_000 };
}

/**
 * Whether the link's signature is one of ours and it has not run out. A tampered link (key,
 * expiry or signature changed) is invalid whatever its expiry says; compared in constant time.
 */
export function checkLink(input: { key: string; expires: string; signature: string; secrets: readonly string[]; now: number }): LinkCheck {
  if (!/^\d{1,12}$/.test(input.expires)) return 'invalid';
  const expiresS = Number(input.expires);
  const given = Buffer.from(input.signature, 'base64url');
  let matches = false;
  for (const secret of input.secrets) {
    const expected = Buffer.from(linkSignature(secret, input.key, expiresS), 'base64url');
    // Every secret is compared (no early exit), each in constant time.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matches = true;
  }
  if (!matches) return 'invalid';
  return expiresS * 1_000 <= input.now ? 'expired' : 'valid';
}
