// Calls and events on PostgreSQL, and the ingest transaction. Steps of one call may reach several
// processes at once: a transaction-scoped advisory lock per call serializes them, and the last
// delivery of a (webhook, call) is locked before a new one is chained behind it, so a result being
// recorded elsewhere either sees the new delivery to release or is seen by it as finished.
import type { TrackedCall } from '../../calls/tracker.ts';
import type { DeliveryJob } from '../../delivery/delivery.ts';
import type { ApplyStepsInput, ApplyStepsResult, CallStore } from '../store.ts';
import { FETCH_COLUMNS, RECORDING_COLUMNS, callEventFrom, fetchValues, jobFrom, orgFrom, recordingValues, trackedCallFrom, webhookFrom } from '../rows.ts';
import { notFound } from '../../errors.ts';
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
      return toPage(rows.map((row) => trackedCallFrom(row.state)), limit, (t) => `${t.call.startedAt}:${t.call.callId}`);
    },
    async get(orgId, callId) {
      const row = await db.one<{ state: string }>('SELECT state FROM calls WHERE org_id = $1 AND call_id = $2', [orgId, callId]);
      return row ? trackedCallFrom(row.state) : null;
    },
    async events(orgId, callId) {
      const rows = await db.rows<{ data: string }>('SELECT data FROM events WHERE org_id = $1 AND call_id = $2 ORDER BY occurred_at, id', [orgId, callId]);
      return rows.map((row) => callEventFrom(row.data));
    },
  };
}

/** `startedAt:callId`; one this store never handed out reads as a position past the end. */
function splitCursor(cursor: string): [number, string] {
  const at = cursor.indexOf(':');
  const startedAt = at > 0 ? Number(cursor.slice(0, at)) : Number.NaN;
  return Number.isSafeInteger(startedAt) ? [startedAt, cursor.slice(at + 1)] : [Number.MIN_SAFE_INTEGER, ''];
}

