// Calls and events on PostgreSQL. Ingest requests are written in batches (ingest-queue.ts: group
// commit; ingest-batch.ts: one batch's transaction).
import type { CallStore } from '../store.ts';
import { callEventFrom, trackedCallFrom } from '../rows.ts';
import { type PgDatabase, toPage } from './database.ts';
import { createIngestQueue } from './ingest-queue.ts';

/** Requests in one ingest transaction at most. */
const MAX_BATCH = 64;

export function postgresCalls(db: PgDatabase, poolSize: number): CallStore {
  // Two transactions in flight: a second keeps one slow batch (a call locked by another process)
  // from holding up every request, and more buy little (npm run bench --store postgres, one step
  // per request: 1 in flight ~3,600 deliveries/s, 2 ~3,780, 3 ~3,900 at the same CPU per delivery;
  // 60-step batches: 3 did 1–3 % fewer at 4 % more CPU than 2). At most half the pool.
  const applySteps = createIngestQueue(db, { maxBatch: MAX_BATCH, parallel: Math.max(1, Math.min(2, Math.floor(poolSize / 2))) });
  return {
    applySteps,
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
