// Deliveries and attempts on PostgreSQL. Any number of processes claim due work with
// FOR UPDATE SKIP LOCKED under leases (owner + version: the fencing token), and record results in
// set-based batches (delivery/transitions.ts plans them). Locks are taken webhook rows first, then
// delivery rows, each in id order.
import { AppError, notFound } from '../../errors.ts';
import type { DeliveryJob } from '../../delivery/delivery.ts';
import { planResults, toConsult } from '../../delivery/transitions.ts';
import type { NewNotification } from '../../notify/notification.ts';
import type { DeliveryFilter, DeliveryStore, RecordResultsInput, RecordResultsOutput, WebhookChange } from '../store.ts';
import { DELIVERY_STATE_COLUMNS, type Row, attemptFrom, deliveryFrom, deliveryStateFrom, jobFrom, orgFrom, webhookFrom } from '../rows.ts';
import { type PgDatabase, type Queryable, toPage } from './database.ts';
import { DUE_CHANNEL, type DueListener } from './due-listener.ts';
import { type PgChanges, disableWebhook, recordHealth } from './webhooks.ts';

export function postgresDeliveries(db: PgDatabase, due: DueListener, changes: PgChanges): DeliveryStore {
  /** When this process last wrote each webhook's last_success_at: no need to try again within the resolution. */
  const successWritten = new Map<string, number>();
  async function withTargets(on: Queryable, rows: Row[], now: number, manual: boolean): Promise<DeliveryJob[]> {
    if (rows.length === 0) return [];
    const ids = [...new Set(rows.map((r) => String(r.webhook_id)))];
    const webhooks = new Map((await on.rows('SELECT * FROM webhooks WHERE id = ANY($1)', [ids])).map((w) => [String(w.id), webhookFrom(w)]));
    return rows.filter((r) => webhooks.has(String(r.webhook_id))).map((r) => jobFrom(r, webhooks.get(String(r.webhook_id))!, now, manual));
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
      // Candidates by due time (at most perWebhookLimit per webhook), then locked without waiting:
      // rows another process is claiming are skipped, never claimed twice.
      const rows = await db.rows(
        `WITH candidates AS (
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
         RETURNING d.*`,
        [now, skipWebhookIds, perWebhookLimit, limit, owner, now + leaseMs],
      );
      return withTargets(db, rows, now, false);
    },

    async recordResults(input) {
      const { output, disables } = await db.transaction(async (tx) => {
        const recorded = await recordResults(tx, input, withTargets, successWritten);
        for (const change of recorded.disables) await changes.notify(tx, change);
        return recorded;
      });
      changes.committed(disables);
      return output;
    },

    async renewLeases({ owner, leases, until }) {
      if (leases.length === 0) return [];
      const rows = await db.rows<{ id: string }>(
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
        await tx.run('UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE id = ANY($1) AND lease_owner = $2', [deliveryIds, owner]);
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
          'SELECT id, call_id FROM deliveries WHERE org_id = $1 AND webhook_id = $2 AND created_at >= $3 AND status = ANY($4) ORDER BY seq FOR UPDATE',
          [orgId, webhookId, since, statuses],
        );
        // In per-call order: the first of each call is due now, the rest wait behind it.
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

/**
 * last_success_at is kept to this precision across processes. The disable rule compares it with a
 * delivery's first attempt a whole schedule (24 h) earlier, so a second's slack never matters.
 */
const SUCCESS_RESOLUTION_MS = 1_000;

/** Whether a success at `at` is worth writing: this process wrote none of the webhook's within SUCCESS_RESOLUTION_MS. */
function successIsNews(successWritten: ReadonlyMap<string, number>, webhookId: string, at: number): boolean {
  return at - (successWritten.get(webhookId) ?? 0) >= SUCCESS_RESOLUTION_MS;
}

type WithTargets = (on: Queryable, rows: Row[], now: number, manual: boolean) => Promise<DeliveryJob[]>;

/**
 * Loads what the results meet (webhooks to weigh first, then deliveries, each locked in id order),
 * plans (delivery/transitions.ts), and applies the plan. Also answers the changes of the webhooks
 * it disabled, to signal.
 */
async function recordResults(
  tx: Queryable,
  input: RecordResultsInput,
  withTargets: WithTargets,
  successWritten: Map<string, number>,
): Promise<{ output: RecordResultsOutput; disables: WebhookChange[] }> {
  const { now, lease } = input;
  const consult = toConsult(input.outcomes);
  // Every webhook row the batch may write (health, last success or error, a disable) is locked
  // first and in id order, before any delivery row: the lock order everywhere, so batches and API
  // changes never deadlock. Processes exhausting deliveries of one webhook at once decide one after
  // the other. A webhook whose attempts all succeeded, that is not failing and whose last success
  // this process wrote less than a second ago is written nothing, so it is not locked: result
  // batches of several processes for one busy webhook do not queue behind each other on its row
  // (they did: 100 ms per batch with three processes).
  const touched = [...new Set(input.outcomes.map((o) => o.job.webhookId))].sort();
  const mayWrite = new Set(consult.webhookIds);
  for (const { job, attempt } of input.outcomes) {
    if (!attempt.succeeded || successIsNews(successWritten, job.webhookId, attempt.startedAt)) mayWrite.add(job.webhookId);
  }
  const locked = await tx.rows(
    'SELECT * FROM webhooks WHERE id = ANY($1) AND (id = ANY($2) OR consecutive_failures > 0) ORDER BY id FOR NO KEY UPDATE',
    [touched, [...mayWrite]],
  );
  const lockedIds = new Set(locked.map((row) => String(row.id)));
  const wanted = new Set(consult.webhookIds);
  const webhooks = locked.filter((row) => wanted.has(String(row.id)));
  // Every attempt made counts for health, those of lost leases too: each tells how the receiver is.
  // (Those of unlocked webhooks are all successes on a webhook that is not failing: nothing to count.)
  await recordHealth(tx, input.outcomes.filter((o) => lockedIds.has(o.job.webhookId)).map((o) => o.attempt));
  const orgs = consult.orgIds.length === 0 ? [] : await tx.rows('SELECT * FROM orgs WHERE id = ANY($1)', [consult.orgIds]);
  const ids = [...new Set(input.outcomes.map((o) => o.job.deliveryId))].sort();
  const deliveries = await tx.rows(`SELECT ${DELIVERY_STATE_COLUMNS} FROM deliveries WHERE id = ANY($1) ORDER BY id FOR UPDATE`, [ids]);
  const plan = planResults({
    outcomes: input.outcomes,
    deliveries: new Map(deliveries.map((row) => [String(row.id), deliveryStateFrom(row)])),
    webhooks: new Map(webhooks.map((row) => [String(row.id), webhookFrom(row)])),
    orgs: new Map(orgs.map((row) => [String(row.id), orgFrom(row)])),
    now,
    onExhausted: input.onExhausted,
  });

  // The attempts and the deliveries' new state in one statement.
  const a = plan.attempts;
  const d = plan.deliveries;
  if (a.length > 0) await tx.run(
    `WITH new_attempts AS (
       INSERT INTO attempts (id, delivery_id, org_id, webhook_id, number, trigger, started_at, duration_ms, url, request_headers,
         status, response_headers, response_body, response_body_truncated, error, succeeded)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::bigint[], $8::int[], $9::text[], $10::text[],
         $11::int[], $12::text[], $13::text[], $14::boolean[], $15::text[], $16::boolean[])
     )
     UPDATE deliveries d SET status = u.status, attempts = u.attempts, schedule_attempts = u.schedule_attempts, next_attempt_at = u.next_at,
       first_attempt_at = u.first_at, last_attempt_at = u.last_at, last_status = u.last_status, last_error = u.last_error,
       lease_owner = NULL, lease_until = NULL, updated_at = $17
     FROM unnest($18::text[], $19::text[], $20::int[], $21::int[], $22::bigint[], $23::bigint[], $24::bigint[], $25::int[], $26::text[])
       AS u(id, status, attempts, schedule_attempts, next_at, first_at, last_at, last_status, last_error)
     WHERE d.id = u.id`,
    [
      a.map((x) => x.id), a.map((x) => x.deliveryId), a.map((x) => x.orgId), a.map((x) => x.webhookId),
      a.map((x) => x.number), a.map((x) => x.trigger), a.map((x) => x.startedAt), a.map((x) => x.durationMs), a.map((x) => x.url),
      a.map((x) => JSON.stringify(x.requestHeaders)), a.map((x) => x.status), a.map((x) => (x.responseHeaders ? JSON.stringify(x.responseHeaders) : null)),
      a.map((x) => x.responseBody), a.map((x) => x.responseBodyTruncated), a.map((x) => x.error), a.map((x) => x.succeeded),
      now, d.map((x) => x.id), d.map((x) => x.status), d.map((x) => x.attempts), d.map((x) => x.scheduleAttempts), d.map((x) => x.nextAttemptAt),
      d.map((x) => x.firstAttemptAt), d.map((x) => x.lastAttemptAt), d.map((x) => x.lastStatus), d.map((x) => x.lastError),
    ],
  );

  // A webhook's row is written only when its facts change (one success per second is enough to
  // know it works; the same error again is no news): result batches of many processes for one busy
  // webhook then do not queue behind each other on that row.
  const facts = plan.webhooks
    .map((f) => (f.lastSuccessAt !== null && !successIsNews(successWritten, f.webhookId, f.lastSuccessAt) ? { ...f, lastSuccessAt: null } : f))
    .filter((f) => lockedIds.has(f.webhookId) && (f.lastSuccessAt !== null || f.lastError !== null));
  if (facts.length > 0) {
    await tx.run(
      `UPDATE webhooks w SET
         last_success_at = CASE WHEN COALESCE(w.last_success_at, 0) < f.success_at - $4::bigint THEN f.success_at ELSE w.last_success_at END,
         last_error = COALESCE(f.last_error, w.last_error)
       FROM unnest($1::text[], $2::bigint[], $3::text[]) AS f(id, success_at, last_error)
       WHERE w.id = f.id AND (COALESCE(w.last_success_at, 0) < f.success_at - $4::bigint OR w.last_error IS DISTINCT FROM COALESCE(f.last_error, w.last_error))`,
      [facts.map((f) => f.webhookId), facts.map((f) => f.lastSuccessAt), facts.map((f) => f.lastError), SUCCESS_RESOLUTION_MS],
    );
    if (successWritten.size > 10_000) successWritten.clear();
    for (const f of facts) if (f.lastSuccessAt !== null) successWritten.set(f.webhookId, f.lastSuccessAt);
  }

  const disables: WebhookChange[] = [];
  for (const { webhookId, reason, notification } of plan.disables) {
    disables.push(await disableWebhook(tx, webhookId, reason, now));
    if (notification) await insertNotification(tx, notification, now);
  }

  const promoted =
    plan.releaseAfter.length === 0
      ? []
      : await tx.rows(
          `UPDATE deliveries SET status = 'pending', after_id = NULL, next_attempt_at = $1, lease_owner = $2, lease_until = $3,
             lease_version = lease_version + 1, updated_at = $1 WHERE after_id = ANY($4) AND status = 'waiting' RETURNING *`,
          [now, lease.owner, lease.until, plan.releaseAfter],
        );
  const output = { promoted: await withTargets(tx, promoted, now, false), stale: plan.stale, disabledWebhooks: plan.disables.map((x) => x.webhookId) };
  return { output, disables };
}

async function insertNotification(tx: Queryable, n: NewNotification, now: number): Promise<void> {
  await tx.run(
    `INSERT INTO notifications (id, org_id, kind, subject_id, recipients, subject, text, status, next_attempt_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)`,
    [n.id, n.orgId, n.kind, n.subjectId, JSON.stringify(n.to), n.subject, n.text, now, n.createdAt],
  );
}

