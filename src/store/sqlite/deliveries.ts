// Deliveries and attempts on SQLite: claiming due work under a lease, recording attempt results
// in batches (applying delivery/transitions.ts's plan in one transaction), manual retry and replay.
import { AppError, notFound } from '../../errors.ts';
import type { Attempt, DeliveryJob } from '../../delivery/delivery.ts';
import { planResults, toConsult } from '../../delivery/transitions.ts';
import type { Webhook } from '../../delivery/webhook.ts';
import type { DeliveryFilter, DeliveryStore, RecordResultsInput, RecordResultsOutput, WebhookChange } from '../store.ts';
import type { ChangeSignal } from '../change-signal.ts';
import { DELIVERY_STATE_COLUMNS, type Row, attemptFrom, deliveryFrom, deliveryStateFrom, jobFrom, orgFrom, webhookFrom } from '../rows.ts';
import { type CommitQueue, type Database, toPage } from './database.ts';
import { disableWebhook, recordHealth } from './webhooks.ts';
import type { DueSignal } from '../due-signal.ts';

/**
 * The webhooks whose longest-due pending delivery is due by ?: a skip-scan of deliveries_webhook_due,
 * two seeks per webhook with pending deliveries, in one statement. A claim then reads each of them
 * on its own (WEBHOOK_DUE_SQL), so it reads what it may take, never every due delivery: a window
 * ranking all of them per webhook made a claim cost the event loop milliseconds whenever a few
 * thousand were due (a lane's overflow waiting in the store). INDEXED BY: the webhook indexes that
 * are not partial hold every delivery the webhook ever had.
 */
export const DUE_WEBHOOKS_SQL = `WITH RECURSIVE hooks(webhook_id) AS (
    SELECT ''
    UNION ALL
    SELECT (SELECT webhook_id FROM deliveries INDEXED BY deliveries_webhook_due WHERE status = 'pending' AND webhook_id > hooks.webhook_id ORDER BY webhook_id LIMIT 1)
    FROM hooks WHERE hooks.webhook_id IS NOT NULL
  )
  SELECT webhook_id FROM hooks
  WHERE webhook_id > ''
    AND (SELECT min(next_attempt_at) FROM deliveries INDEXED BY deliveries_webhook_due WHERE status = 'pending' AND webhook_id = hooks.webhook_id) <= ?`;

/**
 * A webhook's due deliveries whose lease is free, longest due first (then by arrival: the index's
 * own order, no sort), as many as the last parameter. The seek stops at the first one not yet due,
 * so retries waiting for later cost nothing; the leased ones it passes are those in flight.
 */
export const WEBHOOK_DUE_SQL = `SELECT seq, next_attempt_at FROM deliveries INDEXED BY deliveries_webhook_due
  WHERE webhook_id = ? AND status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
  ORDER BY next_attempt_at, seq LIMIT ?`;

/** Due deliveries of the webhooks not skipped: at most `perWebhookLimit` of each, `limit` in all, longest due first. */
function dueDeliveries(db: Database, now: number, skip: ReadonlySet<string>, perWebhookLimit: number, limit: number): number[] {
  const candidates: Array<{ seq: number; due: number }> = [];
  const perWebhookTake = Math.min(perWebhookLimit, limit);
  for (const { webhook_id: webhookId } of db.all<{ webhook_id: string }>(DUE_WEBHOOKS_SQL, now)) {
    if (skip.has(webhookId)) continue;
    for (const row of db.all<{ seq: number; next_attempt_at: number }>(WEBHOOK_DUE_SQL, webhookId, now, now, perWebhookTake)) {
      candidates.push({ seq: row.seq, due: row.next_attempt_at });
    }
  }
  candidates.sort((a, b) => a.due - b.due || a.seq - b.seq);
  return candidates.slice(0, limit).map((c) => c.seq);
}

/**
 * A webhook's deliveries in `statusCount` statuses (failed, held) since a time, in order. INDEXED BY the
 * organization's status index, which reads those alone: left to itself SQLite walks (webhook_id,
 * seq), every delivery the webhook ever had, to save a sort.
 */
export function replaySql(statusCount: number): string {
  return `SELECT seq, call_id FROM deliveries INDEXED BY deliveries_org_status
    WHERE org_id = ? AND webhook_id = ? AND created_at >= ? AND status IN (${Array(statusCount).fill('?').join(', ')}) ORDER BY seq`;
}

/** The delivery log's page query, newest first (query-plans.test.ts checks each filter has its index). */
export function listDeliveriesSql(orgId: string, filter: DeliveryFilter, after: string | undefined, limit: number): { sql: string; params: Array<string | number> } {
  const where = ['org_id = ?'];
  const params: Array<string | number> = [orgId];
  if (after) {
    where.push('seq < (SELECT seq FROM deliveries WHERE id = ? AND org_id = ?)');
    params.push(after, orgId);
  }
  if (filter.webhookId) (where.push('webhook_id = ?'), params.push(filter.webhookId));
  if (filter.eventType) (where.push('event_type = ?'), params.push(filter.eventType));
  if (filter.callId) (where.push('call_id = ?'), params.push(filter.callId));
  if (filter.status) (where.push('status = ?'), params.push(filter.status));
  if (filter.since !== undefined) (where.push('created_at >= ?'), params.push(filter.since));
  params.push(limit);
  return { sql: `SELECT * FROM deliveries WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`, params };
}

