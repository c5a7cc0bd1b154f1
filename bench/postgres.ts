// The bench's own PostgreSQL database: created fresh on the server (`callhook_bench_<random>`),
// dropped at the end, and read for the server's statistics before and after the load —
// transactions (pg_stat_database), rows written per table (pg_stat_user_tables), WAL (pg_stat_wal) —
// so the JSON can say what one delivery costs the database.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TableStats {
  ins: number;
  upd: number;
  hotUpd: number;
  del: number;
  seqScan: number;
  seqTupRead: number;
  idxScan: number;
}

export interface IndexStats {
  scans: number;
  /** Index entries returned (dead ones included until vacuum or a scan marks them). */
  tupRead: number;
}

export interface DbStats {
  commits: number;
  rollbacks: number;
  tupReturned: number;
  tupFetched: number;
  tupInserted: number;
  tupUpdated: number;
  tupDeleted: number;
  blksRead: number;
  blksHit: number;
  deadlocks: number;
  /** Bytes of WAL the whole server wrote so far (pg_current_wal_lsn). */
  walBytes: bigint;
  /** pg_stat_wal (whole server): WAL records, full-page images, and WAL fsyncs (commits wait for these). */
  walRecords: number;
  walFpi: number;
  walSyncs: number;
  tables: Map<string, TableStats>;
  indexes: Map<string, IndexStats>;
}

export interface BenchDatabase {
  name: string;
  /** The URL callhook connects to (the server URL with this database). */
  url: string;
  stats(): Promise<DbStats>;
  /** Rows in callhook's `workers` table seen recently (processes that beat). */
  workers(): Promise<number>;
  /** Waits until no session is connected to the database any more (its statistics are flushed then). */
  waitNoSessions(timeoutMs: number): Promise<boolean>;
  /** A checkpoint now, so one does not land in the middle of the measured run. */
  checkpoint(): Promise<void>;
  /** Drops the database (forcing off any session still on it); safe to call twice. */
  drop(): Promise<void>;
}

const bigintAsNumber = { getTypeParser: (oid: number, format?: string) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text')) };

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** `postgres://user@host:port/db` without a password, for logs. */
export function describeUrl(url: string): string {
  const u = new URL(url);
  return `postgres://${u.username ? `${u.username}@` : ''}${u.host}${u.pathname}`;
}

/** `prefix`: the name's start, before a random suffix (`callhook_backlog` for bench/backlog.ts). */
export async function createBenchDatabase(serverUrl: string, prefix = 'callhook_bench'): Promise<BenchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const url = withDatabase(serverUrl, name);
  const admin = new pg.Client({ connectionString: serverUrl, types: bigintAsNumber });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    await admin.end().catch(() => undefined);
    throw error;
  }
  let dropped = false;

  async function onDatabase<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: url, types: bigintAsNumber });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  return {
    name,
    url,
    async stats() {
      const db = (
        await admin.query(
          `SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted, blks_read, blks_hit, deadlocks,
                  pg_current_wal_lsn()::text AS lsn
           FROM pg_stat_database WHERE datname = $1`,
          [name],
        )
      ).rows[0] as {
        xact_commit: number; xact_rollback: number; tup_returned: number; tup_fetched: number; tup_inserted: number; tup_updated: number;
        tup_deleted: number; blks_read: number; blks_hit: number; deadlocks: number; lsn: string;
      };
      const wal = (await admin.query('SELECT wal_records, wal_fpi, wal_sync FROM pg_stat_wal')).rows[0] as { wal_records: number; wal_fpi: number; wal_sync: number };
      // Per-table counters are only visible from inside the database.
      const [tableRows, indexRows] = await onDatabase(async (client) => [
        (await client.query('SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del, seq_scan, seq_tup_read, idx_scan FROM pg_stat_user_tables')).rows as Array<{
          relname: string; n_tup_ins: number; n_tup_upd: number; n_tup_hot_upd: number; n_tup_del: number; seq_scan: number | null; seq_tup_read: number | null;
          idx_scan: number | null;
        }>,
        (await client.query('SELECT relname, indexrelname, idx_scan, idx_tup_read FROM pg_stat_user_indexes')).rows as Array<{
          relname: string; indexrelname: string; idx_scan: number; idx_tup_read: number;
        }>,
      ] as const);
      const [hi, lo] = db.lsn.split('/').map((h) => BigInt(`0x${h}`)) as [bigint, bigint];
      return {
        commits: db.xact_commit,
        rollbacks: db.xact_rollback,
        tupReturned: db.tup_returned,
        tupFetched: db.tup_fetched,
        tupInserted: db.tup_inserted,
        tupUpdated: db.tup_updated,
        tupDeleted: db.tup_deleted,
        blksRead: db.blks_read,
        blksHit: db.blks_hit,
        deadlocks: db.deadlocks,
        walBytes: (hi << 32n) + lo,
        walRecords: wal.wal_records,
        walFpi: wal.wal_fpi,
        walSyncs: wal.wal_sync,
        tables: new Map(
          tableRows.map((r) => [
            r.relname,
            { ins: r.n_tup_ins, upd: r.n_tup_upd, hotUpd: r.n_tup_hot_upd, del: r.n_tup_del, seqScan: r.seq_scan ?? 0, seqTupRead: r.seq_tup_read ?? 0, idxScan: r.idx_scan ?? 0 },
          ]),
        ),
        indexes: new Map(indexRows.map((r) => [`${r.relname}.${r.indexrelname}`, { scans: r.idx_scan, tupRead: r.idx_tup_read }])),
      };
    },
    async workers() {
      return onDatabase(async (client) => {
        const exists = (await client.query("SELECT to_regclass('workers') IS NOT NULL AS ok")).rows[0] as { ok: boolean };
        if (!exists.ok) return 0;
        return ((await client.query('SELECT count(*)::int AS n FROM workers')).rows[0] as { n: number }).n;
      });
    },
    async waitNoSessions(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { n } = (await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name])).rows[0] as { n: number };
        if (n === 0) return true;
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async checkpoint() {
      await admin.query('CHECKPOINT');
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end().catch(() => undefined);
      }
    },
  };
}

