// Deliveries and attempts on SQLite: claiming due work under a lease, recording attempt results
// in batches (with the disable rule and successor promotion in the same transaction), manual
// retry and replay.
import { AppError, notFound } from '../../errors.ts';
import type { Attempt, AttemptOutcome, DeliveryJob } from '../../delivery/delivery.ts';
import type { Webhook } from '../../delivery/webhook.ts';
import type { DeliveryFilter, DeliveryStore, RecordResultsInput, RecordResultsOutput, WebhookChange } from '../store.ts';
import type { ChangeSignal } from '../change-signal.ts';
import { type Row, attemptFrom, deliveryFrom, jobFrom, numOrNull, orgFrom, webhookFrom } from '../rows.ts';
import { type CommitQueue, type Database, toPage } from './database.ts';
import { disableWebhook, recordHealth } from './webhooks.ts';
import type { DueSignal } from '../due-signal.ts';
import { scheduleStepsOf } from '../../delivery/retry-schedule.ts';

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
      const rows = db
        .all<Row>(`SELECT * FROM deliveries WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`, ...params, limit + 1)
        .map(deliveryFrom);
      return toPage(rows, limit, (d) => d.id);
    },

    async attempts(orgId, deliveryId) {
      return db.all<Row>('SELECT * FROM attempts WHERE org_id = ? AND delivery_id = ? ORDER BY seq', orgId, deliveryId).map(attemptFrom);
    },

    claimDue({ owner, now, leaseMs, limit, perWebhookLimit, skipWebhookIds = [] }) {
      return commits.run(() => {
        const due = db.all<Row>(
          `SELECT seq FROM (
             SELECT seq, next_attempt_at, ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY next_attempt_at, seq) AS rank
             FROM deliveries
             WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
               AND webhook_id NOT IN (SELECT value FROM json_each(?))
           ) WHERE rank <= ? ORDER BY next_attempt_at, seq LIMIT ?`,
          now, now, JSON.stringify(skipWebhookIds), perWebhookLimit, limit,
        );
        const webhooks = new Map<string, Webhook | null>();
        const jobs: DeliveryJob[] = [];
        for (const { seq } of due) {
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
        const placeholders = statuses.map(() => '?').join(', ');
        const rows = db.all<Row>(
          `SELECT seq, call_id FROM deliveries WHERE org_id = ? AND webhook_id = ? AND created_at >= ? AND status IN (${placeholders}) ORDER BY seq`,
          orgId, webhookId, since, ...statuses,
        );
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

/** `disables`: the changes of the webhooks it disables, to signal once committed. */
function recordResults(db: Database, input: RecordResultsInput, disables: WebhookChange[]): RecordResultsOutput {
  const { now, lease } = input;
  const stale: string[] = [];
  const disabled = new Set<string>();
  const promoteAfter: number[] = [];
  const successAt = new Map<string, number>();
  const lastErrors = new Map<string, string>();
  const recorded: Attempt[] = [];

  for (const outcome of input.outcomes) {
    const { job, attempt, next } = outcome;
    const row = db.get<Row>(
      'SELECT seq, status, lease_owner, lease_version, first_attempt_at, next_attempt_at FROM deliveries WHERE id = ?',
      job.deliveryId,
    );
    if (!row) {
      stale.push(job.deliveryId); // deleted with its webhook meanwhile
      continue;
    }
    // The attempt happened either way; only the lease holder may move the delivery on.
    insertAttempt(db, outcome);
    recorded.push(attempt);
    if (row.lease_owner !== job.lease.owner || Number(row.lease_version) !== job.lease.version) {
      stale.push(job.deliveryId);
      continue;
    }
    const firstAttemptAt = numOrNull(row.first_attempt_at) ?? attempt.startedAt;
    const scheduled = scheduleStepsOf(next);
    // Held while in flight (its webhook was disabled): only a success moves it on; otherwise it
    // stays held, to be replayed, and is not retried against a disabled webhook.
    const heldMeanwhile = row.status === 'held' && next.status !== 'succeeded';
    const status = next.status === 'unchanged' || heldMeanwhile ? String(row.status) : next.status;
    const nextAttemptAt = heldMeanwhile ? null : next.status === 'pending' ? next.nextAttemptAt : next.status === 'unchanged' ? numOrNull(row.next_attempt_at) : null;
    db.run(
      `UPDATE deliveries SET status = ?, attempts = attempts + 1, schedule_attempts = schedule_attempts + ?,
         next_attempt_at = ?, first_attempt_at = COALESCE(first_attempt_at, ?), last_attempt_at = ?, last_status = ?, last_error = ?,
         lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE seq = ?`,
      status, scheduled, nextAttemptAt, firstAttemptAt, attempt.startedAt, attempt.status, attempt.error, now, row.seq,
    );
    if (attempt.succeeded) {
      successAt.set(job.webhookId, Math.max(successAt.get(job.webhookId) ?? 0, attempt.startedAt));
    } else {
      lastErrors.set(job.webhookId, describeFailure(attempt));
    }
    if (heldMeanwhile) continue;
    if (next.status === 'succeeded' || next.status === 'failed') promoteAfter.push(Number(row.seq));
    if (next.status === 'failed') {
      const webhookRow = db.get<Row>('SELECT * FROM webhooks WHERE id = ?', job.webhookId);
      const orgRow = db.get<Row>('SELECT * FROM orgs WHERE id = ?', job.orgId);
      if (!webhookRow || !orgRow) continue;
      const webhook = webhookFrom(webhookRow);
      const batchSuccess = successAt.get(webhook.id);
      if (batchSuccess !== undefined) webhook.lastSuccessAt = Math.max(webhook.lastSuccessAt ?? 0, batchSuccess);
      const delivery = deliveryFrom(db.get<Row>('SELECT * FROM deliveries WHERE seq = ?', row.seq)!);
      const decision = input.onExhausted({ webhook, org: orgFrom(orgRow), delivery, lastError: describeFailure(attempt) });
      if (decision.disable && webhook.enabled) {
        disables.push(disableWebhook(db, webhook.id, decision.reason, now));
        disabled.add(webhook.id);
        const n = decision.notification;
        if (n) {
          db.run(
            `INSERT INTO notifications (id, org_id, kind, subject_id, recipients, subject, text, status, next_attempt_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
            n.id, n.orgId, n.kind, n.subjectId, JSON.stringify(n.to), n.subject, n.text, now, n.createdAt,
          );
        }
      }
    }
  }

  for (const [webhookId, at] of successAt) {
    db.run('UPDATE webhooks SET last_success_at = MAX(COALESCE(last_success_at, 0), ?) WHERE id = ?', at, webhookId);
  }
  for (const [webhookId, error] of lastErrors) {
    db.run('UPDATE webhooks SET last_error = ? WHERE id = ?', error, webhookId);
  }
  recordHealth(db, recorded); // every attempt made, those of lost leases too: each tells how the receiver is

  // Successors go after the disables, so nothing of a just-disabled webhook is released.
  const promoted: DeliveryJob[] = [];
  const webhooks = new Map<string, Webhook>();
  for (const seq of promoteAfter) {
    const row = db.get<Row>(
      `UPDATE deliveries SET status = 'pending', after_seq = NULL, next_attempt_at = ?, lease_owner = ?, lease_until = ?,
         lease_version = lease_version + 1, updated_at = ? WHERE after_seq = ? AND status = 'waiting' RETURNING *`,
      now, lease.owner, lease.until, now, seq,
    );
    if (!row) continue;
    const webhookId = String(row.webhook_id);
    if (!webhooks.has(webhookId)) webhooks.set(webhookId, webhookFrom(db.get<Row>('SELECT * FROM webhooks WHERE id = ?', webhookId)!));
    promoted.push(jobFrom(row, webhooks.get(webhookId)!, now, false));
  }
  return { promoted, stale, disabledWebhooks: [...disabled] };
}

function insertAttempt(db: Database, { job, attempt: a }: AttemptOutcome): void {
  db.run(
    `INSERT INTO attempts (id, delivery_id, org_id, webhook_id, number, trigger, started_at, duration_ms, url, request_headers,
       status, response_headers, response_body, response_body_truncated, error, succeeded)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    a.id, job.deliveryId, job.orgId, job.webhookId, a.number, a.trigger, a.startedAt, a.durationMs, a.url, JSON.stringify(a.requestHeaders),
    a.status, a.responseHeaders ? JSON.stringify(a.responseHeaders) : null, a.responseBody, a.responseBodyTruncated ? 1 : 0, a.error,
    a.succeeded ? 1 : 0,
  );
}

function describeFailure(attempt: Attempt): string {
  return attempt.error ?? `HTTP ${attempt.status}`;
}
