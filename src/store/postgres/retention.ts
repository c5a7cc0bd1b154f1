// Retention on PostgreSQL: one bounded batch per table per call, rows locked with SKIP LOCKED so a
// purge never waits on (or blocks) a delivery being worked on.
import type { RetentionStore } from '../store.ts';
import type { PgDatabase } from './database.ts';

export function postgresRetention(db: PgDatabase): RetentionStore {
  return {
    async purge({ before, limit }) {
      const attempts = await db.run(
        'DELETE FROM attempts WHERE seq IN (SELECT seq FROM attempts WHERE started_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)',
        [before, limit],
      );
      const deliveries = await db.run(
        `DELETE FROM deliveries WHERE seq IN (
           SELECT seq FROM deliveries WHERE created_at < $1 AND status IN ('succeeded', 'failed') LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [before, limit],
      );
      const events = await db.run(
        `DELETE FROM events WHERE id IN (
           SELECT e.id FROM events e WHERE e.created_at < $1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
           LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [before, limit],
      );
      const calls = await db.run(
        `DELETE FROM calls WHERE (org_id, call_id) IN (
           SELECT c.org_id, c.call_id FROM calls c WHERE c.updated_at < $1
             AND NOT EXISTS (SELECT 1 FROM events e WHERE e.org_id = c.org_id AND e.call_id = c.call_id)
           LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [before, limit],
      );
      return { attempts, deliveries, events, calls };
    },
  };
}
