// Shown instead of the webhook forms when the organization's plan does not include webhooks
// (the API answers 403 PLAN_LACKS_WEBHOOKS, src/tenancy/plans.ts).
import type { Problem } from '../../api/client';
import { Link } from '../../router';
import { useSession } from '../../session-context';
import { useOrg } from '../org/org-context';

export function PlanLacksWebhooks({ problem }: { problem: Problem }) {
  const { org, base } = useOrg();
  const { account } = useSession();
  return (
    <div className="card notice-card" role="region" aria-label="Webhooks not in plan" data-testid="plan-lacks-webhooks">
      <h2>Webhooks are not included in the “{org.plan}” plan</h2>
      <p>Calls are still recorded and listed under Calls, but nothing is sent to other apps until the organization moves to a plan with webhooks.</p>
      <p className="muted">{problem.detail}</p>
      {account.role === 'operator' ? <p>
          As the operator you can <Link to={`${base}/edit`}>change the organization's plan</Link>.
        </p> : <p>Ask your provider to move you to a plan with webhooks.</p>}
    </div>
  );
}
