// Webhooks of an organization (its API key or the operator): CRUD, enable/disable, secret
// rotation, test sends and replay. All answer 403 when the organization's plan lacks webhooks.
import { Type } from 'typebox';
import { AppError, notFound } from '../../errors.ts';
import { EVENT_TYPES, type EventType } from '../../events/catalogue.ts';
import { CONTENT_TYPES, FORMATS } from '../../formats/format.ts';
import type { Webhook } from '../../delivery/webhook.ts';
import { DEFAULT_TEST_EVENT, sampleOrigin, sendTestEvent } from '../../delivery/test-send.ts';
import { assertAllowedTarget, assertTimeoutFits, newWebhook } from '../../delivery/webhook-settings.ts';
import { newSigningSecret } from '../../delivery/signature.ts';
import { signingSecrets } from '../../delivery/webhook.ts';
import { HEALTH_STATES, healthOf } from '../../delivery/webhook-health.ts';
import { REPLAYABLE_STATUSES } from '../../delivery/delivery.ts';
import type { Api, ApiDeps } from '../app.ts';
import { Enum, Nullable, OrgParams, Page, PageQuery, Time, iso, isoOrNull, problems } from '../common.ts';

const Events = Type.Array(Enum(EVENT_TYPES), { minItems: 1, uniqueItems: true, description: 'Canonical events to send; events without a form in the format are skipped.' });
const Format = Enum(FORMATS, { description: 'Body dialect: ringotel, rinkel or standard (signed Standard Webhooks envelope).' });
const ContentType = Enum(CONTENT_TYPES, { description: 'Body encoding.' });
const RetrySchedule = Type.Array(Type.Integer({ minimum: 1, maximum: 604_800 }), { minItems: 0, maxItems: 100, description: 'Delays between attempts in seconds; null = hourly for 24 h.' });
const Timeout = Type.Integer({ minimum: 100, maximum: 10_000, description: 'Deadline of one attempt in ms; null = the default (2000).' });
const Url = Type.String({ minLength: 1, maxLength: 2_000, description: 'https URL on a public address (http/private only when the operator allows it). Stored exactly as given.' });

export const WebhookHealthSchema = Type.Object(
  {
    state: Enum(HEALTH_STATES, { description: 'healthy: its latest attempt succeeded (or none was made); failing: enabled, and every attempt since `failingSince` failed; disabled: disabled, whatever its attempts did.' }),
    failingSince: Nullable(Type.String({ format: 'date-time', description: 'The first failed attempt of the current run of failures; null when the latest attempt succeeded.' })),
    consecutiveFailures: Type.Integer({ minimum: 0, description: 'Failed attempts (scheduled and manual) since the latest success.' }),
    lastError: Nullable(Type.String({ description: 'The latest failed attempt’s error while the failures go on; null once an attempt succeeded.' })),
    lastAttemptAt: Nullable(Time),
    lastSuccessAt: Nullable(Time),
    nextAttemptAt: Nullable(Type.String({ format: 'date-time', description: 'The earliest scheduled attempt of its pending deliveries (a retry, or one due now); null when none is scheduled.' })),
  },
  { title: 'Webhook health' },
);

export const WebhookSchema = Type.Object(
  {
    id: Type.String(),
    orgId: Type.String(),
    url: Type.String(),
    events: Type.Array(Type.String()),
    format: Type.String(),
    contentType: Type.String(),
    apiToken: Nullable(Type.String({ description: 'Ringotel `api_token` sent in the body.' })),
    description: Nullable(Type.String()),
    retryScheduleS: Nullable(Type.Array(Type.Integer())),
    timeoutMs: Nullable(Type.Integer()),
    enabled: Type.Boolean(),
    disabledReason: Nullable(Type.String()),
    disabledAt: Nullable(Time),
    lastSuccessAt: Nullable(Time),
    lastError: Nullable(Type.String()),
    health: WebhookHealthSchema,
    createdAt: Time,
    updatedAt: Time,
  },
  { title: 'Webhook' },
);
const WithSecret = Type.Intersect([WebhookSchema, Type.Object({ secret: Type.String({ description: '`whsec_…` Standard Webhooks signing secret.' }) })]);

