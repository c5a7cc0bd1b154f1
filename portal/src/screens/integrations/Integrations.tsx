// The Integrations tab: the Ringotel-style Webhook card, the Rinkel-style event list, and an
// Advanced list of every webhook. When the plan leaves webhooks out, it says so instead.
import { api, call, isPlanLacksWebhooks } from '../../api/client';
import { LoadProblem } from '../../components/ProblemBanner';
import { useLoad } from '../../hooks';
import { useTitle } from '../../title';
import { useOrg } from '../org/org-context';
import { PlanLacksWebhooks } from './PlanLacksWebhooks';
import { RingotelCard } from './RingotelCard';
import { RinkelEvents } from './RinkelEvents';
import { WebhookList } from './WebhookList';

export function Integrations() {
  const { org, reloadOrg } = useOrg();
  useTitle('Integrations', org.name);
  // Polled like the organization, so a webhook that starts failing shows it without a reload.
  const webhooks = useLoad(() => call(api.GET('/v1/orgs/{orgId}/webhooks', { params: { path: { orgId: org.id }, query: { limit: 200 } } })), [org.id], { pollMs: 30_000 });
  // A change to a webhook can change the organization's warning too.
  const changed = async () => {
    await Promise.all([webhooks.reload(), reloadOrg()]);
  };

  if (isPlanLacksWebhooks(webhooks.problem)) return <PlanLacksWebhooks problem={webhooks.problem!} />;
  if (!webhooks.data) return webhooks.loading ? <p className="page-loading">Loading…</p> : <LoadProblem problem={webhooks.problem} onRetry={() => void webhooks.reload()} />;

  const list = webhooks.data.data;
  return (
    <>
      <LoadProblem problem={webhooks.problem} onRetry={() => void webhooks.reload()} />
      <RingotelCard webhooks={list} onChanged={changed} />
      <RinkelEvents webhooks={list} onChanged={changed} />
      <WebhookList webhooks={list} onChanged={changed} />
    </>
  );
}
