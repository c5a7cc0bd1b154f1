// Fan-out: each event becomes one delivery per webhook that wants it, its body rendered once
// here (every attempt sends the same bytes). Pure; the store writes the result in the ingest
// transaction.
import type { CallEvent } from '../events/event.ts';
import { renderBody } from '../formats/render.ts';
import type { NewDelivery } from './delivery.ts';
import { type Webhook, wantsEvent } from './webhook.ts';

export function fanOut(
  events: readonly CallEvent[],
  webhooks: readonly Webhook[],
  newDeliveryId: () => string,
): Array<NewDelivery & { held: boolean }> {
  const deliveries: Array<NewDelivery & { held: boolean }> = [];
  for (const event of events) {
    for (const webhook of webhooks) {
      if (!wantsEvent(webhook, event.type)) continue;
      const body = renderBody(webhook.format, webhook.contentType, event, { apiToken: webhook.apiToken });
      if (body === null) continue; // no form of this event in the webhook's dialect
      deliveries.push({
        id: newDeliveryId(),
        orgId: webhook.orgId,
        webhookId: webhook.id,
        eventId: event.id,
        eventType: event.type,
        callId: event.call.callId,
        contentType: webhook.contentType,
        body,
        held: !webhook.enabled,
      });
    }
  }
  return deliveries;
}
