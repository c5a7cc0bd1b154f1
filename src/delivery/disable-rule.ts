// The disable rule (seeds: "still not successful after 24 hours → disabled, e-mail"): a webhook is
// disabled when one of its deliveries exhausted its schedule and the webhook has had no success
// since that delivery's first attempt. A receiver that works for other events stays enabled.
// `disableOnExhaustion` is the policy the stores weigh exhaustions with (transitions.ts).
import { disabledWebhookEmail } from '../notify/disabled-email.ts';
import type { ExhaustionPolicy } from './transitions.ts';

export function shouldDisable(input: {
  webhookEnabled: boolean;
  lastSuccessAt: number | null;
  deliveryFirstAttemptAt: number | null;
}): boolean {
  if (!input.webhookEnabled) return false;
  if (input.lastSuccessAt === null) return true;
  return input.deliveryFirstAttemptAt !== null && input.lastSuccessAt < input.deliveryFirstAttemptAt;
}

/** The rule, with why the webhook was disabled and the organization's e-mail (links under `publicUrl`). */
export function disableOnExhaustion(options: { publicUrl: string }): ExhaustionPolicy {
  return ({ webhook, org, delivery, lastError, now }) => {
    if (!shouldDisable({ webhookEnabled: webhook.enabled, lastSuccessAt: webhook.lastSuccessAt, deliveryFirstAttemptAt: delivery.firstAttemptAt })) {
      return { disable: false, reason: '', notification: null };
    }
    return {
      disable: true,
      reason: `Delivery ${delivery.id} failed every attempt since ${new Date(delivery.firstAttemptAt ?? now).toISOString()} and nothing was delivered since; last error: ${lastError}`,
      notification: disabledWebhookEmail({ webhook, org, delivery, lastError, publicUrl: options.publicUrl, now }),
    };
  };
}
