// The PostgreSQL store: any number of callhook processes share one database.
import { postgresAccounts } from './accounts.ts';
import type { Store } from '../store.ts';
import { IngestTokenCache } from '../ingest-token-cache.ts';

/** How long another process's revocation of an ingest token may go unnoticed here. */
const INGEST_TOKEN_TTL_MS = 5_000;
import { postgresCalls } from './calls.ts';
import { PgDatabase } from './database.ts';
import { postgresDeliveries } from './deliveries.ts';
import { DueListener } from './due-listener.ts';
import { postgresMeta, postgresOutcomeRules, postgresSipDialogs } from './meta.ts';
import { postgresNotifications } from './notifications.ts';
import { postgresRetention } from './retention.ts';
import { postgresApiKeys, postgresConnections, postgresNumbers, postgresOrgs, postgresUsers } from './tenancy.ts';
import { PgChanges, postgresChangeFeed, postgresWebhooks } from './webhooks.ts';
import { postgresWorkers } from './workers.ts';

export interface PostgresStore extends Store {
  readonly kind: 'postgres';
}

/** Connects, migrates (under an advisory lock), and returns the store. */
export async function openPostgresStore(options: { url: string; poolSize: number }): Promise<PostgresStore> {
  const database = new PgDatabase(options.url, options.poolSize);
  try {
    await database.migrate();
  } catch (error) {
    await database.close();
    throw error;
  }
  const changes = new PgChanges();
  const due = new DueListener(options.url, changes.channels());
  const ingestTokens = new IngestTokenCache({ ttlMs: INGEST_TOKEN_TTL_MS });
  return {
    kind: 'postgres',
    orgs: postgresOrgs(database, ingestTokens, changes),
    connections: postgresConnections(database, ingestTokens),
    apiKeys: postgresApiKeys(database),
    accounts: postgresAccounts(database),
    users: postgresUsers(database),
    numbers: postgresNumbers(database),
    webhooks: postgresWebhooks(database, changes),
    calls: postgresCalls(database),
    deliveries: postgresDeliveries(database, due, changes),
    notifications: postgresNotifications(database),
    meta: postgresMeta(database),
    outcomeRules: postgresOutcomeRules(database),
    sipDialogs: postgresSipDialogs(database),
    changes: postgresChangeFeed(database, due, changes),
    workers: postgresWorkers(database),
    retention: postgresRetention(database),
    async close() {
      await due.close();
      await database.close();
    },
  };
}

export async function migratePostgres(url: string): Promise<string[]> {
  const database = new PgDatabase(url, 1);
  try {
    return await database.migrate();
  } finally {
    await database.close();
  }
}
