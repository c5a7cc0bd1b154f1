// The HEP source: mirrored datagrams in, the same call steps as the ingest API out.
// datagram (stamped with its arrival on our clock) → HEP decode → connection (capture id, auth key)
// → SIP parse → capture time (kept unless absurd; the capture id's clock offset measured) → reorder
// window (sorted by capture time per capture id, held for a window after arrival) → dialog tracker
// (timers on arrival time; state kept per call, persisted on every transition) → call steps
// (direction, user and who answered from the organization's directory) → Ingest.acceptSteps.
import type { CallStep } from '../../calls/steps.ts';
import type { Clock } from '../../clock.ts';
import { AppError, isStoreFailure } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { Store } from '../../store/store.ts';
import type { Connection, Org } from '../../tenancy/org.ts';
import type { Ingest } from '../ingest/ingest.ts';
import { directionOf, orgNumbers } from './call-direction.ts';
import { CaptureClocks, captureTimeOf } from './capture-clocks.ts';
import { restoreState } from './dialog-state.ts';
import { type DialogState, type DialogStep, type TrackerConfig, dueAt, expire, observe } from './dialog-tracker.ts';
import { decodeHep } from './hep-packet.ts';
import { ReorderBuffer } from './reorder-buffer.ts';
import { parseSip } from './sip-parse.ts';
import type { SipMessage } from './sip-message.ts';

export interface HepSourceConfig extends TrackerConfig {
  /** How long messages wait for earlier-stamped ones (mirrors are not strictly causal). */
  reorderWindowMs: number;
  /** Most messages held for the window and the tracker; past it arrivals are dropped (reason "overload"). */
  maxHeld: number;
}

interface Arrival {
  connection: Connection;
  org: Org;
  message: SipMessage;
  captureId: number;
  /** Capture time (the phone system's clock). */
  atMs: number;
  /** Arrival time (our clock). */
  seenMs: number;
}

interface Tracked {
  state: DialogState;
  connection: Connection;
  org: Org;
}

const STORE_SWEEP_MS = 1_000;
/** Calls whose messages are processed at the same moment (each may hold a store transaction). */
const MAX_LANES_AT_ONCE = 256;
/** How long a capture id → connection answer is trusted (connections change rarely). */
const CONNECTION_TTL_MS = 5_000;

export interface HepSource {
  /** One datagram (UDP) or one framed packet (TCP), as received. */
  receive(datagram: Buffer): Promise<void>;
  /** Processes what the reorder window released by `nowMs` and what is due (lost BYEs…); tests step with it. */
  tick(): Promise<void>;
  /** Processes everything held, as if the window had passed (shutdown, tests). */
  flush(): Promise<void>;
  /** Messages received and not yet through the tracker: the TCP listener stops reading above a limit. */
  backlog(): number;
}

