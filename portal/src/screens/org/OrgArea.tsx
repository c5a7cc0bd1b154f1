// Inside one organization: its name, a warning while any of its webhooks fails or is disabled, the
// four tabs, and the screen of the tab.
import { useMemo } from 'react';
import type { Org } from '../../api/types';
import { api, call } from '../../api/client';
import { LoadProblem } from '../../components/ProblemBanner';
import { useLoad } from '../../hooks';
import { Link, match, seg } from '../../router';
import { useSession } from '../../session-context';
import { NotFound, Redirect } from '../../components/Redirect';
import { CallDetailScreen } from '../calls/CallDetail';
import { Calls } from '../calls/Calls';
import { DeliveryDetailScreen } from '../deliveries/DeliveryDetail';
import { Deliveries } from '../deliveries/Deliveries';
import { Integrations } from '../integrations/Integrations';
import { WebhookDetailScreen } from '../integrations/WebhookDetail';
import { Settings } from '../settings/Settings';
import { OrgContext } from './org-context';

const TABS = [
  { path: '/integrations', label: 'Integrations' },
  { path: '/deliveries', label: 'Deliveries' },
  { path: '/calls', label: 'Calls' },
  { path: '/settings', label: 'Settings' },
] as const;

export function OrgArea({ orgId, rest }: { orgId: string; rest: string }) {
  const { account } = useSession();
  // Polled, so the header's webhook warning follows the webhooks' health on every tab.
  const org = useLoad(() => call(api.GET('/v1/orgs/{orgId}', { params: { path: { orgId } } })), [orgId], { pollMs: 30_000 });
  const base = `/orgs/${seg(orgId)}`;
  const value = useMemo(() => (org.data ? { org: org.data, base, reloadOrg: org.reload } : null), [org.data, base, org.reload]);

  if (rest === '' || rest === '/') return <Redirect to={`${base}/integrations`} />;
  if (!value) return org.loading ? <p className="page-loading">Loading…</p> : <LoadProblem problem={org.problem} onRetry={() => void org.reload()} />;

  return (
    <OrgContext.Provider value={value}>
      {account.role === 'operator' ? (
        <p className="crumbs">
          <Link to="/orgs">Organizations</Link> /
        </p>
      ) : null}
      <div className="org-head">
        <h1>{value.org.name}</h1>
        <span className="muted">
          {value.org.domain} · plan <strong>{value.org.plan}</strong>
        </span>
      </div>
      <WebhookWarning org={value.org} integrations={`${base}/integrations`} here={rest === '/integrations'} />
      <nav className="tabs" aria-label="Organization">
        {TABS.map((tab) => (
          <Link key={tab.path} to={base + tab.path} aria-current={rest === tab.path || rest.startsWith(`${tab.path}/`) ? 'page' : undefined}>
            {tab.label}
          </Link>
        ))}
      </nav>
      <div className="tab-body">
        <OrgScreen rest={rest} />
      </div>
    </OrgContext.Provider>
  );
}

function OrgScreen({ rest }: { rest: string }) {
  if (rest === '/integrations') return <Integrations />;
  if (rest === '/deliveries') return <Deliveries />;
  if (rest === '/calls') return <Calls />;
  if (rest === '/settings') return <Settings />;
  const webhook = match('/integrations/webhooks/:webhookId', rest);
  if (webhook) return <WebhookDetailScreen key={webhook.webhookId} webhookId={webhook.webhookId!} />;
  const delivery = match('/deliveries/:deliveryId', rest);
  if (delivery) return <DeliveryDetailScreen key={delivery.deliveryId} deliveryId={delivery.deliveryId!} />;
  const callPage = match('/calls/:callId', rest);
  if (callPage) return <CallDetailScreen key={callPage.callId} callId={callPage.callId!} />;
  return <NotFound />;
}

/** "2 webhooks need attention: 1 failing, 1 disabled" under the organization's name, on every tab. */
function WebhookWarning({ org, integrations, here }: { org: Org; integrations: string; here: boolean }) {
  const failing = org.webhookHealth?.failing ?? 0;
  const disabled = org.webhookHealth?.disabled ?? 0;
  if (failing + disabled === 0) return null;
  const parts = [failing ? `${failing} failing` : '', disabled ? `${disabled} disabled` : ''].filter(Boolean).join(', ');
  const total = failing + disabled;
  return (
    <p className="banner banner-error org-warning" data-testid="org-webhook-health">
      <strong>
        {total === 1 ? '1 webhook needs' : `${total} webhooks need`} attention: {parts}.
      </strong>{' '}
      {here ? 'See below.' : <Link to={integrations}>Open Integrations</Link>}
    </p>
  );
}
