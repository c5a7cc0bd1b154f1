// Without SMTP the disabled-webhook e-mail goes to the log — where more people read than the
// organization's inbox. The webhook URL in it keeps its host and path, never its query string
// (receivers keep tokens there) nor a user name and password (a URL stored before they were refused).
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogMailer } from '../../src/notify/mailer.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { type OrgSetup, type TestService, ingest, setupOrg, startTestService } from '../helpers/service.ts';

describe('the disabled-webhook e-mail written to the log', () => {
  const lines: string[] = [];
  let receiver: Receiver;
  let t: TestService;
  let org: OrgSetup;

  beforeAll(async () => {
    receiver = await startReceiver({ kind: 'status', status: 500 });
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    // The mailer the service makes when CALLHOOK_SMTP_URL is unset, on a log the test can read.
    t = await startTestService({ clock: new FakeClock(), mailer: createLogMailer(createLogger({ level: 'info', destination })) });
    org = await setupOrg(t.api);
  });
  afterAll(async () => {
    await t.cleanup();
    await receiver.close();
  });
  afterEach(() => {
    lines.length = 0;
  });

  it('shows the URL without its query string, fragment or user name and password', async () => {
    const hooks = `/v1/orgs/${org.orgId}/webhooks`;
    const withQuery = await t.api.post(hooks, { url: `${receiver.url}/crm/hook?token=QUERY-SECRET&x=1#FRAGMENT-SECRET`, description: 'CRM', retryScheduleS: [] }, org.apiKey);
    expect(withQuery.status).toBe(201);
    const withUser = await t.api.post(hooks, { url: `${receiver.url}/erp/hook`, retryScheduleS: [] }, org.apiKey);
    expect(withUser.status).toBe(201);
    // The API refuses a user name and password today; one stored before that still gets mailed about.
    const host = new URL(receiver.url).host;
    await t.service.store.webhooks.change(org.orgId, withUser.body.id, { settings: { url: `http://erp-user:USERINFO-SECRET@${host}/erp/hook?key=KEY-SECRET` } }, t.clock.now());

    await ingest(t.api, org.ingestToken, { type: 'started', callId: 'c-log', direction: 'inbound', from: '+31850609001', to: '+31850609000', at: t.clock.now() });
    await t.service.dispatcher.idle();
    await t.service.outbox.tick();

    const mails = lines.map((line) => JSON.parse(line) as { msg: string; mail?: { subject: string; text: string } }).filter((entry) => entry.mail);
    expect(mails).toHaveLength(2);
    const all = lines.join('\n');
    for (const secret of ['QUERY-SECRET', 'FRAGMENT-SECRET', 'USERINFO-SECRET', 'KEY-SECRET', 'erp-user']) expect(all).not.toContain(secret);
    const crm = mails.find((entry) => entry.mail!.subject.includes('CRM'))!.mail!;
    expect(crm.subject).toBe(`[callhook] Webhook disabled: "CRM" (${receiver.url}/crm/hook?…)`);
    expect(crm.text).toContain(`URL:         ${receiver.url}/crm/hook?…\n`);
    const erp = mails.find((entry) => !entry.mail!.subject.includes('CRM'))!.mail!;
    expect(erp.text).toContain(`URL:         http://${host}/erp/hook?…\n`);
    // The organization's copy (GET …/notifications) is the same text.
    const kept = (await t.api.get(`/v1/orgs/${org.orgId}/notifications`, org.apiKey)).body.data as Array<{ status: string; text: string }>;
    expect(kept.map((n) => n.status)).toEqual(['logged', 'logged']);
    expect(JSON.stringify(kept)).not.toMatch(/SECRET|erp-user/);
  });
});