export interface DbDelta {
  transactions: number;
  transactionsPerDelivery: number;
  rollbacks: number;
  deadlocks: number;
  rowsWrittenPerDelivery: number;
  /** Tuples read (fetched by index + returned by scans) per delivery. */
  rowsReadPerDelivery: number;
  walBytesPerDelivery: number;
  walMb: number;
  walRecordsPerDelivery: number;
  /** Full-page images: the first change to a page after a checkpoint logs the whole 8 kB page. */
  walFullPagesPerDelivery: number;
  /** WAL fsyncs (server-wide) per delivery: each commit waits for one, shared by the commits that group behind it. */
  walSyncsPerDelivery: number;
  bufferHitsPerDelivery: number;
  blocksReadFromDisk: number;
  /** Per table, per delivery: rows inserted / updated (of which HOT) / deleted, scans and rows the sequential scans read. */
  tables: Record<string, { ins: number; upd: number; hotUpd: number; del: number; seqScan: number; seqTupRead: number; idxScan: number }>;
  /** Per index that was used, per delivery: scans and entries read. */
  indexes: Record<string, { scans: number; tupRead: number }>;
}

/** What happened between two snapshots, divided by the deliveries made in between. */
export function dbDelta(before: DbStats, after: DbStats, deliveries: number): DbDelta {
  const per = (n: number, digits = 2) => (deliveries > 0 ? Math.round((n / deliveries) * 10 ** digits) / 10 ** digits : NaN);
  const transactions = after.commits + after.rollbacks - before.commits - before.rollbacks;
  const written = after.tupInserted + after.tupUpdated + after.tupDeleted - (before.tupInserted + before.tupUpdated + before.tupDeleted);
  const wal = Number(after.walBytes - before.walBytes);
  const tables: DbDelta['tables'] = {};
  const zero: TableStats = { ins: 0, upd: 0, hotUpd: 0, del: 0, seqScan: 0, seqTupRead: 0, idxScan: 0 };
  for (const [name, a] of [...after.tables].sort(([x], [y]) => x.localeCompare(y))) {
    const b = before.tables.get(name) ?? zero;
    const d = {
      ins: a.ins - b.ins, upd: a.upd - b.upd, hotUpd: a.hotUpd - b.hotUpd, del: a.del - b.del,
      seqScan: a.seqScan - b.seqScan, seqTupRead: a.seqTupRead - b.seqTupRead, idxScan: a.idxScan - b.idxScan,
    };
    if (Object.values(d).every((v) => v === 0)) continue;
    tables[name] = {
      ins: per(d.ins, 3), upd: per(d.upd, 3), hotUpd: per(d.hotUpd, 3), del: per(d.del, 3),
      seqScan: per(d.seqScan, 3), seqTupRead: per(d.seqTupRead, 1), idxScan: per(d.idxScan, 3),
    };
  }
  const indexes: DbDelta['indexes'] = {};
  for (const [name, a] of [...after.indexes].sort((x, y) => y[1].tupRead - x[1].tupRead)) {
    const b = before.indexes.get(name) ?? { scans: 0, tupRead: 0 };
    if (a.scans === b.scans) continue;
    indexes[name] = { scans: per(a.scans - b.scans, 3), tupRead: per(a.tupRead - b.tupRead, 1) };
  }
  return {
    transactions,
    transactionsPerDelivery: per(transactions),
    rollbacks: after.rollbacks - before.rollbacks,
    deadlocks: after.deadlocks - before.deadlocks,
    rowsWrittenPerDelivery: per(written),
    rowsReadPerDelivery: per(after.tupFetched + after.tupReturned - before.tupFetched - before.tupReturned),
    walBytesPerDelivery: Math.round(per(wal, 0)),
    walMb: Math.round(wal / 1024 / 102.4) / 10,
    walRecordsPerDelivery: per(after.walRecords - before.walRecords, 1),
    walFullPagesPerDelivery: per(after.walFpi - before.walFpi),
    walSyncsPerDelivery: per(after.walSyncs - before.walSyncs, 3),
    bufferHitsPerDelivery: per(after.blksHit - before.blksHit, 1),
    blocksReadFromDisk: after.blksRead - before.blksRead,
    tables,
    indexes,
  };
}
