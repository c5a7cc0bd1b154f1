// The Content-Security-Policy in a real browser: the portal and the API docs (swagger-ui) work
// under theirs with no violation (the fixture fails any test whose page logs one), and the policy
// is really enforced: a script injected into the page does not run.
import { describe, expect, it } from 'vitest';
import { OPERATOR, see, usePortal } from './fixture.ts';

const portal = usePortal();

describe.skipIf(portal.missing)('content security policy (browser)', () => {
  it('the portal runs under its CSP: signs in, shows an organization, its deliveries and settings, without a violation', async () => {
    const { t, org } = await portal.service();
    const page = await portal.page();
    const response = await page.goto(`${t.url}/portal/`);
    expect(response!.headers()['content-security-policy']).toMatch(/script-src 'self';/);
    await portal.signIn(page, t, OPERATOR);
    for (const tab of ['integrations', 'deliveries', 'calls', 'settings']) {
      await page.goto(`${t.url}/portal/orgs/${org.orgId}/${tab}`);
      await see(page.getByRole('heading', { name: 'New Company', level: 1 }), 'New Company');
    }
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to callhook' }).waitFor();
  });

  it('the API docs (swagger-ui at /docs) render every operation under their CSP, without a violation', async () => {
    const { t } = await portal.service();
    const page = await portal.page();
    // swagger-ui is a 1.5 MB bundle that renders every operation: slower than the portal on a busy machine.
    page.setDefaultTimeout(30_000);
    const response = await page.goto(`${t.url}/docs/`);
    expect(response!.headers()['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    await see(page.locator('.swagger-ui .info .title'), /callhook/);
    await page.locator('.opblock').first().waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThan(40);
    // Open one operation: its schemas render (more of swagger-ui's code and styles run).
    await page.locator('.opblock-summary-path', { hasText: '/v1/orgs/{orgId}/webhooks' }).first().click();
    await page.locator('.opblock-body').first().waitFor();
  });

  it('is enforced: a script injected into the portal page does not run, and the browser reports it', async () => {
    const { t } = await portal.service();
    // A context outside the fixture's violation watch: this test makes one on purpose.
    const context = await (await portal.page()).context().browser()!.newContext();
    portal.defer(() => context.close());
    const page = await context.newPage();
    await page.goto(`${t.url}/portal/`);
    await page.getByRole('heading', { name: 'Sign in to callhook' }).waitFor();
    const outcome = await page.evaluate(
      () =>
        new Promise<{ ran: boolean; directive: string }>((resolve) => {
          document.addEventListener('securitypolicyviolation', (event) => resolve({ ran: (window as { injected?: boolean }).injected === true, directive: event.effectiveDirective }));
          const script = document.createElement('script');
          script.textContent = 'window.injected = true';
          document.body.append(script);
        }),
    );
    expect(outcome).toEqual({ ran: false, directive: 'script-src-elem' });
  });
});
