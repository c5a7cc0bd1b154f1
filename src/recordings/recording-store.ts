// The RecordingStore port: where recordings' bytes live. A file is written under a key from a
// stream and is visible only once whole and durable — a crash or a failed upload never leaves a
// half file that can be read. Backends: files (file-recording-store.ts: the data folder, or a
// folder every process shares) and PostgreSQL chunks (store/postgres/recording-chunks.ts); every
// one passes the same contract suite (store/contract/recording-blobs.ts), so an S3-compatible one
// can join later.
import type { Readable } from 'node:stream';

/** Inclusive byte positions, as HTTP ranges count them. */
export interface ByteSpan {
  start: number;
  end: number;
}

/** A file: its key (letters, digits, `_` and `-`) within its organization's. */
export interface BlobRef {
  orgId: string;
  key: string;
}

export interface RecordingStore {
  /** For logs and the start banner. */
  readonly kind: 'files' | 'postgres';
  /**
   * Streams `source` in as the file `ref`. When `source` throws, nothing is kept and its error is
   * thrown on; when it ends, the bytes are durable before this resolves.
   */
  put(input: BlobRef & { source: AsyncIterable<Uint8Array> }): Promise<void>;
  /** The bytes (all, or the span), or null when the organization has no whole file of this key. */
  read(ref: BlobRef, span?: ByteSpan): Promise<Readable | null>;
  /** Forgets the file (nothing when there is none). */
  delete(ref: BlobRef): Promise<void>;
  /** Forgets every file of the organization (it was deleted). */
  deleteOrganization(orgId: string): Promise<void>;
  /** Removes what uploads cut short (a crash, a cut connection) left, when last written before `before`; answers how many. */
  sweep(before: number): Promise<number>;
}

/** Keys are ids we make; anything else (a path, a dot) is refused before it reaches a backend. */
export function checkBlobKey(key: string): string {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(key)) throw new Error(`not a recording key: ${JSON.stringify(key)}`);
  return key;
}
