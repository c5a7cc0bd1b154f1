// The group commit answers a unit only once the WAL holding it is synced (off the event loop), one
// sync covers every commit made before it started, and a failed sync acknowledges nothing.
import { fdatasync, fstatSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/helpers/eventually.ts';
import { CommitQueue, Database } from './database.ts';
import { WalSync } from './wal-sync.ts';

/** An fdatasync the test releases by hand; each call is recorded with its file. */
function heldSync() {
  const calls: Array<{ ino: number; release(error?: Error): void }> = [];
  const sync = (fd: number, done: (error: Error | null) => void) => {
    calls.push({ ino: fstatSync(fd).ino, release: (error) => (error ? done(error) : fdatasync(fd, (e) => done(e))) });
  };
  return { calls, sync };
}

/** Whether a promise has settled, read without waiting. */
function track<T>(promise: Promise<T>) {
  const state = { settled: false, value: undefined as T | undefined, error: undefined as unknown };
  promise.then((value) => Object.assign(state, { settled: true, value }), (error: unknown) => Object.assign(state, { settled: true, error }));
  return state;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A database whose group commit syncs through a held fdatasync (`held`). */
function open() {
  const held = heldSync();
  const dir = mkdtempSync(join(tmpdir(), 'callhook-wal-'));
  dirs.push(dir);
  const database = new Database(join(dir, 'test.db'));
  database.db.exec('CREATE TABLE t (v INTEGER)');
  const commits = new CommitQueue(database, { walSync: new WalSync(`${database.path}-wal`, held.sync) });
  const insert = (v: number) => commits.run(() => database.run('INSERT INTO t (v) VALUES (?)', v));
  return { held, database, commits, insert, dir };
}

const wait = { timeoutMs: 5_000 };

describe('group commit with the WAL synced off the event loop', () => {
  it('answers a unit only after the WAL holding it is synced', async () => {
    const { held, database, commits, insert } = open();
    const unit = track(insert(1));
    await eventually(() => held.calls.length === 1, { ...wait, what: 'the sync after the commit' });
    // Committed (another reader sees it) but not yet on disk: not answered.
    expect(database.get<{ n: number }>('SELECT count(*) AS n FROM t')!.n).toBe(1);
    expect(unit.settled).toBe(false);
    held.calls[0]!.release();
    await eventually(() => unit.settled, { ...wait, what: 'the unit answered after the sync' });
    expect(unit.error).toBeUndefined();
    await commits.close();
    database.close();
  });

  it('covers every commit made before a sync started with it; later commits wait for the next one', async () => {
    const { held, database, commits, insert } = open();
    const first = track(insert(1));
    await eventually(() => held.calls.length === 1, { ...wait, what: 'the first sync' });
    // Committed while the first sync runs: not covered by it.
    const second = track(insert(2));
    const third = track(insert(3));
    await eventually(() => database.get<{ n: number }>('SELECT count(*) AS n FROM t')!.n === 3, { ...wait, what: 'the later commits' });
    expect(held.calls).toHaveLength(1);
    held.calls[0]!.release();
    await eventually(() => first.settled && held.calls.length === 2, { ...wait, what: 'the first unit answered and a second sync started' });
    expect([second.settled, third.settled]).toEqual([false, false]);
    held.calls[1]!.release();
    await eventually(() => second.settled && third.settled, { ...wait, what: 'the later units answered' });
    expect(held.calls).toHaveLength(2);
    await commits.close();
    database.close();
  });

  it('acknowledges nothing when the sync fails', async () => {
    const { held, database, commits, insert } = open();
    const unit = track(insert(1));
    await eventually(() => held.calls.length === 1, { ...wait, what: 'the sync' });
    held.calls[0]!.release(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await eventually(() => unit.settled, { ...wait, what: 'the unit failed' });
    expect(unit.error).toMatchObject({ code: 'EIO' });
    await commits.close();
    database.close();
  });

  it('waits on close for the sync in flight', async () => {
    const { held, database, commits, insert } = open();
    const unit = track(insert(1));
    await eventually(() => held.calls.length === 1, { ...wait, what: 'the sync' });
    const closed = track(commits.close());
    await expect(insert(2)).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' });
    expect(closed.settled).toBe(false);
    held.calls[0]!.release();
    await eventually(() => closed.settled && unit.settled, { ...wait, what: 'close after the sync' });
    expect(unit.error).toBeUndefined();
    database.close();
  });

  it('syncs the file that is there now: a WAL replaced under the same name is opened again', async () => {
    const held = heldSync();
    const dir = mkdtempSync(join(tmpdir(), 'callhook-wal-'));
    dirs.push(dir);
    const path = join(dir, 'x-wal');
    writeFileSync(path, 'first');
    const sync = new WalSync(path, held.sync);
    const done: Array<Error | null> = [];
    sync.after((error) => done.push(error));
    held.calls[0]!.release();
    await eventually(() => done.length === 1, { ...wait, what: 'the first sync' });
    // A new file renamed over it (the old one stays open here, so its inode is not reused).
    writeFileSync(`${path}.new`, 'second');
    renameSync(`${path}.new`, path);
    sync.after((error) => done.push(error));
    held.calls[1]!.release();
    await eventually(() => done.length === 2, { ...wait, what: 'the second sync' });
    expect(done).toEqual([null, null]);
    expect(held.calls[1]!.ino).not.toBe(held.calls[0]!.ino);
    await sync.close();
  });

  it('keeps a database without a WAL file (`:memory:`) answering at once', async () => {
    const database = new Database(':memory:');
    database.db.exec('CREATE TABLE t (v INTEGER)');
    const commits = new CommitQueue(database);
    await expect(commits.run(() => database.run('INSERT INTO t (v) VALUES (1)'))).resolves.toBe(1);
    await commits.close();
    database.close();
  });
});
