// The failure guard and both backends' classifiers, case by case: which driver errors are the store
// failing (503 / 507) and which are not (a bug stays a 500, a constraint stays what the store made it).
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import { nextRunInMs } from '../background-loop.ts';
import { guardStore } from './failure-guard.ts';
import { pgStoreFailure } from './postgres/failures.ts';
import { sqliteStoreFailure } from './sqlite/failures.ts';
import { createStoreHealth } from './store-health.ts';

const pgError = (code: string, message = 'server said no') => Object.assign(new Error(message), { code });
const sqliteError = (errcode: number, message: string) => Object.assign(new Error(message), { code: 'ERR_SQLITE_ERROR', errcode, errstr: message });

describe('which PostgreSQL errors are the store failing', () => {
  it.each([
    ['a terminated backend', pgError('57P01', 'terminating connection due to administrator command'), 'STORE_UNAVAILABLE'],
    ['a server starting up', pgError('57P03', 'the database system is starting up'), 'STORE_UNAVAILABLE'],
    ['a statement timeout', pgError('57014', 'canceling statement due to statement timeout'), 'STORE_UNAVAILABLE'],
    ['too many connections', pgError('53300', 'sorry, too many clients already'), 'STORE_UNAVAILABLE'],
    ['a read-only standby', pgError('25006', 'cannot execute INSERT in a read-only transaction'), 'STORE_UNAVAILABLE'],
    ['a connection failure', pgError('08006', 'connection failure'), 'STORE_UNAVAILABLE'],
    ['a full disk', pgError('53100', 'could not extend file: No space left on device'), 'STORAGE_FULL'],
    ['a refused connection', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), 'STORE_UNAVAILABLE'],
    ['a reset connection', pgError('ECONNRESET', 'read ECONNRESET'), 'STORE_UNAVAILABLE'],
    ['a lost connection', new Error('Connection terminated unexpectedly'), 'STORE_UNAVAILABLE'],
    ['no connection in time', new Error('timeout exceeded when trying to connect'), 'STORE_UNAVAILABLE'],
    ['no answer in time', new Error('Query read timeout'), 'STORE_UNAVAILABLE'],
    ['a unique violation', pgError('23505', 'duplicate key value violates unique constraint'), null],
    ['a syntax error (a bug)', pgError('42601', 'syntax error at or near "SELEC"'), null],
    ['a TypeError (a bug)', new TypeError("Cannot read properties of undefined (reading 'id')"), null],
    ['an AppError of the store', new AppError('CONFLICT', 'taken'), null],
  ])('%s', (_what, error, code) => {
    expect(pgStoreFailure(error)?.code ?? null).toBe(code);
  });
});

describe('which SQLite errors are the store failing', () => {
  it.each([
    ['a full disk', sqliteError(13, 'database or disk is full'), 'STORAGE_FULL'],
    ['an I/O error on write (extended code)', sqliteError(778, 'disk I/O error'), 'STORE_UNAVAILABLE'],
    ['locked by another program', sqliteError(5, 'database is locked'), 'STORE_UNAVAILABLE'],
    ['a read-only file', sqliteError(8, 'attempt to write a readonly database'), 'STORE_UNAVAILABLE'],
    ['the store closing', Object.assign(new Error('the store is closed'), { code: 'ERR_STORE_CLOSED' }), 'STORE_UNAVAILABLE'],
    ['a unique violation', sqliteError(2067, 'UNIQUE constraint failed: orgs.domain'), null],
    ['a syntax error (a bug)', sqliteError(1, 'near "SELEC": syntax error'), null],
    ['a TypeError (a bug)', new TypeError('x is not a function'), null],
  ])('%s', (_what, error, code) => {
    expect(sqliteStoreFailure(error)?.code ?? null).toBe(code);
  });
});

describe('the failure guard', () => {
  const down = () => Object.assign(new Error('gone'), { code: 'ECONNRESET' });
  const health = () => createStoreHealth({ probeWrite: async () => undefined, classify: pgStoreFailure });

  it('types every method of every part, async or not, reports to health, and leaves the rest alone', async () => {
    const h = health();
    const unsubscribe = () => undefined;
    const store = guardStore(
      {
        kind: 'x',
        calls: { async apply() { throw down(); }, async get() { return 'call'; } },
        deliveries: { onDue: () => unsubscribe, claim() { throw down(); }, async bug() { throw new TypeError('bug'); } },
        health: h,
      },
      pgStoreFailure,
      h,
    );
    await expect(store.calls.apply()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(() => store.deliveries.claim()).toThrow(AppError);
    await expect(store.calls.get()).resolves.toBe('call');
    expect(store.deliveries.onDue()).toBe(unsubscribe); // a synchronous answer, as it was
    await expect(store.deliveries.bug()).rejects.toBeInstanceOf(TypeError);
    expect(store.health).toBe(h);
    expect(h.problem()).toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('is down from the first failure until a write probe works; a full disk stays the story until then', async () => {
    let writable = false;
    const h = createStoreHealth({ probeWrite: async () => { if (!writable) throw down(); }, classify: pgStoreFailure, now: () => 1_000 });
    expect(h.problem()).toBeNull();
    h.failed(new AppError('STORAGE_FULL', 'full'));
    h.failed(new AppError('STORE_UNAVAILABLE', 'later, unreachable too'));
    expect(h.problem()).toEqual({ code: 'STORAGE_FULL', detail: 'full', since: 1_000 });
    expect(await h.probe()).toMatchObject({ code: 'STORAGE_FULL' });
    writable = true;
    expect(await h.probe()).toBeNull();
    expect(h.problem()).toBeNull();
  });
});

describe('background loops after failures', () => {
  it.each([
    [1_000, 0, 1_000],
    [1_000, 1, 2_000],
    [1_000, 2, 4_000],
    [1_000, 3, 5_000], // capped: work resumes within seconds of the cause going away
    [1_000, 30, 5_000],
    [5_000, 4, 5_000],
    [3_600_000, 2, 3_600_000], // a slow loop keeps its own pace
  ])('every %i ms, after %i failures in a row: next in %i ms', (everyMs, failures, expected) => {
    expect(nextRunInMs(everyMs, failures)).toBe(expected);
  });
});
