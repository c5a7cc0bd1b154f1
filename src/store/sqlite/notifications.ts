// The e-mail outbox on SQLite.
import type { NotificationStore } from '../store.ts';
import { type Row, notificationFrom } from '../rows.ts';
import { type Database, toPage } from './database.ts';

export function sqliteNotifications(db: Database): NotificationStore {
  return {
    async claimDue({ owner, now, leaseMs, limit }) {
      return db.transaction(() =>
        db
          .all<Row>(
            `SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
             ORDER BY next_attempt_at LIMIT ?`,
            now, now, limit,
          )
          .map(({ id }) =>
            notificationFrom(
              db.get<Row>('UPDATE notifications SET lease_owner = ?, lease_until = ? WHERE id = ? RETURNING *', owner, now + leaseMs, id)!,
            ),
          ),
      );
    },
    async markSent(id, now) {
      db.run(
        "UPDATE notifications SET status = 'sent', attempts = attempts + 1, sent_at = ?, next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL WHERE id = ?",
        now, id,
      );
    },
    async markLogged(id, now) {
      db.run(
        "UPDATE notifications SET status = 'logged', sent_at = ?, next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL WHERE id = ?",
        now, id,
      );
    },
    async markFailed(id, error, nextAttemptAt) {
      db.run(
        `UPDATE notifications SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL
         WHERE id = ?`,
        nextAttemptAt === null ? 'failed' : 'pending', error, nextAttemptAt, id,
      );
    },
    async list(orgId, { limit, after }) {
      const rows = db
        .all<Row>('SELECT * FROM notifications WHERE org_id = ? AND id < ? ORDER BY id DESC LIMIT ?', orgId, after ?? '\uffff', limit + 1)
        .map(notificationFrom);
      return toPage(rows, limit, (n) => n.id);
    },
  };
}
