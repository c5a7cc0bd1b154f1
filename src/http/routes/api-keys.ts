// Organization API keys: shown once, stored hashed (operator).
import { Type } from 'typebox';
import { notFound } from '../../errors.ts';
import { newId, newToken } from '../../ids.ts';
import type { ApiKey } from '../../tenancy/org.ts';
import { hashToken } from '../auth.ts';
import type { Api, ApiDeps } from '../app.ts';
import { Nullable, OrgParams, Page, PageQuery, Time, iso, isoOrNull, problems } from '../common.ts';

const ApiKeySchema = Type.Object(
  { id: Type.String(), orgId: Type.String(), name: Type.String(), prefix: Type.String({ description: 'The start of the key, to tell keys apart.' }), createdAt: Time, lastUsedAt: Nullable(Time) },
  { title: 'API key' },
);
const CreatedKey = Type.Intersect([ApiKeySchema, Type.Object({ key: Type.String({ description: 'Shown once. Send it as Bearer (or x-rinkel-api-key).' }) })]);
const CreateKey = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
const KeyParams = Type.Object({ orgId: Type.String(), keyId: Type.String() });

const keyJson = (k: ApiKey) => ({ ...k, createdAt: iso(k.createdAt), lastUsedAt: isoOrNull(k.lastUsedAt) });

export function apiKeyRoutes(app: Api, deps: ApiDeps): void {
  const { store, clock, auth } = deps;
  const tags = ['api keys'];
  const preHandler = auth.orgAdmin;

  app.post('/v1/orgs/:orgId/api-keys', { preHandler, schema: { tags, summary: 'Issue an API key (shown once)', params: OrgParams, body: CreateKey, response: { 201: CreatedKey, ...problems(401, 403, 404, 422) } } }, async (request, reply) => {
    const key = newToken('chk');
    const created = await store.apiKeys.create(
      { id: newId('key'), orgId: request.org!.id, name: request.body.name, prefix: key.slice(0, 10), createdAt: clock.now(), lastUsedAt: null },
      hashToken(key),
    );
    return reply.code(201).send({ ...keyJson(created), key });
  });

  app.get('/v1/orgs/:orgId/api-keys', { preHandler, schema: { tags, summary: 'List API keys (without the keys)', params: OrgParams, querystring: PageQuery, response: { 200: Page(ApiKeySchema) } } }, async (request) => {
    const page = await store.apiKeys.list(request.org!.id, request.query);
    return { data: page.data.map(keyJson), nextCursor: page.nextCursor };
  });

  app.delete('/v1/orgs/:orgId/api-keys/:keyId', { preHandler, schema: { tags, summary: 'Revoke an API key', params: KeyParams, response: { 204: Type.Null(), ...problems(404) } } }, async (request, reply) => {
    if (!(await store.apiKeys.revoke(request.org!.id, request.params.keyId, clock.now()))) throw notFound('API key', request.params.keyId);
    return reply.code(204).send(null);
  });
}
