// `--pg-trace`: a TCP proxy between callhook and PostgreSQL that reads the wire protocol (v3) and
// counts round trips — one per simple Query ('Q') or extended-protocol Sync ('S'), each ending at
// the server's ReadyForQuery ('Z') — by statement text and by transaction, with the time from the
// request reaching the proxy to the server being ready again. pg_stat_statements needs a server
// restart (shared_preload_libraries); this needs nothing but a hop through the bench process, so
// it makes callhook slower: use it for the counts, not for the throughput.
//
// Limits: no TLS (node-pg asks for none unless the URL says so; a connection that asks is passed
// through uncounted), and one client per connection as node-pg does (no pipelining across Syncs
// is assumed for the transaction view; the round-trip FIFO copes with it anyway).
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface Tally {
  count: number;
  ms: number;
}

export interface TxTally extends Tally {
  /** Round trips inside, BEGIN and COMMIT included. */
  roundTrips: number;
  /** Sum of those round trips' times; the rest of `ms` is spent in callhook between them. */
  roundTripMs: number;
  rollbacks: number;
}

export interface TraceCounts {
  connections: number;
  roundTrips: number;
  /** Sum of round-trip times (request at the proxy → ReadyForQuery at the proxy), ms. */
  waitMs: number;
  /** NotificationResponse messages (LISTEN/NOTIFY wake-ups) delivered to callhook processes. */
  notifications: number;
  /** ErrorResponse by SQLSTATE (40P01 deadlock, 40001 serialization failure, …). */
  errors: Record<string, number>;
  /** By normalized statement text. */
  statements: Map<string, Tally>;
  /** Explicit transactions by their first statement after BEGIN; ms from BEGIN sent to COMMIT done. */
  transactions: Map<string, TxTally>;
  /**
   * Round trips by the part of callhook they serve (PATHS): a transaction's round trips, BEGIN and
   * COMMIT included, go to the path of the first statement in it that PATHS knows; others by their own text.
   */
  paths: Map<string, Tally>;
  /** Statement → the path it was last counted under (through its transaction). */
  statementPaths: Map<string, string>;
}

export interface PgTrace {
  /** `url` with host and port replaced by the proxy's. */
  via(url: string): string;
  /** Counts since the start (or the last reset). */
  counts(): TraceCounts;
  reset(): void;
  close(): Promise<void>;
}

const PROTOCOL_V3 = 196_608;
const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;

/** String literals, quoted or dollar-quoted as inline-sql.ts writes them (a cut message may end inside one). */
const LITERALS = /\$q\$[\s\S]*?(?:\$q\$|$)|E?'(?:[^']|'')*(?:'|$)/g;

/** One line of SQL, whitespace collapsed, cut to a readable key. */
export function statementKey(text: string): string {
  // Values a script writes in as literals (inline-sql.ts) become `?`, so its statements group.
  const line = text.replace(LITERALS, '?').replace(/\s+/g, ' ').trim();
  return line.length > 110 ? `${line.slice(0, 107)}…` : line;
}

/**
 * The key of a simple-protocol message: its statements, literals as `?`, each `EXECUTE name(…)` as
 * the statement PREPAREd under that name on the connection (recorded here when seen).
 */
export function scriptKey(text: string, scripts: Map<string, string>): string {
  const bare = text.replace(LITERALS, '?');
  const parts: string[] = [];
  let prepares = 0;
  for (const part of bare.split(';')) {
    const prepare = /^\s*PREPARE\s+(\w+)\s+AS\s+([\s\S]*)$/i.exec(part);
    if (prepare) {
      // Statements new to the connection lead a script's message (or, rarely, stand alone).
      scripts.set(prepare[1]!, statementKey(prepare[2]!));
      prepares++;
      continue;
    }
    const execute = /^\s*EXECUTE\s+(\w+)\s*\(/i.exec(part);
    const statement = (execute ? (scripts.get(execute[1]!) ?? part) : part).replace(/\s+/g, ' ').trim();
    if (statement.length > 0) parts.push(statement);
  }
  if (parts.length === 0 && prepares > 0) return statementKey(`PREPARE ${[...scripts.values()].at(-1)}`);
  return statementKey(parts.join('; '));
}

/**
 * Frames a byte stream into messages: a 1-byte type (unless untyped, as in the startup phase) and an
 * Int32 length that counts itself. Keeps at most `capOf(type)` bytes of each body.
 */
class Framer {
  typed: boolean;
  private readonly header = Buffer.alloc(5);
  private headerHave = 0;
  private type = 0;
  private remaining = -1; // body bytes still to come; -1 while reading a header
  private parts: Buffer[] = [];
  private kept = 0;
  private cap = 0;
  private readonly capOf: (type: number) => number;
  private readonly onMessage: (type: number, body: Buffer) => void;

  constructor(typed: boolean, capOf: (type: number) => number, onMessage: (type: number, body: Buffer) => void) {
    this.typed = typed;
    this.capOf = capOf;
    this.onMessage = onMessage;
  }

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining < 0) {
        const size = this.typed ? 5 : 4;
        const take = Math.min(size - this.headerHave, chunk.length - i);
        chunk.copy(this.header, this.headerHave, i, i + take);
        this.headerHave += take;
        i += take;
        if (this.headerHave < size) return;
        this.headerHave = 0;
        this.type = this.typed ? this.header[0]! : 0;
        this.remaining = this.header.readInt32BE(this.typed ? 1 : 0) - 4;
        this.parts = [];
        this.kept = 0;
        this.cap = this.capOf(this.type);
      }
      const take = Math.min(this.remaining, chunk.length - i);
      if (this.kept < this.cap && take > 0) {
        const keep = Math.min(take, this.cap - this.kept);
        this.parts.push(chunk.subarray(i, i + keep));
        this.kept += keep;
      }
      i += take;
      this.remaining -= take;
      if (this.remaining === 0) {
        this.remaining = -1;
        const body = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
        this.parts = [];
        this.onMessage(this.type, body);
      }
    }
  }
}

