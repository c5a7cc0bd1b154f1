// Deliveries and attempts on PostgreSQL. Any number of processes claim due work with
// FOR UPDATE SKIP LOCKED under leases (owner + version: the fencing token), and record results in
// set-based batches (result-batch.ts), riding ingest transactions when they can (ingest-queue.ts).
// Locks are taken webhook rows first, then delivery rows, each in id order.
import { AppError, notFound } from '../../errors.ts';
import type { DeliveryJob } from '../../delivery/delivery.ts';
import type { DeliveryFilter, DeliveryStore } from '../store.ts';
import { type Row, attemptFrom, deliveryFrom, jobsOf, webhookFrom } from '../rows.ts';
import { type PgDatabase, type Queryable, toPage } from './database.ts';
import { DUE_CHANNEL, type DueListener } from './due-listener.ts';
import type { PgChanges } from './webhooks.ts';
import { recordResults } from './result-batch.ts';
import type { IngestQueue } from './ingest-queue.ts';
import { toConsult } from '../../delivery/transitions.ts';

/**
 * The deliveries of webhook $2 (organization $1) created since $3 in statuses $4, oldest first,
 * locked. Only failed and held ones are replayed; saying so in the text lets a generic plan (which
 * cannot see $4) read just those through deliveries_org_status, not every delivery the webhook has.
 */
export const REPLAY_SQL = `SELECT id, call_id FROM deliveries
  WHERE org_id = $1 AND webhook_id = $2 AND created_at >= $3 AND status = ANY($4) AND status IN ('failed', 'held')
  ORDER BY seq FOR UPDATE`;

/**
 * Due deliveries ($1: now) of webhooks not in $2, at most $3 per webhook and $4 in all, leased to
 * $5 until $6: candidates by due time, then locked without waiting (rows another process is
 * claiming are skipped, never claimed twice).
 */
export const CLAIM_DUE_SQL = `WITH candidates AS (
    SELECT seq FROM (
      SELECT seq, next_attempt_at, row_number() OVER (PARTITION BY webhook_id ORDER BY next_attempt_at, seq) AS rank
      FROM deliveries
      WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) AND NOT (webhook_id = ANY($2::text[]))
    ) ranked WHERE rank <= $3 ORDER BY next_attempt_at, seq LIMIT $4
  ), locked AS (
    SELECT d.seq FROM deliveries d JOIN candidates c ON c.seq = d.seq
    WHERE d.status = 'pending' AND (d.lease_until IS NULL OR d.lease_until <= $1)
    FOR UPDATE OF d SKIP LOCKED
  )
  UPDATE deliveries d SET lease_owner = $5, lease_until = $6, lease_version = d.lease_version + 1
  FROM locked WHERE d.seq = locked.seq
  RETURNING d.*`;

/**
 * How a claim reads deliveries_due: by an index scan, never a bitmap one (nor a walk of the table).
 * The index keeps an entry of every delivery that was ever pending until a vacuum, and a bitmap
 * scan never marks the dead ones: each poll of each process read every delivery finished since the
 * last vacuum (77,000 entries and 16,000 pages, 65 ms, a minute into a busy run), more as the table
 * grows. An index scan marks each dead entry as it passes it, and later scans skip it: 0.08 ms.
 */
export const CLAIM_SCAN_SQL = "SELECT set_config('enable_bitmapscan', 'off', true), set_config('enable_seqscan', 'off', true)";

