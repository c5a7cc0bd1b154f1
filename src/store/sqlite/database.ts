// The SQLite handle: WAL with synchronous=FULL (acknowledged means on disk), statements prepared
// once, numbered append-only migrations, and a group commit that shares one fsync among writes.
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Row = Record<string, SQLInputValue>;

export class Database {
  readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path, { timeout: 5_000 });
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
    const folder = fileURLToPath(new URL('./migrations/', import.meta.url));
    const pending = readdirSync(folder)
      .filter((file) => /^\d{3}_.+\.sql$/.test(file))
      .sort()
      .filter((file) => !applied.has(file));
    for (const file of pending) {
      this.transaction(() => {
        this.db.exec(readFileSync(folder + file, 'utf8'));
        this.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', file, Date.now());
      });
    }
    return pending;
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
 * Group commit: units queued in the same turn of the event loop run in one transaction, each
 * inside its own savepoint (one failing unit rolls back alone), and share one fsync. A unit is
 * synchronous, so nothing else can run statements in the middle of the transaction.
 */
export class CommitQueue {
  private queue: QueuedUnit[] = [];
  private scheduled = false;
  private readonly database: Database;
  private readonly maxBatch: number;

  constructor(database: Database, options: { maxBatch?: number } = {}) {
    this.database = database;
    this.maxBatch = options.maxBatch ?? 512;
  }

  run<T>(unit: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: unit, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs everything queued now; also used on close so nothing accepted is left behind. */
  flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.runBatch(batch);
    }
  }

  private runBatch(batch: QueuedUnit[]): void {
    const db = this.database.db;
    const settled: Array<{ unit: QueuedUnit; ok: boolean; value: unknown }> = [];
    try {
      db.exec('BEGIN IMMEDIATE');
      for (const unit of batch) {
        db.exec('SAVEPOINT unit');
        try {
          const value = unit.run();
          db.exec('RELEASE unit');
          settled.push({ unit, ok: true, value });
        } catch (error) {
          db.exec('ROLLBACK TO unit');
          db.exec('RELEASE unit');
          settled.push({ unit, ok: false, value: error });
        }
      }
      db.exec('COMMIT');
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing in the batch is durable.
      if (db.isTransaction) db.exec('ROLLBACK');
      for (const unit of batch) unit.reject(error);
      return;
    }
    for (const { unit, ok, value } of settled) (ok ? unit.resolve : unit.reject)(value);
  }
}

export function json<T>(value: SQLInputValue | undefined): T {
  return JSON.parse(value as string) as T;
}

export function jsonOrNull<T>(value: SQLInputValue | undefined): T | null {
  return value === null || value === undefined ? null : (JSON.parse(value as string) as T);
}

export function bool(value: SQLInputValue | undefined): boolean {
  return value === 1 || value === 1n;
}

export function numOrNull(value: SQLInputValue | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

export function strOrNull(value: SQLInputValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** Turns a UNIQUE violation into a value the caller can map to CONFLICT. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && /UNIQUE constraint failed/.test(error.message);
}
