// What a portal password must be: checked on CALLHOOK_PORTAL_PASSWORD at start-up (here in
// config, which imports nothing else of src) and on every password set through the API or CLI
// (tenancy/password.ts re-exports it): the length rule, then a strength estimator (zxcvbn-ts).
import { createRequire } from 'node:module';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

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