export function postgresDeliveries(db: PgDatabase, due: DueListener, changes: PgChanges, ingest: IngestQueue): DeliveryStore {
  /** When this process last wrote each webhook's last_success_at: no need to try again within the resolution. */
  const successWritten = new Map<string, number>();
  async function withTargets(on: Queryable, rows: Row[], now: number, manual: boolean): Promise<DeliveryJob[]> {
    if (rows.length === 0) return [];
    const ids = [...new Set(rows.map((r) => String(r.webhook_id)))];
    return jobsOf(rows, await on.rows('SELECT * FROM webhooks WHERE id = ANY($1)', [ids]), now, manual);
  }

  return {
    async get(orgId, id) {
      const row = await db.one('SELECT * FROM deliveries WHERE org_id = $1 AND id = $2', [orgId, id]);
      return row ? deliveryFrom(row) : null;
    },

    async list(orgId, filter: DeliveryFilter, { limit, after }) {
      const where = ['org_id = $1'];
      const params: unknown[] = [orgId];
      const add = (clause: string, value: unknown) => {
        params.push(value);
        where.push(clause.replace('?', `$${params.length}`));
      };
      if (after) add('seq < (SELECT seq FROM deliveries WHERE id = ? AND org_id = $1)', after);
      if (filter.webhookId) add('webhook_id = ?', filter.webhookId);
      if (filter.eventType) add('event_type = ?', filter.eventType);
      if (filter.callId) add('call_id = ?', filter.callId);
      if (filter.status) add('status = ?', filter.status);
      if (filter.since !== undefined) add('created_at >= ?', filter.since);
      params.push(limit + 1);
      const rows = await db.rows(`SELECT * FROM deliveries WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${params.length}`, params);
      return toPage(rows.map(deliveryFrom), limit, (d) => d.id);
    },

    async attempts(orgId, deliveryId) {
      return (await db.rows('SELECT * FROM attempts WHERE org_id = $1 AND delivery_id = $2 ORDER BY seq', [orgId, deliveryId])).map(attemptFrom);
    },

    async claimDue({ owner, now, leaseMs, limit, perWebhookLimit, skipWebhookIds = [] }) {
      // Planned each time: its pending deliveries are read through partial indexes, which a plan
      // made on a young table walks whole (they held a row or two then). By index (CLAIM_SCAN_SQL).
      const rows = await db.rowsPlannedEachTime(CLAIM_DUE_SQL, [now, skipWebhookIds, perWebhookLimit, limit, owner, now + leaseMs], [CLAIM_SCAN_SQL]);
      return withTargets(db, rows, now, false);
    },

    async recordResults(input) {
      const alone = () => db.scriptTransaction((tx) => recordResults(tx, input, successWritten, changes), { byKey: true });
      // A batch that may disable a webhook (one exhausting a schedule) takes round trips of its own
      // in the middle (result-batch.ts): alone. The others ride an ingest transaction when there is one.
      const { output, disables } = toConsult(input.outcomes).webhookIds.length > 0
        ? await alone()
        : await ingest.carry({ ride: (tx, calls) => recordResults(tx, input, successWritten, changes, calls), alone });
      changes.committed(disables);
      return output;
    },

    async renewLeases({ owner, leases, until }) {
      if (leases.length === 0) return [];
      const rows = await db.rowsPlannedEachTime<{ id: string }>(
        `UPDATE deliveries d SET lease_until = $1 FROM unnest($2::text[], $3::int[]) AS r(id, version)
         WHERE d.id = r.id AND d.lease_owner = $4 AND d.lease_version = r.version AND d.status = 'pending'
         RETURNING d.id`,
        [until, leases.map((l) => l.deliveryId), leases.map((l) => l.version), owner],
      );
      return rows.map((r) => r.id);
    },

    async releaseLeases(owner, deliveryIds) {
      if (deliveryIds.length === 0) return;
      await db.transaction(async (tx) => {
        // Rare (a process letting go of what it holds), so planned for the ids at hand: a plan kept
        // from a young table's statistics walked the table (young-plans.test.ts).
        await tx.rowsPlannedEachTime('UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE id = ANY($1) AND lease_owner = $2', [deliveryIds, owner]);
        await tx.run(`SELECT pg_notify('${DUE_CHANNEL}', '')`);
      });
    },

    onDue(listener) {
      return due.on(listener);
    },

    async beginManualAttempt({ orgId, deliveryId, owner, leaseMs, now }) {
      const row = await db.transaction(async (tx) => {
        const current = await tx.one('SELECT * FROM deliveries WHERE org_id = $1 AND id = $2', [orgId, deliveryId]);
        if (!current) throw notFound('Delivery', deliveryId);
        const webhook = await tx.one('SELECT * FROM webhooks WHERE id = $1 FOR SHARE', [current.webhook_id]);
        if (!webhook || !webhookFrom(webhook).enabled) {
          throw new AppError('WEBHOOK_DISABLED', `Webhook ${String(current.webhook_id)} is disabled; enable it before retrying its deliveries`);
        }
        const locked = await tx.one('SELECT * FROM deliveries WHERE id = $1 FOR UPDATE', [deliveryId]);
        if (!locked) throw notFound('Delivery', deliveryId);
        if (locked.lease_until !== null && Number(locked.lease_until) > now) {
          throw new AppError('DELIVERY_BUSY', `Delivery ${deliveryId} is being attempted right now; look at its attempts in a moment`);
        }
        if (locked.status === 'waiting') {
          throw new AppError('CONFLICT', `Delivery ${deliveryId} waits for an earlier event of call ${String(locked.call_id)} to be delivered first`);
        }
        return tx.one(
          'UPDATE deliveries SET lease_owner = $1, lease_until = $2, lease_version = lease_version + 1 WHERE id = $3 RETURNING *',
          [owner, now + leaseMs, deliveryId],
        );
      });
      return (await withTargets(db, [row!], now, true))[0]!;
    },

    async replay({ orgId, webhookId, since, statuses, now }) {
      return db.transaction(async (tx) => {
        await tx.one('SELECT id FROM webhooks WHERE id = $1 FOR NO KEY UPDATE', [webhookId]);
        const rows = await tx.rows<{ id: string; call_id: string }>(
          REPLAY_SQL,
          [orgId, webhookId, since, statuses],
        );
        // In per-call order: the first of each call is due now, the rest wait behind it — each behind
        // one REPLAY_SQL locked, as every write that makes a delivery wait holds the one it waits for
        // (result-batch.ts counts on it).
        const lastOfCall = new Map<string, string>();
        const afterIds = rows.map((row) => {
          const previous = lastOfCall.get(row.call_id) ?? null;
          lastOfCall.set(row.call_id, row.id);
          return previous;
        });
        await tx.run(
          `UPDATE deliveries d SET status = CASE WHEN r.after_id IS NULL THEN 'pending' ELSE 'waiting' END, after_id = r.after_id,
             next_attempt_at = CASE WHEN r.after_id IS NULL THEN $1::bigint END, schedule_attempts = 0, first_attempt_at = NULL,
             lease_owner = NULL, lease_until = NULL, updated_at = $1
           FROM unnest($2::text[], $3::text[]) AS r(id, after_id) WHERE d.id = r.id`,
          [now, rows.map((r) => r.id), afterIds],
        );
        if (rows.length > 0) await tx.run(`SELECT pg_notify('${DUE_CHANNEL}', '')`);
        return rows.length;
      });
    },
  };
}
