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
import { sqliteRecordings } from './recordings.ts';
import { guardStore } from '../failure-guard.ts';
import { createStoreHealth } from '../store-health.ts';
import { sqliteProbeWrite, sqliteStoreFailure } from './failures.ts';
import type { CheckpointStats } from './wal-checkpoints.ts';

export interface SqliteStore extends Store {
  readonly kind: 'sqlite';
  readonly path: string;
  /**
   * Caps the file's size (PRAGMA max_page_count; null lifts the cap): past it writes fail as on a
   * full disk. For tests on machines where no small filesystem can be mounted.
   */
  capSize(bytes: number | null): void;
  /** The WAL checkpoint thread's counts (wal-checkpoints.ts), for /metrics. */
  checkpoints(): CheckpointStats;
}

/** Whether the store is the embedded one (for what only it has, such as its checkpoint counts). */
export function isSqliteStore(store: Store): store is SqliteStore {
  return store.kind === 'sqlite';
}

/** Opens (creating if needed) and migrates the database at `path` (`:memory:` for a throwaway one). */
export function openSqliteStore(path: string): SqliteStore {
  const database = new Database(path);
  database.migrate();
  const commits = new CommitQueue(database);
  const ingestTokens = new IngestTokenCache();
  const due = new DueSignal();
  const changes = new ChangeSignal();
  const health = createStoreHealth({ probeWrite: (problem) => sqliteProbeWrite(database, commits, problem), classify: sqliteStoreFailure });
  return guardStore<SqliteStore>({
    kind: 'sqlite',
    path,
    health,
    capSize(bytes) {
      const pageSize = Number(database.get<{ page_size: number }>('PRAGMA page_size')!.page_size);
      // 4294967294 is SQLite's own ceiling (the default).
      const pages = bytes === null ? 4_294_967_294 : Math.max(1, Math.floor(bytes / pageSize));
      database.db.exec(`PRAGMA max_page_count = ${pages}`);
    },
    checkpoints: () => commits.checkpoints?.stats() ?? { runs: 0, failures: 0, handedBack: false },
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
    recordings: sqliteRecordings(database, commits),
    recordingBlobs: null,
    changes: sqliteChangeFeed(changes),
    async close() {
      await commits.close();
      database.close();
    },
  }, sqliteStoreFailure, health);
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
