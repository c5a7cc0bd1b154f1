// The organization's numbers (E.164): where its inbound calls land and what its outbound calls
// present. A number assigned to a user is their direct number; one number is the main number.
import { Type } from 'typebox';
import { invalid, notFound } from '../../errors.ts';
import { newId } from '../../ids.ts';
import type { PhoneNumber } from '../../tenancy/org.ts';
import type { Api, ApiDeps } from '../app.ts';
import { Nullable, OrgParams, Page, PageQuery, Time, iso, problems } from '../common.ts';

const USER_ID = 'The user whose direct number this is: their inbound calls to an extension come in on it and their outbound calls present it. One per user; null: nobody’s.';
const MAIN = 'The main number: calls that have no number of their own (an extension, a user without a direct number) come in on it and present it. Exactly one while the organization has numbers: the first one added, until another is marked main.';

const NumberSchema = Type.Object(
  {
    id: Type.String(),
    number: Type.String({ description: 'E.164' }),
    label: Nullable(Type.String()),
    userId: Nullable(Type.String({ description: USER_ID })),
    main: Type.Boolean({ description: MAIN }),
    createdAt: Time,
  },
  { title: 'Number' },
);
const Label = Type.String({ maxLength: 200, description: 'A name for people; empty means none.' });
const UserId = Type.String({ minLength: 1, maxLength: 200, description: USER_ID });
const CreateNumber = Type.Object(
  {
    number: Type.String({ pattern: '^\\+[1-9][0-9]{5,14}$', description: 'E.164, e.g. +31850609000.' }),
    label: Type.Optional(Nullable(Label)),
    userId: Type.Optional(Nullable(UserId)),
    main: Type.Optional(Type.Boolean({ description: 'true: make it the main number (the first number is main anyway).' })),
  },
  { additionalProperties: false },
);
const PatchNumber = Type.Object(
  {
    label: Type.Optional(Nullable(Label)),
    userId: Type.Optional(Nullable(UserId)),
    main: Type.Optional(Type.Boolean({ description: 'true: make it the main number (the previous one stops being main). false is refused: mark another number main instead.' })),
  },
  { additionalProperties: false },
);
const NumberParams = Type.Object({ orgId: Type.String(), numberId: Type.String() });

const numberJson = (n: PhoneNumber) => ({ id: n.id, number: n.number, label: n.label, userId: n.userId, main: n.main, createdAt: iso(n.createdAt) });
/** Never an empty string: a blank label is no label. */
const labelOf = (label: string | null | undefined) => (label === undefined ? undefined : label === null || label.trim() === '' ? null : label.trim());

export function numberRoutes(app: Api, deps: ApiDeps): void {
  const { store, clock, auth } = deps;
  const tags = ['numbers'];

  app.post('/v1/orgs/:orgId/numbers', { preHandler: auth.org, schema: { tags, summary: 'Add a number', params: OrgParams, body: CreateNumber, response: { 201: NumberSchema, ...problems(409, 422) } } }, async (request, reply) => {
    const { number, label, userId, main } = request.body;
    const created = await store.numbers.create({ id: newId('num'), orgId: request.org!.id, number, label: labelOf(label) ?? null, userId: userId ?? null, main: main === true, createdAt: clock.now() });
    return reply.code(201).send(numberJson(created));
  });

  app.get('/v1/orgs/:orgId/numbers', { preHandler: auth.org, schema: { tags, summary: 'List numbers', params: OrgParams, querystring: PageQuery, response: { 200: Page(NumberSchema) } } }, async (request) => {
    const page = await store.numbers.list(request.org!.id, request.query);
    return { data: page.data.map(numberJson), nextCursor: page.nextCursor };
  });

  app.patch('/v1/orgs/:orgId/numbers/:numberId', { preHandler: auth.org, schema: { tags, summary: 'Assign a number to a user, mark it main, or relabel it', params: NumberParams, body: PatchNumber, response: { 200: NumberSchema, ...problems(404, 409, 422) } } }, async (request) => {
    const { label, userId, main } = request.body;
    if (main === false) throw invalid('main', 'an organization keeps one main number; mark another number main instead');
    const updated = await store.numbers.update(request.org!.id, request.params.numberId, { label: labelOf(label), userId, main });
    if (!updated) throw notFound('Number', request.params.numberId);
    return numberJson(updated);
  });

  app.delete('/v1/orgs/:orgId/numbers/:numberId', { preHandler: auth.org, schema: { tags, summary: 'Remove a number', params: NumberParams, response: { 204: Type.Null(), ...problems(404, 409) } } }, async (request, reply) => {
    if (!(await store.numbers.delete(request.org!.id, request.params.numberId))) throw notFound('Number', request.params.numberId);
    return reply.code(204).send(null);
  });
}
