// Portal accounts: the operator lists, creates and deletes them; an organization's admin sees
// its organization's. Passwords are stored as scrypt hashes (tenancy/password.ts), never shown.
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, notFound } from '../../errors.ts';
import { newId } from '../../ids.ts';
import { type Account, type AccountRole, normalizeEmail } from '../../tenancy/account.ts';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, generatePassword, hashPassword, passwordProblem } from '../../tenancy/password.ts';
import type { Api, ApiDeps } from '../app.ts';
import { Enum, Page, PageQuery, problems } from '../common.ts';
import { AccountSchema, accountJson } from './session.ts';

const CreateAccount = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 320 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    password: Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, description: 'At least 10 characters and not easy to guess (a strength estimator checks it): a few unrelated words make a good one.' }),
    role: Enum(['operator', 'admin'] as const),
    orgId: Type.Optional(Type.String({ description: 'Required for an admin: the organization they manage.' })),
  },
  { additionalProperties: false },
);
const AccountParams = Type.Object({ accountId: Type.String() });
const ResetPassword = Type.Object(
  { password: Type.String({ description: 'The new password, generated: shown this once, never stored in the clear. Hand it over safely; they can change it after signing in.' }) },
  { title: 'Password reset' },
);

export function accountRoutes(app: Api, deps: ApiDeps): void {
  const { store, clock, auth } = deps;
  const tags = ['portal accounts'];

  app.get('/v1/accounts', { schema: { tags, summary: "Portal accounts (an admin sees its organization's)", querystring: PageQuery, response: { 200: Page(AccountSchema), ...problems(401, 403) } } }, async (request) => {
    const principal = await principalForAccounts(request);
    const page = await store.accounts.list({ ...request.query, orgId: principal.orgId ?? undefined });
    return { data: page.data.map(accountJson), nextCursor: page.nextCursor };
  });

  app.post('/v1/accounts', { preHandler: auth.operator, schema: { tags, summary: 'Create a portal account (operator)', body: CreateAccount, response: { 201: AccountSchema, ...problems(401, 403, 409, 422) } } }, async (request, reply) => {
    const { email, name, password, role, orgId } = request.body;
    const weak = passwordProblem(password, [email, name]);
    if (weak) throw new AppError('VALIDATION_FAILED', `password ${weak}`, { field: 'password' });
    if (role === 'admin' && !orgId) throw new AppError('VALIDATION_FAILED', 'orgId is required for an admin: the organization they manage', { field: 'orgId' });
    if (role === 'operator' && orgId) throw new AppError('VALIDATION_FAILED', 'An operator belongs to no organization; leave orgId out', { field: 'orgId' });
    if (orgId && !(await store.orgs.get(orgId))) throw new AppError('VALIDATION_FAILED', `There is no organization ${orgId}`, { field: 'orgId' });
    const account: Account = { id: newId('acct'), email: normalizeEmail(email), name, role: role as AccountRole, orgId: orgId ?? null, createdAt: clock.now() };
    const created = await store.accounts.create(account, await hashPassword(password));
    return reply.code(201).send(accountJson(created));
  });

  app.delete('/v1/accounts/:accountId', { preHandler: auth.operator, schema: { tags, summary: 'Delete a portal account and end its sessions (operator)', params: AccountParams, response: { 204: Type.Null(), ...problems(401, 403, 404, 409) } } }, async (request, reply) => {
    const principal = request.principal;
    if (principal?.kind === 'operator' && principal.account?.id === request.params.accountId) {
      throw new AppError('CONFLICT', 'You cannot delete the account you are signed in with');
    }
    if (!(await store.accounts.delete(request.params.accountId))) throw notFound('Account', request.params.accountId);
    return reply.code(204).send(null);
  });

  app.post('/v1/accounts/:accountId/reset-password', { preHandler: auth.operator, schema: { tags, summary: "Reset an account's password (operator): a new one is generated and shown once; the account's sessions end", params: AccountParams, response: { 200: ResetPassword, ...problems(401, 403, 404, 409) } } }, async (request, reply) => {
    const principal = request.principal;
    if (principal?.kind === 'operator' && principal.account?.id === request.params.accountId) {
      throw new AppError('CONFLICT', 'Change your own password with POST /v1/session/password; it asks for the current one');
    }
    const account = await store.accounts.get(request.params.accountId);
    if (!account) throw notFound('Account', request.params.accountId);
    const password = generatePassword();
    // Every session of the account ends: whoever had the old password or a cookie is out.
    if (!(await store.accounts.setPassword(account.id, await hashPassword(password), null))) throw notFound('Account', account.id);
    deps.passwordChanged(account);
    return reply.header('cache-control', 'no-store').send({ password });
  });

  /** The operator (token or session) sees all accounts; an admin's session its organization's. */
  async function principalForAccounts(request: FastifyRequest): Promise<{ orgId: string | null }> {
    const principal = await auth.principal(request);
    if (principal.kind === 'operator') return { orgId: null };
    if (principal.kind === 'org' && principal.account) return { orgId: principal.orgId };
    throw new AppError('FORBIDDEN', 'Accounts are listed for the operator and organization admins; an API key cannot see them');
  }
}
