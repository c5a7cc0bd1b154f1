// Runs the Store contract suite against SQLite, on a real database file (WAL, fsync) in a fresh
// temporary directory per test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStoreContract } from '../contract/index.ts';
import { openSqliteStore } from './index.ts';

describeStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'callhook-contract-'));
  const store = openSqliteStore(join(dir, 'callhook.db'));
  return {
    store,
    async close() {
      try {
        await store.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
});
