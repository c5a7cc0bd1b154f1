// E-mails owed to an organization (sent, logged without SMTP, or still pending).
import { Type } from 'typebox';
import type { Notification } from '../../notify/notification.ts';
import type { Api, ApiDeps } from '../app.ts';
import { Nullable, OrgParams, Page, PageQuery, Time, iso, isoOrNull } from '../common.ts';

const NotificationSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    subjectId: Type.String({ description: 'What it is about, e.g. the disabled webhook.' }),
    to: Type.Array(Type.String()),
    subject: Type.String(),
    text: Type.String(),
    status: Type.String({ description: 'pending, sent, logged (no SMTP configured) or failed.' }),
    attempts: Type.Integer(),
    lastError: Nullable(Type.String()),
    createdAt: Time,
    sentAt: Nullable(Time),
  },
  { title: 'Notification' },
);

const notificationJson = (n: Notification) => ({
  id: n.id,
  kind: n.kind,
  subjectId: n.subjectId,
  to: n.to,
  subject: n.subject,
  text: n.text,
  status: n.status,
  attempts: n.attempts,
  lastError: n.lastError,
  createdAt: iso(n.createdAt),
  sentAt: isoOrNull(n.sentAt),
});

export function notificationRoutes(app: Api, deps: ApiDeps): void {
  app.get('/v1/orgs/:orgId/notifications', { preHandler: deps.auth.org, schema: { tags: ['notifications'], summary: 'E-mails sent or owed to the organization, newest first', params: OrgParams, querystring: PageQuery, response: { 200: Page(NotificationSchema) } } }, async (request) => {
    const page = await deps.store.notifications.list(request.org!.id, request.query);
    return { data: page.data.map(notificationJson), nextCursor: page.nextCursor };
  });
}
