// `npm run bench -- --backlog N`: N pending retries for a dead receiver (hourly schedule), seeded
// straight into a fresh store; then callhook on it: start-up, RSS, and the delivery log's latency.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import pg from 'pg';
import { Pool } from 'undici';
import type { BenchArgs } from './args.ts';
import { call } from './load.ts';
import { type BenchDatabase, createBenchDatabase, describeUrl } from './postgres.ts';
import { cores, machineBusyPct, machineCpu } from './proc.ts';
import { type Child, OPERATOR_TOKEN, freePort, startChild } from './service.ts';

const HOUR_MS = 3_600_000;
/** Hourly for a day, spelled out: nothing exhausts it (or disables the webhook) during a run. */
const SCHEDULE_S = Array.from({ length: 24 }, () => 3_600);
/** callhook runs this long on the backlog before the API is timed: it claims and fails what comes due. */
const SETTLE_MS = 20_000;
const CALLS_PER_VARIANT = 200;
const IN_FLIGHT = 8;
/** A variant that scans the backlog stops after this long, with the calls it made. */
const VARIANT_BUDGET_MS = 15_000;
const SEED_CHUNK = 50_000;
/** The template call; clone i is `backlog-<i, 9 digits>`: the same length, so its JSON keeps its size. */
const TEMPLATE_CALL = 'backlog-000000000';

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Params = Record<string, string | number>;
type Kind = 'delivery' | 'attempt' | 'event' | 'call';

/** The bench's own connection to the store (seeding, counts, size). SQL names its parameters `@name`. */
interface SeedDb {
  run(sql: string, params?: Params): Promise<number>;
  get(sql: string, params?: Params): Promise<Record<string, unknown>>;
  columns(table: string): Promise<string[]>;
  sizeMb(): Promise<number>;
  close(): Promise<void>;
  // The dialect: typed parameters, an integer as 16 hex digits (a ULID's random part) or 9 decimals, rows s(i) for i in @first…@last.
  int(name: string): string; text(name: string): string;
  hex16(expr: string): string; pad9(expr: string): string;
  series: { with: string; from: string };
}

/** The `@name`s of a statement, in order of first use. */
const namesIn = (sql: string) => [...new Set(Array.from(sql.matchAll(/@(\w+)/g), (m) => m[1]!))];

function sqliteSeedDb(path: string): SeedDb {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY'); // a crash while seeding fails the run anyway
  const bind = (sql: string, params: Params) => Object.fromEntries(namesIn(sql).map((name) => [name, params[name]!])) as Record<string, SQLInputValue>;
  return {
    run: async (sql, params = {}) => Number(db.prepare(sql).run(bind(sql, params)).changes),
    get: async (sql, params = {}) => db.prepare(sql).get(bind(sql, params)) as Record<string, unknown>,
    columns: async (table) => db.prepare('SELECT name FROM pragma_table_info(?)').all(table).map((r) => String(r.name)),
    sizeMb: async () => {
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)'); // the file alone, not the log of the seeding
      return [path, `${path}-wal`].reduce((sum, file) => sum + (existsSync(file) ? statSync(file).size : 0), 0) / 2 ** 20;
    },
    close: async () => db.close(),
    int: (name) => `CAST(@${name} AS INTEGER)`, // a JS number may bind as REAL; the tables are STRICT
    text: (name) => `@${name}`,
    hex16: (expr) => `printf('%016X', ${expr})`,
    pad9: (expr) => `printf('%09d', ${expr})`,
    series: { with: 'WITH RECURSIVE s(i) AS (SELECT CAST(@first AS INTEGER) UNION ALL SELECT i + 1 FROM s WHERE i < @last) ', from: 's' },
  };
}

