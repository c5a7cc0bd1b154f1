// Who is calling: the operator (operator token), an organization (its API key, or the operator on
// its behalf) or a connection (ingest token). All bearer tokens; keys are stored as SHA-256 hashes.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../clock.ts';
import { AppError, notFound } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { Connection, Org } from '../tenancy/org.ts';
import { type Plans, assertPlanHasWebhooks } from '../tenancy/plans.ts';

export type Principal = { kind: 'operator' } | { kind: 'org'; orgId: string; keyId: string } | { kind: 'connection'; connection: Connection };

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** The organization a /v1/orgs/{orgId}/… or Rinkel route acts on. */
    org: Org | null;
    connection: Connection | null;
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function bearerOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

const LAST_USED_RESOLUTION_MS = 60_000;

export function createAuth(deps: { store: Store; clock: Clock; operatorToken: string; plans: Plans }) {
  const operatorHash = Buffer.from(hashToken(deps.operatorToken), 'hex');
  const isOperator = (token: string) => timingSafeEqual(Buffer.from(hashToken(token), 'hex'), operatorHash);

  async function orgKey(token: string): Promise<{ org: Org; keyId: string } | null> {
    const found = await deps.store.apiKeys.findByHash(hashToken(token));
    if (!found) return null;
    const now = deps.clock.now();
    if ((found.key.lastUsedAt ?? 0) < now - LAST_USED_RESOLUTION_MS) await deps.store.apiKeys.touch(found.key.id, now);
    return { org: found.org, keyId: found.key.id };
  }

  const missing = () =>
    new AppError('UNAUTHORIZED', 'Send a bearer token: Authorization: Bearer <token> (operator token, organization API key or ingest token, depending on the route)');

  return {
    /** Operator-only routes: organizations, connections, API keys. */
    async operator(request: FastifyRequest): Promise<void> {
      const token = bearerOf(request);
      if (!token) throw missing();
      if (isOperator(token)) {
        request.principal = { kind: 'operator' };
        return;
      }
      if (await orgKey(token)) throw new AppError('FORBIDDEN', 'This route needs the operator token; an organization API key cannot use it');
      throw new AppError('UNAUTHORIZED', 'The bearer token is not valid');
    },

    /** /v1/orgs/{orgId}/… routes: that organization's API key, or the operator token. */
    async org(request: FastifyRequest): Promise<void> {
      const token = bearerOf(request);
      if (!token) throw missing();
      const orgId = (request.params as { orgId: string }).orgId;
      if (isOperator(token)) {
        const org = await deps.store.orgs.get(orgId);
        if (!org) throw notFound('Organization', orgId);
        request.principal = { kind: 'operator' };
        request.org = org;
        return;
      }
      const key = await orgKey(token);
      if (!key) throw new AppError('UNAUTHORIZED', 'The bearer token is not valid');
      // Another organization's resources do not exist for this key.
      if (key.org.id !== orgId) throw notFound('Organization', orgId);
      request.principal = { kind: 'org', orgId: key.org.id, keyId: key.keyId };
      request.org = key.org;
    },

    /** Rinkel-compatible routes: the organization comes from its API key (x-rinkel-api-key or Bearer). */
    async rinkel(request: FastifyRequest): Promise<void> {
      const header = request.headers['x-rinkel-api-key'];
      const token = (typeof header === 'string' ? header : null) ?? bearerOf(request);
      if (!token) throw new AppError('UNAUTHORIZED', 'Send the organization API key in the x-rinkel-api-key header');
      const key = await orgKey(token);
      if (!key) throw new AppError('UNAUTHORIZED', 'The API key is not valid');
      request.principal = { kind: 'org', orgId: key.org.id, keyId: key.keyId };
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
