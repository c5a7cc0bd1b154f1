// Small facts the service keeps about itself, by key, on SQLite.
import type { MetaStore } from '../store.ts';
import { type Row, strOrNull } from '../rows.ts';
import type { Database } from './database.ts';

export function sqliteMeta(db: Database): MetaStore {
  return {
    async get(key) {
      return strOrNull(db.get<Row>('SELECT value FROM meta WHERE key = ?', key)?.value);
    },
    async set(key, value) {
      db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
    },
  };
}