async function postgresSeedDb(url: string): Promise<SeedDb> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  const query = (sql: string, params: Params) => {
    const names = namesIn(sql);
    return client.query(sql.replace(/@(\w+)/g, (_, name: string) => `$${names.indexOf(name) + 1}`), names.map((name) => params[name]));
  };
  return {
    run: async (sql, params = {}) => (await query(sql, params)).rowCount ?? 0,
    get: async (sql, params = {}) => (await query(sql, params)).rows[0] as Record<string, unknown>,
    columns: async (table) =>
      (await query("SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = @table ORDER BY ordinal_position", { table })).rows.map((r: { name: string }) => r.name),
    sizeMb: async () => Number((await query('SELECT pg_database_size(current_database()) AS bytes', {})).rows[0].bytes) / 2 ** 20,
    close: () => client.end(),
    int: (name) => `@${name}::bigint`,
    text: (name) => `@${name}::text`,
    hex16: (expr) => `lpad(upper(to_hex(${expr})), 16, '0')`,
    pad9: (expr) => `lpad((${expr})::text, 9, '0')`,
    series: { with: '', from: 'generate_series(@first::bigint, @last::bigint) AS s(i)' },
  };
}

/** How a table's template row becomes clone i: fresh ids, the same ids inside its JSON, its times moved. */
const CLONES = {
  deliveries: { where: 'id = @delivery', ids: { id: 'delivery', event_id: 'event', call_id: 'call' }, json: 'body', times: ['created_at', 'updated_at', 'first_attempt_at', 'last_attempt_at', 'next_attempt_at'] },
  attempts: { where: 'delivery_id = @delivery', ids: { id: 'attempt', delivery_id: 'delivery' }, json: 'request_headers', times: ['started_at'] },
  events: { where: 'id = @event', ids: { id: 'event', call_id: 'call' }, json: 'data', times: ['occurred_at', 'created_at'] },
  calls: { where: 'call_id = @call', ids: { call_id: 'call' }, json: 'state', times: ['started_at', 'updated_at'] },
} satisfies Record<string, { where: string; ids: Record<string, Kind>; json: string; times: string[] }>;

/** One INSERT … SELECT that writes clones @first…@last of a table's template row. */
async function cloneSql(db: SeedDb, table: keyof typeof CLONES): Promise<string> {
  const { where, ids, json, times } = CLONES[table];
  const fresh = (kind: Kind) => `${db.text(`${kind}Prefix`)} || ${kind === 'call' ? db.pad9('s.i') : db.hex16('s.i')}`;
  // Clone i was created i/N of an hour after @base (an hour ago): its next attempt comes due i/N into the coming hour.
  const shift = `(${db.int('base')} + s.i * ${HOUR_MS} / ${db.int('n')} - ${db.int('anchor')})`;
  const value = (column: string) => {
    const kind = (ids as Record<string, Kind>)[column];
    if (kind) return fresh(kind);
    if (column === json) return (['call', 'event', 'delivery'] as const).reduce((text, k) => `replace(${text}, ${db.text(k)}, ${fresh(k)})`, `tpl.${column}`);
    return (times as string[]).includes(column) ? `tpl.${column} + ${shift}` : `tpl.${column}`;
  };
  const columns = (await db.columns(table)).filter((c) => c !== 'seq'); // a clone takes the next seq
  return `${db.series.with}INSERT INTO ${table} (${columns.join(', ')}) SELECT ${columns.map(value).join(', ')} FROM ${db.series.from} CROSS JOIN ${table} AS tpl WHERE tpl.${where}`;
}

/** Clones the one real pending delivery (with its attempt, event and call) until N are pending. */
async function seed(db: SeedDb, backlog: number, log: (line: string) => void): Promise<{ bodyBytes: number }> {
  const template = await db.get("SELECT id, event_id, call_id, created_at, length(body) AS bytes FROM deliveries WHERE status = 'pending' AND attempts >= 1");
  const [delivery, event, call] = [String(template.id), String(template.event_id), String(template.call_id)];
  const attempt = String((await db.get('SELECT id FROM attempts WHERE delivery_id = @delivery', { delivery })).id);
  const prefix = (id: string) => id.slice(0, -16); // `dlv_` and the time part of the ULID
  const params = {
    delivery, event, attempt, call, deliveryPrefix: prefix(delivery), eventPrefix: prefix(event), attemptPrefix: prefix(attempt), callPrefix: 'backlog-',
    base: Date.now() - HOUR_MS, n: backlog, anchor: Number(template.created_at),
  };
  const statements: string[] = [];
  for (const table of Object.keys(CLONES) as Array<keyof typeof CLONES>) statements.push(await cloneSql(db, table)); // one query at a time on one client
  for (let first = 1; first < backlog; first += SEED_CHUNK) {
    const last = Math.min(backlog - 1, first + SEED_CHUNK - 1);
    await db.run('BEGIN');
    for (const sql of statements) await db.run(sql, { ...params, first, last });
    await db.run('COMMIT');
    log(`bench: seeded ${last + 1}/${backlog}`);
  }
  return { bodyBytes: Number(template.bytes) };
}

