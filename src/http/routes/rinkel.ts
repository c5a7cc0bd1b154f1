// Rinkel-compatible webhook routes: clients written for Rinkel's API work by changing only the
// base URL. They manage the same webhooks as /v1 (format rinkel, one event each), speak Rinkel's
// error shape {errors: [{code, message, detail}]}, and keep the URL exactly as given.
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_CATALOGUE } from '../../errors.ts';
import { RINKEL_EVENTS, RINKEL_EVENT_TO_CANONICAL, type RinkelEvent, CANONICAL_TO_RINKEL_EVENT } from '../../events/catalogue.ts';
import { CONTENT_TYPES } from '../../formats/format.ts';
import type { Webhook } from '../../delivery/webhook.ts';
import { assertAllowedTarget, newWebhook } from '../../delivery/webhook-settings.ts';
import { sampleOrigin, sendTestEvent } from '../../delivery/test-send.ts';
import { newSigningSecret } from '../../delivery/signature.ts';
import type { Store } from '../../store/store.ts';
import type { Api, ApiDeps } from '../app.ts';
import { Enum, Nullable } from '../common.ts';
import { logServerError, setRetryAfter, toAppError } from '../problem.ts';

const EventParams = Type.Object({ event: Enum(RINKEL_EVENTS, { description: 'incomingCall, outgoingCall, callStart, callEnd or callInsights' }) });
const ContentType = Enum(CONTENT_TYPES);
const Subscription = Type.Object(
  { event: Type.String(), url: Type.String(), contentType: Type.String(), active: Type.Boolean(), description: Nullable(Type.String()) },
  { title: 'Rinkel webhook' },
);
const CreateBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2_000 }),
    contentType: Type.Optional(ContentType),
    active: Type.Optional(Type.Boolean()),
    description: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  },
  { additionalProperties: false },
);
const UpdateBody = Type.Partial(CreateBody, { additionalProperties: false });
const TestBody = Type.Object({ url: Type.String({ minLength: 1, maxLength: 2_000 }), contentType: Type.Optional(ContentType) }, { additionalProperties: false });
const Errors = Type.Ref('RinkelErrors'); // common.ts; every error status gets it (http/documented-errors.ts)

function subscriptionJson(webhook: Webhook) {
  return {
    event: CANONICAL_TO_RINKEL_EVENT[webhook.events[0]!]!,
    url: webhook.url,
    contentType: webhook.contentType,
    active: webhook.enabled,
    description: webhook.description,
  };
}

/** The organization's webhooks that this API manages: format rinkel with exactly one Rinkel event. */
async function subscriptions(store: Store, orgId: string): Promise<Webhook[]> {
  const all: Webhook[] = [];
  let after: string | undefined;
  do {
    const page = await store.webhooks.list(orgId, { limit: 200, after });
    all.push(...page.data);
    after = page.nextCursor ?? undefined;
  } while (after);
  return all.filter((w) => w.format === 'rinkel' && w.events.length === 1 && CANONICAL_TO_RINKEL_EVENT[w.events[0]!] !== undefined);
}

export function rinkelErrors(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const appError = toAppError(error);
  logServerError(appError, error, request);
  setRetryAfter(appError, reply);
  // Rinkel says 400 for any bad input; a body too large or not JSON keeps its own status (413, 415).
  const kept = appError.code === 'MALFORMED_REQUEST' && (appError.extra.status === 413 || appError.extra.status === 415);
  const status = kept ? (appError.extra.status as number) : appError.code === 'VALIDATION_FAILED' || appError.code === 'MALFORMED_REQUEST' || appError.code === 'TARGET_NOT_ALLOWED' ? 400 : appError.status;
  const items = appError.errors.length > 0 ? appError.errors : [{ field: appError.field ?? '', detail: appError.detail }];
  void reply.code(status).send({
    errors: items.map((item) => ({ code: appError.code, message: ERROR_CATALOGUE[appError.code].title, detail: item.field ? `${item.field}: ${withoutPrefix(item.detail, `${item.field}: `)}` : item.detail })),
  });
}

/** Plain text comparison: the field name is the client's, so it never becomes a pattern. */
function withoutPrefix(text: string, prefix: string): string {
  return text.startsWith(prefix) ? text.slice(prefix.length) : text;
}

