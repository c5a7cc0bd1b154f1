// The organization's users: who is on a call (Ringotel extension / user_id, Rinkel answeredBy).
import { Type } from 'typebox';
import { invalid, notFound } from '../../errors.ts';
import { newId } from '../../ids.ts';
import type { DirectoryUser } from '../../tenancy/org.ts';
import type { Api, ApiDeps } from '../app.ts';
import { Nullable, OrgParams, Page, PageQuery, Time, iso, problems } from '../common.ts';

const Extension = Type.String({ minLength: 1, maxLength: 32, pattern: '^[0-9A-Za-z*#+._-]+$', description: 'Sent to Ringotel receivers as `extension`.' });
const Email = Type.String({ format: 'email', maxLength: 320, description: 'Sent to Rinkel receivers as `answeredBy`.' });
const UserSchema = Type.Object(
  { id: Type.String({ description: "The phone system's user id (Ringotel `user_id`), or a generated `usr_…`." }), extension: Nullable(Type.String()), email: Nullable(Type.String()), name: Nullable(Type.String()), createdAt: Time },
  { title: 'User' },
);
const CreateUser = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[^/?#\\s]+$', description: "The phone system's user id, if it has one." })),
    extension: Type.Optional(Extension),
    email: Type.Optional(Email),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
const PatchUser = Type.Object(
  { extension: Type.Optional(Nullable(Extension)), email: Type.Optional(Nullable(Email)), name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))) },
  { additionalProperties: false },
);
const UserParams = Type.Object({ orgId: Type.String(), userId: Type.String() });

const userJson = (u: DirectoryUser) => ({ id: u.id, extension: u.extension, email: u.email, name: u.name, createdAt: iso(u.createdAt) });

export function userRoutes(app: Api, deps: ApiDeps): void {
  const { store, clock, auth } = deps;
  const tags = ['users'];

  app.post('/v1/orgs/:orgId/users', { preHandler: auth.org, schema: { tags, summary: 'Add a user', params: OrgParams, body: CreateUser, response: { 201: UserSchema, ...problems(409, 422) } } }, async (request, reply) => {
    const { id, extension, email, name } = request.body;
    if (extension === undefined && email === undefined) throw invalid('extension', 'give an extension or an e-mail (or both), so calls can be matched to the user');
    const user = await store.users.create({ orgId: request.org!.id, id: id ?? newId('usr'), extension: extension ?? null, email: email ?? null, name: name ?? null, createdAt: clock.now() });
    return reply.code(201).send(userJson(user));
  });

  app.get('/v1/orgs/:orgId/users', { preHandler: auth.org, schema: { tags, summary: 'List users', params: OrgParams, querystring: PageQuery, response: { 200: Page(UserSchema) } } }, async (request) => {
    const page = await store.users.list(request.org!.id, request.query);
    return { data: page.data.map(userJson), nextCursor: page.nextCursor };
  });

  app.get('/v1/orgs/:orgId/users/:userId', { preHandler: auth.org, schema: { tags, summary: 'Get a user', params: UserParams, response: { 200: UserSchema, ...problems(404) } } }, async (request) => {
    const user = await store.users.get(request.org!.id, request.params.userId);
    if (!user) throw notFound('User', request.params.userId);
    return userJson(user);
  });

  app.patch('/v1/orgs/:orgId/users/:userId', { preHandler: auth.org, schema: { tags, summary: 'Change a user', params: UserParams, body: PatchUser, response: { 200: UserSchema, ...problems(404, 409, 422) } } }, async (request) => {
    const user = await store.users.update(request.org!.id, request.params.userId, request.body);
    if (!user) throw notFound('User', request.params.userId);
    return userJson(user);
  });

  app.delete('/v1/orgs/:orgId/users/:userId', { preHandler: auth.org, schema: { tags, summary: 'Remove a user', params: UserParams, response: { 204: Type.Null(), ...problems(404) } } }, async (request, reply) => {
    if (!(await store.users.delete(request.org!.id, request.params.userId))) throw notFound('User', request.params.userId);
    return reply.code(204).send(null);
  });
}
