// Calls and events on PostgreSQL. Ingest requests are written in batches (ingest-queue.ts: group
// commit; ingest-batch.ts: one batch's transaction).
import type { CallStore } from '../store.ts';
import { callEventFrom, trackedCallFrom } from '../rows.ts';
import { type PgDatabase, toPage } from './database.ts';
import type { IngestQueue } from './ingest-queue.ts';

export function postgresCalls(db: PgDatabase, ingest: IngestQueue): CallStore {
  return {
    applySteps: ingest.apply,
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