const CreateWebhook = Type.Object(
  {
    url: Url,
    events: Type.Optional(Events),
    format: Type.Optional(Format),
    contentType: Type.Optional(ContentType),
    apiToken: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
    description: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
    retryScheduleS: Type.Optional(Nullable(RetrySchedule)),
    timeoutMs: Type.Optional(Nullable(Timeout)),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const PatchWebhook = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(Events),
    format: Type.Optional(Format),
    contentType: Type.Optional(ContentType),
    apiToken: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
    description: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
    retryScheduleS: Type.Optional(Nullable(RetrySchedule)),
    timeoutMs: Type.Optional(Nullable(Timeout)),
  },
  { additionalProperties: false },
);
const WebhookParams = Type.Object({ orgId: Type.String(), webhookId: Type.String() });

const TestResultSchema = Type.Object({
  ok: Type.Boolean({ description: 'The receiver answered 2xx within the deadline.' }),
  status: Nullable(Type.Integer()),
  durationMs: Type.Integer(),
  error: Nullable(Type.String()),
  responseBody: Nullable(Type.String({ description: 'The start of the receiver’s answer.' })),
  event: Type.String(),
});
const TestUnsaved = Type.Object(
  {
    url: Url,
    event: Type.Optional(Enum(EVENT_TYPES)),
    format: Type.Optional(Format),
    contentType: Type.Optional(ContentType),
    apiToken: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
    secret: Type.Optional(Type.String({ pattern: '^whsec_[A-Za-z0-9+/]{16,}={0,2}$', description: 'Sign with this `whsec_…` secret; default: a throwaway one.' })),
    timeoutMs: Type.Optional(Timeout),
  },
  { additionalProperties: false },
);
const TestSaved = Type.Object({ event: Type.Optional(Enum(EVENT_TYPES)) }, { additionalProperties: false });
const Replay = Type.Object(
  {
    since: Type.String({ format: 'date-time', description: 'Replay deliveries created at or after this time.' }),
    statuses: Type.Optional(Type.Array(Enum(REPLAYABLE_STATUSES), { minItems: 1, uniqueItems: true, description: 'Default: both.' })),
  },
  { additionalProperties: false },
);
const Disable = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });

/** `nextAttemptAt`: its earliest scheduled attempt (store.webhooks.nextAttemptTimes). */
export const webhookJson = (w: Webhook, nextAttemptAt: number | null) => ({
  id: w.id,
  orgId: w.orgId,
  url: w.url,
  events: w.events,
  format: w.format,
  contentType: w.contentType,
  apiToken: w.apiToken,
  description: w.description,
  retryScheduleS: w.retryScheduleS,
  timeoutMs: w.timeoutMs,
  enabled: w.enabled,
  disabledReason: w.disabledReason,
  disabledAt: isoOrNull(w.disabledAt),
  lastSuccessAt: isoOrNull(w.lastSuccessAt),
  lastError: w.lastError,
  health: healthJson(w, nextAttemptAt),
  createdAt: iso(w.createdAt),
  updatedAt: iso(w.updatedAt),
});

function healthJson(w: Webhook, nextAttemptAt: number | null) {
  const h = healthOf(w, nextAttemptAt);
  return {
    state: h.state,
    failingSince: isoOrNull(h.failingSince),
    consecutiveFailures: h.consecutiveFailures,
    lastError: h.lastError,
    lastAttemptAt: isoOrNull(h.lastAttemptAt),
    lastSuccessAt: isoOrNull(h.lastSuccessAt),
    nextAttemptAt: isoOrNull(h.nextAttemptAt),
  };
}

