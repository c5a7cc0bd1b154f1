// Process heartbeats on PostgreSQL: dispatchers share each webhook's in-flight cap among those alive.
import type { WorkerStore } from '../store.ts';
import type { PgDatabase } from './database.ts';

/** How many dispatching processes this one heard of at its last heartbeat (null before the first). */
export interface DispatcherCount {
  last: number | null;
}

export function postgresWorkers(db: PgDatabase, dispatchers: DispatcherCount): WorkerStore {
  return {
    async beat({ owner, dispatches, now, staleAfterMs }) {
      await db.run(
        `INSERT INTO workers (owner, dispatches, started_at, last_seen_at) VALUES ($1, $2, $3, $3)
         ON CONFLICT (owner) DO UPDATE SET dispatches = excluded.dispatches, last_seen_at = excluded.last_seen_at`,
        [owner, dispatches, now],
      );
      await db.run('DELETE FROM workers WHERE last_seen_at < $1', [now - 10 * staleAfterMs]);
      const row = await db.one<{ n: number }>('SELECT count(*)::int AS n FROM workers WHERE dispatches AND last_seen_at >= $1', [now - staleAfterMs]);
      dispatchers.last = row?.n ?? 0;
      return dispatchers.last;
    },
    async leave(owner) {
      await db.run('DELETE FROM workers WHERE owner = $1', [owner]);
    },
  };
}
