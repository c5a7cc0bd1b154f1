// Webhooks on PostgreSQL. Lock order everywhere: a webhook's row before its deliveries' rows.
// Result bookkeeping (health, last success, last error) locks a webhook FOR NO KEY UPDATE, so inserting
// deliveries (a foreign-key KEY SHARE lock) need not wait for it; a change of its settings locks it
// FOR UPDATE, so an ingest (which reads its webhooks FOR KEY SHARE) sees either the old settings
// and commits first, or waits and sees the new ones. Every change draws the webhook's next settings
// version after that lock and is signalled to every process (ChangeFeed, below).
import { randomUUID } from 'node:crypto';
import type { Webhook } from '../../delivery/webhook.ts';
import type { Attempt } from '../../delivery/delivery.ts';
import { healthUpdates } from '../../delivery/webhook-health.ts';
import type { ChangeFeed, WebhookChange, WebhookHealthCounts, WebhookStore } from '../store.ts';
import { webhookFrom } from '../rows.ts';
import { ChangeSignal } from '../change-signal.ts';
import { type PgDatabase, type Queryable, given, toPage } from './database.ts';
import type { DueListener, ListenChannel } from './due-listener.ts';
import { GENERIC_PLAN, type Statement } from './inline-sql.ts';

const CHANGED_CHANNEL = 'callhook_webhook_changed';
const ACK_CHANNEL = 'callhook_webhook_change_ack';

/**
 * Signals webhook changes: NOTIFY inside the transaction (PostgreSQL delivers it to the other
 * processes at commit), and to this process's subscribers once committed.
 */
export class PgChanges {
  readonly signal = new ChangeSignal();
  /** This store, so its own notifications (already told in-process) are not told twice. */
  private readonly storeId = randomUUID();

  async notify(tx: Queryable, change: WebhookChange): Promise<void> {
    await tx.run(`SELECT pg_notify('${CHANGED_CHANNEL}', $1)`, [JSON.stringify({ store: this.storeId, ...change })]);
  }

  committed(changes: WebhookChange[]): void {
    for (const change of changes) this.signal.emit(change);
  }

  /** What the listening connection hears: others' changes and acknowledgements; 'all' on (re)connecting. */
  channels(): ListenChannel[] {
    return [
      {
        name: CHANGED_CHANNEL,
        notified: (payload) => {
          const { store, ...change } = JSON.parse(payload) as WebhookChange & { store: string };
          if (store !== this.storeId) this.signal.emit(change);
        },
        connected: () => this.signal.emit('all'),
      },
      {
        name: ACK_CHANNEL,
        notified: (payload) => {
          const [version, owner] = payload.split(' ');
          if (version && owner) this.signal.acknowledged(Number(version), owner);
        },
        connected: () => undefined,
      },
    ];
  }
}

/**
 * Holds what webhook $2 still owes. Written as an OR so each arm reads its own partial index
 * (deliveries_webhook_due, deliveries_webhook_waiting).
 */
export const HOLD_OPEN_DELIVERIES_SQL =
  "UPDATE deliveries SET status = 'held', next_attempt_at = NULL, after_id = NULL, updated_at = $1 WHERE webhook_id = $2 AND (status = 'pending' OR status = 'waiting')";

/** Disables a webhook (its row locked by the caller) and holds what it still owes; answers the change to signal. */
export async function disableWebhook(tx: Queryable, webhookId: string, reason: string, now: number): Promise<WebhookChange> {
  const row = await tx.one<{ settings_version: number }>(
    `UPDATE webhooks SET enabled = false, disabled_reason = $1, disabled_at = $2, updated_at = $2, settings_version = nextval('webhook_settings_version')
     WHERE id = $3 RETURNING settings_version`,
    [reason, now, webhookId],
  );
  await tx.run(HOLD_OPEN_DELIVERIES_SQL, [now, webhookId]);
  return { version: Number(row!.settings_version), webhookIds: [webhookId], orgIds: [] };
}

