// The PostgreSQL handle: a pool, statements prepared once per connection (named by their text),
// transactions that retry on deadlock or serialization failure, and numbered append-only
// migrations applied under an advisory lock (several processes may start at once).
import pg from 'pg';
import { pendingMigrations } from '../migrations.ts';
import type { Row } from '../rows.ts';

export type { Row } from '../rows.ts';
export { given, toPage } from '../rows.ts';

/** Epoch-ms columns are bigint; JavaScript numbers hold them exactly. */
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** Advisory lock key of the migration runner (any fixed number). */
const MIGRATION_LOCK = 7_248_101;
const RETRYABLE = new Set(['40P01', '40001']); // deadlock detected, serialization failure

/** What a query runs on: the pool, or one connection inside a transaction. */
export interface Queryable {
  rows<T = Row>(text: string, params?: unknown[]): Promise<T[]>;
  /**
   * Planned on every run (not prepared): for look-ups whose best plan depends on how big a table has
   * grown — a plan cached while it was empty can read the whole table ever after.
   */
  rowsPlannedEachTime<T = Row>(text: string, params?: unknown[]): Promise<T[]>;
  one<T = Row>(text: string, params?: unknown[]): Promise<T | undefined>;
  /** Affected row count. */
  run(text: string, params?: unknown[]): Promise<number>;
}

const statementNames = new Map<string, string>();

function named(text: string, values: unknown[]): pg.QueryConfig {
  let name = statementNames.get(text);
  if (!name) {
    name = `s${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}

function queryable(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async rows<T>(text: string, params: unknown[] = []) {
      return (await client.query(named(text, params))).rows as T[];
    },
    async rowsPlannedEachTime<T>(text: string, params: unknown[] = []) {
      return (await client.query({ text, values: params })).rows as T[];
    },
    async one<T>(text: string, params: unknown[] = []) {
      return (await client.query(named(text, params))).rows[0] as T | undefined;
    },
    async run(text: string, params: unknown[] = []) {
      return (await client.query(named(text, params))).rowCount ?? 0;
    },
  };
}

export class PgDatabase implements Queryable {
  readonly pool: pg.Pool;
  readonly url: string;
  private readonly direct: Queryable;

  constructor(url: string, poolSize: number) {
    this.url = url;
    // Statements are prepared once per connection, but planned on every run: a generic plan made
    // while a table was small (no statistics yet) can stay a full scan as the table grows.
    this.pool = new pg.Pool({ connectionString: url, max: poolSize, types });
    // An idle client that loses its server (restart, failover) must not take the process down.
    this.pool.on('error', () => undefined);
    this.direct = queryable(this.pool);
  }

  rows<T = Row>(text: string, params?: unknown[]): Promise<T[]> {
    return this.direct.rows<T>(text, params);
  }

  rowsPlannedEachTime<T = Row>(text: string, params?: unknown[]): Promise<T[]> {
    return this.direct.rowsPlannedEachTime<T>(text, params);
  }

  one<T = Row>(text: string, params?: unknown[]): Promise<T | undefined> {
    return this.direct.one<T>(text, params);
  }

  run(text: string, params?: unknown[]): Promise<number> {
    return this.direct.run(text, params);
  }

  /** Runs `fn` in one transaction on one connection; retried (a few times) when PostgreSQL asks. */
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(queryable(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (attempt < 5 && RETRYABLE.has((error as { code?: string }).code ?? '')) continue;
        throw error;
      } finally {
        client.release();
      }
    }
  }

  async migrate(): Promise<string[]> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at bigint NOT NULL)');
      const applied = new Set((await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      const pending = pendingMigrations(new URL('./migrations/', import.meta.url), applied);
      for (const { version, sql } of pending) {
        await client.query('BEGIN');
        try {
          await client.query(sql);
          await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [version, Date.now()]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
      return pending.map((m) => m.version);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}
