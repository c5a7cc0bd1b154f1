// Portal passwords: the one strength rule (API, CLI and first start all ask passwordProblem), and
// scrypt hashes (node:crypto) kept as one self-describing string so the cost can be raised later.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

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

/** Spent on unknown e-mails too, so a wrong address and a wrong password take the same time. */
export const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;
/** zxcvbn's score (0–4) a password needs: 3 is "safely unguessable", ~10^8 guesses and up. */
const MIN_SCORE = 3;

// The dictionaries (5 MB of code, ~0.3 s) load once, on the first password checked — not on every
// start of every process: required lazily, and synchronously, as config loading checks one too.
// Only the first 64 characters are estimated and l33t variants capped, so a long random password
// costs milliseconds, not seconds (a longer password is strong by its length anyway).
const load = createRequire(import.meta.url);
let estimator: { factory: ZxcvbnFactory; userInputsWarning: string } | null = null;
const strengthOf = (password: string, userInputs: string[]) => {
  if (!estimator) {
    const { ZxcvbnFactory } = load('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
    const common = load('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    const english = load('@zxcvbn-ts/language-en') as typeof import('@zxcvbn-ts/language-en');
    const factory = new ZxcvbnFactory({
      translations: english.translations,
      graphs: common.adjacencyGraphs,
      dictionary: { ...common.dictionary, ...english.dictionary },
      maxLength: 64,
      l33tMaxSubstitutions: 10,
    });
    estimator = { factory, userInputsWarning: english.translations.warnings.userInputs };
  }
  return { ...estimator.factory.check(password, userInputs), userInputsWarning: estimator.userInputsWarning };
};

/**
 * Why a password is not good enough, as the end of a sentence that starts with the field's name
 * ("password is too easy to guess: …"), or null when it is. `userInputs` are words an attacker
 * would try first for this account (its e-mail, name).
 */
export function passwordProblem(password: string, userInputs: string[] = []): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters; a few unrelated words make a strong one`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const inputs = ['callhook', ...userInputs.flatMap((input) => [input, ...input.split(/[^\p{L}\p{N}]+/u)]).filter((word) => word.length >= 3)];
  const { score, feedback, userInputsWarning } = strengthOf(password, inputs);
  if (score >= MIN_SCORE) return null;
  // zxcvbn's own words for what makes it guessable, but ours for "it contains your name".
  const why = feedback.warning === userInputsWarning ? 'It contains your e-mail, your name or "callhook". ' : feedback.warning ? `${feedback.warning} ` : '';
  return `is too easy to guess: ${why}Add another word or two (unrelated to each other and to you), or make it longer`;
}
