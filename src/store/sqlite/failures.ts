// Which SQLite errors are failures of the store itself (disk full, I/O errors, locked by another
// program) rather than of the request, and the write probe that tells when it takes writes again.
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError, isStoreFailure } from '../../errors.ts';
import type { StoreProblem } from '../store-health.ts';
import type { CommitQueue, Database } from './database.ts';

/** Primary result codes (the low byte of an extended one). */
const SQLITE_FULL = 13;
const UNAVAILABLE = new Set([5, 6, 7, 8, 10, 14, 15]); // BUSY, LOCKED, NOMEM, READONLY, IOERR, CANTOPEN, PROTOCOL
/** Room a full store needs again before it is called writable: a few group commits' worth. */
const MIN_ROOM_BYTES = 1_048_576;

export function sqliteStoreFailure(error: unknown): AppError | null {
  if (error instanceof AppError) return isStoreFailure(error) ? error : null;
  const err = error as { code?: unknown; errcode?: unknown; message?: unknown } | null;
  const message = typeof err?.message === 'string' ? err.message : String(error);
  if (err?.code === 'ERR_STORE_CLOSED') return new AppError('STORE_UNAVAILABLE', 'The store is closing');
  if (typeof err?.errcode !== 'number') return null;
  const primary = err.errcode & 0xff;
  if (primary === SQLITE_FULL) return new AppError('STORAGE_FULL', `The disk of the data folder is full: ${message}`);
  if (UNAVAILABLE.has(primary)) return new AppError('STORE_UNAVAILABLE', `The database file cannot be written: ${message}`);
  return null;
}

/** After a full disk, first room again (on the filesystem and under the file's page cap), then one small write. */
export async function sqliteProbeWrite(db: Database, commits: CommitQueue, problem: StoreProblem | null): Promise<void> {
  if (problem?.code === 'STORAGE_FULL') {
    const room = roomOf(db);
    if (room < MIN_ROOM_BYTES) throw new AppError('STORAGE_FULL', `The data folder has ${room} bytes of room left`);
  }
  await commits.run(() => db.run("INSERT INTO meta (key, value) VALUES ('store-probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", String(Date.now())));
}

function roomOf(db: Database): number {
  const pageSize = Number(db.get<{ page_size: number }>('PRAGMA page_size')!.page_size);
  const pages = Number(db.get<{ page_count: number }>('PRAGMA page_count')!.page_count);
  const maxPages = Number(db.get<{ max_page_count: number }>('PRAGMA max_page_count')!.max_page_count);
  const underCap = (maxPages - pages) * pageSize;
  if (db.path === ':memory:') return underCap;
  const fs = statfsSync(dirname(db.path));
  return Math.min(underCap, fs.bavail * fs.bsize);
}
