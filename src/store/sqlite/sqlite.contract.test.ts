// Runs the Store contract suite against SQLite, on a real database file (WAL, fsync) in a fresh
// temporary directory per test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStoreContract } from '../contract/index.ts';
import { openSqliteStore } from './index.ts';
import { sqliteOrgRows } from '../contract/org-rows-sqlite.ts';

describeStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'callhook-contract-'));
  const store = openSqliteStore(join(dir, 'callhook.db'));
  const orgRows = sqliteOrgRows(join(dir, 'callhook.db'));
  return {
    store,
    orgRows,
    async close() {
      try {
        await orgRows.close();
        await store.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
});
