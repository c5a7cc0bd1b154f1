// Claims and what they owe, against a real SQLite store whose claim answers when the test says: a
// lane may drain while a claim runs, and what it is owed must already be known by then.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock.ts';
import { openSqliteStore } from '../store/sqlite/index.ts';
import type { Store } from '../store/store.ts';
import { createClaims } from './claims.ts';
import type { Lanes } from './lanes.ts';

const CONFIG = { leaseMs: 60_000, claimBatch: 100, queuedPerWebhook: 8, defaultTimeoutMs: 5_000, maxTimeoutMs: 30_000 };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function openStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'callhook-claims-'));
  const store = openSqliteStore(join(dir, 'callhook.db'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close());
  return store;
}

/** The store's claims wait for `open()`. */
function held(store: Store): { store: Store; open(): void; asked: Promise<void> } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let asked!: () => void;
  const askedOnce = new Promise<void>((resolve) => (asked = resolve));
  const deliveries = Object.create(store.deliveries) as Store['deliveries'];
  deliveries.claimDue = async (input) => {
    asked();
    await gate;
    return store.deliveries.claimDue(input);
  };
  return { store: { ...store, deliveries }, open, asked: askedOnce };
}

/** Lanes as claims see them: which are full, and the in-flight cap. */
function lanesWith(full: string[]): Lanes {
  return { full: () => full, cap: 1 } as unknown as Lanes;
}

describe('claims', () => {
  it('owes a lane it skipped as full before the store answers, so that lane draining meanwhile claims again', async () => {
    const gated = held(openStore());
    const claims = createClaims({
      store: gated.store.deliveries, owner: 'w1', clock: new FakeClock(Date.UTC(2025, 2, 3)), lanes: lanesWith(['wh_busy']), config: CONFIG,
      claiming: () => true, accept: () => undefined,
    });
    const claimed = claims.claim();
    await gated.asked;
    // The lane drained while the store had not answered yet: its room must claim again.
    expect(claims.roomAgain(true, 'wh_busy', 0)).toBe(true);
    expect(claims.roomAgain(true, 'wh_quiet', 0)).toBe(false);
    gated.open();
    await claimed;
  });
});
