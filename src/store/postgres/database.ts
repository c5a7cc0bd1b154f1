// The PostgreSQL handle: a pool, statements prepared once per connection (named by their text),
// transactions that retry on deadlock or serialization failure, and numbered append-only
// migrations applied under an advisory lock (several processes may start at once).
import pg from 'pg';
import { pendingMigrations } from '../migrations.ts';
import type { Row } from '../rows.ts';
import { type Statement, inline, literals } from './inline-sql.ts';
import { RowShapes, ScriptQuery } from './script-query.ts';

export type { Row } from '../rows.ts';
export { given, toPage } from '../rows.ts';

/** Epoch-ms columns are bigint; JavaScript numbers hold them exactly. */
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** The shapes of script rows, read with the parsers above. */
const rowShapes = new RowShapes((oid) => types.getTypeParser(oid, 'text') as (text: string) => unknown);

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

/** The two messages of a script transaction (PgDatabase.scriptTransaction); each answers its statements' rows in order. */
export interface ScriptTx {
  begin(statements: readonly Statement[]): Promise<Row[][]>;
  /** A round trip between the two, for a rare path. */
  send(statements: readonly Statement[]): Promise<Row[][]>;
  commit(statements: readonly Statement[]): Promise<Row[][]>;
  /** The open transaction one statement at a time, for helpers written for `transaction` (a rare path). */
  readonly statements: Queryable;
}

/** The planner settings a `byKey` script transaction turns off (for its own statements alone: SET LOCAL). */
const JOINS = ['enable_hashjoin', 'enable_mergejoin'];
const BY_KEY = ['enable_seqscan', ...JOINS].map((setting) => `SET LOCAL ${setting} = off`);
/** Statements planned as a whole `byKey` transaction's are, within a 'begin' one's second message. */
export const JOINS_OFF: readonly string[] = JOINS.map((setting) => `SET LOCAL ${setting} = off`);
/** After a 'begin' transaction's first message: its joins may hash again; no table is read whole. */
export const JOINS_BACK: readonly string[] = JOINS.map((setting) => `SET LOCAL ${setting} = DEFAULT`);

const statementNames = new Map<string, string>();
/** Names of script statements (by text), and those prepared on each connection. */
const scriptNames = new Map<string, string>();
const scriptStatements = new WeakMap<pg.PoolClient, Set<string>>();
/** Connections whose last script failed after a PREPARE in it: which ran is asked before the next. */
const unsure = new WeakSet<pg.PoolClient>();

/** Runs a message of statements; answers each statement's rows (script-query.ts). */
function script(client: pg.PoolClient, text: string): Promise<Row[][]> {
  return new Promise((resolve, reject) => {
    client.query(new ScriptQuery(text, rowShapes, (error, results) => (error ? reject(error) : resolve(results!))));
  });
}

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

export interface PgOptions {
  url: string;
  poolSize: number;
  /** Longest wait for a connection (a new one, or a free one from the pool). */
  connectTimeoutMs: number;
  /**
   * Longest wait for a query's answer, measured here: a black-holed database sends nothing, so a
   * server-side statement_timeout alone would never fire. The server gets the same limit.
   */
  queryTimeoutMs: number;
}

/** How long close() waits for connections to end politely before it cuts them. */
const CLOSE_WITHIN_MS = 2_000;

export class PgDatabase implements Queryable {
  readonly pool: pg.Pool;
  readonly url: string;
  readonly options: PgOptions;
  private readonly direct: Queryable;

