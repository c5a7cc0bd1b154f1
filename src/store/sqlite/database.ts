// The SQLite handle: WAL with synchronous=FULL (acknowledged means on disk), statements prepared
// once, numbered append-only migrations, and a group commit that shares one fsync among writes.
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { chmodSync, mkdirSync } from 'node:fs';
import { pendingMigrations } from '../migrations.ts';
import { dirname } from 'node:path';
import { WalCheckpoints } from './wal-checkpoints.ts';
import { WalSync } from './wal-sync.ts';

export type { Row } from '../rows.ts';
export { given, toPage } from '../rows.ts';

export class Database {
  readonly db: DatabaseSync;
  readonly path: string;
  private readonly statements = new Map<string, StatementSync>();

  constructor(path: string) {
    this.path = path;
    // The file holds signing secrets: only its owner reads it.
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new DatabaseSync(path, { timeout: 5_000 });
    if (path !== ':memory:') chmodSync(path, 0o600);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = FULL;
      PRAGMA foreign_keys = ON;
      PRAGMA temp_store = MEMORY;
    `);
  }

  /** A statement prepared once per SQL text. */
  sql(text: string): StatementSync {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  // Parameters are `unknown` because rows read back are passed on as parameters; SQLite checks them.
  get<T>(text: string, ...params: unknown[]): T | undefined {
    return this.sql(text).get(...(params as SQLInputValue[])) as T | undefined;
  }

  all<T>(text: string, ...params: unknown[]): T[] {
    return this.sql(text).all(...(params as SQLInputValue[])) as T[];
  }

  run(text: string, ...params: unknown[]): number {
    return Number(this.sql(text).run(...(params as SQLInputValue[])).changes);
  }

  /** Runs an INSERT and answers the new row's rowid. */
  insert(text: string, ...params: unknown[]): number {
    return Number(this.sql(text).run(...(params as SQLInputValue[])).lastInsertRowid);
  }

  /** Runs `fn` in one transaction right now (not batched). */
  transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  migrate(): string[] {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
    const applied = new Set(this.all<{ version: string }>('SELECT version FROM schema_migrations').map((row) => row.version));
    const pending = pendingMigrations(new URL('./migrations/', import.meta.url), applied);
    for (const { version, sql } of pending) {
      this.transaction(() => {
        this.db.exec(sql);
        this.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', version, Date.now());
      });
    }
    return pending.map((m) => m.version);
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }
}

interface QueuedUnit {
  run(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Group commit: units run in one transaction, each inside its own savepoint (one failing unit
 * rolls back alone), and share one fsync — made off the event loop (wal-sync.ts), so requests and
 * deliveries go on while the disk writes. A unit commits on the next turn of the event loop with
 * everything queued by then; a commit blocks the loop, so under load what arrives meanwhile shares
 * the next one by itself. No window is waited for: 2 ms of it made p50 at 1,000 deliveries/s
 * 4.1 ms (none: 2.5 ms) and bought no throughput.
 * A unit is synchronous, so nothing else can run statements in the middle of the transaction.
 */
export class CommitQueue {
  private queue: QueuedUnit[] = [];
  private timer: NodeJS.Immediate | null = null;
  private closed = false;
  private readonly database: Database;
  private readonly maxBatch: number;

  /** Null for a database without a WAL file (`:memory:`): its commits are answered at once. */
  private readonly walSync: WalSync | null;

  /** Null without a WAL file, as above: then there is nothing to checkpoint. */
  readonly checkpoints: WalCheckpoints | null;

  constructor(database: Database, options: { maxBatch?: number; walSync?: WalSync | null; checkpoints?: WalCheckpoints | null } = {}) {
    this.database = database;
    this.maxBatch = options.maxBatch ?? 512;
    const wal = inWalMode(database);
    this.walSync = options.walSync !== undefined ? options.walSync : wal ? new WalSync(`${database.path}-wal`) : null;
    this.checkpoints = options.checkpoints !== undefined ? options.checkpoints : wal ? new WalCheckpoints(database) : null;
  }

  run<T>(unit: () => T): Promise<T> {
    if (this.closed) return Promise.reject(Object.assign(new Error('the store is closed'), { code: 'ERR_STORE_CLOSED' }));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: unit, resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else this.timer ??= setImmediate(() => this.flush());
    });
  }

  /** Commits what is queued, refuses anything later (the store is closing), and waits until it is on disk. */
  async close(): Promise<void> {
    this.flush();
    this.closed = true;
    await this.walSync?.close();
    await this.checkpoints?.close();
  }

  /** Runs everything queued now; also used on close so nothing accepted is left behind. */
  flush(): void {
    if (this.timer) {
      clearImmediate(this.timer);
      this.timer = null;
    }
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.runBatch(batch);
    }
  }

  private runBatch(batch: QueuedUnit[]): void {
    const { db } = this.database;
    const sql = (text: string) => this.database.sql(text).run();
    const settled: Array<{ unit: QueuedUnit; ok: boolean; value: unknown }> = [];
    try {
      // No fsync inside this COMMIT when the WAL is synced off the loop (below); every other write
      // of this connection keeps synchronous=FULL.
      if (this.walSync) sql('PRAGMA synchronous = NORMAL');
      sql('BEGIN IMMEDIATE');
      for (const unit of batch) {
        sql('SAVEPOINT unit');
        try {
          const value = unit.run();
          sql('RELEASE unit');
          settled.push({ unit, ok: true, value });
        } catch (error) {
          settled.push({ unit, ok: false, value: error });
          // A full disk or an I/O error may have rolled the whole transaction back: then the batch fails with it.
          if (!db.isTransaction) throw error;
          sql('ROLLBACK TO unit');
          sql('RELEASE unit');
        }
      }
      sql('COMMIT');
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing in the batch is durable.
      try {
        if (db.isOpen && db.isTransaction) db.exec('ROLLBACK');
      } catch {
        // the connection is gone; the transaction went with it
      }
      for (const unit of batch) unit.reject(error);
      return;
    } finally {
      if (this.walSync && db.isOpen && !db.isTransaction) sql('PRAGMA synchronous = FULL');
    }
    // After the try: committed is committed, whatever asking for a checkpoint might meet.
    this.checkpoints?.committed();
    const answer = (syncError: Error | null) => {
      for (const { unit, ok, value } of settled) {
        if (!ok) unit.reject(value);
        else if (syncError) unit.reject(syncError);
        else unit.resolve(value);
      }
    };
    // Acknowledged means on disk: the units are answered once the WAL is synced.
    if (this.walSync) this.walSync.after(answer);
    else answer(null);
  }
}

/** A file in WAL mode (`:memory:`, or a filesystem where WAL could not be turned on, is not). */
function inWalMode(database: Database): boolean {
  return database.path !== ':memory:' && database.get<{ journal_mode: string }>('PRAGMA journal_mode')?.journal_mode === 'wal';
}

/** Turns a UNIQUE violation into a value the caller can map to CONFLICT. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && /UNIQUE constraint failed/.test(error.message);
}
