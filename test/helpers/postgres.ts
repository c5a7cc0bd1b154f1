// A real PostgreSQL for tests, from CALLHOOK_TEST_POSTGRES_URL (.ci/run sets it). Each test file
// gets its own database, cloned from a template that was migrated once (per migration set, for
// every run and worker: migrating anew for each file is what made PostgreSQL runs slow), and
// dropped afterwards; tests sharing one `reset()` it between them. Without the URL the PostgreSQL
// tests are skipped with a clear message — except in CI (CI=true), where that is an error.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import pg from 'pg';
import { migratePostgres } from '../../src/store/postgres/index.ts';

export const POSTGRES_URL = process.env.CALLHOOK_TEST_POSTGRES_URL ?? null;

if (!POSTGRES_URL) {
  if (process.env.CI === 'true') throw new Error('CALLHOOK_TEST_POSTGRES_URL must be set in CI: the PostgreSQL tests must run there');
  process.stderr.write('PostgreSQL tests skipped: set CALLHOOK_TEST_POSTGRES_URL=postgres://user@127.0.0.1:5432/postgres to run them\n');
}

export interface TestDatabase {
  url: string;
  name: string;
  /** Empties every table and restarts every sequence: as the template left it (between tests sharing the database). */
  reset(): Promise<void>;
  /**
   * Sessions of this database that LISTEN (each process's due listener, shared by its channels);
   * `listening`: only those whose LISTEN statements have all run (idle after them).
   */
  listenerSessions(options?: { listening?: boolean }): Promise<number>;
  drop(): Promise<void>;
}

const MIGRATIONS = new URL('../../src/store/postgres/migrations/', import.meta.url);
/** Cloning takes it shared; making or dropping a template takes it alone (pg_advisory_lock keys are bigints). */
const TEMPLATE_LOCK = 7_123_400_112;
const TEMPLATE_PREFIX = 'callhook_template_';

/** One template per migration set: a branch with another migration gets (and keeps) its own. */
function templateName(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS).sort()) hash.update(file).update(readFileSync(new URL(file, MIGRATIONS)));
  return TEMPLATE_PREFIX + hash.digest('hex').slice(0, 16);
}

function urlOf(name: string): string {
  const url = new URL(POSTGRES_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(use: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: POSTGRES_URL! });
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.end();
  }
}

async function exists(admin: pg.Client, name: string): Promise<boolean> {
  return (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
}

/**
 * Makes the template (once, under the exclusive lock; other workers wait, then find it): built
 * under a name of its own and renamed when migrated, so no one clones half a schema. Templates of
 * other migration sets go (their branch makes its own again when it next runs).
 */
async function buildTemplate(admin: pg.Client, template: string): Promise<void> {
  await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
  try {
    if (await exists(admin, template)) return;
    const stale = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'callhook\\_template\\_%'");
    for (const { datname } of stale.rows) {
      await admin.query(`ALTER DATABASE ${datname} WITH IS_TEMPLATE false`);
      await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
    const building = `${template}_building`;
    await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`); // a build that died half-way
    await admin.query(`CREATE DATABASE ${building}`);
    await migratePostgres({ url: urlOf(building), poolSize: 1 });
    await admin.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
    await admin.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
  } finally {
    await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
  }
}

/** A new database, migrated: a clone of the template (made first if this migration set has none yet). */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (!POSTGRES_URL) throw new Error('no CALLHOOK_TEST_POSTGRES_URL');
  const template = templateName();
  const name = `callhook_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(async (admin) => {
    for (;;) {
      await admin.query('SELECT pg_advisory_lock_shared($1)', [TEMPLATE_LOCK]);
      try {
        if (await exists(admin, template)) {
          await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
          // A commit need not wait for its WAL to reach the disk: what a test sees is the same
          // (only a crash of the server could lose the last commits), and each write is ~10× faster.
          await admin.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
          return;
        }
      } finally {
        await admin.query('SELECT pg_advisory_unlock_shared($1)', [TEMPLATE_LOCK]);
      }
      await buildTemplate(admin, template);
    }
  });
  const url = urlOf(name);
  // One connection kept for resets (a connection costs PostgreSQL a process, ~20 ms here); made
  // again when a test ended it (pg_terminate_backend).
  let resetter: Promise<pg.Client> | null = null;
  let resetSql: string | null = null;
  const connection = () =>
    (resetter ??= (async () => {
      const client = new pg.Client({ connectionString: url });
      const lost = () => void (resetter = null);
      client.on('error', lost);
      client.on('end', lost);
      await client.connect();
      return client;
    })().catch((error: unknown) => {
      resetter = null;
      throw error;
    }));
  const closeResetter = async () => {
    const client = resetter;
    resetter = null;
    if (client) await (await client).end().catch(() => undefined);
  };
  return {
    url,
    name,
    async reset() {
      const client = await connection();
      resetSql ??= await resetStatements(client);
      await client.query(resetSql);
    },
    listenerSessions: (options = {}) =>
      withAdmin(async (admin) => {
        const { rows } = await admin.query<{ n: number }>(
          options.listening
            ? "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state = 'idle' AND query LIKE 'LISTEN %'"
            : "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND (application_name = 'callhook-due-listener' OR query LIKE 'LISTEN %')",
          [name],
        );
        return rows[0]!.n;
      }),
    async drop() {
      await closeResetter();
      await withAdmin(async (admin) => void (await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
    },
  };
}

/**
 * DELETEs, children before parents, and every sequence back to its start: on tables this small
 * that takes a few ms, where TRUNCATE (new files for every table) takes a hundred.
 */
async function resetStatements(client: pg.Client): Promise<string> {
  const tables = (await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'")).rows.map((r) => r.name);
  const edges = (
    await client.query<{ child: string; parent: string }>(
      "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace",
    )
  ).rows;
  const ordered: string[] = [];
  const visit = (table: string, path: Set<string>) => {
    if (ordered.includes(table) || path.has(table)) return;
    path.add(table);
    for (const edge of edges) if (edge.parent === table && edge.child !== table) visit(edge.child, path);
    path.delete(table);
    ordered.push(table); // after every table that refers to it
  };
  for (const table of tables) visit(table, new Set());
  const sequences = (await client.query<{ name: string }>("SELECT sequencename AS name FROM pg_sequences WHERE schemaname = current_schema()")).rows.map((r) => r.name);
  return [...ordered.map((table) => `DELETE FROM ${table};`), ...sequences.map((sequence) => `ALTER SEQUENCE ${sequence} RESTART;`)].join('\n');
}
