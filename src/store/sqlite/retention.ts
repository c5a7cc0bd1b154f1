// Retention on SQLite: deletes old rows in small batches, each its own short transaction, so
// ingest and dispatch never wait long behind it.
import type { RetentionStore } from '../store.ts';
import type { CommitQueue, Database } from './database.ts';

/** Finished deliveries created before ?, at most ? (index deliveries_finished). */
export const PURGE_DELIVERIES_SQL = `DELETE FROM deliveries WHERE seq IN (
  SELECT seq FROM deliveries WHERE created_at < ? AND status IN ('succeeded', 'failed') LIMIT ?)`;

/** Events created before ? that no delivery is left of, at most ?: a delivery is found through its call (deliveries_org_call). */
export const PURGE_EVENTS_SQL = `DELETE FROM events WHERE id IN (
  SELECT e.id FROM events e WHERE e.created_at < ?
    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.org_id = e.org_id AND d.call_id = e.call_id AND d.event_id = e.id) LIMIT ?)`;

export function sqliteRetention(db: Database, commits: CommitQueue): RetentionStore {
  return {
    purge({ before, limit }) {
      return commits.run(() => ({
        attempts: db.run('DELETE FROM attempts WHERE seq IN (SELECT seq FROM attempts WHERE started_at < ? LIMIT ?)', before, limit),
        deliveries: db.run(PURGE_DELIVERIES_SQL, before, limit),
        events: db.run(PURGE_EVENTS_SQL, before, limit),
        calls: db.run(
          `DELETE FROM calls WHERE rowid IN (
             SELECT c.rowid FROM calls c WHERE c.updated_at < ?
               AND NOT EXISTS (SELECT 1 FROM events e WHERE e.org_id = c.org_id AND e.call_id = c.call_id) LIMIT ?)`,
          before, limit,
        ),
      }));
    },
  };
}