function cstring(body: Buffer, from: number): [string, number] {
  const end = body.indexOf(0, from);
  if (end < 0) return [body.toString('utf8', from), body.length];
  return [body.toString('utf8', from, end), end + 1];
}

const T = (c: string) => c.charCodeAt(0);

export async function startPgTrace(target: { host: string; port: number }): Promise<PgTrace> {
  const fresh = (connections: number): TraceCounts => ({
    connections, roundTrips: 0, waitMs: 0, notifications: 0, errors: {}, statements: new Map(), transactions: new Map(), paths: new Map(), statementPaths: new Map(),
  });
  let counts = fresh(0);
  const reset = () => {
    counts = fresh(counts.connections); // connections stay open across a reset
  };
  const tally = <V extends Tally>(map: Map<string, V>, key: string, make: () => V): V => {
    let t = map.get(key);
    if (!t) map.set(key, (t = make()));
    return t;
  };
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client);
    sockets.add(upstream);
    counts.connections++;
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);

    let traced = true;
    let now = 0;
    /** Statement name → key, as this connection's Parse messages defined them. */
    const prepared = new Map<string, string>();
    /** Statements prepared with PREPARE on this connection (a script EXECUTEs them by name). */
    const scripts = new Map<string, string>();
    let batch: { key: string | null; at: number } | null = null;
    const waiting: Array<{ key: string; at: number }> = [];
    let tx: { at: number; kind: string | null; roundTrips: number; ms: number; keys: string[]; failed?: boolean } | null = null;

    const request = (key: string, at: number) => waiting.push({ key, at });
    const fromClient = new Framer(
      false,
      (type) => (type === T('Q') || type === T('P') ? 4_096 : type === T('B') ? 512 : type === 0 ? 8 : 0),
      (type, body) => {
        if (!fromClient.typed) {
          const code = body.length >= 4 ? body.readInt32BE(0) : 0;
          if (code === PROTOCOL_V3) fromClient.typed = true;
          else if (code === SSL_REQUEST || code === GSSENC_REQUEST) traced = false; // the reply byte and TLS are not framed
          return;
        }
        switch (String.fromCharCode(type)) {
          case 'Q':
            request(scriptKey(cstring(body, 0)[0], scripts), now);
            break;
          case 'P': {
            const [name, next] = cstring(body, 0);
            const key = statementKey(cstring(body, next)[0]);
            prepared.set(name, key);
            batch ??= { key: null, at: now };
            if (name === '') batch.key = key;
            break;
          }
          case 'B': {
            const [, next] = cstring(body, 0);
            const [statement] = cstring(body, next);
            batch ??= { key: null, at: now };
            batch.key = prepared.get(statement) ?? batch.key ?? `(statement ${statement})`;
            break;
          }
          case 'S':
            request(batch?.key ?? '(sync)', batch?.at ?? now);
            batch = null;
            break;
          default:
            break;
        }
      },
    );

    const fromServer = new Framer(
      true,
      (type) => (type === T('Z') ? 1 : type === T('E') ? 1_024 : 0),
      (type, body) => {
        if (type === T('A')) {
          counts.notifications++;
          return;
        }
        if (type === T('E')) {
          for (let i = 0; i < body.length && body[i] !== 0; ) {
            const field = body[i]!;
            const [value, next] = cstring(body, i + 1);
            if (field === T('C')) counts.errors[value] = (counts.errors[value] ?? 0) + 1;
            i = next;
          }
          return;
        }
        if (type !== T('Z')) return;
        const done = waiting.shift();
        if (!done) return; // the ReadyForQuery that ends the start-up
        const ms = now - done.at;
        counts.roundTrips++;
        counts.waitMs += ms;
        const statement = tally(counts.statements, done.key, () => ({ count: 0, ms: 0 }));
        statement.count++;
        statement.ms += ms;
        // Transactions by the server's status in ReadyForQuery: 'I' idle, 'T' in one, 'E' failed in
        // one. A script (BEGIN; reads…) opens one in its first round trip, and (writes…; COMMIT)
        // closes it in its last.
        const status = String.fromCharCode(body[0] ?? T('I'));
        const word = done.key.split(/[ ;]/, 1)[0]!.toUpperCase();
        const statementOf = (key: string) => key.replace(/^BEGIN; /i, '');
        if (!tx && status !== 'I') {
          // A script's first message may lead with the PREPAREs of statements new to the connection.
          const begin = done.key.indexOf('BEGIN; ');
          tx = { at: done.at, kind: begin >= 0 ? statementOf(done.key.slice(begin)) : null, roundTrips: 1, ms, keys: [] };
          if (tx.kind) tx.keys.push(tx.kind);
          if (status === 'E') tx.failed = true;
        } else if (tx) {
          tx.roundTrips++;
          tx.ms += ms;
          if (status === 'E') tx.failed = true;
          if (status === 'I') {
            const kind = tx.kind ?? '(empty)';
            const t = tally(counts.transactions, kind, () => ({ count: 0, ms: 0, roundTrips: 0, roundTripMs: 0, rollbacks: 0 }));
            t.count++;
            t.ms += now - tx.at;
            t.roundTrips += tx.roundTrips;
            t.roundTripMs += tx.ms;
            if (word === 'ROLLBACK' || tx.failed) t.rollbacks++;
            if (word !== 'COMMIT' && word !== 'ROLLBACK' && word !== 'END') tx.keys.push(done.key);
            const name = tx.keys.map(pathOf).find((p) => p !== 'other') ?? 'other';
            for (const key of tx.keys) counts.statementPaths.set(key, name);
            const path = tally(counts.paths, name, () => ({ count: 0, ms: 0 }));
            path.count += tx.roundTrips;
            path.ms += tx.ms;
            tx = null;
          } else {
            tx.kind ??= done.key;
            tx.keys.push(done.key);
          }
        } else {
          const name = pathOf(done.key);
          counts.statementPaths.set(done.key, name);
          const path = tally(counts.paths, name, () => ({ count: 0, ms: 0 }));
          path.count++;
          path.ms += ms;
        }
      },
    );

    client.on('data', (chunk: Buffer) => {
      if (!traced) return;
      now = performance.now();
      fromClient.push(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!traced) return;
      now = performance.now();
      fromServer.push(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    via(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    counts: () => counts,
    reset,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Which part of callhook a statement belongs to, by the SQL text in src/store/postgres (a statement
 * this list does not know lands in `other`; the per-statement table still shows it). A transaction
 * belongs to the first of its statements listed here.
 */
export const PATHS: Array<{ path: string; what: string; starts: string[] }> = [
  {
    path: 'ingest',
    what: 'per ingest request: token lookup, the batched reads of users, numbers and outcome rules (read-batches.ts), the group-commit transaction (ingest-batch.ts)',
    starts: ['SELECT row_to_json(c.*) AS connection', 'SELECT * FROM users WHERE org_id = ANY($1)', 'SELECT org_id, number, user_id, is_main FROM numbers', 'SELECT org_id, rules FROM outcome_rules', 'SELECT pg_advisory_xact_lock(', 'INSERT INTO events'],
  },
  {
    path: 'results',
    what: 'per result batch: the recordResults transaction (deliveries.ts)',
    starts: ['SELECT id, status, lease_owner, lease_version', 'INSERT INTO attempts', 'SELECT * FROM webhooks WHERE id = ANY($1) AND (id = ANY($2)', 'SELECT * FROM webhooks WHERE id = ANY(?) AND (id = ANY(?)'],
  },
  {
    path: 'claim',
    what: 'claimDue and its webhook lookup (deliveries.ts), woken by NOTIFY or the 1 s poll',
    starts: ['WITH candidates AS', 'SELECT * FROM webhooks WHERE id = ANY($1)'],
  },
  {
    path: 'leases',
    what: 'releaseLeases (overflowing lanes, stop)',
    starts: ['UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE id = ANY($1)'],
  },
  {
    path: 'presence',
    what: 'heartbeats (workers.ts), every 5 s per process',
    starts: ['INSERT INTO workers', 'DELETE FROM workers', 'SELECT count(*)::int AS n FROM workers'],
  },
];

export function pathOf(key: string): string {
  key = key.replace(/^BEGIN; /i, '');
  for (const p of PATHS) if (p.starts.some((s) => key.startsWith(s))) return p.path;
  return 'other';
}

export interface TraceSummary {
  roundTrips: number;
  roundTripsPerDelivery: number;
  roundTripsPerIngestRequest: number;
  /** Sum of all round-trip times divided by deliveries (connections wait in parallel: not wall time). */
  dbWaitMsPerDelivery: number;
  notifications: number;
  errors: Record<string, number>;
  byPath: Record<string, { roundTrips: number; perDelivery: number; perIngestRequest: number; meanMs: number }>;
  /**
   * meanMs: BEGIN sent → COMMIT done (a pool connection and the locks are held that long);
   * inRoundTripsMs: the part spent waiting for the database; the rest is callhook's own time between
   * statements (its event loop, or waiting for a CPU).
   */
  transactions: Array<{ kind: string; path: string; count: number; perDelivery: number; roundTripsEach: number; meanMs: number; inRoundTripsMs: number; rollbacks: number }>;
  /** Result-batch transactions: how many outcomes one batch carried on average (attempts / batches). */
  outcomesPerResultBatch: number | null;
  statements: Array<{ sql: string; path: string; count: number; perDelivery: number; meanMs: number; totalS: number }>;
}

export function summarizeTrace(c: TraceCounts, deliveries: number, ingestRequests: number): TraceSummary {
  const r = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
  const perD = (n: number) => (deliveries > 0 ? r(n / deliveries, 3) : NaN);
  const perI = (n: number) => (ingestRequests > 0 ? r(n / ingestRequests, 3) : NaN);
  const resultsTx = [...c.transactions].filter(([kind]) => (c.statementPaths.get(kind) ?? pathOf(kind)) === 'results').reduce((a, [, t]) => a + t.count, 0);
  return {
    roundTrips: c.roundTrips,
    roundTripsPerDelivery: perD(c.roundTrips),
    roundTripsPerIngestRequest: perI(c.paths.get('ingest')?.count ?? 0),
    dbWaitMsPerDelivery: perD(c.waitMs),
    notifications: c.notifications,
    errors: c.errors,
    byPath: Object.fromEntries(
      [...c.paths]
        .sort((a, b) => b[1].count - a[1].count)
        .map(([path, p]) => [path, { roundTrips: p.count, perDelivery: perD(p.count), perIngestRequest: perI(p.count), meanMs: p.count ? r(p.ms / p.count, 3) : 0 }]),
    ),
    transactions: [...c.transactions]
      .sort((a, b) => b[1].count - a[1].count)
      .map(([kind, t]) => ({
        kind,
        path: c.statementPaths.get(kind) ?? pathOf(kind),
        count: t.count,
        perDelivery: perD(t.count),
        roundTripsEach: r(t.roundTrips / t.count, 2),
        meanMs: r(t.ms / t.count, 3),
        inRoundTripsMs: r(t.roundTripMs / t.count, 3),
        rollbacks: t.rollbacks,
      })),
    outcomesPerResultBatch: resultsTx > 0 ? r(deliveries / resultsTx, 2) : null,
    statements: [...c.statements]
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(([sql, s]) => ({ sql, path: c.statementPaths.get(sql) ?? pathOf(sql), count: s.count, perDelivery: perD(s.count), meanMs: r(s.ms / s.count, 3), totalS: r(s.ms / 1_000, 3) })),
  };
}