async function applySteps(tx: Queryable, input: ApplyStepsInput): Promise<ApplyStepsResult> {
  const { orgId, now, lease } = input;
  const callIds = [...input.callIds].sort();
  // Sorted, so two requests touching the same calls take the locks in the same order.
  await tx.run(
    'SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM (SELECT $1 || \'/\' || unnest($2::text[]) AS k ORDER BY 1) keys',
    [orgId, callIds],
  );
  // Planned each time: a plan cached while `calls` was empty can walk the (org_id, started_at)
  // index — every call of the organization — instead of the primary key.
  const calls = new Map<string, TrackedCall>();
  const loaded = await tx.rowsPlannedEachTime<{ call_id: string; state: string }>(
    'SELECT call_id, state FROM calls WHERE org_id = $1 AND call_id = ANY($2)',
    [orgId, callIds],
  );
  for (const row of loaded) calls.set(row.call_id, trackedCallFrom(row.state));
  // Read under KEY SHARE: a change of the organization's plan or of a webhook's settings (FOR
  // UPDATE) commits before this read or waits for this transaction, never between read and write.
  const orgRow = await tx.one('SELECT * FROM orgs WHERE id = $1 FOR KEY SHARE', [orgId]);
  if (!orgRow) throw notFound('Organization', orgId);
  const webhooks = (await tx.rows('SELECT * FROM webhooks WHERE org_id = $1 ORDER BY id FOR KEY SHARE', [orgId])).map(webhookFrom);
  const plan = input.plan({ calls, webhooks, org: orgFrom(orgRow) });
  if (plan.kind === 'rejected') return { plan, fresh: [] };

  // Per-call order: each delivery waits behind the webhook's latest open one of the same call. The
  // latest ones of calls already known are locked, all in one statement.
  const last = new Map<string, { id: string; status: string }>();
  const known = [...new Set(plan.deliveries.filter((d) => calls.has(d.callId)).map((d) => `${d.webhookId} ${d.callId}`))];
  if (known.length > 0) {
    const latest = await tx.rows<{ id: string; status: string; webhook_id: string; call_id: string }>(
      `SELECT id, status, webhook_id, call_id FROM deliveries WHERE seq IN (
         SELECT max(d.seq) FROM unnest($1::text[], $2::text[]) AS k(webhook_id, call_id)
         JOIN deliveries d ON d.webhook_id = k.webhook_id AND d.call_id = k.call_id GROUP BY d.webhook_id, d.call_id)
       ORDER BY id FOR UPDATE`,
      [known.map((k) => k.split(' ')[0]), known.map((k) => k.slice(k.indexOf(' ') + 1))],
    );
    for (const row of latest) last.set(`${row.webhook_id} ${row.call_id}`, { id: row.id, status: row.status });
  }
  const rows: Array<{ status: string; afterId: string | null; leased: boolean }> = [];
  for (const d of plan.deliveries) {
    const key = `${d.webhookId} ${d.callId}`;
    const previous = last.get(key);
    const row = d.held
      ? { status: 'held', afterId: null, leased: false }
      : previous && (previous.status === 'pending' || previous.status === 'waiting')
        ? { status: 'waiting', afterId: previous.id, leased: false }
        : { status: 'pending', afterId: null, leased: lease !== null };
    rows.push(row);
    last.set(key, { id: d.id, status: row.status });
  }
  // Recordings and their fetch jobs are rare: statements of their own.
  for (const fetch of plan.fetches) await tx.run(`INSERT INTO recording_fetches (${FETCH_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, fetchValues(fetch));
  for (const recording of plan.recordings) await tx.run(`INSERT INTO recordings (${RECORDING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, recordingValues(recording));
  if (input.completesFetch) {
    await tx.run("UPDATE recording_fetches SET status = 'done', attempts = attempts + 1, next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL, updated_at = $1 WHERE id = $2", [now, input.completesFetch]);
  }
  // Calls, events and deliveries in one statement (one round trip); nothing to write for repeats.
  const c = plan.calls;
  const e = plan.events;
  const d = plan.deliveries;
  if (c.length + e.length + d.length === 0) return { plan, fresh: [] };
  await tx.run(
    `WITH new_calls AS (
       INSERT INTO calls (org_id, call_id, connection_id, started_at, state, updated_at)
       SELECT $1, call_id, $2, started_at, state, $3 FROM unnest($4::text[], $5::bigint[], $6::text[]) AS c(call_id, started_at, state)
       ON CONFLICT (org_id, call_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
     ), new_events AS (
       INSERT INTO events (id, org_id, call_id, type, occurred_at, created_at, data)
       SELECT id, $1, call_id, type, occurred_at, $3, data FROM unnest($7::text[], $8::text[], $9::text[], $10::bigint[], $11::text[]) AS e(id, call_id, type, occurred_at, data)
     )
     INSERT INTO deliveries (id, org_id, webhook_id, event_id, event_type, call_id, status, after_id, next_attempt_at, content_type, body,
       lease_owner, lease_until, lease_version, created_at, updated_at)
     SELECT id, org_id, webhook_id, event_id, event_type, call_id, status, after_id,
            CASE WHEN status = 'pending' THEN $3::bigint END, content_type, body,
            CASE WHEN leased THEN $12 END, CASE WHEN leased THEN $13::bigint END, CASE WHEN leased THEN 1 ELSE 0 END, $3, $3
     FROM unnest($14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[], $24::boolean[])
       AS d(id, org_id, webhook_id, event_id, event_type, call_id, status, after_id, content_type, body, leased)`,
    [
      orgId, input.connectionId, now,
      c.map((t) => t.call.callId), c.map((t) => t.call.startedAt), c.map((t) => JSON.stringify(t)),
      e.map((x) => x.id), e.map((x) => x.call.callId), e.map((x) => x.type), e.map((x) => x.occurredAt), e.map((x) => JSON.stringify(x)),
      lease?.owner ?? null, lease?.until ?? null,
      d.map((x) => x.id), d.map((x) => x.orgId), d.map((x) => x.webhookId), d.map((x) => x.eventId), d.map((x) => x.eventType), d.map((x) => x.callId),
      rows.map((r) => r.status), rows.map((r) => r.afterId), d.map((x) => x.contentType), d.map((x) => x.body), rows.map((r) => r.leased),
    ],
  );
  const fresh: DeliveryJob[] = [];
  if (d.length > 0) {
    const webhooksById = new Map(webhooks.map((w) => [w.id, w]));
    d.forEach((x, i) => {
      if (!rows[i]!.leased) return;
      const row = {
        id: x.id, org_id: x.orgId, webhook_id: x.webhookId, event_type: x.eventType, call_id: x.callId, content_type: x.contentType, body: x.body,
        attempts: 0, schedule_attempts: 0, first_attempt_at: null, created_at: now, lease_owner: lease!.owner, lease_version: 1, lease_until: lease!.until,
      };
      fresh.push(jobFrom(row, webhooksById.get(x.webhookId)!, now, false));
    });
    // Left for any worker: wake them when this commits.
    if (rows.some((r) => r.status === 'pending' && !r.leased)) await tx.run(`SELECT pg_notify('${DUE_CHANNEL}', '')`);
  }
  return { plan, fresh };
}