export function createHepSource(deps: { store: Store; ingest: Ingest; clock: Clock; log: Logger; metrics: Metrics; config: HepSourceConfig }): HepSource {
  const { store, ingest, clock, log, metrics, config } = deps;
  const received = metrics.counter('callhook_hep_packets_total', 'HEP packets received');
  const decoded = metrics.counter('callhook_hep_packets_decoded_total', 'HEP packets decoded and accepted');
  const rejected = metrics.counter('callhook_hep_packets_rejected_total', 'HEP packets dropped, by reason', ['reason']);
  const emitted = metrics.counter('callhook_hep_steps_total', 'Call steps derived from SIP, by type', ['type']);
  const refused = metrics.counter('callhook_hep_steps_refused_total', 'Derived call steps the call tracker refused');
  const late = metrics.counter('callhook_hep_packets_late_total', 'SIP messages stamped before others already processed (beyond the reorder window)');
  const replaced = metrics.counter('callhook_hep_timestamps_replaced_total', 'HEP capture times that cannot be right (before 2000, more than a day ahead), replaced by the arrival time, by reason', ['reason']);
  const dialogs = new Map<string, Tracked>();
  metrics.gauge('callhook_hep_calls_tracked', 'SIP dialogs held in memory', () => dialogs.size);
  const clocks = new CaptureClocks();
  metrics.sampled('callhook_hep_clock_offset_seconds', 'Capture time minus arrival time of the freshest recent packet, per capture id: how far the phone system’s clock is ahead of ours (negative: behind)', 'gauge', () =>
    clocks.captureIds().map((id) => ({ labels: { capture_id: String(id) }, value: clocks.offsetMs(id)! / 1_000 })),
  );
  const numbers = orgNumbers(store, clock);
  const connections = new Map<number, { value: Promise<{ connection: Connection; org: Org } | null>; until: number }>();
  const window = new ReorderBuffer<Arrival>({
    windowMs: config.reorderWindowMs,
    timeOf: (a) => a.atMs,
    arrivalOf: (a) => a.seenMs,
    partitionOf: (a) => a.captureId,
    maxItems: config.maxHeld,
  });
  let chain: Promise<void> = Promise.resolve();
  /** Released from the window and not yet through the tracker. */
  let inProcess = 0;
  /** Received and not yet decoded, checked and held (waiting for a connection look-up). */
  let receiving = 0;
  let lastStoreSweep = 0;

  const drop = (reason: string) => rejected.inc(1, { reason });
  /** The store failed the last message: further failures go unlogged until one works. */
  let storeAway = false;

  /** The answer is shared while it is looked up: a burst of packets costs one query. */
  function connectionOf(captureId: number): Promise<{ connection: Connection; org: Org } | null> {
    const now = Date.now();
    const known = connections.get(captureId);
    if (known && known.until > now) return known.value;
    const value = store.connections.findByCaptureId(captureId);
    if (connections.size > 10_000) connections.clear();
    connections.set(captureId, { value, until: now + CONNECTION_TTL_MS });
    value.catch(() => connections.delete(captureId)); // a failed look-up is not remembered
    return value;
  }

  async function receive(datagram: Buffer): Promise<void> {
    const seenMs = clock.now();
    received.inc();
    receiving++;
    try {
      await accept(datagram, seenMs);
    } catch (error) {
      if (!isStoreFailure(error)) throw error;
      drop('store-unavailable'); // the capture id could not be looked up
    } finally {
      receiving--;
    }
  }

  async function accept(datagram: Buffer, seenMs: number): Promise<void> {
    const hep = decodeHep(datagram);
    if (!hep.ok) return drop(hep.reason);
    const packet = hep.packet;
    if (packet.protocolType !== 1) return drop('not-sip');
    const found = await connectionOf(packet.captureId);
    if (!found) return drop('unknown-capture-id');
    const expectedKey = found.connection.hep?.authKey ?? null;
    if (expectedKey !== null && packet.authKey !== expectedKey) return drop('bad-auth-key');
    const sip = parseSip(packet.payload);
    if (!sip.ok) return drop('bad-sip');
    decoded.inc();
    const capture = captureTimeOf(packet.timestampUs, seenMs);
    if (capture.replaced !== null) {
      replaced.inc(1, { reason: capture.replaced });
    } else if (clocks.observe(packet.captureId, capture.atMs, seenMs)) {
      const offsetS = clocks.offsetMs(packet.captureId)! / 1_000;
      log.warn({ captureId: packet.captureId, connection: found.connection.id, offsetS }, `the clock of HEP capture id ${packet.captureId} is ${Math.abs(offsetS)} s ${offsetS > 0 ? 'ahead of' : 'behind'} ours: steps carry its times, timers run on ours`);
    }
    // The tracker is far behind: what arrives now is dropped (counted), what is held goes on.
    if (window.size + inProcess >= config.maxHeld) return drop('overload');
    const lateBefore = window.late;
    window.push({ connection: found.connection, org: found.org, message: sip.message, captureId: packet.captureId, atMs: capture.atMs, seenMs });
    if (window.late > lateBefore) late.inc();
  }

  /** Ticks and flushes one at a time: a sweep must not meet a call's messages half-way. */
  function serially(work: () => Promise<void>): Promise<void> {
    chain = chain.then(work).catch((error) => log.error({ err: error }, 'HEP processing failed'));
    return chain;
  }

  /**
   * A call's messages meet its state one after the other, in capture order; different calls go side
   * by side, so their store writes share group commits instead of queueing behind each other.
   */
  async function processAll(arrivals: Arrival[]): Promise<void> {
    const lanes = new Map<string, Arrival[]>();
    for (const arrival of arrivals) {
      const key = keyOf(arrival.connection.id, arrival.message.callId);
      const lane = lanes.get(key);
      if (lane) lane.push(arrival);
      else lanes.set(key, [arrival]);
    }
    inProcess += arrivals.length;
    const queue = [...lanes.values()];
    const runLanes = async () => {
      for (let lane = queue.shift(); lane; lane = queue.shift()) {
        for (const arrival of lane) {
          try {
            await process(arrival);
            storeAway = false;
          } catch (error) {
            if (!isStoreFailure(error)) log.error({ err: error, callId: arrival.message.callId }, 'HEP message failed');
            else {
              // Counted, and said once per spell: the store is away, not this message wrong.
              drop('store-unavailable');
              if (!storeAway) log.warn({ err: error, callId: arrival.message.callId }, 'HEP messages dropped while the store is unavailable');
              storeAway = true;
            }
          } finally {
            inProcess--;
          }
        }
      }
    };
    // Enough calls side by side to fill group commits; not a transaction per call of a huge batch at once.
    await Promise.all(Array.from({ length: Math.min(MAX_LANES_AT_ONCE, queue.length) }, runLanes));
  }

  const keyOf = (connectionId: string, callId: string) => `${connectionId}/${callId}`;

  async function process(arrival: Arrival): Promise<void> {
    const key = keyOf(arrival.connection.id, arrival.message.callId);
    const tracked = dialogs.get(key) ?? (await load(arrival.connection, arrival.org, arrival.message.callId));
    const before = tracked?.state ?? null;
    const result = observe(before, { message: arrival.message, atMs: arrival.atMs, seenMs: arrival.seenMs }, config);
    await settle(key, arrival.connection, arrival.org, before, result.state, result.steps);
  }

  async function load(connection: Connection, org: Org, callId: string): Promise<Tracked | undefined> {
    const state = await store.sipDialogs.load(connection.id, callId);
    return state ? { state: restoreState(state), connection, org } : undefined;
  }

  /** Applies a tracker result: steps to the core, state to memory and (on transitions) to the store. */
  async function settle(key: string, connection: Connection, org: Org, before: DialogState | null, after: DialogState | null, steps: DialogStep[]): Promise<void> {
    if (steps.length > 0) await emit(connection, org, steps);
    if (after === null) dialogs.delete(key);
    else dialogs.set(key, { state: after, connection, org });
    // A restart loses nothing that matters: every transition is kept; a repeat after it is absorbed.
    const transition = steps.length > 0 || (before?.phase ?? null) !== (after?.phase ?? null);
    if (transition && (after === null || after.phase !== 'pending')) {
      await store.sipDialogs.save(connection.id, (after ?? before)!.callId, after, clock.now(), after ? dueAt(after, config) : 0);
    }
  }

  async function emit(connection: Connection, org: Org, steps: DialogStep[]): Promise<void> {
    const callSteps: CallStep[] = [];
    for (const step of steps) callSteps.push(await callStepOf(org, step));
    try {
      await ingest.acceptSteps(org, connection, callSteps, true);
      for (const step of steps) emitted.inc(1, { type: step.type });
    } catch (error) {
      // A step the call tracker refuses (e.g. the same Call-ID already used by the ingest API) is
      // counted and logged; the SIP traffic goes on.
      if (!(error instanceof AppError) || isStoreFailure(error)) throw error;
      refused.inc(steps.length);
      log.warn({ err: error, connection: connection.id, steps }, 'SIP-derived call steps refused');
    }
  }

  async function callStepOf(org: Org, step: DialogStep): Promise<CallStep> {
    switch (step.type) {
      case 'started': {
        const { direction, user } = await directionOf(store, numbers, org, step.caller, step.callee);
        return {
          type: 'started', callId: step.callId, direction, from: step.from, to: step.to, at: step.at,
          ...(user !== null ? { user } : {}), ...(step.subject ? { subject: step.subject } : {}),
        };
      }
      case 'answered': {
        const answeredBy = await answererOf(org, step.answeredBy);
        return { type: 'answered', callId: step.callId, at: step.at, ...(answeredBy !== null ? { answeredBy } : {}) };
      }
      case 'ended':
        // No stated outcome: the organization's outcome rules classify it (voicemail, hours…).
        return { type: 'ended', callId: step.callId, at: step.at, ...(step.outcome === 'UNANSWERED' && step.sipCode !== undefined ? { sipCode: step.sipCode } : {}) };
    }
  }

  /** The first of the SIP evidence the directory knows (a WebRTC Contact user is random), else the first. */
  async function answererOf(org: Org, candidates: string[]): Promise<string | null> {
    if (candidates.length <= 1) return candidates[0] ?? null;
    const known = await store.users.resolve(org.id, candidates);
    return candidates.find((candidate) => known.has(candidate)) ?? candidates[0]!;
  }

  async function sweep(now: number): Promise<void> {
    for (const [key, tracked] of [...dialogs]) {
      if (dueAt(tracked.state, config) > now) continue;
      const result = expire(tracked.state, now, config);
      await settle(key, tracked.connection, tracked.org, tracked.state, result.state, result.steps);
    }
    // Dialogs a previous process kept (a restart) come back when due; a look a second is enough.
    if (now - lastStoreSweep < STORE_SWEEP_MS) return;
    lastStoreSweep = now;
    for (const kept of await store.sipDialogs.expired(now, 100)) {
      const key = keyOf(kept.connectionId, kept.callId);
      if (dialogs.has(key)) continue;
      const connection = await connectionById(kept.connectionId);
      if (!connection) {
        await store.sipDialogs.save(kept.connectionId, kept.callId, null, now, 0);
        continue;
      }
      const state = restoreState(kept.state);
      const result = expire(state, now, config);
      await settle(key, connection.connection, connection.org, state, result.state, result.steps);
      if (result.state && dueAt(result.state, config) <= now) dialogs.delete(key); // nothing more to do now
    }
  }

  async function connectionById(connectionId: string) {
    for (const tracked of dialogs.values()) if (tracked.connection.id === connectionId) return { connection: tracked.connection, org: tracked.org };
    return store.connections.findById(connectionId);
  }

  return {
    receive,
    tick: () =>
      serially(async () => {
        await processAll(window.drain(clock.now()));
        await sweep(clock.now());
      }),
    flush: () =>
      serially(async () => {
        await processAll(window.flush());
      }),
    backlog: () => receiving + window.size + inProcess,
  };
}
