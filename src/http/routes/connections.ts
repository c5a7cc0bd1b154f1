// Connections: the phone systems feeding an organization, each with its ingest token (operator or
// the organization's admin).
import { type Static, Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { AppError, invalid, notFound } from '../../errors.ts';
import { normalOrigin } from '../../recordings/fetch-policy.ts';
import { newId, newToken } from '../../ids.ts';
import type { Connection, RecordingSource } from '../../tenancy/org.ts';
import type { ConnectionPatch } from '../../store/store.ts';
import { hashToken } from '../auth.ts';
import type { Api, ApiDeps } from '../app.ts';
import { Enum, Nullable, OrgParams, Page, PageQuery, Time, iso, isoOrNull, problems } from '../common.ts';

const Hep = Type.Object(
  {
    captureId: Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: 'HEP capture id (agent id) the phone system sends.' }),
    authKey: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200, description: 'HEP auth key (chunk 14) the packets must carry.' }))),
  },
  { additionalProperties: false },
);

const RecordingSourceInput = Type.Object(
  {
    origin: Type.String({ minLength: 1, maxLength: 300, description: 'scheme://host[:port] of the PBX that serves the recordings, e.g. `http://10.0.0.5:8088`: fetched without the public-address check.' }),
    auth: Type.Optional(Nullable(Type.Union([
      Type.Object({ kind: Type.Literal('basic'), username: Type.String({ minLength: 1, maxLength: 200 }), password: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
      Type.Object({ kind: Type.Literal('bearer'), token: Type.String({ minLength: 1, maxLength: 2_000 }) }, { additionalProperties: false }),
    ], { description: 'Credentials sent to this origin only (never shown again).' }))),
  },
  { additionalProperties: false },
);
const RecordingSources = Type.Array(RecordingSourceInput, {
  maxItems: 20,
  description: 'Origins this connection’s recording steps may point into although they are not public (a PBX on a private network), with credentials: set by the operator only. Replaces the whole list.',
});

const ConnectionSchema = Type.Object(
  {
    id: Type.String(),
    orgId: Type.String(),
    name: Type.String(),
    hep: Nullable(Type.Object({ captureId: Type.Integer(), authKeySet: Type.Boolean() })),
    ingestUrl: Type.String({ format: 'uri', description: 'Where the phone system posts call steps (with the ingest token as Bearer): this instance’s public address + /v1/ingest/calls.' }),
    recordingSources: Type.Array(Type.Object({ origin: Type.String(), auth: Nullable(Enum(['basic', 'bearer'] as const, { description: 'How callhook signs in (the credentials are not shown).' })) })),
    createdAt: Time,
    revokedAt: Nullable(Time),
  },
  { title: 'Connection' },
);
const CreatedConnection = Type.Intersect([ConnectionSchema, Type.Object({ ingestToken: Type.String({ description: 'Shown once; send it as Bearer to /v1/ingest/calls.' }) })]);
const CreateConnection = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200, description: 'Sent to Ringotel receivers as `connection_name`.' }), hep: Type.Optional(Hep), recordingSources: Type.Optional(RecordingSources) },
  { additionalProperties: false },
);
const ConnectionParams = Type.Object({ orgId: Type.String(), connectionId: Type.String() });
const PatchConnection = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    hep: Type.Optional(Nullable(Type.Object(
      {
        captureId: Hep.properties.captureId,
        authKey: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200, description: 'Left out: the key stays as it is; null: no key.' }))),
      },
      { additionalProperties: false },
    ))),
    recordingSources: Type.Optional(RecordingSources),
  },
  { additionalProperties: false },
);

const connectionJson = (c: Connection, ingestUrl: string) => ({
  id: c.id,
  orgId: c.orgId,
  name: c.name,
  hep: c.hep ? { captureId: c.hep.captureId, authKeySet: c.hep.authKey !== null } : null,
  ingestUrl,
  recordingSources: c.recordingSources.map((source) => ({ origin: source.origin, auth: source.auth?.kind ?? null })),
  createdAt: iso(c.createdAt),
  revokedAt: isoOrNull(c.revokedAt),
});

/**
 * Recording sources as stored: each origin in its normal form, once. What lets callhook fetch from
 * a private network is the operator's to grant, so a source that is not a plain origin is refused.
 */
