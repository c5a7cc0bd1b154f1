// Process heartbeats on PostgreSQL: dispatchers share each webhook's in-flight cap among those alive.
import type { WorkerStore } from '../store.ts';
import type { PgDatabase } from './database.ts';

/** What this process heard at its last heartbeat: whether it dispatches and no other process does (false before the first). */
export interface Dispatching {
  alone: boolean;
}

export function postgresWorkers(db: PgDatabase, dispatching: Dispatching): WorkerStore {
  return {
    async beat({ owner, dispatches, now, staleAfterMs }) {
      await db.run(
        `INSERT INTO workers (owner, dispatches, started_at, last_seen_at) VALUES ($1, $2, $3, $3)
         ON CONFLICT (owner) DO UPDATE SET dispatches = excluded.dispatches, last_seen_at = excluded.last_seen_at`,
        [owner, dispatches, now],
      );
      await db.run('DELETE FROM workers WHERE last_seen_at < $1', [now - 10 * staleAfterMs]);
      const row = await db.one<{ n: number }>('SELECT count(*)::int AS n FROM workers WHERE dispatches AND last_seen_at >= $1', [now - staleAfterMs]);
      const count = row?.n ?? 0;
      dispatching.alone = dispatches && count <= 1;
      return count;
    },
    async leave(owner) {
      await db.run('DELETE FROM workers WHERE owner = $1', [owner]);
    },
  };
}
