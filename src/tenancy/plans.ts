// Plans are operator configuration: which organizations get webhooks at all.
import { AppError } from '../errors.ts';
import type { Plans } from '../config/settings.ts';
import type { Org } from './org.ts';

// The shape is a setting (CALLHOOK_PLANS), so config defines it.
export type { Plan, Plans } from '../config/settings.ts';

export function assertPlanHasWebhooks(plans: Plans, org: Org): void {
  if (!plans[org.plan]?.webhooks) {
    throw new AppError(
      'PLAN_LACKS_WEBHOOKS',
      `Organization ${org.id} is on the "${org.plan}" plan, which does not include webhooks. Its call events are still recorded; move it to a plan with webhooks (${plansWithWebhooks(plans).join(', ') || 'none configured'}) to deliver them.`,
    );
  }
}

export function planHasWebhooks(plans: Plans, plan: string): boolean {
  return plans[plan]?.webhooks === true;
}

function plansWithWebhooks(plans: Plans): string[] {
  return Object.entries(plans)
    .filter(([, plan]) => plan.webhooks)
    .map(([name]) => name);
}