export function postgresWebhooks(db: PgDatabase, changes: PgChanges): WebhookStore {
  const get = async (orgId: string, id: string, on: Queryable = db): Promise<Webhook | null> => {
    const row = await on.one('SELECT * FROM webhooks WHERE org_id = $1 AND id = $2', [orgId, id]);
    return row ? webhookFrom(row) : null;
  };
  return {
    async create(w) {
      return db.transaction(async (tx) => {
        // The organization first: its version is drawn after any change of the organization's webhooks (which locks it) committed.
        await tx.one('SELECT id FROM orgs WHERE id = $1 FOR KEY SHARE', [w.orgId]);
        const row = await tx.one(
          `INSERT INTO webhooks (id, org_id, url, events, format, content_type, api_token, description, retry_schedule_s, timeout_ms,
             secret, previous_secret, previous_secret_expires_at, enabled, disabled_reason, disabled_at, last_success_at, last_error, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING *`,
          [
            w.id, w.orgId, w.url, JSON.stringify(w.events), w.format, w.contentType, w.apiToken, w.description,
            w.retryScheduleS ? JSON.stringify(w.retryScheduleS) : null, w.timeoutMs, w.secret, w.previousSecret, w.previousSecretExpiresAt,
            w.enabled, w.disabledReason, w.disabledAt, w.lastSuccessAt, w.lastError, w.createdAt, w.updatedAt,
          ],
        );
        return webhookFrom(row!);
      });
    },
    get: (orgId, id) => get(orgId, id),
    async list(orgId, { limit, after }) {
      const rows = (await db.rows('SELECT * FROM webhooks WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3', [orgId, after ?? '', limit + 1])).map(webhookFrom);
      return toPage(rows, limit, (w) => w.id);
    },
    async change(orgId, id, edit, now) {
      const result = await db.transaction(async (tx) => {
        const row = await tx.one('SELECT * FROM webhooks WHERE org_id = $1 AND id = $2 FOR UPDATE', [orgId, id]);
        if (!row) return null;
        const current = webhookFrom(row);
        const next: Webhook = { ...current, ...given(edit.settings ?? {}) };
        await tx.run(
          `UPDATE webhooks SET url = $1, events = $2, format = $3, content_type = $4, api_token = $5, description = $6, retry_schedule_s = $7,
             timeout_ms = $8, updated_at = $9 WHERE id = $10`,
          [
            next.url, JSON.stringify(next.events), next.format, next.contentType, next.apiToken, next.description,
            next.retryScheduleS ? JSON.stringify(next.retryScheduleS) : null, next.timeoutMs, now, id,
          ],
        );
        if (edit.state?.enabled === true && !current.enabled) {
          await tx.run('UPDATE webhooks SET enabled = true, disabled_reason = NULL, disabled_at = NULL WHERE id = $1', [id]);
        }
        if (edit.state?.enabled === false && current.enabled) await disableWebhook(tx, id, edit.state.reason, now);
        if (edit.secret) {
          await tx.run('UPDATE webhooks SET previous_secret = secret, previous_secret_expires_at = $1, secret = $2 WHERE id = $3', [
            edit.secret.previousExpiresAt, edit.secret.secret, id,
          ]);
        }
        const changed = webhookFrom((await tx.one("UPDATE webhooks SET settings_version = nextval('webhook_settings_version') WHERE id = $1 RETURNING *", [id]))!);
        const change: WebhookChange = { version: changed.settingsVersion, webhookIds: [id], orgIds: [] };
        await changes.notify(tx, change);
        return { value: changed, change };
      });
      if (result) changes.committed([result.change]);
      return result;
    },
    async delete(orgId, id) {
      const change = await db.transaction(async (tx) => {
        // Its deliveries and their attempts go with it (foreign keys).
        if ((await tx.run('DELETE FROM webhooks WHERE org_id = $1 AND id = $2', [orgId, id])) === 0) return null;
        const change: WebhookChange = { version: await nextSettingsVersion(tx), webhookIds: [id], orgIds: [] };
        await changes.notify(tx, change);
        return change;
      });
      if (change) changes.committed([change]);
      return change;
    },
    async nextAttemptTimes(webhookIds) {
      const rows = await db.rows(
        `SELECT i.id, (SELECT min(d.next_attempt_at) FROM deliveries d WHERE d.webhook_id = i.id AND d.status = 'pending') AS at
         FROM unnest($1::text[]) AS i(id)`,
        [webhookIds],
      );
      return new Map(rows.filter((r) => r.at !== null).map((r) => [String(r.id), Number(r.at)]));
    },
    async healthCounts(orgIds) {
      const rows = await db.rows(
        `SELECT org_id, count(*) FILTER (WHERE enabled AND consecutive_failures > 0) AS failing, count(*) FILTER (WHERE NOT enabled) AS disabled
         FROM webhooks WHERE org_id = ANY($1::text[]) GROUP BY org_id`,
        [orgIds],
      );
      const counts = new Map<string, WebhookHealthCounts>(orgIds.map((id) => [id, { failing: 0, disabled: 0 }]));
      for (const row of rows) counts.set(String(row.org_id), { failing: Number(row.failing), disabled: Number(row.disabled) });
      return counts;
    },
  };
}

