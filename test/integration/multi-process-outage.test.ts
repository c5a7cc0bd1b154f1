// PostgreSQL goes away under load: two `callhook serve` processes reach the database through a TCP
// proxy the test controls, 16 clients post calls to both, and the database is taken from them four
// ways — every backend terminated (pg_terminate_backend), connections reset (a stopped server),
// closed as they come (a server shutting down), then black-holed (a partition); each outage lasts
// until both processes answered 503 and reconnects failed several times over. Both processes stay
// up, answer 503 with Retry-After while they cannot store, take work again by themselves within
// seconds, deliver every acknowledged step, and drain on SIGTERM.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from '../helpers/postgres.ts';
import { type Receiver, startReceiver } from '../helpers/receiver.ts';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.ts';
import { OPERATOR_TOKEN, apiClient, setupOrg } from '../helpers/service.ts';
import { type TcpProxy, startTcpProxy } from '../helpers/tcp-proxy.ts';
import { eventually, within } from '../helpers/eventually.ts';

const CLIENTS = 16;
/** Connections the processes tried (and failed) to make during an outage before it ends: reconnects went round several times. */
const FAILED_CONNECTS = 6;
/** Client-side timeouts the processes run with: a black hole answers 503 after them. */
const CONNECT_TIMEOUT_MS = 1_000;
const QUERY_TIMEOUT_MS = 2_000;
/** No request may go unanswered this long, whatever the database does. */
const ANSWER_WITHIN_MS = 8_000;
/** Once the database is back, every process takes work again within this. */
const RECOVER_WITHIN_MS = 10_000;
const DRAIN_MS = 10_000;

const firstFew = <T>(list: T[], n = 8): T[] => list.slice(0, n);
/** Open while the database is reachable; a client that met a 503 waits here, as a PBX honours Retry-After. */
function outageGate() {
  let open: Promise<void> = Promise.resolve();
  let release = () => {};
  return {
    passed: () => open,
    close() {
      open = new Promise((resolve) => (release = resolve));
    },
    open: () => release(),
  };
}

