// The embedded store's disk fills up: ingest answers 507 problem+json with Retry-After (not 500),
// readiness is 503 while it lasts and liveness stays 200, and the moment there is room again the
// same step is taken (202) and readiness follows within the probe's second. The data folder is a
// small tmpfs where the machine lets the test mount one; elsewhere the SQLite file is capped
// (PRAGMA max_page_count), which fails writes with the same SQLITE_FULL.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../src/store/sqlite/index.ts';
import { type ApiResponse, type TestService, ingest, setupOrg, startTestService } from '../helpers/service.ts';
import { eventually } from '../helpers/eventually.ts';

const TMPFS_BYTES = 8 * 1_048_576;

/** A tmpfs of `bytes` at a new folder, or null when this machine does not allow mounting one. */
function mountTmpfs(bytes: number): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'callhook-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

/** Takes every byte left on the filesystem of `dir`; the file's path (delete it to give the room back). */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return path;
}

describe('a full disk under the embedded store', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  // The tmpfs case falls back to the capped file where mounting is not allowed (and says so).
  it.each(['a filled tmpfs', 'a capped database file'])('answers 507 with Retry-After while full (%s), is not ready meanwhile, and takes the same step the moment there is room', async (how) => {
    const mounted = how === 'a filled tmpfs' ? mountTmpfs(TMPFS_BYTES) : null;
    if (how === 'a filled tmpfs' && !mounted) process.stderr.write('disk-full: this machine does not allow mounting a tmpfs; capping the database file instead\n');
    if (mounted) {
      cleanups.push(() => {
        try {
          execFileSync('umount', ['-l', mounted], { stdio: 'ignore' });
          rmSync(mounted, { recursive: true, force: true });
        } catch (error) {
          process.stderr.write(`disk-full: could not unmount ${mounted}: ${String(error)}\n`);
        }
      });
    }
    const t: TestService = await startTestService({ background: true, ...(mounted ? { dataDir: join(mounted, 'data') } : {}) });
    cleanups.push(() => t.cleanup());
    const org = await setupOrg(t.api);
    const store = t.service.store as SqliteStore;
    const now = t.clock.now();
    const step = (i: number) => ({
      type: 'started', callId: `full-${i}`, direction: 'inbound', from: '+31850609001', to: '+31850609000', at: now,
      description: 'x'.repeat(4_000), // each step takes room
    });
    expect((await ingest(t.api, org.ingestToken, step(0))).status).toBe(202);

    let giveRoomBack: () => void;
    if (mounted) {
      const filler = fill(mounted);
      giveRoomBack = () => rmSync(filler);
    } else {
      store.capSize(statSync(store.path).size + 64 * 1024);
      giveRoomBack = () => store.capSize(null);
    }

    // What room the file and its write-ahead log still have is used up, then writes fail.
    let full: ApiResponse | null = null;
    let i = 1;
    for (; i < 3_000 && !full; i++) {
      const response = await ingest(t.api, org.ingestToken, step(i));
      if (response.status !== 202) full = response;
    }
    expect(full, `still taking steps after ${i}`).not.toBeNull();
    expect(full!.status, JSON.stringify(full!.body)).toBe(507);
    expect(full!.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(full!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(full!.body).toMatchObject({ type: 'https://callhook.dev/problems/storage-full', status: 507 });
    expect((await t.api.get('/readyz')).status).toBe(503);
    expect((await t.api.get('/readyz')).body.reason).toMatch(/STORAGE_FULL/);
    expect((await t.api.get('/healthz')).status).toBe(200);
    const failedAt = i - 1;

    giveRoomBack();
    const again = await ingest(t.api, org.ingestToken, step(failedAt));
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect(again.body.results[0].status).toBe('applied');
    await eventually(async () => expect((await t.api.get('/readyz')).body).toMatchObject({ status: 'ready' }), { timeoutMs: 10_000, what: 'ready again once room came back' });
  });
});