/**
 * The dispatcher's work since `since` (epoch ms): attempts made, and retries of the webhook more than
 * 5 s late at `at`. Closes `db`. By webhook: a seek of its due index (a store's only index of due
 * times may be the one per webhook).
 */
async function dispatcherAt(db: SeedDb, webhookId: string, since: number, at: number): Promise<{ attempts: number; late: number }> {
  try {
    const attempts = await db.get(`SELECT count(*) AS n FROM attempts WHERE started_at >= ${db.int('since')}`, { since });
    const late = await db.get(
      `SELECT count(*) AS n FROM deliveries WHERE webhook_id = ${db.text('webhook')} AND status = 'pending' AND next_attempt_at <= ${db.int('at')}`,
      { webhook: webhookId, at: at - 5_000 },
    );
    return { attempts: Number(attempts.n), late: Number(late.n) };
  } finally {
    await db.close();
  }
}

/** Seeded retries that came due before callhook is up move on by an hour, as their attempt would have moved them. */
const moveOverdue = (db: SeedDb, webhookId: string) =>
  db.run(
    `UPDATE deliveries SET next_attempt_at = next_attempt_at + ${HOUR_MS} WHERE webhook_id = ${db.text('webhook')} AND status = 'pending' AND next_attempt_at < ${db.int('until')}`,
    { webhook: webhookId, until: Date.now() + 2_000 },
  );

/** The organization and webhook, made through the API, and one real call step: the rows every clone copies. */
async function setUp(base: string, targetUrl: string): Promise<{ orgId: string; webhookId: string }> {
  const org = await call<{ id: string }>(base, 'POST', '/v1/orgs', { name: 'Backlog Company', domain: 'backlog.example', notificationEmails: ['ops@backlog.example'] });
  const connection = await call<{ ingestToken: string }>(base, 'POST', `/v1/orgs/${org.id}/connections`, { name: 'PBX' });
  await call(base, 'POST', `/v1/orgs/${org.id}/users`, { id: 'u-500', extension: '500', email: 'anna@backlog.example', name: 'Anna' });
  const webhook = await call<{ id: string }>(base, 'POST', `/v1/orgs/${org.id}/webhooks`, { url: targetUrl, format: 'standard', retryScheduleS: SCHEDULE_S });
  const step = { type: 'started', callId: TEMPLATE_CALL, direction: 'inbound', from: '+31201234567', to: '500', user: '500', at: Date.now() };
  await call(base, 'POST', '/v1/ingest/calls', step, connection.ingestToken);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const page = await call<{ data: Array<{ attempts: number; status: string }> }>(base, 'GET', `/v1/orgs/${org.id}/deliveries`);
    if (page.data.length === 1 && page.data[0]!.attempts >= 1 && page.data[0]!.status === 'pending') break;
    if (Date.now() > deadline) throw new Error(`the template delivery was not attempted within 30 s: ${JSON.stringify(page.data)}`);
    await sleep(200);
  }
  return { orgId: org.id, webhookId: webhook.id };
}