  constructor(options: PgOptions) {
    this.options = options;
    this.url = options.url;
    // Statements are prepared once per connection. PostgreSQL may then keep a generic plan, made on
    // a table as it was: one made while it was young can walk it whole ever after (until the next
    // analyze). So a look-up whose plan depends on a table's size is planned each time, and key
    // look-ups run `byKey`; young-plans.test.ts checks every statement the delivery loop keeps.
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      types,
      connectionTimeoutMillis: options.connectTimeoutMs,
      query_timeout: options.queryTimeoutMs,
      statement_timeout: options.queryTimeoutMs,
      keepAlive: true,
    });
    // An idle client that loses its server (restart, failover) must not take the process down.
    this.pool.on('error', () => undefined);
    // A client given back broken (timed out, cut off) is cut at once: on a black hole a polite end
    // would wait for an answer that never comes, keeping the socket and the pool's queue waiting.
    this.pool.on('release', (error: Error | undefined, client: pg.PoolClient) => {
      if (error) cut(client);
    });
    this.direct = queryable(this.pool);
  }

  rows<T = Row>(text: string, params?: unknown[]): Promise<T[]> {
    return this.direct.rows<T>(text, params);
  }

  /**
   * `settings`: planner settings for this statement alone (`set_config(…, true)` statements). They
   * go with it in one message, its values written in, so they end with the message's implicit
   * transaction, and the statement commits as it ends, as without them: a transaction of its own
   * would hold its row locks across one more round trip.
   */
  rowsPlannedEachTime<T = Row>(text: string, params: unknown[] = [], settings: readonly string[] = []): Promise<T[]> {
    if (settings.length === 0) return this.direct.rowsPlannedEachTime<T>(text, params);
    return this.retried(async (client) => (await script(client, [...settings, inline([text, params])].join(';\n'))).at(-1) as T[]);
  }

  one<T = Row>(text: string, params?: unknown[]): Promise<T | undefined> {
    return this.direct.one<T>(text, params);
  }

  run(text: string, params?: unknown[]): Promise<number> {
    return this.direct.run(text, params);
  }

  /** Runs `fn` in one transaction on one connection; retried (a few times) when PostgreSQL asks. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.retried(async (client) => {
      await client.query('BEGIN');
      const result = await fn(queryable(client));
      await client.query('COMMIT');
      return result;
    });
  }

  /**
   * A transaction in two round trips where `transaction` takes one per statement: BEGIN goes with
   * the reads, the writes go with COMMIT, each batch as one simple-protocol message with its values
   * written in as literals (inline-sql.ts). Under READ COMMITTED each statement of a message still
   * sees what committed before it started, so a lock taken by one statement guards the reads after it.
   * `byKey`: its statements find their rows by their keys, so each is planned (and its plan kept)
   * without sequential scans, hash or merge joins: a generic plan made while the table was young
   * (where a walk is cheapest) would otherwise be kept as it grows, until the next analyze. It does
   * not stop a walk of a whole index: a statement whose keys a partial or wider index also covers
   * has to be shaped so that it cannot (young-plans.test.ts finds those). `true`: the whole
   * transaction; 'begin': its first message (the reads), and after it no sequential scans alone, for
   * a write that joins many rows to many, where a hash join is the right plan.
   */
  scriptTransaction<T>(fn: (tx: ScriptTx) => Promise<T>, { byKey = false }: { byKey?: boolean | 'begin' } = {}): Promise<T> {
    return this.retried(async (client) => {
      const tx = { stage: 'new' as 'new' | 'open' | 'committed' };
      const send = async (statements: readonly Statement[], first: readonly string[], last: readonly string[]): Promise<Row[][]> => {
        const { prepares, texts, at, prepared } = await this.executable(client, statements);
        const lead = [...prepares, ...first];
        let results: Row[][];
        try {
          results = await script(client, [...lead, ...texts, ...last].join(';\n'));
        } catch (error) {
          // Which of its PREPAREs ran is unknown (they outlive the rollback): asked again on next use.
          if (prepares.length > 0) unsure.add(client);
          throw error;
        }
        prepared();
        return at.map((index) => results[lead.length + index]!);
      };
      const result = await fn({
        begin(statements) {
          if (tx.stage !== 'new') throw new Error('begin() runs once, first');
          tx.stage = 'open';
          return send(statements, byKey ? ['BEGIN', ...BY_KEY] : ['BEGIN'], byKey === 'begin' ? JOINS_BACK : []);
        },
        send(statements) {
          if (tx.stage !== 'open') throw new Error('send() runs between begin() and commit()');
          return send(statements, [], []);
        },
        async commit(statements) {
          if (tx.stage !== 'open') throw new Error('commit() runs once, after begin()');
          tx.stage = 'committed';
          return send(statements, [], ['COMMIT']);
        },
        get statements() {
          if (tx.stage !== 'open') throw new Error('statements run between begin() and commit()');
          return queryable(client);
        },
      });
      if (tx.stage !== 'committed') throw new Error('a script transaction must end with commit()');
      return result;
    });
  }

  /**
   * Script statements as EXECUTEs of statements prepared on this connection (parsed and analysed
   * once, not on every run), with the PREPAREs of those new to it, to lead the same message (a
   * PREPARE is kept even when the transaction around it rolls back). `prepared()` records them once
   * the message has run. A connection whose last message failed after a PREPARE is asked what it
   * holds. One whose generic plan is checked on young and grown tables (`genericPlan`) is never
   * planned for its values; the server chooses for the others. A run of the first kind shares one
   * SET of the plan cache's mode, and every message ends with the mode back at its default. A
   * statement without parameters goes as it is.
   */
  private async executable(client: pg.PoolClient, statements: readonly Statement[]): Promise<{ prepares: string[]; texts: string[]; at: number[]; prepared(): void }> {
    let held = scriptStatements.get(client);
    if (!held || unsure.has(client)) {
      const rows = unsure.has(client) ? (await client.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name LIKE 'x%'")).rows : [];
      unsure.delete(client);
      scriptStatements.set(client, (held = new Set(rows.map((row) => row.name))));
    }
    const fresh = new Map<string, string>();
    const texts: string[] = [];
    /** Where each statement's own result is among those of `texts` (a run of generic plans is led and followed by a SET). */
    const at: number[] = [];
    let generic = false;
    const planGenerically = (on: boolean) => {
      if (on !== generic) texts.push(`SET LOCAL plan_cache_mode = ${on ? 'force_generic_plan' : 'DEFAULT'}`);
      generic = on;
    };
    for (const statement of statements) {
      const [text, params = [], options] = statement;
      if (params.length === 0) {
        planGenerically(false);
        at.push(texts.push(inline(statement)) - 1);
        continue;
      }
      let name = scriptNames.get(text);
      if (!name) scriptNames.set(text, (name = `x${scriptNames.size + 1}`));
      if (!held.has(name)) fresh.set(name, `PREPARE ${name} AS ${text}`);
      planGenerically(options?.genericPlan === true);
      at.push(texts.push(`EXECUTE ${name}(${literals(params)})`) - 1);
    }
    planGenerically(false);
    return { prepares: [...fresh.values()], texts, at, prepared: () => fresh.forEach((_, name) => held.add(name)) };
  }

  /** `attempt` on a connection of its own, retried on deadlock or serialization failure; the connection is rolled back or cut on failure. */
  private async retried<T>(attempt: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let round = 1; ; round++) {
      const { client, onError, failure } = await this.checkout();
      let broken: unknown = null;
      try {
        return await attempt(client);
      } catch (error) {
        // A server error leaves the connection usable once rolled back; anything else (a timeout, a
        // lost socket) leaves it unusable, and the server rolls back when it goes.
        broken ??= failure.error;
        if (broken === null && isServerError(error)) await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError));
        else broken ??= error;
        if (round < 5 && broken === null && RETRYABLE.has((error as { code?: string }).code ?? '')) continue;
        throw error;
      } finally {
        client.off('error', onError);
        broken ??= failure.error;
        client.release(broken === null ? undefined : (broken as Error));
      }
    }
  }

  /**
   * A pool client with an 'error' listener from the moment it is handed over: while checked out the
   * pool does not listen, and a server that goes away (its FATAL can arrive in the same packet as
   * the connection's ReadyForQuery, before an awaiting caller runs) would otherwise raise an event
   * nobody handles — which ends the process. The query in flight fails by itself.
   */
  private checkout(): Promise<{ client: pg.PoolClient; onError: (error: unknown) => void; failure: { error: unknown } }> {
    return new Promise((resolve, reject) => {
      this.pool.connect((error, client) => {
        if (error || !client) return reject(error ?? new Error('no connection'));
        const failure: { error: unknown } = { error: null };
        const onError = (cause: unknown) => {
          failure.error ??= cause;
        };
        client.on('error', onError);
        resolve({ client, onError, failure });
      });
    });
  }

  /**
   * On a connection of its own, without the query timeout (a migration may take long, and waits for
   * another process's under the advisory lock); every error is handled, none reaches the process.
   */
  async migrate(): Promise<string[]> {
    const client = new pg.Client({ connectionString: this.url, types, connectionTimeoutMillis: this.options.connectTimeoutMs, keepAlive: true });
    client.on('error', () => undefined);
    await client.connect();
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
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }
      return pending.map((m) => m.version);
    } finally {
      // Ending the session releases the advisory lock too.
      await endWithin(client, CLOSE_WITHIN_MS);
    }
  }

  /** Ends the pool; connections that do not end within a moment (a black hole) are cut. */
  async close(): Promise<void> {
    const ended = this.pool.end().catch(() => undefined);
    const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), CLOSE_WITHIN_MS).unref());
    if ((await Promise.race([ended, timer])) === 'late') {
      for (const client of (this.pool as unknown as { _clients: pg.Client[] })._clients ?? []) cut(client);
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, CLOSE_WITHIN_MS).unref())]);
    }
  }
}

/** An ErrorResponse from the server carries a five-character SQLSTATE; the driver's own errors do not. */
export function isServerError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** Destroys the client's socket: its end comes at once, whatever the other side does. */
export function cut(client: pg.Client | pg.PoolClient): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/** Ends a client politely, or cuts it when the server does not answer within `ms`. */
export async function endWithin(client: pg.Client, ms: number): Promise<void> {
  const ended = client.end().catch(() => undefined);
  const late = await Promise.race([ended.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), ms).unref())]);
  if (late) {
    cut(client);
    await ended;
  }
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}
