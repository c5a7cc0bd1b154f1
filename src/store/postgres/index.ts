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
import { type Dispatching, postgresWorkers } from './workers.ts';
import { createIngestQueue } from './ingest-queue.ts';
import { pgProbeWrite, pgStoreFailure } from './failures.ts';
import { postgresRecordings } from './recordings.ts';
import { postgresRecordingChunks } from './recording-chunks.ts';
import { guardStore } from '../failure-guard.ts';
import { createStoreHealth } from '../store-health.ts';

/** Requests in one ingest transaction at most. */
const MAX_INGEST_BATCH = 64;

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
  // Two ingest transactions in flight: a second keeps one slow batch (a call locked by another
  // process) from holding up every request, and more buy little (npm run bench --store postgres,
  // one step per request: 1 in flight ~3,600 deliveries/s, 2 ~3,780, 3 ~3,900 at the same CPU per
  // delivery; 60-step batches: 3 did 1–3 % fewer at 4 % more CPU than 2). At most half the pool.
  // Result batches ride ingest transactions while this process dispatches and knows of no other
  // that does: across processes, riding held the chains' latest deliveries across a round trip that
  // the other processes' results waited on, and cost more than it saved (ingest-queue.ts).
  const dispatching: Dispatching = { alone: false };
  const ingest = createIngestQueue(database, {
    maxBatch: MAX_INGEST_BATCH,
    parallel: Math.max(1, Math.min(2, Math.floor(settings.poolSize / 2))),
    riding: () => dispatching.alone,
  });
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
    calls: postgresCalls(database, ingest),
    deliveries: postgresDeliveries(database, due, changes, ingest),
    notifications: postgresNotifications(database),
    meta: postgresMeta(database),
    outcomeRules: postgresOutcomeRules(database),
    sipDialogs: postgresSipDialogs(database),
    recordings: postgresRecordings(database),
    recordingBlobs: postgresRecordingChunks(database),
    changes: postgresChangeFeed(database, due, changes),
    workers: postgresWorkers(database, dispatching),
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