export function sqliteDeliveries(db: Database, commits: CommitQueue, due: DueSignal, changes: ChangeSignal): DeliveryStore {
  const webhookById = (id: string) => {
    const row = db.get<Row>('SELECT * FROM webhooks WHERE id = ?', id);
    return row ? webhookFrom(row) : null;
  };

  return {
    async get(orgId, id) {
      const row = db.get<Row>('SELECT * FROM deliveries WHERE org_id = ? AND id = ?', orgId, id);
      return row ? deliveryFrom(row) : null;
    },

    async list(orgId, filter: DeliveryFilter, { limit, after }) {
      const { sql, params } = listDeliveriesSql(orgId, filter, after, limit + 1);
      return toPage(db.all<Row>(sql, ...params).map(deliveryFrom), limit, (d) => d.id);
    },

    async attempts(orgId, deliveryId) {
      return db.all<Row>('SELECT * FROM attempts WHERE org_id = ? AND delivery_id = ? ORDER BY seq', orgId, deliveryId).map(attemptFrom);
    },

    claimDue({ owner, now, leaseMs, limit, perWebhookLimit, skipWebhookIds = [] }) {
      return commits.run(() => {
        const webhooks = new Map<string, Webhook | null>();
        const jobs: DeliveryJob[] = [];
        for (const seq of dueDeliveries(db, now, new Set(skipWebhookIds), perWebhookLimit, limit)) {
          const row = db.get<Row>(
            'UPDATE deliveries SET lease_owner = ?, lease_until = ?, lease_version = lease_version + 1 WHERE seq = ? RETURNING *',
            owner, now + leaseMs, seq,
          )!;
          const webhookId = String(row.webhook_id);
          if (!webhooks.has(webhookId)) webhooks.set(webhookId, webhookById(webhookId));
          jobs.push(jobFrom(row, webhooks.get(webhookId)!, now, false));
        }
        return jobs;
      });
    },

    async recordResults(input) {
      const disables: WebhookChange[] = [];
      const output = await commits.run(() => recordResults(db, input, disables));
      for (const change of disables) changes.emit(change);
      return output;
    },

    renewLeases({ owner, leases, until }) {
      if (leases.length === 0) return Promise.resolve([]);
      return commits.run(() =>
        leases
          .filter(({ deliveryId, version }) =>
            db.run("UPDATE deliveries SET lease_until = ? WHERE id = ? AND lease_owner = ? AND lease_version = ? AND status = 'pending'", until, deliveryId, owner, version) > 0,
          )
          .map((l) => l.deliveryId),
      );
    },

    async releaseLeases(owner, deliveryIds) {
      if (deliveryIds.length === 0) return;
      await commits.run(() => {
        for (const id of deliveryIds) {
          db.run('UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?', id, owner);
        }
      });
      due.emit();
    },

    onDue(listener) {
      return due.on(listener);
    },

    beginManualAttempt({ orgId, deliveryId, owner, leaseMs, now }) {
      return commits.run(() => {
        const row = db.get<Row>('SELECT * FROM deliveries WHERE org_id = ? AND id = ?', orgId, deliveryId);
        if (!row) throw notFound('Delivery', deliveryId);
        const webhook = webhookById(String(row.webhook_id))!;
        if (!webhook.enabled) {
          throw new AppError('WEBHOOK_DISABLED', `Webhook ${webhook.id} is disabled; enable it before retrying its deliveries`);
        }
        if (row.lease_until !== null && Number(row.lease_until) > now) {
          throw new AppError('DELIVERY_BUSY', `Delivery ${deliveryId} is being attempted right now; look at its attempts in a moment`);
        }
        if (row.status === 'waiting') {
          throw new AppError('CONFLICT', `Delivery ${deliveryId} waits for an earlier event of call ${String(row.call_id)} to be delivered first`);
        }
        const leased = db.get<Row>(
          'UPDATE deliveries SET lease_owner = ?, lease_until = ?, lease_version = lease_version + 1 WHERE seq = ? RETURNING *',
          owner, now + leaseMs, row.seq,
        )!;
        return jobFrom(leased, webhook, now, true);
      });
    },

    async replay({ orgId, webhookId, since, statuses, now }) {
      const replayed = await commits.run(() => {
        const rows = db.all<Row>(replaySql(statuses.length), orgId, webhookId, since, ...statuses);
        const lastOfCall = new Map<string, number>();
        for (const row of rows) {
          const callId = String(row.call_id);
          const previous = lastOfCall.get(callId);
          db.run(
            `UPDATE deliveries SET status = ?, after_seq = ?, next_attempt_at = ?, schedule_attempts = 0, first_attempt_at = NULL,
               lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE seq = ?`,
            previous === undefined ? 'pending' : 'waiting', previous ?? null, previous === undefined ? now : null, now, row.seq,
          );
          lastOfCall.set(callId, Number(row.seq));
        }
        return rows.length;
      });
      if (replayed > 0) due.emit();
      return replayed;
    },
  };
}

