// Ingest-token look-ups, remembered: every ingest request makes one. Cleared on any organization
// change or revocation made through this store. The embedded store is the only writer of its file,
// so it keeps entries for good; on PostgreSQL other processes may revoke too, so entries live for
// a few seconds there (a revocation elsewhere takes effect within that time).
import type { Connection, Org } from '../tenancy/org.ts';

interface Entry {
  value: { connection: Connection; org: Org };
  expiresAt: number;
}

export class IngestTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;

  constructor(options: { ttlMs?: number } = {}) {
    this.ttlMs = options.ttlMs ?? Number.POSITIVE_INFINITY;
  }

  get(tokenHash: string): { connection: Connection; org: Org } | undefined {
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return entry.value;
  }

  set(tokenHash: string, value: { connection: Connection; org: Org }): void {
    if (this.entries.size >= 10_000) this.entries.clear();
    this.entries.set(tokenHash, { value, expiresAt: Date.now() + this.ttlMs });
  }

  clear(): void {
    this.entries.clear();
  }
}
