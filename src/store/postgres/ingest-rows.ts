// The write of an ingest batch (ingest-batch.ts): its calls, events and deliveries as column
// arrays in one statement, which also locks the latest delivery of each (webhook, call) a new one
// chains behind and picks every new delivery's status from it.
import type { TrackedCall } from '../../calls/tracker.ts';
import type { ApplyStepsInput, IngestPlan } from '../store.ts';
import { GENERIC_PLAN, type Statement } from './inline-sql.ts';

type NewDelivery = Extract<IngestPlan, { kind: 'accepted' }>['deliveries'][number];
type NewEvent = Extract<IngestPlan, { kind: 'accepted' }>['events'][number];

/** A delivery's place in its (webhook, call) chain: its status and the delivery it waits behind. */
interface Link {
  status: 'pending' | 'waiting' | 'held';
  /** null while pending or held; while waiting, null means the store's latest delivery of the chain. */
  after: string | null;
}

/** A (webhook, call) chain; its organization leads the index its latest delivery is found by. */
export interface ChainKey {
  orgId: string;
  webhookId: string;
  callId: string;
}

/**
 * Per-call order: each delivery waits behind the webhook's latest open (pending or waiting) one of
 * the same call. Whether the store's latest is open is known only inside the write, under its
 * lock, so each new delivery gets its link both ways: if it is open, and if it is not (or none).
 */
export class DeliveryChains {
  private readonly last = new Map<string, { ifOpen: Link & { id: string | null }; ifClosed: (Link & { id: string | null }) | undefined }>();
  /** The chains whose latest delivery may be in the store, by key. */
  private readonly stored = new Map<string, ChainKey>();

  /** The next delivery of (webhookId, callId); `callStored`: the call is in the store, so the chain may have a latest there. */
  next(orgId: string, webhookId: string, callId: string, id: string, held: boolean, callStored: boolean): { ifOpen: Link; ifClosed: Link } {
    const key = `${webhookId} ${callId}`;
    let previous = this.last.get(key);
    if (!previous && callStored) {
      this.stored.set(key, { orgId, webhookId, callId });
      // The store's latest, in both worlds: open in one, finished in the other.
      previous = { ifOpen: { id: null, status: 'pending', after: null }, ifClosed: undefined };
    }
    const ifOpen = link(previous?.ifOpen, held);
    const ifClosed = link(previous?.ifClosed, held);
    this.last.set(key, { ifOpen: { ...ifOpen, id }, ifClosed: { ...ifClosed, id } });
    return { ifOpen, ifClosed };
  }

  /** The chains whose latest delivery may be in the store. */
  latestKeys(): ChainKey[] {
    return [...this.stored.values()];
  }
}

function link(previous: (Link & { id: string | null }) | undefined, held: boolean): Link {
  if (held) return { status: 'held', after: null };
  if (previous && (previous.status === 'pending' || previous.status === 'waiting')) return { status: 'waiting', after: previous.id };
  return { status: 'pending', after: null };
}

/** The batch's calls, events and deliveries as column arrays, written in one statement. */
export class BatchRows {
  private readonly calls = new Map<string, { orgId: string; callId: string; connectionId: string; startedAt: number; state: string; now: number }>();
  private readonly events: unknown[][] = [[], [], [], [], [], [], []];
  private readonly deliveries: unknown[][] = Array.from({ length: 16 }, () => []);

  get empty(): boolean {
    return this.calls.size + this.events[0]!.length + this.deliveries[0]!.length === 0;
  }

  /** One row per call: a call two requests of the batch changed is written once, in its last state (the first request's connection). */
  call(input: ApplyStepsInput, tracked: TrackedCall): void {
    const key = `${input.orgId}/${tracked.call.callId}`;
    const first = this.calls.get(key);
    this.calls.set(key, {
      orgId: input.orgId, callId: tracked.call.callId, connectionId: first?.connectionId ?? input.connectionId,
      startedAt: tracked.call.startedAt, state: JSON.stringify(tracked), now: input.now,
    });
  }

  event(input: ApplyStepsInput, event: NewEvent): void {
    [event.id, input.orgId, event.call.callId, event.type, event.occurredAt, input.now, JSON.stringify(event)].forEach((v, i) => this.events[i]!.push(v));
  }

