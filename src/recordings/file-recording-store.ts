// Recordings as files in one folder: the embedded store's data folder, or CALLHOOK_RECORDINGS_DIR
// (a folder every process shares), a folder per organization in it. A file is written to a
// temporary name, fsynced, renamed into place and the folder fsynced, so after a crash it is either
// whole under its name or not there.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type BlobRef, type RecordingStore, checkBlobKey } from './recording-store.ts';

const PART = '.part';

export function fileRecordingStore(dir: string): RecordingStore {
  const folderOf = (orgId: string) => join(dir, checkBlobKey(orgId));
  const pathOf = ({ orgId, key }: BlobRef) => join(folderOf(orgId), checkBlobKey(key));

  return {
    kind: 'files',
    async put({ orgId, key, source }) {
      const final = pathOf({ orgId, key });
      const folder = folderOf(orgId);
      await mkdir(folder, { recursive: true, mode: 0o700 });
      // A dot file: never a key, so never read; the random part keeps two uploads of one key apart.
      const part = join(folder, `.${key}.${randomBytes(6).toString('hex')}${PART}`);
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
      await syncDir(folder);
    },
    async read(ref, span) {
      const path = pathOf(ref);
      try {
        await stat(path);
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') return null;
        throw error;
      }
      return createReadStream(path, span ? { start: span.start, end: span.end } : {}) as Readable;
    },
    async delete(ref) {
      await rm(pathOf(ref), { force: true });
    },
    async deleteOrganization(orgId) {
      await rm(folderOf(orgId), { recursive: true, force: true });
    },
    async sweep(before) {
      let removed = 0;
      for (const folder of await list(dir)) {
        for (const name of (await list(join(dir, folder))).filter((n) => n.startsWith('.') && n.endsWith(PART))) {
          const path = join(dir, folder, name);
          const info = await stat(path).catch(() => null);
          if (info && info.mtimeMs < before) {
            await rm(path, { force: true });
            removed++;
          }
        }
      }
      return removed;
    },
  };
}

/** A folder's entries; none when it is not there (or not a folder). */
async function list(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (error) {
    if (['ENOENT', 'ENOTDIR'].includes((error as { code?: string }).code ?? '')) return [];
    throw error;
  }
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