describe.skipIf(!POSTGRES_URL)('two callhook serve processes while PostgreSQL goes away under load', () => {
  let database: TestDatabase | undefined;
  let proxy: TcpProxy | undefined;
  let receiver: Receiver | undefined;
  const processes: ServeProcess[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    proxy = await startTcpProxy(database.url);
    receiver = await startReceiver({ kind: 'status', status: 200 }, { delayMs: 5 });
  });

  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.stop(5_000)));
    await receiver?.close();
    await proxy?.close();
    await database?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  async function serve(name: string): Promise<ServeProcess> {
    const dataDir = mkdtempSync(join(tmpdir(), `callhook-outage-${name.toLowerCase()}-`));
    dirs.push(dataDir);
    const started = await startServeProcess({
      env: {
        CALLHOOK_DATABASE_URL: proxy!.url,
        CALLHOOK_ADMIN_TOKEN: OPERATOR_TOKEN,
        CALLHOOK_DATA_DIR: dataDir,
        CALLHOOK_ALLOW_PRIVATE_TARGETS: '1',
        CALLHOOK_LOG_LEVEL: 'warn',
        CALLHOOK_LEASE_MS: '6000',
        CALLHOOK_POLL_INTERVAL_MS: '200',
        CALLHOOK_DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
        CALLHOOK_DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
        CALLHOOK_RETRY_SCHEDULE_S: '1,1,1,1,1,1,1,1,1,1',
      },
    });
    processes.push(started);
    return started;
  }

  /** Ends every server connection to the test database, as `pg_terminate_backend` on a bad night. */
  async function terminateBackends(): Promise<number> {
    const admin = new pg.Client({ connectionString: POSTGRES_URL! });
    await admin.connect();
    try {
      const name = new URL(database!.url).pathname.slice(1);
      const { rows } = await admin.query('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      return rows.length;
    } finally {
      await admin.end();
    }
  }

  it('keeps both processes up, answers 503 with Retry-After during the outage, recovers by itself and loses nothing acknowledged', async () => {
    const [a, b] = await Promise.all([serve('A'), serve('B')]);
    const nodes = [a!, b!];
    const api = apiClient(a!.url);
    const org = await setupOrg(api, { domain: 'outage' });
    const webhook = await api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver!.url}/hook`, format: 'standard' });
    expect(webhook.status, JSON.stringify(webhook.body)).toBe(201);

    // --- Load: 16 clients post calls step by step to both processes; a 503 is retried -----------------
    const acknowledged = new Map<string, { callId: string; type: string }>();
    const unexpected: string[] = [];
    const slow: string[] = [];
    let unavailable = 0;
    const unavailableIn = new Map<string, number>();
    /** 503s per phase and process. */
    const unavailableAt = new Map<string, number>();
    const gate = outageGate();
    let phase = 'before';
    const lastAckAt = new Map<string, number>();
    let stopPosting = false;
    let turn = 0;
    const post = async (step: Record<string, unknown>): Promise<void> => {
      for (;;) {
        const node = nodes[turn++ % nodes.length]!;
        const sentAt = Date.now();
        let response: Response;
        try {
          response = await fetch(`${node.url}/v1/ingest/calls`, {
            method: 'POST',
            headers: { authorization: `Bearer ${org.ingestToken}`, 'content-type': 'application/json' },
            body: JSON.stringify(step),
            signal: AbortSignal.timeout(ANSWER_WITHIN_MS * 2),
          });
        } catch (error) {
          unexpected.push(`no answer from ${node.url} after ${Date.now() - sentAt} ms: ${String(error)}`);
          if (node.hasExited()) throw new Error(`a process died:\n${node.output()}`);
          continue;
        }
        const tookMs = Date.now() - sentAt;
        if (tookMs > ANSWER_WITHIN_MS) slow.push(`${step.type} of ${String(step.callId)}: ${response.status} after ${tookMs} ms`);
        const text = await response.text();
        if (response.status === 202) {
          const result = (JSON.parse(text) as { results: Array<{ eventId: string }> }).results[0]!;
          acknowledged.set(result.eventId, { callId: String(step.callId), type: String(step.type) });
          lastAckAt.set(node.url, Date.now());
          return;
        }
        if (response.status === 503 && response.headers.get('retry-after') && response.headers.get('content-type')?.startsWith('application/problem+json')) {
          unavailable++;
          unavailableIn.set(phase, (unavailableIn.get(phase) ?? 0) + 1);
          unavailableAt.set(`${phase} ${node.url}`, (unavailableAt.get(`${phase} ${node.url}`) ?? 0) + 1);
          // A PBX would wait Retry-After; this one waits until the database is back, and tries again at once.
          await gate.passed();
          continue;
        }
        unexpected.push(`${response.status} ${response.headers.get('retry-after') ?? '-'} ${text.slice(0, 300)}`);
        if (unexpected.length > 50) throw new Error(`unexpected answers: ${firstFew(unexpected).join('\n')}`);
        await gate.passed();
      }
    };
    let calls = 0;
    const t0 = Date.now() - 3_600_000;
    const clients: Array<Promise<void>> = Array.from({ length: CLIENTS }, async () => {
      while (!stopPosting) {
        const i = calls++;
        const callId = `outage-${String(i).padStart(5, '0')}`;
        const at = t0 + i;
        await post({ type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '+31850609000', at });
        await post({ type: 'answered', callId, at: at + 5_000 });
        await post({ type: 'ended', callId, at: at + 65_000 });
      }
    });

    // --- The outage, while the clients post --------------------------------------------------------
    const readiness: string[] = [];
    const notReady = async () => {
      const statuses = await Promise.all(nodes.map((node) => fetch(`${node.url}/readyz`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status, () => 0)));
      nodes.forEach((node, i) => {
        if (!readiness.includes(`${node.url} ${statuses[i]}`)) readiness.push(`${node.url} ${statuses[i]}`);
      });
      return statuses.every((status) => status === 503);
    };
    // A client that gives up (a process died) fails the test at the next wait, not as an unhandled rejection.
    let failed: unknown = null;
    const posting = Promise.all(clients).catch((error: unknown) => {
      failed = error;
    });
    const recoveries: number[] = [];
    /** From the database coming back until each process acknowledged a step again. */
    const recovered = async (backAt: number) => {
      await eventually(
        () => {
          if (failed) throw failed;
          return nodes.every((n) => (lastAckAt.get(n.url) ?? 0) > backAt);
        },
        { timeoutMs: RECOVER_WITHIN_MS, what: () => `not every process acknowledged a step since the database came back (${unavailable} 503s so far)` },
      );
      recoveries.push(Math.max(...nodes.map((n) => lastAckAt.get(n.url)!)) - backAt);
    };

    await eventually(() => acknowledged.size >= 150, { timeoutMs: 30_000, what: () => `only ${acknowledged.size} steps acknowledged before the outage` });
    phase = 'terminate';
    const terminated = await terminateBackends();
    expect(terminated).toBeGreaterThan(0);
    await recovered(Date.now());

    /** The database away in `mode` until both processes answered 503 and failed to reconnect several times (and `also` holds). */
    const outage = async (mode: 'reset' | 'close' | 'blackhole', also: () => Promise<boolean> = async () => true) => {
      phase = mode;
      const connectsBefore = proxy!.connections();
      gate.close();
      proxy!.setMode(mode);
      await eventually(
        async () => {
          if (failed) throw failed;
          return nodes.every((n) => (unavailableAt.get(`${mode} ${n.url}`) ?? 0) > 0) && proxy!.connections() >= connectsBefore + FAILED_CONNECTS && (await also());
        },
        { timeoutMs: 30_000, what: () => `${mode}: 503s ${JSON.stringify(Object.fromEntries(unavailableAt))}, ${proxy!.connections() - connectsBefore} connects tried; readiness seen: ${readiness.join(', ')}` },
      );
      proxy!.setMode('pass');
      gate.open();
      await recovered(Date.now());
    };
    await outage('reset');
    await outage('close');
    await eventually(() => acknowledged.size >= 600, { timeoutMs: 30_000, what: () => `only ${acknowledged.size} steps acknowledged` });
    await outage('blackhole', notReady);

    phase = 'after';
    const steady = acknowledged.size;
    await eventually(() => acknowledged.size >= steady + 150, { timeoutMs: 30_000, what: () => `only ${acknowledged.size - steady} steps acknowledged after the outage` });
    stopPosting = true;
    await posting;
    if (failed) throw failed;

    // --- Both processes alive, nothing acknowledged lost ----------------------------------------------
    for (const node of nodes) expect(node.hasExited(), `a process died:\n${node.output()}`).toBe(false);
    expect(firstFew(unexpected), 'answers other than 202 or 503 + Retry-After').toEqual([]);
    expect(firstFew(slow), 'requests answered too late').toEqual([]);
    expect(unavailable, '503s served during the outage').toBeGreaterThan(0);
    expect(readiness.some((r) => r.endsWith(' 503')), `readiness during the black hole: ${readiness.join(', ')}`).toBe(true);

    const seen = new Set<string>();
    await eventually(
      () => {
        for (const request of receiver!.received) seen.add((JSON.parse(request.body) as { id: string }).id);
        return [...acknowledged.keys()].every((id) => seen.has(id));
      },
      { timeoutMs: 60_000, what: () => `${[...acknowledged.keys()].filter((id) => !seen.has(id)).length} of ${acknowledged.size} acknowledged steps never delivered` },
    );
    const lost = [...acknowledged.keys()].filter((id) => !seen.has(id));
    expect(lost).toEqual([]);
    for (const node of nodes) {
      expect((await fetch(`${node.url}/readyz`)).status, `${node.url} ready again`).toBe(200);
    }

    // --- SIGTERM: each drains and exits within its drain time --------------------------------------
    for (const node of nodes) {
      const stopAt = Date.now();
      node.signal('SIGTERM');
      const exit = await within(node.exited, { timeoutMs: DRAIN_MS + 5_000, what: `${node.url} to exit after SIGTERM` }).catch((error: Error) => {
        throw new Error(`${error.message} (${Date.now() - stopAt} ms):\n${node.output().slice(-3_000)}`);
      });
      expect(exit.code, node.output().slice(-3_000)).toBe(0);
    }

    const figures = `database outage: ${acknowledged.size} steps acknowledged, ${unavailable} answered 503 + Retry-After (${JSON.stringify(Object.fromEntries(unavailableIn))}), terminated ${terminated} backends; ` +
      `recovered in ${recoveries.join(' / ')} ms (terminate / reset / closed at once / black hole); lost 0; readiness seen: ${readiness.join(', ')}\n`;
    if (process.env.CALLHOOK_TEST_VERBOSE) process.stderr.write(figures);
  }, 180_000);
});
