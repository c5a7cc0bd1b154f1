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
import { pgProbeWrite, pgStoreFailure } from './failures.ts';
import { postgresRecordings } from './recordings.ts';
import { postgresRecordingChunks } from './recording-chunks.ts';
import { guardStore } from '../failure-guard.ts';
import { createStoreHealth } from '../store-health.ts';

export interface PostgresStore extends Store {
  readonly kind: 'postgres';
}

export interface PostgresOptions {
  url: string;
  poolSize: number;
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
}

/**
 * Connects, migrates (under an advisory lock), and returns the store. `migrated: true` skips the
 * migration step when the caller knows the schema is current (the tests' databases are clones of
 * a migrated template): it costs a connection of its own.
 */
export async function openPostgresStore(options: PostgresOptions & { migrated?: boolean }): Promise<PostgresStore> {
  const settings = pgOptions(options);
  const database = new PgDatabase(settings);
  try {
    if (!options.migrated) await database.migrate();
  } catch (error) {
    await database.close();
    throw error;
  }
  return postgresStoreOn(database);
}

/** The store over an open database handle (closing the store closes it): tests hold the handle to look at its connections. */
export function postgresStoreOn(database: PgDatabase): PostgresStore {
  const settings = database.options;
  const changes = new PgChanges();
  const due = new DueListener(settings.url, { connectTimeoutMs: settings.connectTimeoutMs, queryTimeoutMs: settings.queryTimeoutMs, channels: changes.channels() });
  const ingestTokens = new IngestTokenCache({ ttlMs: INGEST_TOKEN_TTL_MS });
  const health = createStoreHealth({ probeWrite: (problem) => pgProbeWrite(database, problem), classify: pgStoreFailure });
  return guardStore<PostgresStore>({
    kind: 'postgres',
    health,
    orgs: postgresOrgs(database, ingestTokens, changes),
    connections: postgresConnections(database, ingestTokens),
    apiKeys: postgresApiKeys(database),
    accounts: postgresAccounts(database),
    users: postgresUsers(database),
    numbers: postgresNumbers(database),
    webhooks: postgresWebhooks(database, changes),
    calls: postgresCalls(database, settings.poolSize),
    deliveries: postgresDeliveries(database, due, changes),
    notifications: postgresNotifications(database),
    meta: postgresMeta(database),
    outcomeRules: postgresOutcomeRules(database),
    sipDialogs: postgresSipDialogs(database),
    recordings: postgresRecordings(database),
    recordingBlobs: postgresRecordingChunks(database),
    changes: postgresChangeFeed(database, due, changes),
    workers: postgresWorkers(database),
    retention: postgresRetention(database),
    async close() {
      await due.close();
      await database.close();
    },
  }, pgStoreFailure, health);
}

/** Timeouts default to the settings' defaults (config/settings.ts) for callers without a Config. */
function pgOptions(options: PostgresOptions) {
  return { url: options.url, poolSize: options.poolSize, connectTimeoutMs: options.connectTimeoutMs ?? 5_000, queryTimeoutMs: options.queryTimeoutMs ?? 10_000 };
}

export async function migratePostgres(options: PostgresOptions): Promise<string[]> {
  const database = new PgDatabase(pgOptions({ ...options, poolSize: 1 }));
  try {
    return await database.migrate();
  } finally {
    await database.close();
  }
}
