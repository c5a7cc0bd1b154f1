// Webhooks on PostgreSQL. Lock order everywhere: a webhook's row before its deliveries' rows, so
// disabling and recording results never wait on each other in a circle. Changes to a webhook lock
// it FOR NO KEY UPDATE: inserting deliveries (a foreign-key KEY SHARE lock) need not wait for them.
import type { Webhook, WebhookPatch } from '../../delivery/webhook.ts';
import type { WebhookStore } from '../store.ts';
import { webhookFrom } from '../rows.ts';
import { type PgDatabase, type Queryable, given, toPage } from './database.ts';

/** Disables a webhook (its row locked by the caller) and holds what it still owes. */
export async function disableWebhook(tx: Queryable, webhookId: string, reason: string, now: number): Promise<void> {
  await tx.run('UPDATE webhooks SET enabled = false, disabled_reason = $1, disabled_at = $2, updated_at = $2 WHERE id = $3', [reason, now, webhookId]);
  await tx.run(
    "UPDATE deliveries SET status = 'held', next_attempt_at = NULL, after_id = NULL, updated_at = $1 WHERE webhook_id = $2 AND status IN ('pending', 'waiting')",
    [now, webhookId],
  );
}

export function postgresWebhooks(db: PgDatabase): WebhookStore {
  const get = async (orgId: string, id: string, on: Queryable = db): Promise<Webhook | null> => {
    const row = await on.one('SELECT * FROM webhooks WHERE org_id = $1 AND id = $2', [orgId, id]);
    return row ? webhookFrom(row) : null;
  };
  return {
    async create(w) {
      await db.run(
        `INSERT INTO webhooks (id, org_id, url, events, format, content_type, api_token, description, retry_schedule_s, timeout_ms,
           secret, previous_secret, previous_secret_expires_at, enabled, disabled_reason, disabled_at, last_success_at, last_error, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
        [
          w.id, w.orgId, w.url, JSON.stringify(w.events), w.format, w.contentType, w.apiToken, w.description,
          w.retryScheduleS ? JSON.stringify(w.retryScheduleS) : null, w.timeoutMs, w.secret, w.previousSecret, w.previousSecretExpiresAt,
          w.enabled, w.disabledReason, w.disabledAt, w.lastSuccessAt, w.lastError, w.createdAt, w.updatedAt,
        ],
      );
      return w;
    },
    get: (orgId, id) => get(orgId, id),
    async list(orgId, { limit, after }) {
      const rows = (await db.rows('SELECT * FROM webhooks WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3', [orgId, after ?? '', limit + 1])).map(webhookFrom);
      return toPage(rows, limit, (w) => w.id);
    },
    async update(orgId, id, patch: WebhookPatch, now) {
      return db.transaction(async (tx) => {
        const row = await tx.one('SELECT * FROM webhooks WHERE org_id = $1 AND id = $2 FOR NO KEY UPDATE', [orgId, id]);
        if (!row) return null;
        const next: Webhook = { ...webhookFrom(row), ...given(patch), updatedAt: now };
        await tx.run(
          `UPDATE webhooks SET url = $1, events = $2, format = $3, content_type = $4, api_token = $5, description = $6, retry_schedule_s = $7,
             timeout_ms = $8, updated_at = $9 WHERE id = $10`,
          [
            next.url, JSON.stringify(next.events), next.format, next.contentType, next.apiToken, next.description,
            next.retryScheduleS ? JSON.stringify(next.retryScheduleS) : null, next.timeoutMs, now, id,
          ],
        );
        return next;
      });
    },
    async delete(orgId, id) {
      return (await db.run('DELETE FROM webhooks WHERE org_id = $1 AND id = $2', [orgId, id])) > 0;
    },
    async enable(orgId, id, now) {
      const changed = await db.run('UPDATE webhooks SET enabled = true, disabled_reason = NULL, disabled_at = NULL, updated_at = $1 WHERE org_id = $2 AND id = $3', [now, orgId, id]);
      return changed ? get(orgId, id) : null;
    },
    async disable(orgId, id, reason, now) {
      return db.transaction(async (tx) => {
        const row = await tx.one('SELECT * FROM webhooks WHERE org_id = $1 AND id = $2 FOR NO KEY UPDATE', [orgId, id]);
        if (!row) return null;
        if (webhookFrom(row).enabled) await disableWebhook(tx, id, reason, now);
        return get(orgId, id, tx);
      });
    },
    async rotateSecret(orgId, id, secret, previousExpiresAt, now) {
      const changed = await db.run(
        'UPDATE webhooks SET previous_secret = secret, previous_secret_expires_at = $1, secret = $2, updated_at = $3 WHERE org_id = $4 AND id = $5',
        [previousExpiresAt, secret, now, orgId, id],
      );
      return changed ? get(orgId, id) : null;
    },
  };
}