/**
 * The statement that applies a batch of attempt results to each webhook's run of failures
 * (webhook-health.ts), inside the transaction that records them (null: nothing to apply). Only
 * webhooks with failures, then or now, are locked and written (in id order, FOR NO KEY UPDATE like
 * the rest of the result bookkeeping): a healthy webhook's row is not touched, so busy processes do
 * not queue on it.
 */
export function healthStatement(attempts: Attempt[]): Statement | null {
  const updates = healthUpdates(attempts);
  if (updates.length === 0) return null;
  const column = <K extends keyof (typeof updates)[number]>(key: K) => updates.map((u) => u[key]);
  return [
    `WITH h AS (
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[], $4::bigint[], $5::int[], $6::bigint[], $7::bigint[])
         AS h(id, success_at, failures, first_failure, failures_after, first_failure_after, last_failure)
     ), locked AS (
       SELECT w.id FROM webhooks w JOIN h ON h.id = w.id WHERE h.failures > 0 OR w.consecutive_failures > 0 ORDER BY w.id FOR NO KEY UPDATE OF w
     )
     UPDATE webhooks w SET
       consecutive_failures = CASE WHEN h.success_at IS NOT NULL AND (w.failing_since IS NULL OR w.failing_since <= h.success_at) THEN h.failures_after ELSE w.consecutive_failures + h.failures END,
       failing_since = CASE WHEN h.success_at IS NOT NULL AND (w.failing_since IS NULL OR w.failing_since <= h.success_at) THEN h.first_failure_after ELSE COALESCE(w.failing_since, h.first_failure) END,
       last_failure_at = GREATEST(w.last_failure_at, h.last_failure)
     FROM h JOIN locked ON locked.id = h.id
     WHERE w.id = h.id AND (h.failures > 0 OR w.consecutive_failures > 0)`,
    [
      column('webhookId'), column('successAt'), column('failures'), column('firstFailureAt'), column('failuresAfterSuccess'),
      column('firstFailureAfterSuccess'), column('lastFailureAt'),
    ],
    // Run in result batches, planned once per connection (result-batch.ts).
    GENERIC_PLAN,
  ];
}

export async function nextSettingsVersion(tx: Queryable): Promise<number> {
  return Number((await tx.one<{ version: number }>("SELECT nextval('webhook_settings_version') AS version"))!.version);
}

/** Changes reach every process over LISTEN/NOTIFY; each acknowledges with a NOTIFY of its own. */
export function postgresChangeFeed(db: PgDatabase, listener: DueListener, changes: PgChanges): ChangeFeed {
  return {
    subscribe(subscriber) {
      const off = changes.signal.subscribe(subscriber);
      const release = listener.hold();
      return () => {
        off();
        release();
      };
    },
    async acknowledge(version, owner) {
      changes.signal.acknowledged(version, owner);
      await db.run(`SELECT pg_notify('${ACK_CHANNEL}', $1)`, [`${version} ${owner}`]);
    },
    async awaitAcknowledged({ version, self, now, staleAfterMs, timeoutMs }) {
      const release = listener.hold(); // to hear the others' acknowledgements
      try {
        const alive = await db.rows<{ owner: string }>('SELECT owner FROM workers WHERE last_seen_at >= $1', [now - staleAfterMs]);
        return await changes.signal.wait(version, new Set([self, ...alive.map((row) => row.owner)]), timeoutMs);
      } finally {
        release();
      }
    },
  };
}
