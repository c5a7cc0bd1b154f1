// A real PostgreSQL for tests, from CALLHOOK_TEST_POSTGRES_URL (.ci/run sets it). Each test file
// gets its own database, dropped afterwards. Without the URL the PostgreSQL tests are skipped with
// a clear message — except in CI (CI=true), where that is an error.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL = process.env.CALLHOOK_TEST_POSTGRES_URL ?? null;

if (!POSTGRES_URL) {
  if (process.env.CI === 'true') throw new Error('CALLHOOK_TEST_POSTGRES_URL must be set in CI: the PostgreSQL tests must run there');
  process.stderr.write('PostgreSQL tests skipped: set CALLHOOK_TEST_POSTGRES_URL=postgres://user@127.0.0.1:5432/postgres to run them\n');
}

export interface TestDatabase {
  url: string;
  /** Empties every table (between tests sharing the database). */
  truncate(): Promise<void>;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (!POSTGRES_URL) throw new Error('no CALLHOOK_TEST_POSTGRES_URL');
  const name = `callhook_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async truncate() {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        const { rows } = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'");
        if (rows.length > 0) await client.query(`TRUNCATE ${rows.map((r) => r.tablename).join(', ')} RESTART IDENTITY CASCADE`);
      } finally {
        await client.end();
      }
    },
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL! });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
