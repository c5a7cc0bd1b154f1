// A webhook: one subscriber of an organization — where to send which events, in which dialect.
import type { EventType } from '../events/catalogue.ts';
import type { ContentType, Format } from '../formats/format.ts';

export interface Webhook {
  id: string;
  orgId: string;
  /** Stored and returned exactly as given. */
  url: string;
  events: EventType[];
  format: Format;
  contentType: ContentType;
  /** Ringotel's `api_token`, sent in the body; not a secret of ours. */
  apiToken: string | null;
  description: string | null;
  /** Delays between attempts, in seconds; null = the configured default (hourly for 24 h). */
  retryScheduleS: number[] | null;
  /** Deadline for one attempt; null = the configured default (2 s). */
  timeoutMs: number | null;
  /** `whsec_…` Standard Webhooks signing secret. */
  secret: string;
  /** After a rotation the old secret still signs until it expires, so receivers can switch over. */
  previousSecret: string | null;
  previousSecretExpiresAt: number | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: number | null;
  lastSuccessAt: number | null;
  /** The latest failed attempt's error (kept after a success too; health tells whether it is current). */
  lastError: string | null;
  /** The current run of failed attempts (webhook-health.ts): 0 once an attempt succeeds. */
  consecutiveFailures: number;
  /** The first failed attempt of the current run; null when there is none. */
  failingSince: number | null;
  lastFailureAt: number | null;
  /**
   * Grows with every change (store-assigned, never repeats): a delivery job carries the version it
   * was built from, and one older than a change a process was told about is not sent.
   */
  settingsVersion: number;
  createdAt: number;
  updatedAt: number;
}

export type WebhookPatch = Partial<
  Pick<Webhook, 'url' | 'events' | 'format' | 'contentType' | 'apiToken' | 'description' | 'retryScheduleS' | 'timeoutMs'>
>;

/** The secrets that sign a request right now: the current one, and the previous one until it expires. */
export function signingSecrets(webhook: Pick<Webhook, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>, now: number): string[] {
  const secrets = [webhook.secret];
  if (webhook.previousSecret && (webhook.previousSecretExpiresAt ?? 0) > now) secrets.push(webhook.previousSecret);
  return secrets;
}

export function wantsEvent(webhook: Pick<Webhook, 'events'>, type: EventType): boolean {
  return webhook.events.includes(type);
}
