// One suite for every Mailer: whatever the transport, a mail reaches its recipients' channel whole
// (SMTP server, or the log when no SMTP is configured) and the mailer says which it was.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mail, type Mailer, createLogMailer, createSmtpMailer } from '../../src/notify/mailer.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';

interface MailerUnderTest {
  mailer: Mailer;
  disposition: 'sent' | 'logged';
  /** What arrived where this mailer delivers, as {to, subject, text}. */
  delivered(): Promise<Mail[]>;
}

function describeMailerContract(name: string, make: () => Promise<MailerUnderTest>): void {
  describe(`Mailer contract: ${name}`, () => {
    const mail: Mail = {
      to: ['ops@newcompany.example', 'cto@newcompany.example'],
      subject: '[callhook] Webhook disabled: "CRM" (https://crm.example/hook)',
      text: 'Hello,\n\ncallhook has disabled a webhook — last error: HTTP 500.\n\nRe-enable: POST https://callhook.example/v1/orgs/org_1/webhooks/wh_1/enable\n',
    };

    it('delivers the whole mail to every recipient and says how', async () => {
      const under = await make();
      try {
        expect(await under.mailer.send(mail)).toBe(under.disposition);
        const [got] = await under.delivered();
        expect(got!.to).toEqual(mail.to);
        expect(got!.subject).toBe(mail.subject);
        expect(got!.text.replace(/\r\n/g, '\n').trim()).toBe(mail.text.trim());
      } finally {
        await under.mailer.close();
      }
    });
  });
}

let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink.close();
});

describeMailerContract('smtp (nodemailer → smtp-server)', async () => ({
  mailer: createSmtpMailer({ url: sink.url, from: 'callhook <callhook@callhook.example>' }),
  disposition: 'sent',
  delivered: async () => (await sink.waitFor(1)).map((m) => ({ to: m.to, subject: m.subject, text: m.text })),
}));

describeMailerContract('log (no SMTP configured)', async () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return {
    mailer: createLogMailer(createLogger({ level: 'info', destination })),
    disposition: 'logged',
    delivered: async () => lines.map((line) => JSON.parse(line).mail as Mail),
  };
});
