// Calls and events on SQLite, and the ingest transaction: call state, events and the fan-out's
// deliveries commit together (through the group commit), so an acknowledged step is never lost.
import type { TrackedCall } from '../../calls/tracker.ts';
import type { DeliveryJob } from '../../delivery/delivery.ts';
import type { Webhook } from '../../delivery/webhook.ts';
import type { ApplyStepsInput, ApplyStepsResult, CallStore } from '../store.ts';
import { FETCH_COLUMNS, RECORDING_COLUMNS, type Row, callEventFrom, fetchValues, jobFrom, orgFrom, recordingValues, trackedCallFrom, webhookFrom } from '../rows.ts';
import { notFound } from '../../errors.ts';
import { type CommitQueue, type Database, toPage } from './database.ts';
import type { DueSignal } from '../due-signal.ts';
import { NO_NUMBERS } from '../../calls/call-numbers.ts';
import { outcomeRulesOf } from './meta.ts';
import { numbersForCalls, resolveUsers } from './tenancy.ts';

export function sqliteCalls(db: Database, commits: CommitQueue, due: DueSignal): CallStore {
  return {
    async applySteps(input) {
      const result = await commits.run(() => applySteps(db, input));
      if (input.lease === null && result.plan.kind === 'accepted' && result.plan.deliveries.length > 0) due.emit();
      return result;
    },
    async list(orgId, filter, { limit, after }) {
      // Newest first; the cursor is `<startedAt>:<callId>` of the last call seen.
      const [afterStartedAt, afterCallId] = after ? splitCursor(after) : [Number.MAX_SAFE_INTEGER, ''];
      const rows = db.all<Row>(
        `SELECT state FROM calls WHERE org_id = ? AND started_at >= ?
           AND (started_at < ? OR (started_at = ? AND call_id < ?))
         ORDER BY started_at DESC, call_id DESC LIMIT ?`,
        orgId, filter.since ?? 0, afterStartedAt, afterStartedAt, afterCallId || '\uffff', limit + 1,
      );
      const calls = rows.map((row) => trackedCallFrom(row.state));
      return toPage(calls, limit, (t) => `${t.call.startedAt}:${t.call.callId}`);
    },
    async get(orgId, callId) {
      const row = db.get<Row>('SELECT state FROM calls WHERE org_id = ? AND call_id = ?', orgId, callId);
      return row ? trackedCallFrom(row.state) : null;
    },
    async events(orgId, callId) {
      return db
        .all<Row>('SELECT data FROM events WHERE org_id = ? AND call_id = ? ORDER BY occurred_at, id', orgId, callId)
        .map((row) => callEventFrom(row.data));
    },
  };
}

/** `startedAt:callId`; one this store never handed out reads as a position past the end. */
function splitCursor(cursor: string): [number, string] {
  const at = cursor.indexOf(':');
  const startedAt = at > 0 ? Number(cursor.slice(0, at)) : Number.NaN;
  return Number.isSafeInteger(startedAt) ? [startedAt, cursor.slice(at + 1)] : [Number.MIN_SAFE_INTEGER, ''];
}

/** The latest delivery of a webhook's chain for a call (index deliveries_chain). */
export const CHAIN_LATEST_SQL = 'SELECT seq, status FROM deliveries WHERE webhook_id = ? AND call_id = ? ORDER BY seq DESC LIMIT 1';

