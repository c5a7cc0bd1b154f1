// Recordings' bytes in PostgreSQL (no second service to run): a file is rows of CHUNK_BYTES each
// (seq 1…n), written as they stream in, and becomes whole when its marker row (seq 0) is written
// last. Reads want the marker, so a file cut short is never read; its chunks are swept.
import { Readable } from 'node:stream';
import { type RecordingStore, checkBlobKey } from '../../recordings/recording-store.ts';
import type { PgDatabase } from './database.ts';

/** 256 KiB a row: a 200 MB recording is 800 rows; a seek reads at most one row it does not need at each end. */
export const CHUNK_BYTES = 256 * 1024;
/** Rows read per query while streaming out. */
const ROWS_PER_READ = 4;

export function postgresRecordingChunks(db: PgDatabase, clock: { now(): number } = { now: () => Date.now() }): RecordingStore {
  const insert = (key: string, seq: number, orgId: string, data: Buffer) =>
    db.run('INSERT INTO recording_chunks (blob_key, seq, org_id, data, created_at) VALUES ($1, $2, $3, $4, $5)', [key, seq, orgId, data, clock.now()]);

  return {
    kind: 'postgres',
    async put({ orgId, key, source }) {
      checkBlobKey(key);
      checkBlobKey(orgId);
      let seq = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      try {
        for await (const chunk of source) {
          pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          pendingBytes += chunk.byteLength;
          while (pendingBytes >= CHUNK_BYTES) {
            const all = Buffer.concat(pending);
            await insert(key, ++seq, orgId, all.subarray(0, CHUNK_BYTES));
            pending = [all.subarray(CHUNK_BYTES)];
            pendingBytes = all.length - CHUNK_BYTES;
          }
        }
        if (pendingBytes > 0) await insert(key, ++seq, orgId, Buffer.concat(pending));
      } catch (error) {
        await db.run('DELETE FROM recording_chunks WHERE org_id = $1 AND blob_key = $2', [orgId, key]).catch(() => undefined);
        throw error;
      }
      // The marker, last: from here on the file is whole.
      await insert(key, 0, orgId, Buffer.alloc(0));
    },
    async read({ orgId, key }, span) {
      checkBlobKey(key);
      if (!(await db.one('SELECT 1 FROM recording_chunks WHERE org_id = $1 AND blob_key = $2 AND seq = 0', [checkBlobKey(orgId), key]))) return null;
      const first = span ? Math.floor(span.start / CHUNK_BYTES) + 1 : 1;
      const last = span ? Math.floor(span.end / CHUNK_BYTES) + 1 : Number.MAX_SAFE_INTEGER;
      async function* chunks(): AsyncGenerator<Buffer> {
        for (let from = first; from <= last; from += ROWS_PER_READ) {
          const rows = await db.rows<{ seq: number; data: Buffer }>(
            'SELECT seq, data FROM recording_chunks WHERE org_id = $1 AND blob_key = $2 AND seq BETWEEN $3 AND $4 ORDER BY seq',
            [orgId, key, from, Math.min(last, from + ROWS_PER_READ - 1)],
          );
          for (const row of rows) {
            const offset = (row.seq - 1) * CHUNK_BYTES;
            const startIn = span ? Math.max(0, span.start - offset) : 0;
            const endIn = span ? Math.min(row.data.length, span.end - offset + 1) : row.data.length;
            if (endIn > startIn) yield row.data.subarray(startIn, endIn);
          }
          if (rows.length < ROWS_PER_READ) return;
        }
      }
      return Readable.from(chunks());
    },
    async delete({ orgId, key }) {
      checkBlobKey(key);
      await db.run('DELETE FROM recording_chunks WHERE org_id = $1 AND blob_key = $2', [orgId, key]);
    },
    async deleteOrganization(orgId) {
      // The organization's rows go with it (ON DELETE CASCADE); this is for one deleted otherwise.
      await db.run('DELETE FROM recording_chunks WHERE org_id = $1', [orgId]);
    },
    async sweep(before) {
      return db.run(
        `DELETE FROM recording_chunks WHERE (org_id, blob_key) IN (
           SELECT c.org_id, c.blob_key FROM recording_chunks c WHERE c.seq = 1 AND c.created_at < $1
             AND NOT EXISTS (SELECT 1 FROM recording_chunks m WHERE m.org_id = c.org_id AND m.blob_key = c.blob_key AND m.seq = 0)
           LIMIT 100)`,
        [before],
      );
    },
  };
}
