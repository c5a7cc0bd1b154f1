// Migrations are numbered, append-only SQL files (`001_init.sql`, …) in each backend's folder; a
// store applies the ones its schema_migrations table has not recorded, in order.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function pendingMigrations(folder: URL, applied: ReadonlySet<string>): Array<{ version: string; sql: string }> {
  const path = fileURLToPath(folder);
  return readdirSync(path)
    .filter((file) => /^\d{3}_.+\.sql$/.test(file) && !applied.has(file))
    .sort()
    .map((file) => ({ version: file, sql: readFileSync(path + file, 'utf8') }));
}
