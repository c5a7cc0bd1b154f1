// Calls as callhook tracked them, with each step's event and that event's deliveries.
import { Type } from 'typebox';
import { notFound } from '../../errors.ts';
import { StandardCallSchema, standardCall } from '../../formats/standard.ts';
import type { Api, ApiDeps } from '../app.ts';
import { Enum, Nullable, OrgParams, Page, pageFields, Time, iso, isoOrNull, problems } from '../common.ts';

const CallsQuery = Type.Object({ ...pageFields, since: Type.Optional(Type.String({ format: 'date-time', description: 'Calls started at or after.' })) });
const CallParams = Type.Object({ orgId: Type.String(), callId: Type.String({ description: "The phone system's call id." }) });
const CallDetail = Type.Object({
  call: StandardCallSchema,
  recordingFetch: Type.Union([
    Type.Object({
      status: Enum(['pending', 'done', 'failed'] as const, { description: 'pending: being fetched (or waiting to be tried again); failed: given up.' }),
      attempts: Type.Integer(),
      lastError: Nullable(Type.String()),
      nextAttemptAt: Nullable(Time),
    }),
    Type.Null(),
  ], { description: 'How fetching the recording a recording step pointed at goes; null when there was none.' }),
  events: Type.Array(
    Type.Object({
      id: Type.String(),
      type: Type.String(),
      occurredAt: Time,
      deliveries: Type.Array(Type.Object({ id: Type.String(), webhookId: Type.String(), status: Type.String(), attempts: Type.Integer(), lastStatus: Type.Union([Type.Integer(), Type.Null()]) })),
    }),
  ),
});

export function callRoutes(app: Api, deps: ApiDeps): void {
  const { store, auth } = deps;
  const tags = ['calls'];

  app.get('/v1/orgs/:orgId/calls', { preHandler: auth.org, schema: { tags, summary: 'Recent calls, newest first', params: OrgParams, querystring: CallsQuery, response: { 200: Page(StandardCallSchema) } } }, async (request) => {
    const { since, ...page } = request.query;
    const result = await store.calls.list(request.org!.id, { since: since ? Date.parse(since) : undefined }, page);
    return { data: result.data.map((t) => standardCall(t.call)), nextCursor: result.nextCursor };
  });

  app.get('/v1/orgs/:orgId/calls/:callId', { preHandler: auth.org, schema: { tags, summary: 'One call: its steps (events) and their deliveries', params: CallParams, response: { 200: CallDetail, ...problems(404) } } }, async (request) => {
    const orgId = request.org!.id;
    const tracked = await store.calls.get(orgId, request.params.callId);
    if (!tracked) throw notFound('Call', request.params.callId);
    const [events, deliveries, fetch] = await Promise.all([
      store.calls.events(orgId, request.params.callId),
      store.deliveries.list(orgId, { callId: request.params.callId }, { limit: 200 }),
      store.recordings.fetchForCall(orgId, request.params.callId),
    ]);
    return {
      call: standardCall(tracked.call),
      recordingFetch: fetch && { status: fetch.status, attempts: fetch.attempts, lastError: fetch.lastError, nextAttemptAt: isoOrNull(fetch.nextAttemptAt) },
      events: events.map((event) => ({
        id: event.id,
        type: event.type,
        occurredAt: iso(event.occurredAt),
        deliveries: deliveries.data
          .filter((d) => d.eventId === event.id)
          .map((d) => ({ id: d.id, webhookId: d.webhookId, status: d.status, attempts: d.attempts, lastStatus: d.lastStatus })),
      })),
    };
  });
}
