// The one e-mail an organization gets when a webhook is disabled: which webhook, why, the last
// error, and how to re-enable it and replay what was held.
import type { Delivery } from '../delivery/delivery.ts';
import type { Webhook } from '../delivery/webhook.ts';
import { newId } from '../ids.ts';
import type { Org } from '../tenancy/org.ts';
import type { NewNotification } from './notification.ts';

export function disabledWebhookEmail(input: {
  webhook: Webhook;
  org: Org;
  delivery: Omit<Delivery, 'body'>;
  lastError: string;
  publicUrl: string;
  now: number;
}): NewNotification {
  const { webhook, org, delivery, lastError, now } = input;
  const api = `${input.publicUrl.replace(/\/$/, '')}/v1/orgs/${org.id}/webhooks/${webhook.id}`;
  const failingSince = new Date(delivery.firstAttemptAt ?? now).toISOString();
  // Replay selects by creation time; the failing delivery was created just before its first attempt.
  const since = new Date(delivery.createdAt).toISOString();
  const url = shownUrl(webhook.url);
  const name = webhook.description ? `"${webhook.description}" (${url})` : url;
  const text = [
    `Hello,`,
    ``,
    `callhook has disabled a webhook of ${org.name} (${org.domain}): it could not deliver to it for ${span(now - (delivery.firstAttemptAt ?? now))}.`,
    ``,
    `Webhook:     ${webhook.id}${webhook.description ? ` — ${webhook.description}` : ''}`,
    `URL:         ${url}`,
    `Format:      ${webhook.format}, ${webhook.contentType}`,
    `Why:         delivery ${delivery.id} (${delivery.eventType}, call ${delivery.callId}) failed every attempt`,
    `             from ${failingSince} to ${new Date(now).toISOString()}, and no delivery to this webhook has`,
    `             succeeded since then.`,
    `Last error:  ${lastError.replaceAll(webhook.url, url)}`,
    ``,
    `Nothing is lost: while the webhook is disabled, callhook keeps its events as held deliveries.`,
    ``,
    `To re-enable it, fix the receiver, then (with an API key of the organization):`,
    `  1. test it:       curl -X POST -H "Authorization: Bearer $API_KEY" ${api}/test`,
    `  2. re-enable it:  curl -X POST -H "Authorization: Bearer $API_KEY" ${api}/enable`,
    `  3. replay what was held or failed since it broke:`,
    `     curl -X POST -H "Authorization: Bearer $API_KEY" -H "Content-Type: application/json" \\`,
    `          -d '{"since":"${since}"}' ${api}/replay`,
    ``,
    `— callhook`,
  ].join('\n');
  return {
    id: newId('ntf'),
    orgId: org.id,
    kind: 'webhook-disabled',
    subjectId: webhook.id,
    to: org.notificationEmails,
    subject: `[callhook] Webhook disabled: ${name}`,
    text,
    createdAt: now,
  };
}

/**
 * The URL as a mail (or the log, without SMTP) may show it: receivers sometimes keep a token in the
 * query string, and a URL stored before user names were refused may carry a password.
 */
export function shownUrl(raw: string): string {
  if (!URL.canParse(raw)) return '(not a valid URL; see the webhook)';
  const url = new URL(raw);
  return `${url.protocol}//${url.host}${url.pathname}${url.search ? '?…' : ''}`;
}

function span(ms: number): string {
  const hours = ms / 3_600_000;
  if (hours >= 1) return `${Math.round(hours * 10) / 10} hours`;
  const minutes = ms / 60_000;
  if (minutes >= 1) return `${Math.round(minutes)} minutes`;
  return `${Math.round(ms / 1_000)} seconds`;
}
