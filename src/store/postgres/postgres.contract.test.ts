// The Store contract on a real PostgreSQL (CALLHOOK_TEST_POSTGRES_URL), in a database of its own.
import { afterAll, beforeAll, describe } from 'vitest';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from '../../../test/helpers/postgres.ts';
import { describeStoreContract } from '../contract/index.ts';
import { openPostgresStore } from './index.ts';
import { postgresOrgRows } from '../contract/org-rows-postgres.ts';
import { DAY, MINUTE, T0 } from '../contract/fixtures.ts';

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
    // The one dispatching process, as in a one-process deployment: a result batch that comes while
    // ingest is in flight rides its transaction (ingest-queue.ts); one that does not runs alone, as
    // with several processes. Heard of a day before the contract's clock, so the presence counts
    // the contract itself checks do not see it.
    await store.workers.beat({ owner: 'contract-dispatcher', dispatches: true, now: T0 - DAY, staleAfterMs: MINUTE });
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
