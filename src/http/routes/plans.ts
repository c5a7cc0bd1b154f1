// The plans this instance offers (operator configuration, CALLHOOK_PLANS): what an organization's
// `plan` may be set to, and which include webhooks.
import { Type } from 'typebox';
import type { Api, ApiDeps } from '../app.ts';
import { problems } from '../common.ts';

const PlanSchema = Type.Object(
  {
    name: Type.String(),
    webhooks: Type.Boolean({ description: 'Whether organizations on it get webhooks delivered.' }),
    description: Type.String(),
    default: Type.Boolean({ description: 'The plan new organizations get when none is given.' }),
  },
  { title: 'Plan' },
);

export function planRoutes(app: Api, deps: ApiDeps): void {
  const { config, auth } = deps;
  app.get('/v1/plans', { preHandler: auth.operator, schema: { tags: ['organizations'], summary: 'The plans an organization can be on', response: { 200: Type.Object({ data: Type.Array(PlanSchema) }), ...problems(401, 403) } } }, async () => ({
    data: Object.entries(config.plans).map(([name, plan]) => ({ name, webhooks: plan.webhooks, description: plan.description, default: name === config.defaultPlan })),
  }));
}
