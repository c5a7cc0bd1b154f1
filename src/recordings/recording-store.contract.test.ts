// The RecordingStore contract over every backend: files in a folder, and PostgreSQL chunks
// (CALLHOOK_TEST_POSTGRES_URL).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from '../../test/helpers/postgres.ts';
import { createTenant } from '../store/contract/fixtures.ts';
import { describeRecordingStoreContract } from '../store/contract/recording-blobs.ts';
import { openPostgresStore } from '../store/postgres/index.ts';
import { fileRecordingStore } from './file-recording-store.ts';

describeRecordingStoreContract('files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'callhook-recordings-'));
  return { blobs: fileRecordingStore(join(dir, 'recordings')), orgId: 'org_files', otherOrgId: 'org_other', close: () => rm(dir, { recursive: true, force: true }) };
});

describe.skipIf(!POSTGRES_URL)('postgres', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  describeRecordingStoreContract('postgres chunks', async () => {
    await database.reset();
    const store = await openPostgresStore({ url: database.url, poolSize: 3 });
    const [{ org }, { org: other }] = [await createTenant(store), await createTenant(store)];
    return { blobs: store.recordingBlobs!, orgId: org.id, otherOrgId: other.id, close: () => store.close() };
  });
});