/** The delivery waiting behind a finished one, due now and leased to the recorder (index deliveries_waiting). */
export const RELEASE_WAITING_SQL = `UPDATE deliveries SET status = 'pending', after_seq = NULL, next_attempt_at = ?, lease_owner = ?, lease_until = ?,
  lease_version = lease_version + 1, updated_at = ? WHERE after_seq = ? AND status = 'waiting' RETURNING *`;

/** Loads what the results meet, plans (delivery/transitions.ts), applies the plan. `disables`: the changes to signal once committed. */
function recordResults(db: Database, input: RecordResultsInput, disables: WebhookChange[]): RecordResultsOutput {
  const { now, lease } = input;
  const ids = JSON.stringify([...new Set(input.outcomes.map((o) => o.job.deliveryId))]);
  const rows = db.all<Row>(`SELECT seq, ${DELIVERY_STATE_COLUMNS} FROM deliveries WHERE id IN (SELECT value FROM json_each(?))`, ids);
  const seqOf = new Map(rows.map((row) => [String(row.id), Number(row.seq)]));
  const consult = toConsult(input.outcomes);
  const plan = planResults({
    outcomes: input.outcomes,
    deliveries: new Map(rows.map((row) => [String(row.id), deliveryStateFrom(row)])),
    webhooks: new Map(consult.webhookIds.flatMap((id) => db.all<Row>('SELECT * FROM webhooks WHERE id = ?', id)).map((row) => [String(row.id), webhookFrom(row)])),
    orgs: new Map(consult.orgIds.flatMap((id) => db.all<Row>('SELECT * FROM orgs WHERE id = ?', id)).map((row) => [String(row.id), orgFrom(row)])),
    now,
    onExhausted: input.onExhausted,
  });

  for (const attempt of plan.attempts) insertAttempt(db, attempt);
  for (const d of plan.deliveries) {
    db.run(
      `UPDATE deliveries SET status = ?, attempts = ?, schedule_attempts = ?, next_attempt_at = ?, first_attempt_at = ?, last_attempt_at = ?,
         last_status = ?, last_error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE seq = ?`,
      d.status, d.attempts, d.scheduleAttempts, d.nextAttemptAt, d.firstAttemptAt, d.lastAttemptAt, d.lastStatus, d.lastError, now, seqOf.get(d.id)!,
    );
  }
  for (const { webhookId, lastSuccessAt, lastError } of plan.webhooks) {
    if (lastSuccessAt !== null) db.run('UPDATE webhooks SET last_success_at = MAX(COALESCE(last_success_at, 0), ?) WHERE id = ?', lastSuccessAt, webhookId);
    if (lastError !== null) db.run('UPDATE webhooks SET last_error = ? WHERE id = ?', lastError, webhookId);
  }
  for (const { webhookId, reason, notification: n } of plan.disables) {
    disables.push(disableWebhook(db, webhookId, reason, now));
    if (n) {
      db.run(
        `INSERT INTO notifications (id, org_id, kind, subject_id, recipients, subject, text, status, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
        n.id, n.orgId, n.kind, n.subjectId, JSON.stringify(n.to), n.subject, n.text, now, n.createdAt,
      );
    }
  }

  recordHealth(db, plan.attempts); // every attempt made, those of lost leases too: each tells how the receiver is

  const promoted: DeliveryJob[] = [];
  const webhooks = new Map<string, Webhook>();
  for (const id of plan.releaseAfter) {
    const row = db.get<Row>(RELEASE_WAITING_SQL, now, lease.owner, lease.until, now, seqOf.get(id)!);
    if (!row) continue;
    const webhookId = String(row.webhook_id);
    if (!webhooks.has(webhookId)) webhooks.set(webhookId, webhookFrom(db.get<Row>('SELECT * FROM webhooks WHERE id = ?', webhookId)!));
    promoted.push(jobFrom(row, webhooks.get(webhookId)!, now, false));
  }
  return { promoted, stale: plan.stale, disabledWebhooks: plan.disables.map((d) => d.webhookId) };
}

function insertAttempt(db: Database, a: Attempt): void {
  db.run(
    `INSERT INTO attempts (id, delivery_id, org_id, webhook_id, number, trigger, started_at, duration_ms, url, request_headers,
       status, response_headers, response_body, response_body_truncated, error, succeeded)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    a.id, a.deliveryId, a.orgId, a.webhookId, a.number, a.trigger, a.startedAt, a.durationMs, a.url, JSON.stringify(a.requestHeaders),
    a.status, a.responseHeaders ? JSON.stringify(a.responseHeaders) : null, a.responseBody, a.responseBodyTruncated ? 1 : 0, a.error,
    a.succeeded ? 1 : 0,
  );
}
