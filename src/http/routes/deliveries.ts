// The delivery log: deliveries, their attempts (request and response), and retrying one.
import { Type } from 'typebox';
import type { Attempt, Delivery } from '../../delivery/delivery.ts';
import { DELIVERY_STATUSES } from '../../delivery/delivery.ts';
import { loggableHeaders } from '../../delivery/response-headers.ts';
import { notFound } from '../../errors.ts';
import { EVENT_TYPES } from '../../events/catalogue.ts';
import type { Api, ApiDeps } from '../app.ts';
import { Enum, Nullable, OrgParams, Page, pageFields, Time, iso, isoOrNull, problems } from '../common.ts';

export const DeliverySchema = Type.Object(
  {
    id: Type.String({ description: 'Also the `webhook-id` header: stable across retries, for deduplication.' }),
    webhookId: Type.String(),
    eventId: Type.String(),
    event: Type.String(),
    callId: Type.String(),
    status: Enum(DELIVERY_STATUSES, { description: 'pending (due), waiting (behind an earlier event of the same call), succeeded, failed (schedule exhausted), held (webhook disabled).' }),
    attempts: Type.Integer(),
    nextAttemptAt: Nullable(Time),
    firstAttemptAt: Nullable(Time),
    lastAttemptAt: Nullable(Time),
    lastStatus: Nullable(Type.Integer()),
    lastError: Nullable(Type.String()),
    contentType: Type.String(),
    createdAt: Time,
    updatedAt: Time,
  },
  { title: 'Delivery' },
);
const DeliveryDetail = Type.Intersect([DeliverySchema, Type.Object({ body: Type.String({ description: 'The exact bytes every attempt sends.' }) })]);
const AttemptSchema = Type.Object(
  {
    id: Type.String(),
    deliveryId: Type.String(),
    number: Type.Integer(),
    trigger: Enum(['scheduled', 'manual'] as const),
    startedAt: Time,
    durationMs: Type.Integer(),
    succeeded: Type.Boolean(),
    request: Type.Object({ method: Type.String(), url: Type.String(), headers: Type.Record(Type.String(), Type.String()), body: Type.String() }),
    response: Nullable(Type.Object({ status: Type.Integer(), headers: Type.Record(Type.String(), Type.String(), { description: 'The headers that explain an answer (content-type, content-length, date, retry-after, location, request ids); cookies, credentials and the rest are not kept.' }), body: Type.String(), bodyTruncated: Type.Boolean() })),
    error: Nullable(Type.String()),
  },
  { title: 'Attempt' },
);
const DeliveriesQuery = Type.Object({
  ...pageFields,
  webhookId: Type.Optional(Type.String()),
  event: Type.Optional(Enum(EVENT_TYPES)),
  callId: Type.Optional(Type.String()),
  status: Type.Optional(Enum(DELIVERY_STATUSES)),
  since: Type.Optional(Type.String({ format: 'date-time' })),
});
const DeliveryParams = Type.Object({ orgId: Type.String(), deliveryId: Type.String() });

export const deliveryJson = (d: Delivery) => ({
  id: d.id,
  webhookId: d.webhookId,
  eventId: d.eventId,
  event: d.eventType,
  callId: d.callId,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: isoOrNull(d.nextAttemptAt),
  firstAttemptAt: isoOrNull(d.firstAttemptAt),
  lastAttemptAt: isoOrNull(d.lastAttemptAt),
  lastStatus: d.lastStatus,
  lastError: d.lastError,
  contentType: d.contentType,
  createdAt: iso(d.createdAt),
  updatedAt: iso(d.updatedAt),
});

const attemptJson = (a: Attempt, body: string) => ({
  id: a.id,
  deliveryId: a.deliveryId,
  number: a.number,
  trigger: a.trigger,
  startedAt: iso(a.startedAt),
  durationMs: a.durationMs,
  succeeded: a.succeeded,
  request: { method: 'POST', url: a.url, headers: a.requestHeaders, body },
  // Filtered again on the way out: attempts logged before the allow-list existed kept every header.
  response: a.status === null ? null : { status: a.status, headers: loggableHeaders(a.responseHeaders ?? {}), body: a.responseBody ?? '', bodyTruncated: a.responseBodyTruncated },
  error: a.error,
});

export function deliveryRoutes(app: Api, deps: ApiDeps): void {
  const { store, clock, auth, config } = deps;
  const tags = ['deliveries'];
  const load = async (orgId: string, id: string) => {
    const delivery = await store.deliveries.get(orgId, id);
    if (!delivery) throw notFound('Delivery', id);
    return delivery;
  };

  app.get('/v1/orgs/:orgId/deliveries', { preHandler: auth.org, schema: { tags, summary: 'The delivery log, newest first', params: OrgParams, querystring: DeliveriesQuery, response: { 200: Page(DeliverySchema) } } }, async (request) => {
    const { limit, after, webhookId, event, callId, status, since } = request.query;
    const page = await store.deliveries.list(request.org!.id, { webhookId, eventType: event, callId, status, since: since ? Date.parse(since) : undefined }, { limit, after });
    return { data: page.data.map(deliveryJson), nextCursor: page.nextCursor };
  });

  app.get('/v1/orgs/:orgId/deliveries/:deliveryId', { preHandler: auth.org, schema: { tags, summary: 'One delivery, with its body', params: DeliveryParams, response: { 200: DeliveryDetail, ...problems(404) } } }, async (request) => {
    const delivery = await load(request.org!.id, request.params.deliveryId);
    return { ...deliveryJson(delivery), body: delivery.body };
  });

  app.get('/v1/orgs/:orgId/deliveries/:deliveryId/attempts', { preHandler: auth.org, schema: { tags, summary: "A delivery's attempts: request headers and body, response or error", params: DeliveryParams, response: { 200: Type.Object({ data: Type.Array(AttemptSchema) }), ...problems(404) } } }, async (request) => {
    const delivery = await load(request.org!.id, request.params.deliveryId);
    const attempts = await store.deliveries.attempts(request.org!.id, delivery.id);
    return { data: attempts.map((a) => attemptJson(a, delivery.body)) };
  });

  app.post('/v1/orgs/:orgId/deliveries/:deliveryId/retry', { preHandler: [auth.org, auth.webhooksInPlan], schema: { tags, summary: 'Attempt a delivery once more, now (same body, fresh signature)', params: DeliveryParams, response: { 200: Type.Object({ attempt: AttemptSchema, delivery: DeliverySchema }), ...problems(404, 409) } } }, async (request) => {
    const orgId = request.org!.id;
    const job = await store.deliveries.beginManualAttempt({ orgId, deliveryId: request.params.deliveryId, owner: deps.owner, leaseMs: config.delivery.leaseMs, now: clock.now() });
    const attempt = await deps.dispatcher.attemptNow(job);
    const delivery = await load(orgId, job.deliveryId);
    return { attempt: attemptJson(attempt, delivery.body), delivery: deliveryJson(delivery) };
  });
}
