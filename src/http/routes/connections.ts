// Connections: the phone systems feeding an organization, each with its ingest token (operator or
// the organization's admin).
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { AppError, notFound } from '../../errors.ts';
import { newId, newToken } from '../../ids.ts';
import type { Connection } from '../../tenancy/org.ts';
import type { ConnectionPatch } from '../../store/store.ts';
import { hashToken } from '../auth.ts';
import type { Api, ApiDeps } from '../app.ts';
import { Nullable, OrgParams, Page, PageQuery, Time, iso, isoOrNull, problems } from '../common.ts';

const Hep = Type.Object(
  {
    captureId: Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: 'HEP capture id (agent id) the phone system sends.' }),
    authKey: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200, description: 'HEP auth key (chunk 14) the packets must carry.' }))),
  },
  { additionalProperties: false },
);

const ConnectionSchema = Type.Object(
  {
    id: Type.String(),
    orgId: Type.String(),
    name: Type.String(),
    hep: Nullable(Type.Object({ captureId: Type.Integer(), authKeySet: Type.Boolean() })),
    ingestUrl: Type.String({ format: 'uri', description: 'Where the phone system posts call steps (with the ingest token as Bearer): this instance’s public address + /v1/ingest/calls.' }),
    createdAt: Time,
    revokedAt: Nullable(Time),
  },
  { title: 'Connection' },
);
const CreatedConnection = Type.Intersect([ConnectionSchema, Type.Object({ ingestToken: Type.String({ description: 'Shown once; send it as Bearer to /v1/ingest/calls.' }) })]);
const CreateConnection = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200, description: 'Sent to Ringotel receivers as `connection_name`.' }), hep: Type.Optional(Hep) },
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
  },
  { additionalProperties: false },
);

const connectionJson = (c: Connection, ingestUrl: string) => ({
  id: c.id,
  orgId: c.orgId,
  name: c.name,
  hep: c.hep ? { captureId: c.hep.captureId, authKeySet: c.hep.authKey !== null } : null,
  ingestUrl,
  createdAt: iso(c.createdAt),
  revokedAt: isoOrNull(c.revokedAt),
});

export function connectionRoutes(app: Api, deps: ApiDeps): void {
  const { store, clock, auth } = deps;
  const tags = ['connections'];
  const ingestUrl = `${deps.config.http.publicUrl}/v1/ingest/calls`;
  const preHandler = auth.orgAdmin;
  // A capture id decides which organization mirrored SIP belongs to, across the whole instance:
  // the operator's to hand out, not an organization admin's to pick.
  const hepByOperatorOnly = (request: FastifyRequest, hep: unknown) => {
    if (hep !== undefined && request.principal?.kind !== 'operator') {
      throw new AppError('FORBIDDEN', "Only the operator sets a connection's HEP capture settings", { field: 'hep' });
    }
  };

  app.post('/v1/orgs/:orgId/connections', { preHandler, schema: { tags, summary: 'Create a connection and its ingest token (HEP settings: operator only)', params: OrgParams, body: CreateConnection, response: { 201: CreatedConnection, ...problems(401, 403, 404, 409, 422) } } }, async (request, reply) => {
    hepByOperatorOnly(request, request.body.hep);
    const ingestToken = newToken('cht');
    const connection = await store.connections.create(
      {
        id: newId('conn'),
        orgId: request.org!.id,
        name: request.body.name,
        hep: request.body.hep ? { captureId: request.body.hep.captureId, authKey: request.body.hep.authKey ?? null } : null,
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

  app.patch('/v1/orgs/:orgId/connections/:connectionId', { preHandler, schema: { tags, summary: "Change a connection's name or HEP capture settings (operator only)", params: ConnectionParams, body: PatchConnection, response: { 200: ConnectionSchema, ...problems(401, 403, 404, 409, 422) } } }, async (request, reply) => {
    const { name, hep } = request.body;
    hepByOperatorOnly(request, hep);
    const current = await store.connections.get(request.org!.id, request.params.connectionId);
    if (!current || current.revokedAt !== null) throw notFound('Connection', request.params.connectionId);
    const patch: ConnectionPatch = {};
    if (name !== undefined) patch.name = name;
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
