// The e-mail outbox on PostgreSQL: relays in several processes claim with SKIP LOCKED under a lease.
import type { NotificationStore } from '../store.ts';
import { notificationFrom } from '../rows.ts';
import { type PgDatabase, toPage } from './database.ts';

export function postgresNotifications(db: PgDatabase): NotificationStore {
  return {
    async claimDue({ owner, now, leaseMs, limit }) {
      const rows = await db.rows(
        `UPDATE notifications n SET lease_owner = $1, lease_until = $2
         FROM (SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
               ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) due
         WHERE n.id = due.id RETURNING n.*`,
        [owner, now + leaseMs, now, limit],
      );
      return rows.map(notificationFrom);
    },
    async markSent(id, now) {
      await db.run("UPDATE notifications SET status = 'sent', attempts = attempts + 1, sent_at = $1, next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL WHERE id = $2", [now, id]);
    },
    async markLogged(id, now) {
      await db.run("UPDATE notifications SET status = 'logged', sent_at = $1, next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL WHERE id = $2", [now, id]);
    },
    async markFailed(id, error, nextAttemptAt) {
      await db.run(
        'UPDATE notifications SET status = $1, attempts = attempts + 1, last_error = $2, next_attempt_at = $3, lease_owner = NULL, lease_until = NULL WHERE id = $4',
        [nextAttemptAt === null ? 'failed' : 'pending', error, nextAttemptAt, id],
      );
    },
    async list(orgId, { limit, after }) {
      const rows = await db.rows('SELECT * FROM notifications WHERE org_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3', [orgId, after ?? '\uffff', limit + 1]);
      return toPage(rows.map(notificationFrom), limit, (n) => n.id);
    },
  };
}
