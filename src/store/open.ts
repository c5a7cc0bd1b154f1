// Opens the store the configuration names: SQLite (embedded, one process) or PostgreSQL (any number
// of processes). Both are migrated on open; `migrateStore` is `callhook migrate`.
import type { DatabaseConfig } from '../config/load.ts';
import { migratePostgres, openPostgresStore } from './postgres/index.ts';
import { migrateSqlite, openSqliteStore } from './sqlite/index.ts';
import type { Store } from './store.ts';

export async function openStore(database: DatabaseConfig): Promise<Store> {
  return database.kind === 'sqlite' ? openSqliteStore(database.path) : openPostgresStore(database);
}

export async function migrateStore(database: DatabaseConfig): Promise<string[]> {
  return database.kind === 'sqlite' ? migrateSqlite(database.path) : migratePostgres(database);
}

/** Where the store is, for people (no password). */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.kind === 'sqlite') return `${database.path} (SQLite, WAL)`;
  const url = new URL(database.url);
  return `postgres://${url.username ? `${url.username}@` : ''}${url.host}${url.pathname} (PostgreSQL)`;
}
