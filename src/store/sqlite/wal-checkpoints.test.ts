// The WAL is copied into the database file by the checkpoint thread, not by a COMMIT on the event
// loop; the WAL then starts over instead of growing; closing lets the file go; and a thread that
// cannot run hands checkpointing back to the writer.
import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/helpers/eventually.ts';
import { createTenant } from '../contract/fixtures.ts';
import { openSqliteStore } from './index.ts';
import { CommitQueue, Database } from './database.ts';
import { BACKSTOP_FRAMES, WalCheckpoints } from './wal-checkpoints.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const PAGE = 4096;
const wait = { timeoutMs: 10_000 };

function open(everyCommits: number, walSync?: null) {
  const dir = mkdtempSync(join(tmpdir(), 'callhook-ckpt-'));
  dirs.push(dir);
  const database = new Database(join(dir, 'test.db'));
  database.db.exec('CREATE TABLE t (v BLOB)');
  const checkpoints = new WalCheckpoints(database, { everyCommits });
  const commits = new CommitQueue(database, { checkpoints, walSync });
  /** One group commit writing about `pages` pages. */
  const commit = (pages: number) => commits.run(() => {
    for (let i = 0; i < pages; i += 1) database.run('INSERT INTO t (v) VALUES (randomblob(?))', PAGE - 200);
  });
  return { dir, database, checkpoints, commits, commit };
}

const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);

describe('WAL checkpoints on their own thread', () => {
  it('copies committed frames into the database file while the writer only appends', async () => {
    const { database, checkpoints, commits, commit } = open(4);
    // The writer would checkpoint only past the backstop, far beyond what this test writes.
    expect(database.get<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint')!.wal_autocheckpoint).toBe(BACKSTOP_FRAMES);
    const before = size(database.path);
    for (let i = 0; i < 4; i += 1) await commit(10);
    await eventually(() => checkpoints.runs >= 1, { ...wait, what: 'a checkpoint by the thread' });
    expect(checkpoints.lastError).toBeNull();
    expect(checkpoints.last!.checkpointed).toBeGreaterThanOrEqual(40);
    expect(size(database.path)).toBeGreaterThanOrEqual(before + 40 * PAGE);
    await commits.close();
    database.close();
  });

  it('lets the WAL start over once a checkpoint caught up, instead of growing with every commit', async () => {
    const { database, checkpoints, commits, commit } = open(2);
    const rounds = 30;
    for (let round = 1; round <= rounds; round += 1) {
      await commit(20);
      await commit(20);
      // The writer restarts the WAL only when a checkpoint finished with nothing left behind.
      await eventually(() => checkpoints.runs >= round, { ...wait, what: `checkpoint ${round}` });
    }
    // 30 rounds × 40 pages would be ~1,200 frames (4.8 MB) in a WAL that never starts over.
    expect(size(`${database.path}-wal`)).toBeLessThan(rounds * 40 * PAGE / 4);
    expect(database.get<{ n: number }>('SELECT count(*) AS n FROM t')!.n).toBe(rounds * 40);
    await commits.close();
    database.close();
  });

  it("closes the thread's connection with the store, so the last close checkpoints and removes the WAL", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callhook-ckpt-'));
    dirs.push(dir);
    const path = join(dir, 'store.db');
    const store = openSqliteStore(path);
    const { connection } = await createTenant(store);
    // SIP dialog state is written through the group commit: enough commits for a checkpoint.
    const state = { note: 'x'.repeat(6_000) };
    for (let i = 0; i < 40; i += 1) await store.sipDialogs.save(connection.id, `call-${i}`, state, 1_000, 2_000);
    // What /metrics reads: the thread's checkpoints, and that it still does them.
    await eventually(() => store.checkpoints().runs >= 1, { ...wait, what: "the store's checkpoint thread at work" });
    expect(store.checkpoints()).toMatchObject({ failures: 0, handedBack: false });
    await store.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = openSqliteStore(path);
    expect(await reopened.sipDialogs.load(connection.id, 'call-39')).toEqual(state);
    await reopened.close();
  });

  it('hands checkpointing back to the writer when the thread cannot run', async () => {
    // WAL syncs stat the file by its path too: these commits sync inside COMMIT instead.
    const { dir, database, checkpoints, commits, commit } = open(1, null);
    await commit(1);
    // The thread opens the file by its path: moved away, that fails (the writer keeps its handles).
    renameSync(dir, `${dir}-moved`);
    dirs.push(`${dir}-moved`);
    await commit(1);
    await eventually(() => database.get<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint')!.wal_autocheckpoint === 1_000, {
      ...wait,
      what: "SQLite's own checkpoints back on",
    });
    expect(checkpoints.lastError).toMatch(/open/i);
    expect(checkpoints.stats()).toMatchObject({ runs: 0, handedBack: true });
    expect(checkpoints.stats().failures).toBeGreaterThanOrEqual(1);
    await commit(1);
    await commits.close();
    database.close();
  });
});
