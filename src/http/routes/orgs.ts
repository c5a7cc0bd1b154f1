// Organizations (operator token).
import { Type, type Static } from 'typebox';
import { AppError, invalid } from '../../errors.ts';
import { newId } from '../../ids.ts';
import type { Org } from '../../tenancy/org.ts';
import type { WebhookHealthCounts } from '../../store/store.ts';
import type { Api, ApiDeps } from '../app.ts';
import { Nullable, OrgParams, Page, PageQuery, Time, iso, problems } from '../common.ts';
import { isSupportedCountry } from 'libphonenumber-js';

const OrgSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    domain: Type.String({ description: "Ringotel's organization domain, sent as `domain`." }),
    plan: Type.String(),
    notificationEmails: Type.Array(Type.String({ format: 'email' })),
    defaultCountry: Nullable(Type.String({ description: 'ISO 3166 alpha-2; national numbers are read in this country for E.164.' })),
    webhookHealth: Type.Object(
      {
        failing: Type.Integer({ minimum: 0, description: 'Webhooks whose `health.state` is failing.' }),
        disabled: Type.Integer({ minimum: 0, description: 'Webhooks whose `health.state` is disabled.' }),
      },
      { description: "How many of the organization's webhooks need a look." },
    ),
    createdAt: Time,
    updatedAt: Time,
  },
  { title: 'Organization' },
);

const OrgFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  domain: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
  plan: Type.String({ minLength: 1, description: 'One of the configured plans; default: the configured default plan.' }),
  notificationEmails: Type.Array(Type.String({ format: 'email' }), { maxItems: 20, uniqueItems: true, description: 'Who is told when a webhook gets disabled.' }),
  defaultCountry: Nullable(Type.String({ pattern: '^[A-Za-z]{2}$' })),
};
const CreateOrg = Type.Object(
  {
    name: OrgFields.name,
    domain: OrgFields.domain,
    plan: Type.Optional(OrgFields.plan),
    notificationEmails: Type.Optional(OrgFields.notificationEmails),
    defaultCountry: Type.Optional(OrgFields.defaultCountry),
  },
  { additionalProperties: false },
);
const PatchOrg = Type.Partial(Type.Object(OrgFields), { additionalProperties: false });

export const orgJson = (org: Org, webhookHealth: WebhookHealthCounts) => ({ ...org, webhookHealth, createdAt: iso(org.createdAt), updatedAt: iso(org.updatedAt) });
const NO_WEBHOOKS: WebhookHealthCounts = { failing: 0, disabled: 0 };

export function orgRoutes(app: Api, deps: ApiDeps): void {
  const { store, clock, config, auth } = deps;
  const tags = ['organizations'];
  const checkPlan = (plan: string | undefined) => {
    if (plan !== undefined && !config.plans[plan]) throw invalid('plan', `"${plan}" is not a configured plan (${Object.keys(config.plans).join(', ')})`);
  };
  /** The organizations as answered, with their webhooks' health counted (one query for all). */
  const answer = async (orgs: Org[]) => {
    const counts = await store.webhooks.healthCounts(orgs.map((org) => org.id));
    return orgs.map((org) => orgJson(org, counts.get(org.id) ?? NO_WEBHOOKS));
  };
  const answerOne = async (org: Org) => (await answer([org]))[0]!;
  const checkCountry = (country: string | null | undefined) => {
    if (country && !isSupportedCountry(country.toUpperCase())) throw invalid('defaultCountry', `"${country}" is not a known ISO 3166 country code`);
    return country ? country.toUpperCase() : null;
  };

  app.post('/v1/orgs', { preHandler: auth.operator, schema: { tags, summary: 'Create an organization', body: CreateOrg, response: { 201: OrgSchema, ...problems(401, 403, 409, 422) } } }, async (request, reply) => {
    const body = request.body;
    checkPlan(body.plan);
    const now = clock.now();
    const org = await store.orgs.create({
      id: newId('org'),
      name: body.name,
      domain: body.domain,
      plan: body.plan ?? config.defaultPlan,
      notificationEmails: body.notificationEmails ?? [],
      defaultCountry: checkCountry(body.defaultCountry),
      createdAt: now,
      updatedAt: now,
    });
    return reply.code(201).send(orgJson(org, NO_WEBHOOKS));
  });

  app.get('/v1/orgs', { preHandler: auth.operator, schema: { tags, summary: 'List organizations', querystring: PageQuery, response: { 200: Page(OrgSchema) } } }, async (request) => {
    const page = await store.orgs.list(request.query);
    return { data: await answer(page.data), nextCursor: page.nextCursor };
  });

  app.get('/v1/orgs/:orgId', { preHandler: auth.org, schema: { tags, summary: 'Get an organization', params: OrgParams, response: { 200: OrgSchema, ...problems(404) } } }, async (request) =>
    answerOne(request.org!),
  );

  app.patch('/v1/orgs/:orgId', { preHandler: auth.orgAdmin, schema: { tags, summary: "Change an organization (its admin: notification e-mails and default country only)", params: OrgParams, body: PatchOrg, response: { 200: OrgSchema, ...problems(403, 404, 409, 422) } } }, async (request) => {
    const patch: Static<typeof PatchOrg> = { ...request.body };
    if (request.principal?.kind !== 'operator') {
      // What the organization is (name, domain) and pays for (plan) is the operator's to change.
      const reserved = (['name', 'domain', 'plan'] as const).find((field) => patch[field] !== undefined);
      if (reserved) throw new AppError('FORBIDDEN', `Only the operator changes an organization's ${reserved}`, { field: reserved });
    }
    checkPlan(patch.plan);
    if (patch.defaultCountry !== undefined) patch.defaultCountry = checkCountry(patch.defaultCountry);
    return answerOne(await deps.webhookChanges.updateOrg(request.params.orgId, patch));
  });

  app.delete('/v1/orgs/:orgId', { preHandler: auth.operator, schema: { tags, summary: 'Delete an organization and everything it owns', params: OrgParams, response: { 204: Type.Null(), ...problems(404) } } }, async (request, reply) => {
    await deps.webhookChanges.deleteOrg(request.params.orgId);
    // Its recordings' files too (their rows went with the organization).
    await deps.recordings.blobs.deleteOrganization(request.params.orgId);
    return reply.code(204).send(null);
  });
}

