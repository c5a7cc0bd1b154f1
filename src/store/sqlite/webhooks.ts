// Webhooks on SQLite.
import type { Webhook, WebhookPatch } from '../../delivery/webhook.ts';
import type { WebhookStore } from '../store.ts';
import { type Row, webhookFrom } from '../rows.ts';
import { type Database, given, toPage } from './database.ts';

/** Holds what the webhook still owes, so a disabled webhook sends nothing until replayed. */
export function holdOpenDeliveries(db: Database, webhookId: string, now: number): number {
  return db.run(
    "UPDATE deliveries SET status = 'held', next_attempt_at = NULL, after_seq = NULL, updated_at = ? WHERE webhook_id = ? AND status IN ('pending', 'waiting')",
    now, webhookId,
  );
}

export function disableWebhook(db: Database, webhookId: string, reason: string, now: number): void {
  db.run('UPDATE webhooks SET enabled = 0, disabled_reason = ?, disabled_at = ?, updated_at = ? WHERE id = ?', reason, now, now, webhookId);
  holdOpenDeliveries(db, webhookId, now);
}

export function sqliteWebhooks(db: Database): WebhookStore {
  const get = (orgId: string, id: string): Webhook | null => {
    const row = db.get<Row>('SELECT * FROM webhooks WHERE org_id = ? AND id = ?', orgId, id);
    return row ? webhookFrom(row) : null;
  };
  return {
    async create(w) {
      db.run(
        `INSERT INTO webhooks (id, org_id, url, events, format, content_type, api_token, description, retry_schedule_s, timeout_ms,
           secret, previous_secret, previous_secret_expires_at, enabled, disabled_reason, disabled_at, last_success_at, last_error, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        w.id, w.orgId, w.url, JSON.stringify(w.events), w.format, w.contentType, w.apiToken, w.description,
        w.retryScheduleS ? JSON.stringify(w.retryScheduleS) : null, w.timeoutMs, w.secret, w.previousSecret, w.previousSecretExpiresAt,
        w.enabled ? 1 : 0, w.disabledReason, w.disabledAt, w.lastSuccessAt, w.lastError, w.createdAt, w.updatedAt,
      );
      return w;
    },
    async get(orgId, id) {
      return get(orgId, id);
    },
    async list(orgId, { limit, after }) {
      const rows = db
        .all<Row>('SELECT * FROM webhooks WHERE org_id = ? AND id > ? ORDER BY id LIMIT ?', orgId, after ?? '', limit + 1)
        .map(webhookFrom);
      return toPage(rows, limit, (w) => w.id);
    },
    async update(orgId, id, patch: WebhookPatch, now) {
      const current = get(orgId, id);
      if (!current) return null;
      const next: Webhook = { ...current, ...given(patch), updatedAt: now };
      db.run(
        `UPDATE webhooks SET url = ?, events = ?, format = ?, content_type = ?, api_token = ?, description = ?, retry_schedule_s = ?,
           timeout_ms = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
        next.url, JSON.stringify(next.events), next.format, next.contentType, next.apiToken, next.description,
        next.retryScheduleS ? JSON.stringify(next.retryScheduleS) : null, next.timeoutMs, now, orgId, id,
      );
      return next;
    },
    async delete(orgId, id) {
      return db.transaction(() => {
        // Ownership first: every statement after it may name the webhook by id alone.
        if (!get(orgId, id)) return false;
        db.run('DELETE FROM attempts WHERE webhook_id = ?', id); // faster than the cascade through deliveries
        return db.run('DELETE FROM webhooks WHERE org_id = ? AND id = ?', orgId, id) > 0;
      });
    },
    async enable(orgId, id, now) {
      const changed = db.run(
        'UPDATE webhooks SET enabled = 1, disabled_reason = NULL, disabled_at = NULL, updated_at = ? WHERE org_id = ? AND id = ?',
        now, orgId, id,
      );
      return changed ? get(orgId, id) : null;
    },
    async disable(orgId, id, reason, now) {
      return db.transaction(() => {
        const current = get(orgId, id);
        if (!current) return null;
        if (current.enabled) disableWebhook(db, id, reason, now);
        return get(orgId, id);
      });
    },
    async rotateSecret(orgId, id, secret, previousExpiresAt, now) {
      const changed = db.run(
        'UPDATE webhooks SET previous_secret = secret, previous_secret_expires_at = ?, secret = ?, updated_at = ? WHERE org_id = ? AND id = ?',
        previousExpiresAt, secret, now, orgId, id,
      );
      return changed ? get(orgId, id) : null;
    },
  };
}
