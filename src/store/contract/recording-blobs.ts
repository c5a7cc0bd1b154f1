// Contract: what every RecordingStore (recordings/recording-store.ts) must do — files, PostgreSQL
// chunks, and whatever joins them. Real bytes, real streams; a source that fails midway stands
// for an upload cut short.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { RecordingStore } from '../../recordings/recording-store.ts';

export interface OpenedRecordingStore {
  blobs: RecordingStore;
  /** Organizations the store may hang its rows on. */
  orgId: string;
  otherOrgId: string;
  close(): Promise<void>;
}

async function* streamOf(bytes: Buffer, pieceBytes = 10_000, failAfter?: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += pieceBytes) {
    if (failAfter !== undefined && at >= failAfter) throw new Error('the connection was cut');
    yield bytes.subarray(at, at + pieceBytes);
  }
}

async function readAll(stream: Readable | null): Promise<Buffer | null> {
  if (!stream) return null;
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Uint8Array));
  return Buffer.concat(parts);
}

export function describeRecordingStoreContract(name: string, open: () => Promise<OpenedRecordingStore>): void {
  describe(`RecordingStore contract: ${name}`, () => {
    const withStore = (test: (opened: OpenedRecordingStore) => Promise<void>) => async () => {
      const opened = await open();
      try {
        await test(opened);
      } finally {
        await opened.close();
      }
    };

    it('gives back exactly what was put, whole and in any span (across chunk boundaries)', withStore(async ({ blobs, orgId }) => {
      const bytes = randomBytes(700_000 + 123);
      await blobs.put({ orgId, key: 'rec_whole', source: streamOf(bytes, 65_536) });
      expect((await readAll(await blobs.read({ orgId, key: 'rec_whole' })))!.equals(bytes)).toBe(true);
      for (const [start, end] of [[0, 0], [0, 99], [262_143, 262_144], [100_000, 600_000], [bytes.length - 1, bytes.length - 1], [524_288, bytes.length - 1]] as const) {
        const part = await readAll(await blobs.read({ orgId, key: 'rec_whole' }, { start, end }));
        expect(part!.equals(bytes.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
      }
    }));

    it('keeps nothing of an upload cut short: nothing to read, the key free for the upload again', withStore(async ({ blobs, orgId }) => {
      const bytes = randomBytes(600_000);
      await expect(blobs.put({ orgId, key: 'rec_cut', source: streamOf(bytes, 50_000, 400_000) })).rejects.toThrow('the connection was cut');
      expect(await blobs.read({ orgId, key: 'rec_cut' })).toBeNull();
      await blobs.put({ orgId, key: 'rec_cut', source: streamOf(bytes) });
      expect((await readAll(await blobs.read({ orgId, key: 'rec_cut' })))!.equals(bytes)).toBe(true);
    }));

    it('is not readable while it is still being written', withStore(async ({ blobs, orgId }) => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const bytes = randomBytes(300_000);
      async function* slow(): AsyncGenerator<Uint8Array> {
        yield bytes.subarray(0, 280_000);
        await held;
        yield bytes.subarray(280_000);
      }
      const writing = blobs.put({ orgId, key: 'rec_slow', source: slow() });
      // Give the backend time to write what it has so far.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await blobs.read({ orgId, key: 'rec_slow' })).toBeNull();
      release();
      await writing;
      expect((await readAll(await blobs.read({ orgId, key: 'rec_slow' })))!.equals(bytes)).toBe(true);
    }));

    it('deletes a file; reading or deleting what is not there is no error', withStore(async ({ blobs, orgId }) => {
      await blobs.put({ orgId, key: 'rec_gone', source: streamOf(randomBytes(1_000)) });
      await blobs.delete({ orgId, key: 'rec_gone' });
      expect(await blobs.read({ orgId, key: 'rec_gone' })).toBeNull();
      await blobs.delete({ orgId, key: 'rec_gone' });
      expect(await blobs.read({ orgId, key: 'rec_never' })).toBeNull();
    }));

    it('keeps each organization’s files to it: another organization reads none, and deleting an organization leaves the others’', withStore(async ({ blobs, orgId, otherOrgId }) => {
      const mine = randomBytes(2_000);
      const theirs = randomBytes(3_000);
      await blobs.put({ orgId, key: 'rec_same', source: streamOf(mine) });
      await blobs.put({ orgId: otherOrgId, key: 'rec_same', source: streamOf(theirs) });
      expect((await readAll(await blobs.read({ orgId, key: 'rec_same' })))!.equals(mine)).toBe(true);
      expect((await readAll(await blobs.read({ orgId: otherOrgId, key: 'rec_same' })))!.equals(theirs)).toBe(true);
      await blobs.put({ orgId, key: 'rec_only_mine', source: streamOf(mine) });
      expect(await blobs.read({ orgId: otherOrgId, key: 'rec_only_mine' })).toBeNull();
      await blobs.delete({ orgId: otherOrgId, key: 'rec_only_mine' });
      expect(await blobs.read({ orgId, key: 'rec_only_mine' })).not.toBeNull();
      await blobs.deleteOrganization(orgId);
      expect(await blobs.read({ orgId, key: 'rec_same' })).toBeNull();
      expect(await blobs.read({ orgId, key: 'rec_only_mine' })).toBeNull();
      expect((await readAll(await blobs.read({ orgId: otherOrgId, key: 'rec_same' })))!.equals(theirs)).toBe(true);
    }));

    it('refuses keys that are not ids (paths, dots)', withStore(async ({ blobs, orgId }) => {
      for (const key of ['../escape', 'a/b', '.hidden', '', 'x'.repeat(101)]) {
        await expect(blobs.put({ orgId, key, source: streamOf(Buffer.from('x')) }), key).rejects.toThrow('not a recording key');
        await expect(blobs.read({ orgId, key }), key).rejects.toThrow('not a recording key');
        await expect(blobs.read({ orgId: key, key: 'rec_1' }), key).rejects.toThrow('not a recording key');
      }
    }));

    it('sweeps what a crash left mid-upload, and only that', withStore(async ({ blobs, orgId }) => {
      await blobs.put({ orgId, key: 'rec_kept', source: streamOf(randomBytes(300_000)) });
      // A crash: the process is gone before it could clean up (the source does not end while we look).
      let endTest!: (error: Error) => void;
      const never = new Promise<never>((_, reject) => (endTest = reject));
      async function* crashed(): AsyncGenerator<Uint8Array> {
        yield randomBytes(300_000);
        await never;
      }
      const stuck = blobs.put({ orgId, key: 'rec_crashed', source: crashed() }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await blobs.sweep(Date.now() - 60_000)).toBe(0); // too recent: may be an upload in progress
      expect(await blobs.sweep(Date.now() + 60_000)).toBeGreaterThan(0);
      expect(await blobs.read({ orgId, key: 'rec_crashed' })).toBeNull();
      expect((await readAll(await blobs.read({ orgId, key: 'rec_kept' })))!.length).toBe(300_000);
      // Let the stuck upload fail now, so it closes what it holds instead of leaving it to the GC.
      endTest(new Error('the test is over'));
      await stuck;
    }));
  });
}
