// Scale-out end to end: three `callhook serve` processes on one PostgreSQL, a few thousand calls
// posted through the ingest API of all three (a call's steps land on different processes), one
// process killed with SIGKILL midway and restarted. Every acknowledged event reaches the receiver,
// each call's events arrive in order, and every duplicate is explained by the attempt log: a
// recorded attempt whose answer was lost (timed out, cut off) — matched by its signature headers —
// or an attempt the killed process made before it died and never recorded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, type TestDatabase, createTestDatabase } from '../helpers/postgres.ts';
import { type Receiver, type Received, startReceiver } from '../helpers/receiver.ts';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.ts';
import { type ApiClient, OPERATOR_TOKEN, apiClient, setupOrg } from '../helpers/service.ts';
import { eventually } from '../helpers/eventually.ts';

const CALLS = 2_000;
/** Calls being posted at once. */
const CONCURRENCY = 32;
/** B is killed once this share of all steps is acknowledged. */
const KILL_AFTER = 0.4;
/** Calls from this share on wait for B's successor, so it surely gets some of the traffic. */
const RESTARTED_BY = 0.8;
const IN_FLIGHT_PER_WEBHOOK = 24;
const LEASE_MS = 6_000;
const RECEIVER_DELAY_MS = 30;
/** The killed process's requests may be read by the receiver a moment after its exit is seen. */
const EXIT_GRACE_MS = 1_000;

const STEP_EVENT = { started: 'call.incoming', answered: 'call.answered', ended: 'call.ended' } as const;
type StepType = keyof typeof STEP_EVENT;
const STEP_TYPES = Object.keys(STEP_EVENT) as StepType[];

interface Node {
  name: string;
  process: ServeProcess;
  /** Gets ingest requests (false once killed). */
  inRotation: boolean;
  acknowledged: number;
}

interface Ack {
  callId: string;
  type: StepType;
  eventId: string;
  status: string;
  /** An earlier try of this step got no answer (its process died under it). */
  retried: boolean;
}

interface DeliveryRow {
  id: string;
  eventId: string;
  event: string;
  callId: string;
  status: string;
  attempts: number;
}

interface AttemptRow {
  number: number;
  startedAt: string;
  durationMs: number;
  succeeded: boolean;
  request: { headers: Record<string, string> };
  response: { status: number } | null;
  error: string | null;
}

/** Errors of attempts that were sent, whose answer was lost on the way back (src/delivery/attempt-errors.ts). */
const ANSWER_LOST = [/^no response within /, /body not finished within /, /^connection reset by the receiver before it answered/, /^connection closed by the receiver before/];

/** The headers that tell one attempt's request from another's: the same delivery signed at its own time. */
const attemptKey = (headers: Record<string, string | string[] | undefined>) => `${String(headers['webhook-timestamp'])} ${String(headers['webhook-signature'])}`;

interface StandardBody {
  type: string;
  id: string;
  data: { callId: string };
}

const firstFew = <T>(list: T[], n = 10): T[] => list.slice(0, n);