/** Nothing listening (refused at once), or a listener that never answers (every attempt takes its deadline). */
async function deadReceiver(how: BenchArgs['deadReceiver']): Promise<{ url: string; close(): void }> {
  if (how === 'refused') return { url: `http://127.0.0.1:${await freePort()}/hooks/backlog`, close: () => undefined };
  const server = createServer(() => undefined).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/backlog`, close: () => (server.closeAllConnections(), server.close()) };
}

interface Timing { n: number; p50: number; p99: number; max: number; errors?: number }

/** `count` GETs, `inFlight` at a time, or as many as fit in the budget: ms per call. */
async function timeCalls(pool: Pool, path: string, count: number, inFlight: number): Promise<Timing> {
  const ms: number[] = [];
  let [errors, sent] = [0, 0];
  const started = performance.now();
  const worker = async () => {
    while (sent < count && performance.now() - started < VARIANT_BUDGET_MS) {
      sent++;
      const at = performance.now();
      const response = await pool.request({ path, method: 'GET', headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
      await response.body.text();
      ms.push(performance.now() - at);
      if (response.statusCode !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const sorted = Float64Array.from(ms).sort();
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
  return { n: ms.length, p50: at(0.5), p99: at(0.99), max: at(1), ...(errors ? { errors } : {}) };
}

/** Where the memory is (V8 heap used and total, buffers outside it), from callhook's /metrics, in MB. */
async function heapOf(base: string): Promise<Record<string, number>> {
  const text = await fetch(`${base}/metrics`).then((r) => r.text(), () => '');
  const lines = text.split('\n');
  const mb = (name: string) => round(Number(lines.find((line) => line.startsWith(`${name} `))?.slice(name.length + 1)) / 2 ** 20);
  return { heapUsedMb: mb('nodejs_heap_size_used_bytes'), heapTotalMb: mb('nodejs_heap_size_total_bytes'), externalMb: mb('nodejs_external_memory_bytes') };
}

export async function runBacklogBench(args: BenchArgs, log: (line: string) => void): Promise<number> {
  const backlog = args.backlog!;
  const postgres = args.store === 'postgres';
  const dir = mkdtempSync(join(tmpdir(), 'callhook-backlog-'));
  const receiver = await deadReceiver(args.deadReceiver);
  let database: BenchDatabase | null = null;
  let child: Child | null = null;
  let cleaning: Promise<void> | null = null;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      await child?.stop();
      receiver.close();
      await database?.drop().catch((error: unknown) => log(`bench: could not drop database ${database?.name}: ${(error as Error).message}`));
      rmSync(dir, { recursive: true, force: true });
    })());
  const interrupted = () => void (log('bench: interrupted; stopping callhook'), cleanUp().finally(() => process.exit(130)));
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    if (postgres) database = await createBenchDatabase(args.postgresUrl, 'callhook_backlog');
    const sqlitePath = join(dir, 'callhook.db');
    const env = { CALLHOOK_DEV: '1', CALLHOOK_DATABASE_URL: database ? database.url : `sqlite:${sqlitePath}` };
    const openDb = () => (database ? postgresSeedDb(database.url) : Promise.resolve(sqliteSeedDb(sqlitePath)));
    log(`bench: ${database ? describeUrl(database.url) : sqlitePath}; receiver ${receiver.url} (${args.deadReceiver}); migrations and the template call through callhook…`);
    child = await startChild({ cpuProfDir: null, log, env, name: 'callhook-setup' });
    const { orgId, webhookId } = await setUp(child.url, receiver.url);
    await child.stop();

    const seedStarted = performance.now();
    const seedDb = await openDb();
    const { bodyBytes } = await seed(seedDb, backlog, log);
    await moveOverdue(seedDb, webhookId);
    if (postgres) {
      log('bench: VACUUM (ANALYZE) and CHECKPOINT, as autovacuum would have by now…');
      for (const table of Object.keys(CLONES)) await seedDb.run(`VACUUM (ANALYZE) ${table}`);
      await seedDb.run('CHECKPOINT');
    }
    const seedS = round((performance.now() - seedStarted) / 1_000);
    const pending = Number((await seedDb.get("SELECT count(*) AS n FROM deliveries WHERE status = 'pending'")).n);
    const dbSizeMb = round(await seedDb.sizeMb());
    await moveOverdue(seedDb, webhookId);
    await seedDb.close();
    log(`bench: ${pending} pending deliveries (${bodyBytes} B bodies), store ${dbSizeMb} MB, seeded in ${seedS} s; starting callhook…`);

    const busyBeforePct = await machineBusyPct(1_000);
    if (busyBeforePct !== null && busyBeforePct > 25) log(`bench: the machine is busy before the start (${busyBeforePct}% of a core); figures will be low`);
    const [spawnedAt, runStartedAt] = [performance.now(), Date.now()];
    const measured: Child = (child = await startChild({ cpuProfDir: args.cpuProf, log, env }));
    while ((await fetch(`${measured.url}/readyz`).then((r) => r.status, () => 0)) !== 200) await sleep(20);
    const startupMs = Math.round(performance.now() - spawnedAt);
    const rssReadyMb = measured.memory().rssMb;
    let rssMaxMb = rssReadyMb ?? 0;
    const sampler = setInterval(() => (rssMaxMb = Math.max(rssMaxMb, measured.memory().rssMb ?? 0)), 250);
    const [cpuBefore, machineBefore] = [measured.cpuSeconds(), machineCpu()];
    log(`bench: ready in ${startupMs} ms (RSS ${rssReadyMb} MB); letting it work on the backlog for ${SETTLE_MS / 1_000} s…`);
    await sleep(SETTLE_MS);
    const rssSettledMb = measured.memory().rssMb;
    // A second connection while callhook runs (SQLite: a WAL reader), before the API timing competes with the dispatcher.
    const settled = await dispatcherAt(await openDb(), webhookId, runStartedAt, Date.now());
    const settledS = (performance.now() - spawnedAt) / 1_000;
    log(`bench: after ${SETTLE_MS / 1_000} s: RSS ${rssSettledMb} MB, ${settled.attempts} attempts, ${settled.late} retries late; timing the API…`);

    const pool = new Pool(measured.url, { connections: IN_FLIGHT });
    const deliveries = `/v1/orgs/${orgId}/deliveries?limit=50`;
    const first = await call<{ nextCursor: string | null }>(measured.url, 'GET', deliveries);
    const variants: Record<string, string> = {
      all: deliveries,
      pending: `${deliveries}&status=pending`,
      webhook: `${deliveries}&webhookId=${webhookId}`,
      nextPage: `${deliveries}&after=${first.nextCursor}`,
      // Filters the backlog has (almost) no rows for: one call's deliveries (what a call's page lists), a status and an event none has.
      call: `${deliveries}&callId=backlog-${String(Math.floor(backlog / 2)).padStart(9, '0')}`,
      failed: `${deliveries}&status=failed`,
      event: `${deliveries}&event=call.ended`,
      webhooks: `/v1/orgs/${orgId}/webhooks`,
    };
    const list: Record<string, Timing & { conc8?: Timing }> = {};
    for (const inFlight of [1, IN_FLIGHT]) {
      await timeCalls(pool, deliveries, 4 * inFlight, inFlight); // untimed: the HTTP and database pools open their connections
      for (const [name, path] of Object.entries(variants)) {
        const timing = await timeCalls(pool, path, CALLS_PER_VARIANT, inFlight);
        if (inFlight === 1) list[name] = timing;
        else list[name]!.conc8 = timing;
        log(`bench: ${name} × ${inFlight}: ${JSON.stringify(timing)}, RSS ${measured.memory().rssMb} MB`);
      }
    }
    await pool.close();
    clearInterval(sampler);
    const windowS = (performance.now() - spawnedAt) / 1_000 - startupMs / 1_000;
    const [cpuAfter, machineAfter, memory, heap, childExited] = [measured.cpuSeconds(), machineCpu(), measured.memory(), await heapOf(measured.url), measured.exited()];
    const stoppedAt = Date.now();
    await measured.stop();
    const ended = await dispatcherAt(await openDb(), webhookId, runStartedAt, stoppedAt);

    const result = {
      backlog, store: args.store, deadReceiver: args.deadReceiver, startupMs,
      rssReadyMb, rssSettledMb, rssMb: memory.rssMb, rssMaxMb: round(rssMaxMb), rssPeakMb: memory.peakMb, ...heap,
      list, seedS, dbSizeMb, bodyBytes,
      // Hourly retries of N come due at N/3600 per second: did the dispatcher keep up (before the API timing, and to the end)?
      dispatcher: { duePerS: round(backlog / 3_600), attemptsPerS: round(settled.attempts / settledS), lateAfterSettle: settled.late, attempts: ended.attempts, lateAtEnd: ended.late },
      childCpuPct: cpuBefore === null || cpuAfter === null ? null : round((100 * (cpuAfter - cpuBefore)) / windowS),
      childExited,
      machine: { cores, busyBeforePct, busyPct: machineBefore && machineAfter ? round((100 * (machineAfter.busyS - machineBefore.busyS)) / windowS) : null },
      node: process.version,
      ...(database ? { database: database.name } : {}),
    };
    await cleanUp();
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    await cleanUp();
  }
}
