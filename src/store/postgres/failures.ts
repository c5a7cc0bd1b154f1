// Which PostgreSQL errors are failures of the database itself (unreachable, restarting, refusing,
// too slow, out of space) rather than of the request, and the write probe that tells when it is back.
import { AppError, isStoreFailure } from '../../errors.ts';
import type { StoreProblem } from '../store-health.ts';
import type { PgDatabase } from './database.ts';

/** SQLSTATE classes and codes that say "the database, not your request". */
const UNAVAILABLE_CLASSES = ['08', '57', '53', '58']; // connection exception, operator intervention, insufficient resources, system error
const UNAVAILABLE_CODES = new Set(['25006', '55P03', '40P01', '40001']); // read-only transaction (a standby), lock not available, deadlock/serialization after retries
const DISK_FULL = '53100';
/** Errors of the socket or of the driver's own timeouts and closed pools. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
const DRIVER_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|not queryable|Client was closed|Cannot use a pool after calling end|Connection ended|the database connection is closed/i;

export function pgStoreFailure(error: unknown): AppError | null {
  if (error instanceof AppError) return isStoreFailure(error) ? error : null;
  const err = error as { code?: unknown; message?: unknown } | null;
  const code = typeof err?.code === 'string' ? err.code : '';
  const message = typeof err?.message === 'string' ? err.message : String(error);
  if (code === DISK_FULL) return new AppError('STORAGE_FULL', `The database is out of disk space: ${message}`);
  if (/^[0-9A-Z]{5}$/.test(code) && (UNAVAILABLE_CLASSES.includes(code.slice(0, 2)) || UNAVAILABLE_CODES.has(code))) {
    return new AppError('STORE_UNAVAILABLE', `The database refused: ${message}`);
  }
  if (NETWORK_CODES.has(code) || DRIVER_MESSAGES.test(message)) return new AppError('STORE_UNAVAILABLE', `The database cannot be reached: ${message}`);
  return null;
}

/** One small write, shared by every process (one row): it works only if the database takes writes. */
export async function pgProbeWrite(db: PgDatabase, _problem: StoreProblem | null): Promise<void> {
  await db.run("INSERT INTO meta (key, value) VALUES ('store-probe', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [String(Date.now())]);
}