describe.skipIf(!POSTGRES_URL)('three callhook serve processes on one PostgreSQL, one killed midway', () => {
  let database: TestDatabase | undefined;
  let receiver: Receiver | undefined;
  const processes: ServeProcess[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    receiver = await startReceiver({ kind: 'status', status: 200 }, { delayMs: RECEIVER_DELAY_MS });
  });

  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.stop(10_000)));
    await receiver?.close();
    await database?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  async function serve(name: string): Promise<Node> {
    const dataDir = mkdtempSync(join(tmpdir(), `callhook-multi-${name.toLowerCase().replace(/\W/g, '')}-`));
    dirs.push(dataDir);
    const started = await startServeProcess({
      env: {
        CALLHOOK_DATABASE_URL: database!.url,
        CALLHOOK_ADMIN_TOKEN: OPERATOR_TOKEN,
        CALLHOOK_DATA_DIR: dataDir,
        CALLHOOK_ALLOW_PRIVATE_TARGETS: '1',
        CALLHOOK_LOG_LEVEL: 'warn',
        CALLHOOK_LEASE_MS: String(LEASE_MS),
        CALLHOOK_DELIVERY_TIMEOUT_MS: '2000',
        CALLHOOK_POLL_INTERVAL_MS: '200',
        CALLHOOK_IN_FLIGHT_PER_WEBHOOK: String(IN_FLIGHT_PER_WEBHOOK),
        // A failed attempt (none is expected) is retried in seconds, not in an hour.
        CALLHOOK_RETRY_SCHEDULE_S: '1,1,1,1,1',
      },
    });
    processes.push(started);
    return { name, process: started, inRotation: true, acknowledged: 0 };
  }

  it('delivers every acknowledged event at least once, in per-call order, repeating only what the killed process had in flight', async () => {
    const begunAt = Date.now();
    const begun = await Promise.allSettled(['A', 'B', 'C'].map(serve));
    const failedToStart = begun.find((r) => r.status === 'rejected');
    if (failedToStart) throw failedToStart.reason;
    const nodes = begun.map((r) => (r as PromiseFulfilledResult<Node>).value);
    const [a, b] = nodes as [Node, Node, Node];
    const api: ApiClient = apiClient(a.process.url);
    const org = await setupOrg(api, { domain: 'multi-process' });
    const webhook = await api.post(`/v1/orgs/${org.orgId}/webhooks`, { url: `${receiver!.url}/hook`, format: 'standard' });
    expect(webhook.status, JSON.stringify(webhook.body)).toBe(201);

    // --- Ingest: calls spread round-robin over the processes in rotation, step by step --------------
    const acks: Ack[] = [];
    const unexpected: string[] = [];
    const unanswered = new Map<string, number>();
    let turn = 0;
    let killedAt = 0;
    let exitedAt = 0;
    let crash: Promise<Node> | null = null;
    const totalSteps = CALLS * STEP_TYPES.length;

    function killAndRestartB(): Promise<Node> {
      if (crash) return crash;
      crash = (async () => {
        killedAt = Date.now();
        b.process.signal('SIGKILL'); // mid-traffic: no drain; leases and unrecorded results are left behind
        b.inRotation = false;
        const exit = await b.process.exited;
        exitedAt = Date.now();
        expect(exit.signal, `B went by ${JSON.stringify(exit)}:\n${b.process.output()}`).toBe('SIGKILL');
        const restarted = await serve("B'"); // the same database; a new data folder and port
        nodes.push(restarted);
        return restarted;
      })();
      crash.catch(() => undefined); // awaited once the posting is done; until then a failure is not "unhandled"
      return crash;
    }

    async function post(step: Record<string, unknown> & { callId: string; type: StepType }): Promise<void> {
      let retried = false;
      for (let tries = 1; ; tries++) {
        const live = nodes.filter((n) => n.inRotation);
        const node = live[turn++ % live.length]!;
        let response;
        try {
          response = await apiClient(node.process.url).post('/v1/ingest/calls', step, org.ingestToken);
        } catch (error) {
          // No answer (the process died under the request): not acknowledged; another process gets it, as a PBX would do.
          unanswered.set(node.name, (unanswered.get(node.name) ?? 0) + 1);
          retried = true;
          if (tries >= 10) throw new Error(`${step.type} of ${step.callId} got no answer in ${tries} tries: ${String(error)}`);
          continue;
        }
        if (response.status !== 202) {
          unexpected.push(`${node.name}: ${step.type} of ${step.callId} → ${response.status} ${JSON.stringify(response.body)}`);
          if (tries >= 3) throw new Error(`${step.type} of ${step.callId} not acknowledged: ${unexpected.join('\n')}`);
          continue;
        }
        const result = (response.body as { results: Array<{ status: string; eventId: string }> }).results[0]!;
        acks.push({ callId: step.callId, type: step.type, eventId: result.eventId, status: result.status, retried });
        node.acknowledged++;
        if (acks.length >= totalSteps * KILL_AFTER) void killAndRestartB();
        return;
      }
    }

    const t0 = Date.now() - 3_600_000;
    let next = 0;
    const callers = Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < CALLS; i = next++) {
        if (i >= CALLS * RESTARTED_BY && crash === null) void killAndRestartB(); // (only if the acks lagged far behind)
        if (i >= CALLS * RESTARTED_BY) await crash;
        const callId = `mp-${String(i).padStart(5, '0')}`;
        const at = t0 + i;
        await post({ type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '+31850609000', at });
        await post({ type: 'answered', callId, at: at + 5_000 });
        await post({ type: 'ended', callId, at: at + 65_000 });
      }
    });
    await Promise.all(callers);
    const restarted = await crash!;
    const postedAt = Date.now();

    expect(unexpected, 'answers other than 202 from live processes').toEqual([]);
    expect(acks).toHaveLength(totalSteps);
    expect(new Set(acks.map((x) => x.eventId)).size, 'one event per acknowledged step').toBe(totalSteps);
    // A step answered `duplicate` was stored by B before it died, unacknowledged, and posted again.
    expect(firstFew(acks.filter((x) => x.status !== 'applied' && !(x.status === 'duplicate' && x.retried))), 'steps not applied on their first answer').toEqual([]);
    for (const node of nodes) expect(node.acknowledged, `steps acknowledged by ${node.name}`).toBeGreaterThan(0);

    // --- Wait for every acknowledged event, then for the delivery log to settle -----------------------
    const received = receiver!.received;
    const expected = new Map(acks.map((x) => [x.eventId, x]));
    const seenIds = new Set<string>();
    let scanned = 0;
    const missing = () => {
      for (; scanned < received.length; scanned++) seenIds.add((JSON.parse(received[scanned]!.body) as StandardBody).id);
      return [...expected.keys()].filter((id) => !seenIds.has(id));
    };
    await eventually(
      () => missing().length === 0,
      { timeoutMs: 60_000, what: () => {
        const lost = missing();
        return `${lost.length} of ${expected.size} acknowledged events never reached the receiver, e.g. ${JSON.stringify(firstFew(lost.map((id) => expected.get(id)), 5))}`;
      } },
    );
    const deliveriesWith = async (status: string) =>
      (await api.get<{ data: DeliveryRow[] }>(`/v1/orgs/${org.orgId}/deliveries?status=${status}&limit=200`)).body.data;
    await eventually(
      async () => (await deliveriesWith('pending')).length === 0 && (await deliveriesWith('waiting')).length === 0,
      { timeoutMs: 30_000, what: async () => `deliveries still open: ${JSON.stringify(firstFew([...(await deliveriesWith('pending')), ...(await deliveriesWith('waiting'))], 5))}` },
    );

    const settledAt = Date.now();
    const deliveries: DeliveryRow[] = [];
    for (let after: string | null = null; ; ) {
      const page: { status: number; body: { data: DeliveryRow[]; nextCursor: string | null } } = await api.get(
        `/v1/orgs/${org.orgId}/deliveries?limit=200${after ? `&after=${after}` : ''}`,
      );
      expect(page.status).toBe(200);
      deliveries.push(...page.body.data);
      after = page.body.nextCursor;
      if (!after) break;
    }

    // --- (1) every acknowledged event delivered at least once, and nothing else -------------------------
    const receivedByDelivery = new Map<string, Received[]>();
    const firstArrival = new Map<string, number>(); // event id → index in arrival order
    const unknown: string[] = [];
    received.forEach((request, index) => {
      const deliveryId = String(request.headers['webhook-id']);
      receivedByDelivery.set(deliveryId, [...(receivedByDelivery.get(deliveryId) ?? []), request]);
      const body = JSON.parse(request.body) as StandardBody;
      const ack = expected.get(body.id);
      if (!ack || body.type !== STEP_EVENT[ack.type] || body.data.callId !== ack.callId) unknown.push(`${deliveryId}: ${body.type} ${body.id} of ${body.data.callId}`);
      if (!firstArrival.has(body.id)) firstArrival.set(body.id, index);
    });
    expect(missing(), 'acknowledged events never received').toEqual([]);
    expect(firstFew(unknown), 'received events that were never acknowledged (or under the wrong type/call)').toEqual([]);

    // --- (2) per call, by first arrival: incoming before answered before ended --------------------------
    const eventsOfCall = new Map<string, Partial<Record<StepType, string>>>();
    for (const ack of acks) eventsOfCall.set(ack.callId, { ...eventsOfCall.get(ack.callId), [ack.type]: ack.eventId });
    const outOfOrder: string[] = [];
    for (const [callId, events] of eventsOfCall) {
      const order = STEP_TYPES.map((type) => firstArrival.get(events[type]!)!);
      if (!(order[0]! < order[1]! && order[1]! < order[2]!)) outOfOrder.push(`${callId}: first arrivals at ${order.join(', ')}`);
    }
    expect(firstFew(outOfOrder), 'calls whose events arrived out of order').toEqual([]);

    // --- (3) the log: one delivery per event, all succeeded, nothing left pending or waiting ------------
    expect(deliveries.length, 'deliveries in the log').toBe(totalSteps);
    expect(new Set(deliveries.map((d) => d.eventId)).size).toBe(totalSteps);
    expect(firstFew(deliveries.filter((d) => d.status !== 'succeeded')), 'deliveries not succeeded').toEqual([]);
    expect(firstFew(deliveries.filter((d) => !expected.has(d.eventId))), 'deliveries of events never acknowledged').toEqual([]);
    const logged = new Set(deliveries.map((d) => d.id));
    expect(firstFew([...receivedByDelivery.keys()].filter((id) => !logged.has(id))), 'webhook-ids not in the delivery log').toEqual([]);

    // --- (4) duplicates, each explained by the attempt log ----------------------------------------------
    // A receipt is explained by the recorded attempt that sent it (same webhook-timestamp and
    // signature): the success, or a failure whose answer was lost (a timeout on a loaded machine, a
    // cut connection), after which the delivery was rightly sent again. At most one receipt per
    // delivery may have no recorded attempt: B's, made before it was killed and never written down
    // (it arrived before B's exit, and the repeat waited for B's lease to run out).
    const unexplained: string[] = [];
    const fromKilled: string[] = [];
    const afterLostAnswer: string[] = [];
    for (const delivery of deliveries) {
      const got = receivedByDelivery.get(delivery.id) ?? [];
      if (got.length === 1 && delivery.attempts === 1) continue;
      const attempts = (await api.get<{ data: AttemptRow[] }>(`/v1/orgs/${org.orgId}/deliveries/${delivery.id}/attempts`)).body.data;
      const label = `${delivery.id} (${delivery.event} of ${delivery.callId})`;
      const unmatched = [...got];
      for (const attempt of attempts) {
        const at = unmatched.findIndex((r) => attemptKey(r.headers) === attemptKey(attempt.request.headers));
        const reached = attempt.succeeded || attempt.response !== null || ANSWER_LOST.some((pattern) => pattern.test(attempt.error ?? ''));
        if (at >= 0 && reached) {
          if (!attempt.succeeded) afterLostAnswer.push(`${label}: attempt ${attempt.number} ${attempt.error ?? attempt.response?.status}`);
          unmatched.splice(at, 1);
        } else if (attempt.succeeded) {
          unexplained.push(`${label}: attempt ${attempt.number} succeeded, but no request with its signature was received`);
        }
      }
      const byKilled = unmatched.filter((r) => r.receivedAt <= exitedAt + EXIT_GRACE_MS);
      if (byKilled.length === 1 && unmatched.length === 1 && attempts.every((x) => Date.parse(x.startedAt) >= killedAt)) {
        fromKilled.push(label);
        continue;
      }
      if (unmatched.length > 0) {
        const recorded = attempts.map((x) => ({ number: x.number, sinceKillMs: Date.parse(x.startedAt) - killedAt, succeeded: x.succeeded, error: x.error }));
        unexplained.push(`${label}: received ${got.length}× at ${got.map((r) => r.receivedAt - killedAt).join(', ')} ms from the kill; ${unmatched.length} with no recorded attempt that explains it; attempts logged: ${JSON.stringify(recorded)}`);
      }
    }
    expect(firstFew(unexplained), 'deliveries received more often than the attempt log and the killed process explain').toEqual([]);
    // What B had in flight or had not written yet when it died: a small batch, not a share of its traffic.
    expect(fromKilled.length, 'duplicates from the killed process').toBeLessThanOrEqual(totalSteps / 50);

    // --- The survivors and the restarted process are alive, and drain cleanly -------------------------------
    for (const node of nodes.filter((n) => n !== b)) {
      expect(node.process.hasExited(), `${node.name} died:\n${node.process.output()}`).toBe(false);
      const errors = node.process.output().split('\n').filter((line) => /"level":(50|60)/.test(line));
      expect(firstFew(errors, 5), `errors logged by ${node.name}`).toEqual([]);
      node.process.signal('SIGTERM');
      const exit = await node.process.exited;
      expect(exit.code, `${node.name} did not drain cleanly:\n${node.process.output()}`).toBe(0);
    }

    if (process.env.CALLHOOK_TEST_VERBOSE) {
      process.stderr.write(
        `multi-process: ${acks.length} acknowledged (${nodes.map((n) => `${n.name} ${n.acknowledged}`).join(', ')}; unanswered ${JSON.stringify(Object.fromEntries(unanswered))}), ` +
          `${received.length} received, ${fromKilled.length} duplicates from the killed process, ${afterLostAnswer.length} after a lost answer, restarted ${restarted.name} after ${exitedAt - killedAt} ms; posting ${postedAt - begunAt} ms, settling ${settledAt - postedAt} ms, checks ${Date.now() - settledAt} ms; ` +
          `${JSON.stringify(firstFew(afterLostAnswer, 3))}\n`,
      );
    }
  }, 180_000);
});