function sourcesOf(input: Static<typeof RecordingSources>): RecordingSource[] {
  const seen = new Set<string>();
  return input.map((source, i) => {
    const origin = normalOrigin(source.origin);
    if (origin === null) throw invalid(`recordingSources[${i}].origin`, 'must be an origin: http:// or https://, a host and an optional port, with no path, query or credentials');
    if (seen.has(origin)) throw invalid(`recordingSources[${i}].origin`, `${origin} is listed twice`);
    seen.add(origin);
    return { origin, auth: source.auth ?? null };
  });
}

export function connectionRoutes(app: Api, deps: ApiDeps): void {
  const { store, clock, auth } = deps;
  const tags = ['connections'];
  const ingestUrl = `${deps.config.http.publicUrl}/v1/ingest/calls`;
  const preHandler = auth.orgAdmin;
  // A capture id decides which organization mirrored SIP belongs to, across the whole instance:
  // the operator's to hand out, not an organization admin's to pick.
  const operatorOnly = (request: FastifyRequest, value: unknown, field: string, what: string) => {
    if (value !== undefined && request.principal?.kind !== 'operator') {
      throw new AppError('FORBIDDEN', `Only the operator sets a connection's ${what}`, { field });
    }
  };
  const hepByOperatorOnly = (request: FastifyRequest, hep: unknown) => operatorOnly(request, hep, 'hep', 'HEP capture settings');

  app.post('/v1/orgs/:orgId/connections', { preHandler, schema: { tags, summary: 'Create a connection and its ingest token (HEP settings and recording sources: operator only)', params: OrgParams, body: CreateConnection, response: { 201: CreatedConnection, ...problems(401, 403, 404, 409, 422) } } }, async (request, reply) => {
    hepByOperatorOnly(request, request.body.hep);
    operatorOnly(request, request.body.recordingSources, 'recordingSources', 'recording sources');
    const ingestToken = newToken('cht');
    const connection = await store.connections.create(
      {
        id: newId('conn'),
        orgId: request.org!.id,
        name: request.body.name,
        hep: request.body.hep ? { captureId: request.body.hep.captureId, authKey: request.body.hep.authKey ?? null } : null,
        recordingSources: sourcesOf(request.body.recordingSources ?? []),
        createdAt: clock.now(),
        revokedAt: null,
      },
      hashToken(ingestToken),
    );
    return reply.code(201).send({ ...connectionJson(connection, ingestUrl), ingestToken });
  });

  app.get('/v1/orgs/:orgId/connections', { preHandler, schema: { tags, summary: 'List connections', params: OrgParams, querystring: PageQuery, response: { 200: Page(ConnectionSchema) } } }, async (request) => {
    const page = await store.connections.list(request.org!.id, request.query);
    return { data: page.data.map((c) => connectionJson(c, ingestUrl)), nextCursor: page.nextCursor };
  });

  app.patch('/v1/orgs/:orgId/connections/:connectionId', { preHandler, schema: { tags, summary: "Change a connection's name, HEP capture settings or recording sources (those two: operator only)", params: ConnectionParams, body: PatchConnection, response: { 200: ConnectionSchema, ...problems(401, 403, 404, 409, 422) } } }, async (request, reply) => {
    const { name, hep, recordingSources } = request.body;
    hepByOperatorOnly(request, hep);
    operatorOnly(request, recordingSources, 'recordingSources', 'recording sources');
    const current = await store.connections.get(request.org!.id, request.params.connectionId);
    if (!current || current.revokedAt !== null) throw notFound('Connection', request.params.connectionId);
    const patch: ConnectionPatch = {};
    if (name !== undefined) patch.name = name;
    if (recordingSources !== undefined) patch.recordingSources = sourcesOf(recordingSources);
    if (hep !== undefined) patch.hep = hep === null ? null : { captureId: hep.captureId, authKey: hep.authKey === undefined ? (current.hep?.authKey ?? null) : hep.authKey };
    const updated = await store.connections.update(request.org!.id, current.id, patch);
    if (!updated) throw notFound('Connection', request.params.connectionId);
    return reply.send(connectionJson(updated, ingestUrl));
  });

  app.delete('/v1/orgs/:orgId/connections/:connectionId', { preHandler, schema: { tags, summary: 'Revoke a connection: its ingest token stops working', params: ConnectionParams, response: { 204: Type.Null(), ...problems(404) } } }, async (request, reply) => {
    if (!(await store.connections.revoke(request.org!.id, request.params.connectionId, clock.now()))) throw notFound('Connection', request.params.connectionId);
    return reply.code(204).send(null);
  });
}
