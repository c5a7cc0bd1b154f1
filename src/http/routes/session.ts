// Portal sign-in: e-mail and password → a session cookie (HttpOnly, SameSite=Strict); who is
// signed in; sign out. The session then works on every route a bearer token does (http/auth.ts).
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import { newToken } from '../../ids.ts';
import { type Account, normalizeEmail } from '../../tenancy/account.ts';
import { DUMMY_HASH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, hashPassword, passwordProblem, verifyPassword } from '../../tenancy/password.ts';
import { SESSION_COOKIE, hashToken, sessionTokenOf } from '../auth.ts';
import type { Api, ApiDeps } from '../app.ts';
import { LoginThrottle } from '../login-throttle.ts';
import { Enum, Nullable, Time, iso, problems } from '../common.ts';

export const AccountSchema = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    name: Type.String(),
    role: Enum(['operator', 'admin'] as const, { description: 'operator: runs callhook, all organizations; admin: one organization.' }),
    orgId: Nullable(Type.String({ description: 'The organization an admin manages; null for operators.' })),
    createdAt: Time,
  },
  { title: 'Portal account' },
);
const SignIn = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 320 }), password: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
const SessionSchema = Type.Object({ account: AccountSchema, expiresAt: Type.Optional(Time) });
const ChangePassword = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: 200 }), newPassword: Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, description: 'At least 10 characters and not easy to guess (a strength estimator checks it): a few unrelated words make a good one.' }) },
  { additionalProperties: false },
);

export const accountJson = (a: Account) => ({ ...a, createdAt: iso(a.createdAt) });

export function sessionRoutes(app: Api, deps: ApiDeps): void {
  const { store, clock, auth, config } = deps;
  const tags = ['portal session'];
  const throttle = new LoginThrottle(clock);
  const sessionMs = config.portal.sessionMs;

  // Secure whenever people reach this instance over https, even when a proxy speaks http to us.
  const publicHttps = config.http.publicUrl.startsWith('https:');
  const setCookie = (request: FastifyRequest, reply: FastifyReply, value: string, maxAgeS: number) =>
    reply.setCookie(SESSION_COOKIE, value, { path: '/', httpOnly: true, sameSite: 'strict', secure: publicHttps || request.protocol === 'https', maxAge: maxAgeS });

  app.post('/v1/session', { schema: { tags, summary: 'Sign in to the portal (sets the session cookie)', body: SignIn, response: { 201: SessionSchema, ...problems(401, 422, 429) } } }, async (request, reply) => {
    const email = normalizeEmail(request.body.email);
    const attempt = throttle.attempt(email, request.ip);
    const waitS = attempt.retryAfterS;
    if (waitS > 0) throw new AppError('TOO_MANY_ATTEMPTS', `Too many sign-in attempts; try again in ${waitS} s`, { extra: { retryAfterS: waitS } });
    const found = await store.accounts.findByEmail(email);
    // An unknown address costs the same hash as a wrong password: the answer time tells nothing.
    const right = await verifyPassword(request.body.password, found?.passwordHash ?? DUMMY_HASH);
    if (!found || !right) throw new AppError('UNAUTHORIZED', 'The e-mail or the password is wrong', { field: 'password' });
    attempt.succeeded();
    const token = newToken('chs');
    const now = clock.now();
    await store.accounts.deleteExpiredSessions(now); // sign-ins are rare: a good moment to sweep
    await store.accounts.createSession(hashToken(token), { accountId: found.account.id, createdAt: now, expiresAt: now + sessionMs });
    setCookie(request, reply, token, Math.floor(sessionMs / 1_000));
    return reply.code(201).send({ account: accountJson(found.account), expiresAt: iso(now + sessionMs) });
  });

  app.get('/v1/session', { schema: { tags, summary: 'Who is signed in', response: { 200: SessionSchema, ...problems(401) } } }, async (request) => {
    const account = await auth.sessionAccount(request);
    if (!account) throw new AppError('UNAUTHORIZED', 'Not signed in');
    return { account: accountJson(account) };
  });

  app.post('/v1/session/password', { schema: { tags, summary: "Change the signed-in account's password (ends its other sessions)", body: ChangePassword, response: { 204: Type.Null(), ...problems(401, 403, 422, 429) } } }, async (request, reply) => {
    const account = await auth.sessionAccount(request);
    if (!account) throw new AppError('UNAUTHORIZED', 'Sign in to change your password');
    const attempt = throttle.attempt(account.email, request.ip);
    if (attempt.retryAfterS > 0) throw new AppError('TOO_MANY_ATTEMPTS', `Too many attempts; try again in ${attempt.retryAfterS} s`, { extra: { retryAfterS: attempt.retryAfterS } });
    const found = await store.accounts.findByEmail(account.email);
    if (!found || !(await verifyPassword(request.body.currentPassword, found.passwordHash))) {
      throw new AppError('VALIDATION_FAILED', 'currentPassword is not your current password', { field: 'currentPassword' });
    }
    attempt.succeeded();
    const weak = passwordProblem(request.body.newPassword, [account.email, account.name]);
    if (weak) throw new AppError('VALIDATION_FAILED', `newPassword ${weak}`, { field: 'newPassword' });
    // Someone who had the old password (or a cookie from another browser) is out from now on.
    await store.accounts.setPassword(account.id, await hashPassword(request.body.newPassword), hashToken(sessionTokenOf(request)!));
    deps.passwordChanged(account);
    return reply.code(204).send(null);
  });

  app.delete('/v1/session', { schema: { tags, summary: 'Sign out (ends the session, clears the cookie)', response: { 204: Type.Null(), ...problems(403) } } }, async (request, reply) => {
    const token = sessionTokenOf(request);
    if (token) {
      // Signing out is a change: the same guard as any other, so no other site can sign you out.
      await auth.sessionAccount(request).catch((error: unknown) => {
        if (!(error instanceof AppError) || error.code !== 'UNAUTHORIZED') throw error;
      });
      await store.accounts.deleteSession(hashToken(token));
    }
    setCookie(request, reply, '', 0);
    return reply.code(204).send(null);
  });
}
