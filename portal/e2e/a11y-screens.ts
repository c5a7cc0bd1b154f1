// Every screen of the portal, for the accessibility walk: an organization with a healthy, a failing
// and a disabled webhook, a call whose deliveries went each way, an admin — and, per screen, how to
// open it, what shows it is ready, and the document title it sets.
import type { Page } from 'playwright-core';
import { ingest, type OrgSetup, type TestService } from '../../test/helpers/service.ts';

export const ADMIN = { email: 'ann@newcompany.example', password: 'anns-long-password' };

export interface World {
  t: TestService;
  org: OrgSetup;
  ringotelId: string;
  failingId: string;
  disabledId: string;
  callId: string;
  failedDeliveryId: string;
}

/** The organization every screen is looked at in: one webhook of each health, one call through them all. */
export async function makeWorld(t: TestService, org: OrgSetup, okUrl: string, badUrl: string): Promise<World> {
  const post = async (path: string, body: unknown) => {
    const answer = await t.api.post(`/v1/orgs/${org.orgId}${path}`, body);
    if (answer.status >= 300) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body as { id: string };
  };
  await post('/numbers', { number: '+31850609000' });
  const ringotel = await post('/webhooks', { url: `${okUrl}/ringotel`, format: 'ringotel', apiToken: 'crm-token-123' });
  const failing = await post('/webhooks', { url: `${badUrl}/rinkel/incoming`, format: 'rinkel', events: ['call.incoming'], description: 'CRM screen pop' });
  const disabled = await post('/webhooks', { url: `${okUrl}/standard`, format: 'standard', description: 'Data warehouse' });
  await post(`/webhooks/${disabled.id}/disable`, { reason: 'disabled in the portal' });
  const account = await t.api.post('/v1/accounts', { ...ADMIN, name: 'Ann', role: 'admin', orgId: org.orgId });
  if (account.status !== 201) throw new Error(`account: ${account.status}`);
  const callId = 'a11y-call-1';
  const at = () => t.clock.now();
  await ingest(t.api, org.ingestToken, { type: 'started', callId, direction: 'inbound', from: '+31612345678', to: '+31850609000', user: '500', at: at() });
  await ingest(t.api, org.ingestToken, { type: 'answered', callId, at: at() });
  await ingest(t.api, org.ingestToken, { type: 'ended', callId, at: at() });
  await t.service.dispatcher.idle();
  const failed = (await t.api.get(`/v1/orgs/${org.orgId}/deliveries?webhookId=${failing.id}`)).body.data[0] as { id: string };
  return { t, org, ringotelId: ringotel.id, failingId: failing.id, disabledId: disabled.id, callId, failedDeliveryId: failed.id };
}

export interface Screen {
  name: string;
  path: string;
  /** Waits until the screen shows its content. */
  ready: (page: Page) => Promise<unknown>;
  /** Opens what the screen hides until asked (a form, an editor), once ready. */
  open?: (page: Page) => Promise<unknown>;
  /** The document title it sets. */
  title: string;
}

const heading = (page: Page, name: string, level?: number) => page.getByRole('heading', { name, exact: true, ...(level ? { level } : {}) }).first().waitFor();

export function orgScreens(w: World): Screen[] {
  const o = `/orgs/${w.org.orgId}`;
  return [
    { name: 'integrations', path: `${o}/integrations`, ready: (p) => heading(p, 'Advanced: all webhooks'), title: 'Integrations · New Company · callhook' },
    {
      name: 'integrations, new webhook form',
      path: `${o}/integrations`,
      ready: (p) => heading(p, 'Advanced: all webhooks'),
      open: (p) => p.getByRole('button', { name: 'Add webhook' }).click(),
      title: 'Integrations · New Company · callhook',
    },
    { name: 'failing webhook', path: `${o}/integrations/webhooks/${w.failingId}`, ready: (p) => heading(p, 'Signing secret'), title: 'Webhook CRM screen pop · New Company · callhook' },
    {
      name: 'failing webhook, editing its settings',
      path: `${o}/integrations/webhooks/${w.failingId}`,
      ready: (p) => heading(p, 'Signing secret'),
      open: (p) => p.getByRole('button', { name: 'Edit settings' }).click(),
      title: 'Webhook CRM screen pop · New Company · callhook',
    },
    { name: 'disabled webhook', path: `${o}/integrations/webhooks/${w.disabledId}`, ready: (p) => p.getByTestId('webhook-disabled-banner').waitFor(), title: 'Webhook Data warehouse · New Company · callhook' },
    {
      name: 'deliveries',
      path: `${o}/deliveries`,
      ready: (p) => p.locator(`[data-testid="delivery-${w.failedDeliveryId}"]`).waitFor(),
      title: 'Deliveries · New Company · callhook',
    },
    {
      name: 'deliveries, filters open',
      path: `${o}/deliveries?status=pending`,
      ready: (p) => p.locator(`[data-testid="delivery-${w.failedDeliveryId}"]`).waitFor(),
      // On a phone the filters are folded away: unfold them (at 1280 px they always show).
      open: async (p) => {
        const toggle = p.getByRole('button', { name: /^Filters/ });
        if (await toggle.isVisible()) await toggle.click();
        await p.getByLabel('Status', { exact: true }).waitFor();
      },
      title: 'Deliveries · New Company · callhook',
    },
    { name: 'delivery', path: `${o}/deliveries/${w.failedDeliveryId}`, ready: (p) => p.getByRole('article', { name: 'Attempt 1' }).waitFor(), title: 'Delivery: Incoming call · New Company · callhook' },
    { name: 'calls', path: `${o}/calls`, ready: (p) => p.locator(`[data-testid="call-${w.callId}"]`).waitFor(), title: 'Calls · New Company · callhook' },
    { name: 'call', path: `${o}/calls/${w.callId}`, ready: (p) => heading(p, 'Steps'), title: `Call ${w.callId} · New Company · callhook` },
    { name: 'settings', path: `${o}/settings`, ready: (p) => p.getByRole('form', { name: 'Outcome rules' }).waitFor(), title: 'Settings · New Company · callhook' },
    {
      name: 'settings, connection editor',
      path: `${o}/settings`,
      ready: (p) => p.getByTestId(`connection-${w.org.connectionId}`).waitFor(),
      open: (p) => p.getByTestId(`connection-${w.org.connectionId}`).getByRole('button', { name: 'Edit', exact: true }).click(),
      title: 'Settings · New Company · callhook',
    },
    { name: 'account', path: '/account', ready: (p) => heading(p, 'Your account', 1), title: 'Your account · callhook' },
  ];
}

export function operatorScreens(w: World): Screen[] {
  return [
    { name: 'organizations', path: '/orgs', ready: (p) => p.getByTestId(`org-${w.org.orgId}`).waitFor(), title: 'Organizations · callhook' },
    { name: 'new organization', path: '/orgs/new', ready: (p) => heading(p, 'New organization', 1), title: 'New organization · callhook' },
    { name: 'edit organization', path: `/orgs/${w.org.orgId}/edit`, ready: (p) => heading(p, 'Edit New Company', 1), title: 'Edit New Company · callhook' },
    { name: 'accounts', path: '/accounts', ready: (p) => p.getByText(ADMIN.email).first().waitFor(), title: 'Accounts · callhook' },
    ...orgScreens(w),
  ];
}
