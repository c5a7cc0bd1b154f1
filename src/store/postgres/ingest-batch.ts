// Several ingest requests in one transaction, with a fixed number of round trips whatever their
// number: lock their calls, load calls, organizations and webhooks, plan each request in arrival
// order on the state the ones before it left, lock the latest deliveries of known calls, then write
// every call, event and delivery in one statement. Steps of one call may reach several processes
// at once: a transaction-scoped advisory lock per call serializes them, and the last delivery of a
// (webhook, call) is locked before a new one is chained behind it, so a result being recorded
// elsewhere either sees the new delivery to release or is seen by it as finished.
import type { TrackedCall } from '../../calls/tracker.ts';
import type { DeliveryJob } from '../../delivery/delivery.ts';
import type { Webhook } from '../../delivery/webhook.ts';
import type { Org } from '../../tenancy/org.ts';
import type { ApplyStepsInput, ApplyStepsResult, IngestPlan } from '../store.ts';
import { FETCH_COLUMNS, RECORDING_COLUMNS, fetchValues, jobFrom, orgFrom, recordingValues, trackedCallFrom, webhookFrom } from '../rows.ts';
import { notFound } from '../../errors.ts';
import type { Queryable } from './database.ts';
import { DUE_CHANNEL } from './due-listener.ts';

/** Each request's own outcome: a request whose plan throws fails alone. */
export type Settled = { ok: true; value: ApplyStepsResult } | { ok: false; error: unknown };

type Accepted = Extract<IngestPlan, { kind: 'accepted' }>;

/** A call across organizations: the key of its advisory lock. */
export const callKey = (orgId: string, callId: string) => `${orgId}/${callId}`;

