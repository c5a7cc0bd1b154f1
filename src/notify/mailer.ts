// The Mailer port: SMTP through nodemailer when CALLHOOK_SMTP_URL is set; otherwise the mail is
// written to the log (and the outbox keeps it as `logged`), never silently dropped.
import nodemailer from 'nodemailer';
import type { Logger } from '../observability/logger.ts';

export interface Mail {
  to: string[];
  subject: string;
  text: string;
}

export interface Mailer {
  /** `sent` once the SMTP server accepted it; `logged` when there is no SMTP to send through. */
  send(mail: Mail): Promise<'sent' | 'logged'>;
  close(): Promise<void>;
}

export function createSmtpMailer(options: { url: string; from: string }): Mailer {
  const transport = nodemailer.createTransport(options.url);
  return {
    async send(mail) {
      await transport.sendMail({ from: options.from, to: mail.to.join(', '), subject: mail.subject, text: mail.text });
      return 'sent';
    },
    async close() {
      transport.close();
    },
  };
}

export function createLogMailer(log: Logger): Mailer {
  return {
    async send(mail) {
      log.warn({ mail }, 'no SMTP configured (CALLHOOK_SMTP_URL): e-mail written to the log and kept in the outbox');
      return 'logged';
    },
    async close() {},
  };
}
