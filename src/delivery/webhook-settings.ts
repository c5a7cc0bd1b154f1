// Making and changing webhooks: the rules both API styles (v1 and Rinkel-compatible) share.
import { AppError } from '../errors.ts';
import { EVENT_TYPES, type EventType } from '../events/catalogue.ts';
import type { ContentType, Format } from '../formats/format.ts';
import { newId } from '../ids.ts';
import { newSigningSecret } from './signature.ts';
import { type TargetPolicy, checkTarget } from './target-guard.ts';
import type { Webhook } from './webhook.ts';

/** How long the old secret keeps signing after a rotation, so receivers can switch over. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 3_600_000;

export interface WebhookInput {
  url: string;
  events?: EventType[] | undefined;
  format?: Format | undefined;
  contentType?: ContentType | undefined;
  apiToken?: string | null | undefined;
  description?: string | null | undefined;
  retryScheduleS?: number[] | null | undefined;
  timeoutMs?: number | null | undefined;
  enabled?: boolean | undefined;
}

export async function assertAllowedTarget(url: string, policy: TargetPolicy, field = 'url'): Promise<void> {
  const check = await checkTarget(url, policy);
  if (!check.ok) throw new AppError('TARGET_NOT_ALLOWED', `${field}: the URL ${check.reason}`, { field });
}

/** A webhook's own deadline must fit within this instance's lease (config.delivery.maxTimeoutMs). */
export function assertTimeoutFits(timeoutMs: number | null | undefined, maxTimeoutMs: number): void {
  if (timeoutMs === null || timeoutMs === undefined || timeoutMs <= maxTimeoutMs) return;
  throw new AppError('VALIDATION_FAILED', `timeoutMs: must be at most ${maxTimeoutMs} ms on this instance (a third of CALLHOOK_LEASE_MS)`, { field: 'timeoutMs' });
}

/** Never an empty string (a real client's list call fails on `""`): a blank description or API token is none. */
export function withoutBlanks<T extends Pick<WebhookInput, 'description' | 'apiToken'>>(input: T): T {
  const out = { ...input };
  if (typeof out.description === 'string' && out.description.trim() === '') out.description = null;
  if (typeof out.apiToken === 'string' && out.apiToken.trim() === '') out.apiToken = null;
  return out;
}

export function newWebhook(orgId: string, given: WebhookInput, now: number): Webhook {
  const input = withoutBlanks(given);
  const enabled = input.enabled ?? true;
  return {
    id: newId('wh'),
    orgId,
    url: input.url,
    events: input.events ?? [...EVENT_TYPES],
    format: input.format ?? 'standard',
    contentType: input.contentType ?? 'application/json',
    apiToken: input.apiToken ?? null,
    description: input.description ?? null,
    retryScheduleS: input.retryScheduleS ?? null,
    timeoutMs: input.timeoutMs ?? null,
    secret: newSigningSecret(),
    previousSecret: null,
    previousSecretExpiresAt: null,
    enabled,
    disabledReason: enabled ? null : 'created disabled',
    disabledAt: enabled ? null : now,
    lastSuccessAt: null,
    lastError: null,
    consecutiveFailures: 0,
    failingSince: null,
    lastFailureAt: null,
    settingsVersion: 0, // the store gives it one
    createdAt: now,
    updatedAt: now,
  };
}
