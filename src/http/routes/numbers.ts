// The organization's numbers (E.164): where its inbound calls land.
import { Type } from 'typebox';
import { notFound } from '../../errors.ts';
import { newId } from '../../ids.ts';
import type { PhoneNumber } from '../../tenancy/org.ts';
import type { Api, ApiDeps } from '../app.ts';
import { Nullable, OrgParams, Page, PageQuery, Time, iso, problems } from '../common.ts';

const NumberSchema = Type.Object({ id: Type.String(), number: Type.String({ description: 'E.164' }), label: Nullable(Type.String()), createdAt: Time }, { title: 'Number' });
const CreateNumber = Type.Object(
  { number: Type.String({ pattern: '^\\+[1-9][0-9]{5,14}$', description: 'E.164, e.g. +31850609000.' }), label: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);
const NumberParams = Type.Object({ orgId: Type.String(), numberId: Type.String() });

const numberJson = (n: PhoneNumber) => ({ id: n.id, number: n.number, label: n.label, createdAt: iso(n.createdAt) });

export function numberRoutes(app: Api, deps: ApiDeps): void {
  const { store, clock, auth } = deps;
  const tags = ['numbers'];

  app.post('/v1/orgs/:orgId/numbers', { preHandler: auth.org, schema: { tags, summary: 'Add a number', params: OrgParams, body: CreateNumber, response: { 201: NumberSchema, ...problems(409, 422) } } }, async (request, reply) => {
    const number = await store.numbers.create({ id: newId('num'), orgId: request.org!.id, number: request.body.number, label: request.body.label ?? null, createdAt: clock.now() });
    return reply.code(201).send(numberJson(number));
  });

  app.get('/v1/orgs/:orgId/numbers', { preHandler: auth.org, schema: { tags, summary: 'List numbers', params: OrgParams, querystring: PageQuery, response: { 200: Page(NumberSchema) } } }, async (request) => {
    const page = await store.numbers.list(request.org!.id, request.query);
    return { data: page.data.map(numberJson), nextCursor: page.nextCursor };
  });

  app.delete('/v1/orgs/:orgId/numbers/:numberId', { preHandler: auth.org, schema: { tags, summary: 'Remove a number', params: NumberParams, response: { 204: Type.Null(), ...problems(404) } } }, async (request, reply) => {
    if (!(await store.numbers.delete(request.org!.id, request.params.numberId))) throw notFound('Number', request.params.numberId);
    return reply.code(204).send(null);
  });
}
