import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generatePassword, passwordProblem } from './password.ts';

describe('the password rule', () => {
  it.each([
    ['password123', [], /too easy to guess: This is a commonly used password\. Add another word or two/],
    ['Password1234', [], /too easy to guess: This is similar to a commonly used password/],
    ['qwertyuiop[]', [], /too easy to guess: .*keyboard/i],
    ['aaaaaaaaaaaaaa', [], /too easy to guess: Repeated characters/],
    ['abcdefghijkl', [], /too easy to guess: Common character sequences/],
    ['jansenanna!', ['anna.jansen@example.com', 'Anna Jansen'], /too easy to guess: It contains your e-mail, your name or "callhook"/],
    ['callhook2026!', [], /too easy to guess: It contains your e-mail, your name or "callhook"/],
    ['short', [], /^must be at least 10 characters; a few unrelated words make a strong one$/],
    ['x'.repeat(201), [], /^must be at most 200 characters$/],
  ])('refuses %j, saying why and how to fix it', (password, inputs, why) => {
    expect(passwordProblem(password, inputs)).toMatch(why);
  });

  it.each(['correct horse battery staple', 'portal-operator-password', 'Xq7-pLm2-vR9w', 'anna likes green tea'])('accepts %j', (password) => {
    expect(passwordProblem(password, ['ops@example.com', 'Operator'])).toBeNull();
  });

  it('accepts every password callhook generates (first start, `callhook users add`)', () => {
    for (let i = 0; i < 50; i++) expect(passwordProblem(randomBytes(12).toString('base64url'), ['operator@localhost'])).toBeNull();
  });

  it('generates reset passwords that pass the rule, each different, in unmistakable characters', () => {
    const passwords = Array.from({ length: 50 }, () => generatePassword());
    for (const password of passwords) {
      expect(password).toMatch(/^[a-hjkmnp-z2-9]{5}(-[a-hjkmnp-z2-9]{5}){3}$/);
      expect(passwordProblem(password, ['anna@newcompany.example', 'Anna'])).toBeNull();
    }
    expect(new Set(passwords).size).toBe(passwords.length);
  });

  it('judges a long random password in milliseconds, not seconds (only its first 64 characters are estimated)', () => {
    passwordProblem('warm the dictionaries up');
    const random = Array.from(randomBytes(200), (byte) => String.fromCharCode(33 + (byte % 90))).join('');
    const started = performance.now();
    passwordProblem(random);
    // Unbounded, zxcvbn takes ~2 s on this; bounded ~70 ms. The margin is for a loaded machine.
    expect(performance.now() - started).toBeLessThan(800);
  });
});