export function webhookRoutes(app: Api, deps: ApiDeps): void {
  const { store, clock, auth, config, targetPolicy, webhookChanges: changes } = deps;
  const tags = ['webhooks'];
  const preHandler = [auth.org, auth.webhooksInPlan];
  const load = async (orgId: string, webhookId: string) => {
    const webhook = await store.webhooks.get(orgId, webhookId);
    if (!webhook) throw notFound('Webhook', webhookId);
    return webhook;
  };
  /** The webhooks as answered, each with its health (one look-up of next attempts for all). */
  const answer = async (webhooks: Webhook[]) => {
    const next = await store.webhooks.nextAttemptTimes(webhooks.map((w) => w.id));
    return webhooks.map((w) => webhookJson(w, next.get(w.id) ?? null));
  };
  const answerOne = async (webhook: Webhook) => (await answer([webhook]))[0]!;

  app.post('/v1/orgs/:orgId/webhooks', { preHandler, schema: { tags, summary: 'Create a webhook', params: OrgParams, body: CreateWebhook, response: { 201: WithSecret, ...problems(403, 422) } } }, async (request, reply) => {
    assertTimeoutFits(request.body.timeoutMs, config.delivery.maxTimeoutMs);
    await assertAllowedTarget(request.body.url, targetPolicy);
    const webhook = await store.webhooks.create(newWebhook(request.org!.id, request.body, clock.now()));
    return reply.code(201).send({ ...webhookJson(webhook, null), secret: webhook.secret });
  });

  app.get('/v1/orgs/:orgId/webhooks', { preHandler, schema: { tags, summary: 'List webhooks', params: OrgParams, querystring: PageQuery, response: { 200: Page(WebhookSchema) } } }, async (request) => {
    const page = await store.webhooks.list(request.org!.id, request.query);
    return { data: await answer(page.data), nextCursor: page.nextCursor };
  });

  app.post('/v1/orgs/:orgId/webhooks/test', { preHandler, schema: { tags, summary: 'Send a sample event to an unsaved configuration', params: OrgParams, body: TestUnsaved, response: { 200: TestResultSchema, ...problems(403, 422) } } }, async (request) => {
    const body = request.body;
    await assertAllowedTarget(body.url, targetPolicy);
    const format = body.format ?? 'standard';
    const target = {
      url: body.url,
      format,
      contentType: body.contentType ?? 'application/json',
      apiToken: body.apiToken ?? null,
      secrets: [body.secret ?? newSigningSecret()],
      timeoutMs: body.timeoutMs ?? config.delivery.timeoutMs,
    };
    return sendTestEvent(deps, target, body.event ?? DEFAULT_TEST_EVENT[format], sampleOrigin(request.org!));
  });

  app.get('/v1/orgs/:orgId/webhooks/:webhookId', { preHandler, schema: { tags, summary: 'Get a webhook', params: WebhookParams, response: { 200: WebhookSchema, ...problems(404) } } }, async (request) =>
    answerOne(await load(request.org!.id, request.params.webhookId)),
  );

  app.patch('/v1/orgs/:orgId/webhooks/:webhookId', { preHandler, schema: { tags, summary: 'Change a webhook', params: WebhookParams, body: PatchWebhook, response: { 200: WebhookSchema, ...problems(404, 422) } } }, async (request) => {
    return answerOne(await changes.change(request.org!.id, request.params.webhookId, { settings: request.body }));
  });

  app.delete('/v1/orgs/:orgId/webhooks/:webhookId', { preHandler, schema: { tags, summary: 'Delete a webhook with its delivery log', params: WebhookParams, response: { 204: Type.Null(), ...problems(404) } } }, async (request, reply) => {
    await changes.delete(request.org!.id, request.params.webhookId);
    return reply.code(204).send(null);
  });

  app.post('/v1/orgs/:orgId/webhooks/:webhookId/enable', { preHandler, schema: { tags, summary: 'Enable a webhook (then replay what was held)', params: WebhookParams, response: { 200: WebhookSchema, ...problems(404) } } }, async (request) => {
    return answerOne(await changes.change(request.org!.id, request.params.webhookId, { enabled: true }));
  });

  app.post('/v1/orgs/:orgId/webhooks/:webhookId/disable', { preHandler, schema: { tags, summary: 'Disable a webhook: its deliveries are held, not sent', params: WebhookParams, body: Type.Optional(Disable), response: { 200: WebhookSchema, ...problems(404) } } }, async (request) => {
    const reason = request.body?.reason ?? 'disabled through the API';
    return answerOne(await changes.change(request.org!.id, request.params.webhookId, { enabled: false, disabledReason: reason }));
  });

  app.get('/v1/orgs/:orgId/webhooks/:webhookId/secret', { preHandler, schema: { tags, summary: 'Reveal the signing secret', params: WebhookParams, response: { 200: Type.Object({ secret: Type.String(), previousSecret: Nullable(Type.String()), previousSecretExpiresAt: Nullable(Time) }), ...problems(404) } } }, async (request) => {
    const webhook = await load(request.org!.id, request.params.webhookId);
    const previousActive = signingSecrets(webhook, clock.now()).length > 1;
    return {
      secret: webhook.secret,
      previousSecret: previousActive ? webhook.previousSecret : null,
      previousSecretExpiresAt: previousActive ? isoOrNull(webhook.previousSecretExpiresAt) : null,
    };
  });

  app.post('/v1/orgs/:orgId/webhooks/:webhookId/rotate-secret', { preHandler, schema: { tags, summary: 'Rotate the signing secret (the old one still signs for 24 h)', params: WebhookParams, response: { 200: WithSecret, ...problems(404) } } }, async (request) => {
    const webhook = await changes.change(request.org!.id, request.params.webhookId, { rotateSecret: true });
    return { ...(await answerOne(webhook)), secret: webhook.secret };
  });

  app.post('/v1/orgs/:orgId/webhooks/:webhookId/test', { preHandler, schema: { tags, summary: 'Send a sample event to a saved webhook (also when disabled)', params: WebhookParams, body: Type.Optional(TestSaved), response: { 200: TestResultSchema, ...problems(404, 422) } } }, async (request) => {
    const webhook = await load(request.org!.id, request.params.webhookId);
    const event: EventType = request.body?.event ?? (webhook.events.find((e) => e === DEFAULT_TEST_EVENT[webhook.format]) ?? webhook.events[0]!);
    const target = {
      url: webhook.url,
      format: webhook.format,
      contentType: webhook.contentType,
      apiToken: webhook.apiToken,
      secrets: signingSecrets(webhook, clock.now()),
      timeoutMs: webhook.timeoutMs ?? config.delivery.timeoutMs,
    };
    return sendTestEvent(deps, target, event, sampleOrigin(request.org!));
  });

  app.post('/v1/orgs/:orgId/webhooks/:webhookId/replay', { preHandler, schema: { tags, summary: "Re-send a webhook's failed or held deliveries since a time", params: WebhookParams, body: Replay, response: { 202: Type.Object({ replayed: Type.Integer() }), ...problems(404, 409, 422) } } }, async (request, reply) => {
    const webhook = await load(request.org!.id, request.params.webhookId);
    if (!webhook.enabled) throw new AppError('WEBHOOK_DISABLED', `Webhook ${webhook.id} is disabled; enable it first, then replay`);
    const replayed = await store.deliveries.replay({
      orgId: webhook.orgId,
      webhookId: webhook.id,
      since: Date.parse(request.body.since),
      statuses: request.body.statuses ?? [...REPLAYABLE_STATUSES],
      now: clock.now(),
    });
    void deps.dispatcher.poll().catch((error) => request.log.error({ err: error }, 'poll after replay failed'));
    return reply.code(202).send({ replayed });
  });
}
