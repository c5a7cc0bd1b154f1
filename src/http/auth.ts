// Who is calling: the operator (operator token or an operator's portal session), an organization
// (its API key, an admin's portal session, or the operator on its behalf) or a connection (ingest
// token). Bearer tokens and session cookies are stored as SHA-256 hashes.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../clock.ts';
import { AppError, notFound } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { Account } from '../tenancy/account.ts';
import type { Connection, Org } from '../tenancy/org.ts';
import { type Plans, assertPlanHasWebhooks } from '../tenancy/plans.ts';

export type Principal =
  | { kind: 'operator'; account: Account | null }
  | { kind: 'org'; orgId: string; keyId: string | null; account: Account | null }
  | { kind: 'connection'; connection: Connection };

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** The organization a /v1/orgs/{orgId}/… or Rinkel route acts on. */
    org: Org | null;
    connection: Connection | null;
  }
}

export const SESSION_COOKIE = 'callhook_session';
/** The header the portal sends on every request: a cross-site form or image cannot set it. */
export const CSRF_HEADER = 'x-callhook-portal';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** However much it is used, a session ends this long after sign-in (a stolen cookie does not live forever). */
export const SESSION_MAX_AGE_MS = 30 * 24 * 3_600_000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function bearerOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

export function sessionTokenOf(request: FastifyRequest): string | null {
  const value = (request as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies?.[SESSION_COOKIE];
  return value ? value : null;
}

/** scheme://host[:port] of an Origin header or URL; null for "null" (opaque origins) and anything unreadable. */
function originOf(value: string): string | null {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

const LAST_USED_RESOLUTION_MS = 60_000;

export function createAuth(deps: { store: Store; clock: Clock; operatorToken: string; plans: Plans; sessionMs: number; publicUrl: string }) {
  // Behind a proxy that rewrites Host, the browser's origin is the public address.
  const publicOrigin = originOf(deps.publicUrl);
  const operatorHash = Buffer.from(hashToken(deps.operatorToken), 'hex');
  const isOperator = (token: string) => timingSafeEqual(Buffer.from(hashToken(token), 'hex'), operatorHash);

  async function orgKey(token: string): Promise<{ org: Org; keyId: string } | null> {
    const found = await deps.store.apiKeys.findByHash(hashToken(token));
    if (!found) return null;
    const now = deps.clock.now();
    if ((found.key.lastUsedAt ?? 0) < now - LAST_USED_RESOLUTION_MS) await deps.store.apiKeys.touch(found.key.id, now);
    return { org: found.org, keyId: found.key.id };
  }

  /**
   * The portal account behind the request's session cookie, or null without one. A request that
   * changes something must also carry the portal's header, and come from our own origin if the
   * browser says where it comes from: together with SameSite=Strict, no other site can act with it.
   */
  async function sessionAccount(request: FastifyRequest): Promise<Account | null> {
    const token = sessionTokenOf(request);
    if (!token) return null;
    const tokenHash = hashToken(token);
    const now = deps.clock.now();
    const found = await deps.store.accounts.findSession(tokenHash, now);
    if (!found) throw new AppError('UNAUTHORIZED', 'The session has ended; sign in again');
    if (!SAFE_METHODS.has(request.method)) {
      if (request.headers[CSRF_HEADER] !== '1') throw new AppError('FORBIDDEN', `A request made with a portal session that changes something must carry the header ${CSRF_HEADER}: 1`);
      const origin = request.headers.origin;
      const from = origin === undefined ? undefined : originOf(origin);
      if (from !== undefined && (from === null || (from !== originOf(`${request.protocol}://${request.headers.host}`) && from !== publicOrigin))) throw new AppError('FORBIDDEN', `Requests from ${origin} cannot use a portal session`);
    }
    const endsAt = found.session.createdAt + SESSION_MAX_AGE_MS;
    if (now >= endsAt) {
      await deps.store.accounts.deleteSession(tokenHash);
      throw new AppError('UNAUTHORIZED', 'The session has ended; sign in again');
    }
    // Sliding: a session in use is extended once half of it has gone by, up to its maximum age.
    if (found.session.expiresAt - now < deps.sessionMs / 2) await deps.store.accounts.extendSession(tokenHash, Math.min(now + deps.sessionMs, endsAt));
    return found.account;
  }

  const missing = () =>
    new AppError('UNAUTHORIZED', 'Send a bearer token: Authorization: Bearer <token> (operator token, organization API key or ingest token, depending on the route), or sign in to the portal');

  /** Bearer token first; without one, the portal session. */
  async function principalOf(request: FastifyRequest): Promise<Principal | { kind: 'key'; org: Org; keyId: string }> {
    const token = bearerOf(request);
    if (token) {
      if (isOperator(token)) return { kind: 'operator', account: null };
      const key = await orgKey(token);
      if (key) return { kind: 'key', ...key };
      throw new AppError('UNAUTHORIZED', 'The bearer token is not valid');
    }
    const account = await sessionAccount(request);
    if (!account) throw missing();
    if (account.role === 'operator') return { kind: 'operator', account };
    return { kind: 'org', orgId: account.orgId!, keyId: null, account };
  }

  /**
   * The organization in the path, for the operator (any), its own admin, or (where `keys`) its own
   * API key; another organization's resources do not exist for them.
   */
  async function actOnOrg(request: FastifyRequest, keys: boolean): Promise<void> {
    const orgId = (request.params as { orgId?: string }).orgId;
    if (orgId === undefined) throw new Error('the route has no :orgId');
    const principal = await principalOf(request);
    if (principal.kind === 'key') {
      if (principal.org.id !== orgId) throw notFound('Organization', orgId);
      if (!keys) throw new AppError('FORBIDDEN', "This route needs the operator token or an organization admin's portal session; an API key cannot use it");
      request.principal = { kind: 'org', orgId, keyId: principal.keyId, account: null };
      request.org = principal.org;
      return;
    }
    if (principal.kind === 'org' && principal.orgId !== orgId) throw notFound('Organization', orgId);
    const org = await deps.store.orgs.get(orgId);
    if (!org) throw notFound('Organization', orgId);
    request.principal = principal as Principal;
    request.org = org;
  }

  return {
    sessionAccount,
    /** Who the request is from (bearer token first, then the portal session), without a route's rule applied. */
    principal: principalOf,

    /** Operator-only routes: organizations, accounts. */
    async operator(request: FastifyRequest): Promise<void> {
      const principal = await principalOf(request);
      if (principal.kind === 'operator') {
        request.principal = principal;
        return;
      }
      throw new AppError('FORBIDDEN', principal.kind === 'key' ? 'This route needs the operator token; an organization API key cannot use it' : 'This needs an operator; an organization admin cannot do it');
    },

    /** /v1/orgs/{orgId}/… routes: that organization's API key or admin, or the operator. */
    org: (request: FastifyRequest) => actOnOrg(request, true),

    /**
     * Credentials of an organization (connections, API keys): the operator, or the organization's
     * admin signed in to the portal. An API key cannot mint more keys or ingest tokens.
     */
    orgAdmin: (request: FastifyRequest) => actOnOrg(request, false),

    /** Rinkel-compatible routes: the organization comes from its API key (x-rinkel-api-key or Bearer). */
    async rinkel(request: FastifyRequest): Promise<void> {
      const header = request.headers['x-rinkel-api-key'];
      const token = (typeof header === 'string' ? header : null) ?? bearerOf(request);
      if (!token) throw new AppError('UNAUTHORIZED', 'Send the organization API key in the x-rinkel-api-key header');
      const key = await orgKey(token);
      if (!key) throw new AppError('UNAUTHORIZED', 'The API key is not valid');
      request.principal = { kind: 'org', orgId: key.org.id, keyId: key.keyId, account: null };
      request.org = key.org;
    },

    /** After `org` or `rinkel`: webhook features need a plan that includes them (403 otherwise). */
    async webhooksInPlan(request: FastifyRequest): Promise<void> {
      assertPlanHasWebhooks(deps.plans, request.org!);
    },

    /** The ingest API: a connection's ingest token. */
    async connection(request: FastifyRequest): Promise<void> {
      const token = bearerOf(request);
      if (!token) throw new AppError('UNAUTHORIZED', "Send the connection's ingest token: Authorization: Bearer <ingest token>");
      const found = await deps.store.connections.findByTokenHash(hashToken(token));
      if (!found) throw new AppError('UNAUTHORIZED', 'The ingest token is not valid (unknown or revoked connection)');
      request.principal = { kind: 'connection', connection: found.connection };
      request.connection = found.connection;
      request.org = found.org;
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;
