// Recordings as files in one folder: the embedded store's data folder, or CALLHOOK_RECORDINGS_DIR
// (a folder every process shares). A file is written to a temporary name, fsynced, renamed into
// place and the folder fsynced, so after a crash it is either whole under its name or not there.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type RecordingStore, checkBlobKey } from './recording-store.ts';

const PART = '.part';

export function fileRecordingStore(dir: string): RecordingStore {
  let made: Promise<unknown> | null = null;
  const ready = () => (made ??= mkdir(dir, { recursive: true, mode: 0o700 }));
  const pathOf = (key: string) => join(dir, checkBlobKey(key));

  return {
    kind: 'files',
    async put({ key, source }) {
      await ready();
      const final = pathOf(key);
      // A dot file: never a key, so never read; the random part keeps two uploads of one key apart.
      const part = join(dir, `.${key}.${randomBytes(6).toString('hex')}${PART}`);
      const file = await open(part, 'wx', 0o600);
      try {
        for await (const chunk of source) await file.write(chunk);
        await file.sync();
      } catch (error) {
        await file.close().catch(() => undefined);
        await unlink(part).catch(() => undefined);
        throw error;
      }
      await file.close();
      await rename(part, final);
      await syncDir(dir);
    },
    async read(key, span) {
      const path = pathOf(key);
      try {
        await stat(path);
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') return null;
        throw error;
      }
      return createReadStream(path, span ? { start: span.start, end: span.end } : {}) as Readable;
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    async sweep(before) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') return 0;
        throw error;
      }
      let removed = 0;
      for (const name of names.filter((n) => n.startsWith('.') && n.endsWith(PART))) {
        const path = join(dir, name);
        const info = await stat(path).catch(() => null);
        if (info && info.mtimeMs < before) {
          await rm(path, { force: true });
          removed++;
        }
      }
      return removed;
    },
  };
}

/** The rename is durable only once the folder's entry is on disk too. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
