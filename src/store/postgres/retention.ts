// Retention on PostgreSQL: one bounded batch per table per call, rows locked with SKIP LOCKED so a
// purge never waits on (or blocks) a delivery being worked on.
import type { RetentionStore } from '../store.ts';
import type { PgDatabase } from './database.ts';

// The rows to delete are picked into an array first (`= ANY(ARRAY(…))`): as `IN (subquery)`, a
// generically planned statement (prepared, run often) guessed a thousand rows and joined them to a
// walk of the whole table. OFFSET 0 keeps the check for deliveries left a look-up per event through
// its call: pulled up into an anti-join, it hashed every delivery instead.

/** Finished deliveries created before $1, at most $2 (index deliveries_finished). */
export const PURGE_DELIVERIES_SQL = `DELETE FROM deliveries WHERE seq = ANY(ARRAY(
  SELECT seq FROM deliveries WHERE created_at < $1 AND status IN ('succeeded', 'failed') LIMIT $2 FOR UPDATE SKIP LOCKED))`;

/** Events created before $1 that no delivery is left of, at most $2: a delivery is found through its call (deliveries_org_call). */
export const PURGE_EVENTS_SQL = `DELETE FROM events WHERE id = ANY(ARRAY(
  SELECT e.id FROM events e WHERE e.created_at < $1
    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.org_id = e.org_id AND d.call_id = e.call_id AND d.event_id = e.id OFFSET 0)
  LIMIT $2 FOR UPDATE SKIP LOCKED))`;

export function postgresRetention(db: PgDatabase): RetentionStore {
  return {
    async purge({ before, limit }) {
      const attempts = await db.run(
        'DELETE FROM attempts WHERE seq IN (SELECT seq FROM attempts WHERE started_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)',
        [before, limit],
      );
      const deliveries = await db.run(PURGE_DELIVERIES_SQL, [before, limit]);
      const events = await db.run(PURGE_EVENTS_SQL, [before, limit]);
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
