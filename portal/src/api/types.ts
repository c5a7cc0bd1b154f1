// Short names for the API's shapes, taken from the generated schema so they follow the server.
import type { paths } from './schema';

type Ok<P extends keyof paths, M extends 'get' | 'post' | 'put' | 'patch', S extends number = 200> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer B } } };
}
  ? B
  : never;
type Item<T> = T extends { data: Array<infer I> } ? I : never;
type Body<P extends keyof paths, M extends 'post' | 'put' | 'patch'> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;

export type Org = Ok<'/v1/orgs/{orgId}', 'get'>;
export type OrgWebhookHealth = Org['webhookHealth'];
export type NewOrg = Body<'/v1/orgs', 'post'>;
export type Webhook = Ok<'/v1/orgs/{orgId}/webhooks/{webhookId}', 'get'>;
export type WebhookHealth = Webhook['health'];
export type NewWebhook = Body<'/v1/orgs/{orgId}/webhooks', 'post'>;
export type WebhookPatch = Body<'/v1/orgs/{orgId}/webhooks/{webhookId}', 'patch'>;
export type TestResult = Ok<'/v1/orgs/{orgId}/webhooks/test', 'post'>;
export type Delivery = Item<Ok<'/v1/orgs/{orgId}/deliveries', 'get'>>;
export type DeliveryDetail = Ok<'/v1/orgs/{orgId}/deliveries/{deliveryId}', 'get'>;
export type Attempt = Item<Ok<'/v1/orgs/{orgId}/deliveries/{deliveryId}/attempts', 'get'>>;
export type Call = Item<Ok<'/v1/orgs/{orgId}/calls', 'get'>>;
export type CallDetail = Ok<'/v1/orgs/{orgId}/calls/{callId}', 'get'>;
export type Connection = Item<Ok<'/v1/orgs/{orgId}/connections', 'get'>>;
export type CreatedConnection = Ok<'/v1/orgs/{orgId}/connections', 'post', 201>;
export type ApiKey = Item<Ok<'/v1/orgs/{orgId}/api-keys', 'get'>>;
export type CreatedApiKey = Ok<'/v1/orgs/{orgId}/api-keys', 'post', 201>;
export type DirectoryUser = Item<Ok<'/v1/orgs/{orgId}/users', 'get'>>;
export type PhoneNumber = Item<Ok<'/v1/orgs/{orgId}/numbers', 'get'>>;
export type OutcomeRules = Ok<'/v1/orgs/{orgId}/outcome-rules', 'get'>;

/** The API's vocabularies (src/events/catalogue.ts, src/formats/format.ts, src/delivery/delivery.ts). */
export const EVENT_TYPES = ['call.incoming', 'call.outgoing', 'call.answered', 'call.ended', 'call.recording', 'call.insights'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const FORMATS = ['ringotel', 'rinkel', 'standard'] as const;
export type Format = (typeof FORMATS)[number];
export const CONTENT_TYPES = ['application/json', 'application/x-www-form-urlencoded'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];
export const DELIVERY_STATUSES = ['pending', 'waiting', 'succeeded', 'failed', 'held'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Plain-word names of the events, as the two portals the screens imitate call them. */
export const EVENT_LABELS: Record<EventType, string> = {
  'call.incoming': 'Incoming call',
  'call.outgoing': 'Outgoing call',
  'call.answered': 'Call start (answered)',
  'call.ended': 'Call end',
  'call.recording': 'Recording ready',
  'call.insights': 'Call insights',
};

export const FORMAT_LABELS: Record<Format, string> = {
  ringotel: 'Ringotel',
  rinkel: 'Rinkel',
  standard: 'Standard Webhooks (signed)',
};
