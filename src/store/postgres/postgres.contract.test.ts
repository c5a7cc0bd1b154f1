// The Store contract on a real PostgreSQL (CALLHOOK_TEST_POSTGRES_URL), in a database of its own.
import { afterAll, beforeAll, describe } from 'vitest';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from '../../../test/helpers/postgres.ts';
import { describeStoreContract } from '../contract/index.ts';
import { openPostgresStore } from './index.ts';
import { postgresOrgRows } from '../contract/org-rows-postgres.ts';

describe.skipIf(!POSTGRES_URL)('postgres', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  describeStoreContract('postgres', async () => {
    await database.reset();
    const store = await openPostgresStore({ url: database.url, poolSize: 5, migrated: true });
    const orgRows = await postgresOrgRows(database.url);
    return {
      store,
      orgRows,
      async close() {
        await orgRows.close();
        await store.close();
      },
    };
  });
});
