// Calls and events on PostgreSQL, and the ingest transaction. Steps of one call may reach several
// processes at once: a transaction-scoped advisory lock per call serializes them, and the last
// delivery of a (webhook, call) is locked before a new one is chained behind it, so a result being
// recorded elsewhere either sees the new delivery to release or is seen by it as finished.
import type { TrackedCall } from '../../calls/tracker.ts';
import type { DeliveryJob } from '../../delivery/delivery.ts';
import type { CallEvent } from '../../events/event.ts';
import type { ApplyStepsInput, ApplyStepsResult, CallStore } from '../store.ts';
import { jobFrom, json, webhookFrom } from '../rows.ts';
import { type PgDatabase, type Queryable, toPage } from './database.ts';

export const DUE_CHANNEL = 'callhook_due';

export function postgresCalls(db: PgDatabase): CallStore {
  return {
    applySteps(input) {
      return db.transaction((tx) => applySteps(tx, input));
    },
    async list(orgId, filter, { limit, after }) {
      const [afterStartedAt, afterCallId] = after ? splitCursor(after) : [Number.MAX_SAFE_INTEGER, '\uffff'];
      const rows = await db.rows<{ state: string }>(
        `SELECT state FROM calls WHERE org_id = $1 AND started_at >= $2 AND (started_at, call_id) < ($3, $4)
         ORDER BY started_at DESC, call_id DESC LIMIT $5`,
        [orgId, filter.since ?? 0, afterStartedAt, afterCallId, limit + 1],
      );
      return toPage(rows.map((row) => json<TrackedCall>(row.state)), limit, (t) => `${t.call.startedAt}:${t.call.callId}`);
    },
    async get(orgId, callId) {
      const row = await db.one<{ state: string }>('SELECT state FROM calls WHERE org_id = $1 AND call_id = $2', [orgId, callId]);
      return row ? json<TrackedCall>(row.state) : null;
    },
    async events(orgId, callId) {
      const rows = await db.rows<{ data: string }>('SELECT data FROM events WHERE org_id = $1 AND call_id = $2 ORDER BY occurred_at, id', [orgId, callId]);
      return rows.map((row) => json<CallEvent>(row.data));
    },
  };
}

function splitCursor(cursor: string): [number, string] {
  const at = cursor.indexOf(':');
  return [Number(cursor.slice(0, at)), cursor.slice(at + 1)];
}

async function applySteps(tx: Queryable, input: ApplyStepsInput): Promise<ApplyStepsResult> {
  const { orgId, now, lease } = input;
  const callIds = [...input.callIds].sort();
  // Sorted, so two requests touching the same calls take the locks in the same order.
  await tx.run(
    'SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM (SELECT $1 || \'/\' || unnest($2::text[]) AS k ORDER BY 1) keys',
    [orgId, callIds],
  );
  const calls = new Map<string, TrackedCall>();
  for (const row of await tx.rows<{ call_id: string; state: string }>('SELECT call_id, state FROM calls WHERE org_id = $1 AND call_id = ANY($2)', [orgId, callIds])) {
    calls.set(row.call_id, json<TrackedCall>(row.state));
  }
  const webhooks = (await tx.rows('SELECT * FROM webhooks WHERE org_id = $1', [orgId])).map(webhookFrom);
  const plan = input.plan({ calls, webhooks });
  if (plan.kind === 'rejected') return { plan, fresh: [] };

  if (plan.calls.length > 0) {
    await tx.run(
      `INSERT INTO calls (org_id, call_id, connection_id, started_at, state, updated_at)
       SELECT $1, call_id, $2, started_at, state, $3 FROM unnest($4::text[], $5::bigint[], $6::text[]) AS c(call_id, started_at, state)
       ON CONFLICT (org_id, call_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
      [orgId, input.connectionId, now, plan.calls.map((t) => t.call.callId), plan.calls.map((t) => t.call.startedAt), plan.calls.map((t) => JSON.stringify(t))],
    );
  }
  if (plan.events.length > 0) {
    const e = plan.events;
    await tx.run(
      `INSERT INTO events (id, org_id, call_id, type, occurred_at, created_at, data)
       SELECT id, $1, call_id, type, occurred_at, $2, data FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[]) AS e(id, call_id, type, occurred_at, data)`,
      [orgId, now, e.map((x) => x.id), e.map((x) => x.call.callId), e.map((x) => x.type), e.map((x) => x.occurredAt), e.map((x) => JSON.stringify(x))],
    );
  }

  // Per-call order: each delivery waits behind the webhook's latest open one of the same call.
  const last = new Map<string, { id: string; status: string }>();
  const rows: Array<{ status: string; afterId: string | null; leased: boolean }> = [];
  for (const d of plan.deliveries) {
    const key = `${d.webhookId} ${d.callId}`;
    if (!last.has(key) && calls.has(d.callId)) {
      const previous = await tx.one<{ id: string; status: string }>(
        'SELECT id, status FROM deliveries WHERE webhook_id = $1 AND call_id = $2 ORDER BY seq DESC LIMIT 1 FOR UPDATE',
        [d.webhookId, d.callId],
      );
      if (previous) last.set(key, previous);
    }
    const previous = last.get(key);
    const row = d.held
      ? { status: 'held', afterId: null, leased: false }
      : previous && (previous.status === 'pending' || previous.status === 'waiting')
        ? { status: 'waiting', afterId: previous.id, leased: false }
        : { status: 'pending', afterId: null, leased: lease !== null };
    rows.push(row);
    last.set(key, { id: d.id, status: row.status });
  }
  const fresh: DeliveryJob[] = [];
  if (plan.deliveries.length > 0) {
    const d = plan.deliveries;
    await tx.run(
      `INSERT INTO deliveries (id, org_id, webhook_id, event_id, event_type, call_id, status, after_id, next_attempt_at, content_type, body,
         lease_owner, lease_until, lease_version, created_at, updated_at)
       SELECT id, org_id, webhook_id, event_id, event_type, call_id, status, after_id,
              CASE WHEN status = 'pending' THEN $1::bigint END, content_type, body,
              CASE WHEN leased THEN $2 END, CASE WHEN leased THEN $3::bigint END, CASE WHEN leased THEN 1 ELSE 0 END, $1, $1
       FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::boolean[])
         AS d(id, org_id, webhook_id, event_id, event_type, call_id, status, after_id, content_type, body, leased)`,
      [
        now, lease?.owner ?? null, lease?.until ?? null,
        d.map((x) => x.id), d.map((x) => x.orgId), d.map((x) => x.webhookId), d.map((x) => x.eventId), d.map((x) => x.eventType), d.map((x) => x.callId),
        rows.map((r) => r.status), rows.map((r) => r.afterId), d.map((x) => x.contentType), d.map((x) => x.body), rows.map((r) => r.leased),
      ],
    );
    const webhooksById = new Map(webhooks.map((w) => [w.id, w]));
    d.forEach((x, i) => {
      if (!rows[i]!.leased) return;
      const row = {
        id: x.id, org_id: x.orgId, webhook_id: x.webhookId, event_type: x.eventType, call_id: x.callId, content_type: x.contentType, body: x.body,
        attempts: 0, schedule_attempts: 0, first_attempt_at: null, lease_owner: lease!.owner, lease_version: 1, lease_until: lease!.until,
      };
      fresh.push(jobFrom(row, webhooksById.get(x.webhookId)!, now, false));
    });
    // Left for any worker: wake them when this commits.
    if (rows.some((r) => r.status === 'pending' && !r.leased)) await tx.run(`SELECT pg_notify('${DUE_CHANNEL}', '')`);
  }
  return { plan, fresh };
}
