// The embedded store: one SQLite file in WAL mode.
import { sqliteAccounts } from './accounts.ts';
import type { Store } from '../store.ts';
import { sqliteCalls } from './calls.ts';
import { CommitQueue, Database } from './database.ts';
import { sqliteDeliveries } from './deliveries.ts';
import { sqliteMeta, sqliteOutcomeRules, sqliteSipDialogs } from './meta.ts';
import { sqliteNotifications } from './notifications.ts';
import { IngestTokenCache } from '../ingest-token-cache.ts';
import { sqliteApiKeys, sqliteConnections, sqliteNumbers, sqliteOrgs, sqliteUsers } from './tenancy.ts';
import { sqliteChangeFeed, sqliteWebhooks } from './webhooks.ts';
import { sqliteWorkers } from './workers.ts';
import { sqliteRetention } from './retention.ts';
import { DueSignal } from '../due-signal.ts';
import { ChangeSignal } from '../change-signal.ts';

export interface SqliteStore extends Store {
  readonly kind: 'sqlite';
  readonly path: string;
}

/** Opens (creating if needed) and migrates the database at `path` (`:memory:` for a throwaway one). */
export function openSqliteStore(path: string): SqliteStore {
  const database = new Database(path);
  database.migrate();
  const commits = new CommitQueue(database);
  const ingestTokens = new IngestTokenCache();
  const due = new DueSignal();
  const changes = new ChangeSignal();
  return {
    kind: 'sqlite',
    path,
    orgs: sqliteOrgs(database, ingestTokens, changes),
    connections: sqliteConnections(database, ingestTokens),
    apiKeys: sqliteApiKeys(database),
    accounts: sqliteAccounts(database),
    users: sqliteUsers(database),
    numbers: sqliteNumbers(database),
    webhooks: sqliteWebhooks(database, changes),
    calls: sqliteCalls(database, commits, due),
    deliveries: sqliteDeliveries(database, commits, due, changes),
    workers: sqliteWorkers(database),
    retention: sqliteRetention(database, commits),
    notifications: sqliteNotifications(database),
    meta: sqliteMeta(database),
    outcomeRules: sqliteOutcomeRules(database),
    sipDialogs: sqliteSipDialogs(database, commits),
    changes: sqliteChangeFeed(changes),
    async close() {
      commits.close();
      database.close();
    },
  };
}

/** Applies pending migrations and reports which ran (for `callhook migrate`). */
export function migrateSqlite(path: string): string[] {
  const database = new Database(path);
  try {
    return database.migrate();
  } finally {
    database.close();
  }
}