export async function applyBatch(tx: Queryable, inputs: readonly ApplyStepsInput[]): Promise<Settled[]> {
  const pairs = new Map<string, { orgId: string; callId: string }>();
  for (const input of inputs) for (const callId of input.callIds) pairs.set(callKey(input.orgId, callId), { orgId: input.orgId, callId });
  // Sorted by the server, so any two transactions take the locks of shared calls in the same order.
  await tx.run('SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM (SELECT unnest($1::text[]) AS k ORDER BY 1) keys', [[...pairs.keys()]]);
  // Planned each time: a plan cached while `calls` was empty can walk the (org_id, started_at)
  // index — every call of the organization — instead of the primary key.
  const state = new Map<string, TrackedCall>();
  const loaded = await tx.rowsPlannedEachTime<{ org_id: string; call_id: string; state: string }>(
    'SELECT c.org_id, c.call_id, c.state FROM unnest($1::text[], $2::text[]) AS k(org_id, call_id) JOIN calls c ON c.org_id = k.org_id AND c.call_id = k.call_id',
    [[...pairs.values()].map((p) => p.orgId), [...pairs.values()].map((p) => p.callId)],
  );
  for (const row of loaded) state.set(callKey(row.org_id, row.call_id), trackedCallFrom(row.state));
  /** Calls already in the store: their latest deliveries are there too, to chain behind. */
  const stored = new Set(state.keys());

  // Read under KEY SHARE: a change of an organization's plan or of a webhook's settings (FOR
  // UPDATE) commits before this read or waits for this transaction, never between read and write.
  const orgIds = [...new Set(inputs.map((i) => i.orgId))].sort();
  const orgs = new Map<string, Org>((await tx.rows('SELECT * FROM orgs WHERE id = ANY($1) ORDER BY id FOR KEY SHARE', [orgIds])).map((row) => [String(row.id), orgFrom(row)]));
  const webhooksOf = new Map<string, Webhook[]>();
  for (const row of await tx.rows('SELECT * FROM webhooks WHERE org_id = ANY($1) ORDER BY id FOR KEY SHARE', [orgIds])) {
    const webhook = webhookFrom(row);
    const list = webhooksOf.get(webhook.orgId);
    if (list) list.push(webhook);
    else webhooksOf.set(webhook.orgId, [webhook]);
  }

  // Each request planned on what the ones before it in this batch left (arrival order).
  const settled: Settled[] = [];
  const accepted: Array<{ input: ApplyStepsInput; plan: Accepted; index: number }> = [];
  inputs.forEach((input, index) => {
    try {
      const org = orgs.get(input.orgId);
      if (!org) throw notFound('Organization', input.orgId);
      const calls = new Map<string, TrackedCall>();
      for (const callId of input.callIds) {
        const known = state.get(callKey(input.orgId, callId));
        if (known) calls.set(callId, known);
      }
      const plan = input.plan({ calls, webhooks: webhooksOf.get(input.orgId) ?? [], org });
      settled.push({ ok: true, value: { plan, fresh: [] } });
      if (plan.kind === 'rejected') return;
      for (const tracked of plan.calls) state.set(callKey(input.orgId, tracked.call.callId), tracked);
      accepted.push({ input, plan, index });
    } catch (error) {
      settled.push({ ok: false, error });
    }
  });

  // Per-call order: each delivery waits behind the webhook's latest open one of the same call. The
  // latest ones of calls already stored are locked, all in one statement.
  const last = new Map<string, { id: string; status: string }>();
  const chained = new Set<string>();
  for (const { input, plan } of accepted) {
    for (const d of plan.deliveries) if (stored.has(callKey(input.orgId, d.callId))) chained.add(`${d.webhookId} ${d.callId}`);
  }
  if (chained.size > 0) {
    const keys = [...chained];
    const latest = await tx.rows<{ id: string; status: string; webhook_id: string; call_id: string }>(
      `SELECT id, status, webhook_id, call_id FROM deliveries WHERE seq IN (
         SELECT max(d.seq) FROM unnest($1::text[], $2::text[]) AS k(webhook_id, call_id)
         JOIN deliveries d ON d.webhook_id = k.webhook_id AND d.call_id = k.call_id GROUP BY d.webhook_id, d.call_id)
       ORDER BY id FOR UPDATE`,
      [keys.map((k) => k.slice(0, k.indexOf(' '))), keys.map((k) => k.slice(k.indexOf(' ') + 1))],
    );
    for (const row of latest) last.set(`${row.webhook_id} ${row.call_id}`, { id: row.id, status: row.status });
  }

  const write = new BatchRows();
  let wake = false;
  for (const { input, plan, index } of accepted) {
    // Recordings and their fetch jobs are rare: statements of their own.
    for (const fetch of plan.fetches) await tx.run(`INSERT INTO recording_fetches (${FETCH_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, fetchValues(fetch));
    for (const recording of plan.recordings) await tx.run(`INSERT INTO recordings (${RECORDING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, recordingValues(recording));
    if (input.completesFetch) {
      await tx.run("UPDATE recording_fetches SET status = 'done', attempts = attempts + 1, next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL, updated_at = $1 WHERE id = $2", [input.now, input.completesFetch]);
    }
    const fresh: DeliveryJob[] = [];
    const webhooks = new Map((webhooksOf.get(input.orgId) ?? []).map((w) => [w.id, w]));
    for (const d of plan.deliveries) {
      const key = `${d.webhookId} ${d.callId}`;
      const previous = last.get(key);
      const status = d.held ? 'held' : previous && (previous.status === 'pending' || previous.status === 'waiting') ? 'waiting' : 'pending';
      const leased = status === 'pending' && input.lease !== null;
      wake ||= status === 'pending' && !leased;
      last.set(key, { id: d.id, status });
      write.delivery(input, d, status, status === 'waiting' ? previous!.id : null, leased);
      if (!leased) continue;
      const row = {
        id: d.id, org_id: d.orgId, webhook_id: d.webhookId, event_type: d.eventType, call_id: d.callId, content_type: d.contentType, body: d.body,
        attempts: 0, schedule_attempts: 0, first_attempt_at: null, created_at: input.now, lease_owner: input.lease!.owner, lease_version: 1, lease_until: input.lease!.until,
      };
      fresh.push(jobFrom(row, webhooks.get(d.webhookId)!, input.now, false));
    }
    for (const tracked of plan.calls) write.call(input, tracked);
    for (const event of plan.events) write.event(input, event);
    settled[index] = { ok: true, value: { plan, fresh } };
  }
  if (!write.empty) await write.flush(tx);
  // Left for any worker: wake them when this commits.
  if (wake) await tx.run(`SELECT pg_notify('${DUE_CHANNEL}', '')`);
  return settled;
}

/** The batch's calls, events and deliveries as column arrays, written in one statement (one round trip). */
class BatchRows {
  private readonly calls = new Map<string, { orgId: string; callId: string; connectionId: string; startedAt: number; state: string; now: number }>();
  private readonly events: unknown[][] = [[], [], [], [], [], [], []];
  private readonly deliveries: unknown[][] = Array.from({ length: 15 }, () => []);

  get empty(): boolean {
    return this.calls.size + this.events[0]!.length + this.deliveries[0]!.length === 0;
  }

  /** One row per call: a call two requests of the batch changed is written once, in its last state (the first request's connection). */
  call(input: ApplyStepsInput, tracked: TrackedCall): void {
    const key = callKey(input.orgId, tracked.call.callId);
    const first = this.calls.get(key);
    this.calls.set(key, {
      orgId: input.orgId, callId: tracked.call.callId, connectionId: first?.connectionId ?? input.connectionId,
      startedAt: tracked.call.startedAt, state: JSON.stringify(tracked), now: input.now,
    });
  }

  event(input: ApplyStepsInput, event: Accepted['events'][number]): void {
    [event.id, input.orgId, event.call.callId, event.type, event.occurredAt, input.now, JSON.stringify(event)].forEach((v, i) => this.events[i]!.push(v));
  }

  delivery(input: ApplyStepsInput, d: Accepted['deliveries'][number], status: string, afterId: string | null, leased: boolean): void {
    const values = [
      d.id, d.orgId, d.webhookId, d.eventId, d.eventType, d.callId, status, afterId, status === 'pending' ? input.now : null,
      d.contentType, d.body, leased ? input.lease!.owner : null, leased ? input.lease!.until : null, leased ? 1 : 0, input.now,
    ];
    values.forEach((v, i) => this.deliveries[i]!.push(v));
  }

  async flush(tx: Queryable): Promise<void> {
    const c = [...this.calls.values()];
    await tx.run(
      `WITH new_calls AS (
         INSERT INTO calls (org_id, call_id, connection_id, started_at, state, updated_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[])
         ON CONFLICT (org_id, call_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
       ), new_events AS (
         INSERT INTO events (id, org_id, call_id, type, occurred_at, created_at, data)
         SELECT * FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::text[])
       )
       INSERT INTO deliveries (id, org_id, webhook_id, event_id, event_type, call_id, status, after_id, next_attempt_at, content_type, body,
         lease_owner, lease_until, lease_version, created_at, updated_at)
       SELECT id, org_id, webhook_id, event_id, event_type, call_id, status, after_id, next_attempt_at, content_type, body,
              lease_owner, lease_until, lease_version, created_at, created_at
       FROM unnest($14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::bigint[],
                   $23::text[], $24::text[], $25::text[], $26::bigint[], $27::int[], $28::bigint[])
         AS d(id, org_id, webhook_id, event_id, event_type, call_id, status, after_id, next_attempt_at, content_type, body,
              lease_owner, lease_until, lease_version, created_at)`,
      [
        c.map((x) => x.orgId), c.map((x) => x.callId), c.map((x) => x.connectionId), c.map((x) => x.startedAt), c.map((x) => x.state), c.map((x) => x.now),
        ...this.events,
        ...this.deliveries,
      ],
    );
  }
}
