// Process heartbeats on SQLite.
import type { WorkerStore } from '../store.ts';
import type { Row } from '../rows.ts';
import type { Database } from './database.ts';

export function sqliteWorkers(db: Database): WorkerStore {
  return {
    async beat({ owner, dispatches, now, staleAfterMs }) {
      db.run(
        `INSERT INTO workers (owner, dispatches, started_at, last_seen_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (owner) DO UPDATE SET dispatches = excluded.dispatches, last_seen_at = excluded.last_seen_at`,
        owner, dispatches ? 1 : 0, now, now,
      );
      db.run('DELETE FROM workers WHERE last_seen_at < ?', now - 10 * staleAfterMs);
      return Number(db.get<Row>('SELECT count(*) AS n FROM workers WHERE dispatches = 1 AND last_seen_at >= ?', now - staleAfterMs)!.n);
    },
    async leave(owner) {
      db.run('DELETE FROM workers WHERE owner = ?', owner);
    },
  };
}
