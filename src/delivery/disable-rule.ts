// The disable rule (seeds: "still not successful after 24 hours → disabled, e-mail"): a webhook is
// disabled when one of its deliveries exhausted its schedule and the webhook has had no success
// since that delivery's first attempt. A receiver that works for other events stays enabled.
export function shouldDisable(input: {
  webhookEnabled: boolean;
  lastSuccessAt: number | null;
  deliveryFirstAttemptAt: number | null;
}): boolean {
  if (!input.webhookEnabled) return false;
  if (input.lastSuccessAt === null) return true;
  return input.deliveryFirstAttemptAt !== null && input.lastSuccessAt < input.deliveryFirstAttemptAt;
}