function applySteps(db: Database, input: ApplyStepsInput): ApplyStepsResult {
  const { orgId, now, lease } = input;
  const calls = new Map<string, TrackedCall>();
  for (const callId of input.callIds) {
    const row = db.get<Row>('SELECT state FROM calls WHERE org_id = ? AND call_id = ?', orgId, callId);
    if (row) calls.set(callId, trackedCallFrom(row.state));
  }
  const orgRow = db.get<Row>('SELECT * FROM orgs WHERE id = ?', orgId);
  if (!orgRow) throw notFound('Organization', orgId);
  const webhooks = db.all<Row>('SELECT * FROM webhooks WHERE org_id = ?', orgId).map(webhookFrom);
  const users = resolveUsers(db, orgId, input.reads.userRefs);
  const plan = input.plan({
    calls, webhooks, org: orgFrom(orgRow), users,
    rules: input.reads.rules ? outcomeRulesOf(db, orgId) : null,
    numbers: input.reads.numbers ? numbersForCalls(db, orgId, [...users.values()].map((u) => u.id)) : NO_NUMBERS,
  });
  if (plan.kind === 'rejected') return { plan, fresh: [] };

  for (const tracked of plan.calls) {
    db.run(
      `INSERT INTO calls (org_id, call_id, connection_id, started_at, state, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (org_id, call_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
      orgId, tracked.call.callId, input.connectionId, tracked.call.startedAt, JSON.stringify(tracked), now,
    );
  }
  for (const event of plan.events) {
    db.run(
      'INSERT INTO events (id, org_id, call_id, type, occurred_at, created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
      event.id, orgId, event.call.callId, event.type, event.occurredAt, now, JSON.stringify(event),
    );
  }
  for (const fetch of plan.fetches) db.run(`INSERT INTO recording_fetches (${FETCH_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ...fetchValues(fetch));
  for (const recording of plan.recordings) db.run(`INSERT INTO recordings (${RECORDING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ...recordingValues(recording));
  if (input.completesFetch) {
    db.run("UPDATE recording_fetches SET status = 'done', attempts = attempts + 1, next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?", now, input.completesFetch);
  }

  const webhooksById = new Map<string, Webhook>(webhooks.map((w) => [w.id, w]));
  const fresh: DeliveryJob[] = [];
  const insertedLast = new Map<string, { seq: number; status: string }>();
  for (const d of plan.deliveries) {
    const insert = (status: string, afterSeq: number | null, nextAttemptAt: number | null, leased: boolean) =>
      db.insert(
        `INSERT INTO deliveries (id, org_id, webhook_id, event_id, event_type, call_id, status, after_seq, next_attempt_at,
           content_type, body, lease_owner, lease_until, lease_version, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        d.id, d.orgId, d.webhookId, d.eventId, d.eventType, d.callId, status, afterSeq, nextAttemptAt,
        d.contentType, d.body, leased ? lease!.owner : null, leased ? lease!.until : null, leased ? 1 : 0, now, now,
      );
    if (d.held) {
      insertedLast.set(`${d.webhookId} ${d.callId}`, { seq: insert('held', null, null, false), status: 'held' });
      continue;
    }
    // Per-call order: wait behind the webhook's latest delivery of this call while it is still open.
    // A call new in this request has none in the store yet, only the ones inserted just before.
    const previous = calls.has(d.callId)
      ? db.get<Row>(CHAIN_LATEST_SQL, d.webhookId, d.callId)
      : insertedLast.get(`${d.webhookId} ${d.callId}`);
    if (previous && (previous.status === 'pending' || previous.status === 'waiting')) {
      insertedLast.set(`${d.webhookId} ${d.callId}`, { seq: insert('waiting', Number(previous.seq), null, false), status: 'waiting' });
    } else {
      insertedLast.set(`${d.webhookId} ${d.callId}`, { seq: insert('pending', null, now, lease !== null), status: 'pending' });
      if (lease === null) continue; // left for any worker
      const row = {
        id: d.id, org_id: d.orgId, webhook_id: d.webhookId, event_type: d.eventType, call_id: d.callId, content_type: d.contentType,
        body: d.body, attempts: 0, schedule_attempts: 0, first_attempt_at: null, created_at: now, lease_owner: lease.owner, lease_version: 1, lease_until: lease.until,
      };
      fresh.push(jobFrom(row, webhooksById.get(d.webhookId)!, now, false));
    }
  }
  return { plan, fresh };
}
