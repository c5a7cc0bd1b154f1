// An e-mail the service owes someone, kept in a durable outbox until it is sent (or, without SMTP,
// logged and kept — never silently dropped).
// Statuses: pending → sent | logged (no SMTP configured) | failed (SMTP refused it for a day).

export const NOTIFICATION_STATUSES = ['pending', 'sent', 'logged', 'failed'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

export interface Notification {
  id: string;
  orgId: string;
  kind: 'webhook-disabled';
  /** Which webhook (or other subject) it is about. */
  subjectId: string;
  to: string[];
  subject: string;
  text: string;
  status: NotificationStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
}

export type NewNotification = Pick<Notification, 'id' | 'orgId' | 'kind' | 'subjectId' | 'to' | 'subject' | 'text' | 'createdAt'>;