  delivery(input: ApplyStepsInput, d: NewDelivery, { ifOpen, ifClosed }: { ifOpen: Link; ifClosed: Link }): void {
    const values = [
      d.id, d.orgId, d.webhookId, d.eventId, d.eventType, d.callId, ifOpen.status, ifOpen.after, ifClosed.status, ifClosed.after,
      d.contentType, d.body, input.lease?.owner ?? null, input.lease?.until ?? null, input.now, this.deliveries[0]!.length,
    ];
    values.forEach((v, i) => this.deliveries[i]!.push(v));
  }

  /**
   * One statement: lock the latest delivery of each chain in the store (in id order, as result
   * batches lock theirs), then insert calls, events and deliveries, each delivery linked as its
   * chain's latest says, in batch order (seq). Answers each delivery's id and status. A delivery
   * waits only behind one this statement holds (or inserts): result batches count on it to know
   * what waits behind theirs (result-batch.ts), as on replay's lock of what it re-queues.
   * Each chain's latest is found among its call's deliveries (deliveries_org_call, LIMIT 1) and then
   * locked by id, in id order, one row at a time: shaped so that every plan reads those few rows
   * whatever the table's statistics. The max over a join it replaces was planned generically while
   * the table was young (a fresh database, before autovacuum's first analyze) as a walk of the whole
   * table, kept while the table grew: 1,786 pages read per ingest at 7,456 deliveries. The plan is
   * always the generic one: custom plans of this statement cost more than running it (measured:
   * planned on every run once the shape above made the generic plan look dearer).
   */
  statement(latest: readonly ChainKey[]): Statement {
    const c = [...this.calls.values()];
    return [
      `WITH latest AS (
         SELECT l.id, l.status, l.webhook_id, l.call_id
         FROM (SELECT (SELECT c.id FROM deliveries c WHERE c.org_id = k.org_id AND c.call_id = k.call_id AND c.webhook_id || '' = k.webhook_id ORDER BY c.seq DESC LIMIT 1) AS id
               FROM unnest($29::text[], $30::text[], $32::text[]) AS k(webhook_id, call_id, org_id) ORDER BY 1) x
         CROSS JOIN LATERAL (SELECT id, status, webhook_id, call_id FROM deliveries WHERE id = x.id FOR UPDATE) l
       ), new_calls AS (
         INSERT INTO calls (org_id, call_id, connection_id, started_at, state, updated_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[])
         ON CONFLICT (org_id, call_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
       ), new_events AS (
         INSERT INTO events (id, org_id, call_id, type, occurred_at, created_at, data)
         SELECT * FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::text[])
       ), linked AS (
         SELECT d.*, CASE WHEN open THEN d.status_open ELSE d.status_closed END AS status,
                CASE WHEN NOT open THEN d.after_closed WHEN d.status_open = 'waiting' THEN COALESCE(d.after_open, l.id) END AS after_id
         FROM unnest($14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[],
                     $24::text[], $25::text[], $26::text[], $27::bigint[], $28::bigint[], $31::int[])
           AS d(id, org_id, webhook_id, event_id, event_type, call_id, status_open, after_open, status_closed, after_closed,
                content_type, body, lease_owner, lease_until, created_at, ord)
         LEFT JOIN latest l ON l.webhook_id = d.webhook_id AND l.call_id = d.call_id
         CROSS JOIN LATERAL (SELECT COALESCE(l.status IN ('pending', 'waiting'), false) AS open) o
       )
       INSERT INTO deliveries (id, org_id, webhook_id, event_id, event_type, call_id, status, after_id, next_attempt_at, content_type, body,
         lease_owner, lease_until, lease_version, created_at, updated_at)
       SELECT id, org_id, webhook_id, event_id, event_type, call_id, status, after_id, CASE WHEN status = 'pending' THEN created_at END, content_type, body,
              CASE WHEN status = 'pending' THEN lease_owner END, CASE WHEN status = 'pending' THEN lease_until END,
              CASE WHEN status = 'pending' AND lease_owner IS NOT NULL THEN 1 ELSE 0 END, created_at, created_at
       FROM linked ORDER BY ord
       RETURNING id, status`,
      [
        c.map((x) => x.orgId), c.map((x) => x.callId), c.map((x) => x.connectionId), c.map((x) => x.startedAt), c.map((x) => x.state), c.map((x) => x.now),
        ...this.events,
        ...this.deliveries.slice(0, 15),
        latest.map((k) => k.webhookId), latest.map((k) => k.callId),
        this.deliveries[15]!,
        latest.map((k) => k.orgId),
      ],
      GENERIC_PLAN,
    ];
  }
}
