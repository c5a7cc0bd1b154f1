// Small facts the service keeps about itself, by key, on PostgreSQL.
import type { MetaStore } from '../store.ts';
import { strOrNull } from '../rows.ts';
import type { PgDatabase } from './database.ts';

export function postgresMeta(db: PgDatabase): MetaStore {
  return {
    async get(key) {
      return strOrNull((await db.one('SELECT value FROM meta WHERE key = $1', [key]))?.value);
    },
    async set(key, value) {
      await db.run('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    },
  };
}