export function rinkelRoutes(app: Api, deps: ApiDeps): void {
  const { store, clock, config, auth, targetPolicy } = deps;
  const tags = ['rinkel-compatible'];
  app.setErrorHandler(rinkelErrors);
  app.setNotFoundHandler((request, reply) =>
    rinkelErrors(new AppError('NOT_FOUND', `There is no ${request.method} ${request.url.split('?')[0]} in the Rinkel-compatible API`), request, reply),
  );
  app.addHook('preHandler', async (request) => {
    await auth.rinkel(request);
    await auth.webhooksInPlan(request);
  });
  const find = async (orgId: string, event: RinkelEvent) =>
    (await subscriptions(store, orgId)).find((w) => w.events[0] === RINKEL_EVENT_TO_CANONICAL[event]) ?? null;
  const missing = (event: string) => new AppError('NOT_FOUND', `There is no webhook for ${event}`);

  app.get('/webhooks', { schema: { tags, summary: 'List webhook subscriptions', response: { 200: Type.Object({ data: Type.Array(Subscription) }), 401: Errors, 403: Errors } } }, async (request) => ({
    data: (await subscriptions(store, request.org!.id)).map(subscriptionJson),
  }));

  app.post('/webhooks/:event', { schema: { tags, summary: 'Subscribe to an event', params: EventParams, body: CreateBody, response: { 201: Type.Object({ data: Subscription }), 400: Errors, 409: Errors } } }, async (request, reply) => {
    const { event } = request.params;
    // The slow check (DNS) first, so the look-up and the insert follow each other without a pause.
    await assertAllowedTarget(request.body.url, targetPolicy);
    if (await find(request.org!.id, event)) throw new AppError('CONFLICT', `A webhook for ${event} already exists; update it with PUT`);
    const webhook = await store.webhooks.create(
      newWebhook(
        request.org!.id,
        {
          url: request.body.url,
          events: [RINKEL_EVENT_TO_CANONICAL[event]],
          format: 'rinkel',
          contentType: request.body.contentType,
          description: request.body.description ?? null,
          enabled: request.body.active,
        },
        clock.now(),
      ),
    );
    return reply.code(201).send({ data: subscriptionJson(webhook) });
  });

  app.put('/webhooks/:event', { schema: { tags, summary: 'Change a subscription', params: EventParams, body: UpdateBody, response: { 200: Type.Object({ data: Subscription }), 400: Errors, 404: Errors } } }, async (request) => {
    const { event } = request.params;
    const orgId = request.org!.id;
    const current = await find(orgId, event);
    if (!current) throw missing(event);
    const { url, contentType, description, active } = request.body;
    const changed = await deps.webhookChanges.change(orgId, current.id, {
      settings: { url, contentType, description },
      enabled: active,
      disabledReason: 'deactivated through the Rinkel API',
    });
    return { data: subscriptionJson(changed) };
  });

  app.delete('/webhooks/:event', { schema: { tags, summary: 'Unsubscribe', params: EventParams, response: { 204: Type.Null(), 404: Errors } } }, async (request, reply) => {
    const current = await find(request.org!.id, request.params.event);
    if (!current) throw missing(request.params.event);
    await deps.webhookChanges.delete(request.org!.id, current.id);
    return reply.code(204).send(null);
  });

  app.post('/webhooks/:event/test', { schema: { tags, summary: 'Send a test event; 204 when the receiver accepted it', params: EventParams, body: TestBody, response: { 204: Type.Null(), 400: Errors } } }, async (request, reply) => {
    const { url, contentType } = request.body;
    await assertAllowedTarget(url, targetPolicy);
    const org = request.org!;
    const result = await sendTestEvent(
      deps,
      { url, format: 'rinkel', contentType: contentType ?? 'application/json', apiToken: null, secrets: [newSigningSecret()], timeoutMs: config.delivery.timeoutMs },
      RINKEL_EVENT_TO_CANONICAL[request.params.event],
      sampleOrigin(org),
    );
    if (result.ok) return reply.code(204).send(null);
    const answer = result.status === null ? result.error : `the receiver answered HTTP ${result.status} in ${result.durationMs} ms${result.responseBody ? `: ${result.responseBody.slice(0, 200)}` : ''}`;
    return reply.code(400).send({ errors: [{ code: 'WEBHOOK_TEST_FAILED', message: 'The test webhook was not accepted', detail: answer ?? 'no answer' }] });
  });
}
