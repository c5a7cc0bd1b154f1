// Portal passwords: the one strength rule (API, CLI and first start all ask passwordProblem), and
// scrypt hashes (node:crypto) kept as one self-describing string so the cost can be raised later.
import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';

const KEY_BYTES = 32;
/** N = 2^15, r = 8, p = 1: ~50–100 ms and 32 MiB per hash, OWASP's scrypt floor and then some. */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const MAX_MEMORY = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, { ...cost, maxmem: MAX_MEMORY }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** `scrypt$N$r$p$<salt b64url>$<hash b64url>` */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Letters and digits that cannot be mistaken for one another when read out or typed over. */
const UNMISTAKABLE = 'abcdefghjkmnpqrstuvwxyz23456789';

/** A password to be told to someone once: 20 random characters of 31 (~99 bits), in groups of five. */
export function generatePassword(): string {
  const groups = Array.from({ length: 4 }, () => Array.from({ length: 5 }, () => UNMISTAKABLE[randomInt(UNMISTAKABLE.length)]).join(''));
  return groups.join('-');
}

/** Spent on unknown e-mails too, so a wrong address and a wrong password take the same time. */
export const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

// The rule also checks CALLHOOK_PORTAL_PASSWORD at start-up, so config holds it.
export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblem } from '../config/password-rule.ts';
