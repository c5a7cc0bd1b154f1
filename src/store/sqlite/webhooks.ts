// Webhooks on SQLite. Every change draws the next settings version and is signalled to this
// process's subscribers once committed (ChangeFeed; SQLite has one process).
import type { Webhook } from '../../delivery/webhook.ts';
import type { Attempt } from '../../delivery/delivery.ts';
import { healthUpdates } from '../../delivery/webhook-health.ts';
import type { ChangeFeed, WebhookChange, WebhookHealthCounts, WebhookStore } from '../store.ts';
import { type Row, webhookFrom } from '../rows.ts';
import type { ChangeSignal } from '../change-signal.ts';
import { type Database, given, toPage } from './database.ts';

/** The next webhook settings version (one counter: versions never repeat, whatever is deleted). */
export function nextSettingsVersion(db: Database): number {
  return Number(db.get<Row>('UPDATE webhook_settings_version SET value = value + 1 WHERE id = 1 RETURNING value')!.value);
}

/**
 * Holds what webhook ?2 still owes, one status at a time: each statement names its partial index's
 * status (deliveries_webhook_due, deliveries_webhook_waiting), so SQLite reads those rows alone.
 */
export const HOLD_OPEN_DELIVERIES_SQL = ['pending', 'waiting'].map(
  (status) => `UPDATE deliveries SET status = 'held', next_attempt_at = NULL, after_seq = NULL, updated_at = ?1 WHERE webhook_id = ?2 AND status = '${status}'`,
);

/** Holds what the webhook still owes, so a disabled webhook sends nothing until replayed. */
export function holdOpenDeliveries(db: Database, webhookId: string, now: number): number {
  return HOLD_OPEN_DELIVERIES_SQL.reduce((held, sql) => held + db.run(sql, now, webhookId), 0);
}

/** Each webhook's next due time (index deliveries_webhook_due). */
export const NEXT_ATTEMPT_TIMES_SQL = `SELECT value AS id, (SELECT MIN(next_attempt_at) FROM deliveries WHERE webhook_id = value AND status = 'pending') AS at
  FROM json_each(?)`;

/** Disables the webhook, holds what it owes, and answers the change to signal once committed. */
export function disableWebhook(db: Database, webhookId: string, reason: string, now: number): WebhookChange {
  const version = nextSettingsVersion(db);
  db.run('UPDATE webhooks SET enabled = 0, disabled_reason = ?, disabled_at = ?, updated_at = ?, settings_version = ? WHERE id = ?', reason, now, now, version, webhookId);
  holdOpenDeliveries(db, webhookId, now);
  return { version, webhookIds: [webhookId], orgIds: [] };
}

export function sqliteWebhooks(db: Database, changes: ChangeSignal): WebhookStore {
  const get = (orgId: string, id: string): Webhook | null => {
    const row = db.get<Row>('SELECT * FROM webhooks WHERE org_id = ? AND id = ?', orgId, id);
    return row ? webhookFrom(row) : null;
  };
  /** Runs `write` in one transaction, then tells this process's subscribers. */
  const committed = <T extends { change: WebhookChange } | null>(write: () => T): T => {
    const result = db.transaction(write);
    if (result) changes.emit(result.change);
    return result;
  };
  return {
    async create(input) {
      return db.transaction(() => {
        const w = { ...input, settingsVersion: nextSettingsVersion(db) };
        db.run(
          `INSERT INTO webhooks (id, org_id, url, events, format, content_type, api_token, description, retry_schedule_s, timeout_ms,
             secret, previous_secret, previous_secret_expires_at, enabled, disabled_reason, disabled_at, last_success_at, last_error,
             settings_version, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          w.id, w.orgId, w.url, JSON.stringify(w.events), w.format, w.contentType, w.apiToken, w.description,
          w.retryScheduleS ? JSON.stringify(w.retryScheduleS) : null, w.timeoutMs, w.secret, w.previousSecret, w.previousSecretExpiresAt,
          w.enabled ? 1 : 0, w.disabledReason, w.disabledAt, w.lastSuccessAt, w.lastError, w.settingsVersion, w.createdAt, w.updatedAt,
        );
        return w;
      });
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
    async change(orgId, id, edit, now) {
      return committed(() => {
        const current = get(orgId, id);
        if (!current) return null;
        const next: Webhook = { ...current, ...given(edit.settings ?? {}), updatedAt: now };
        db.run(
          `UPDATE webhooks SET url = ?, events = ?, format = ?, content_type = ?, api_token = ?, description = ?, retry_schedule_s = ?,
             timeout_ms = ?, updated_at = ? WHERE id = ?`,
          next.url, JSON.stringify(next.events), next.format, next.contentType, next.apiToken, next.description,
          next.retryScheduleS ? JSON.stringify(next.retryScheduleS) : null, next.timeoutMs, now, id,
        );
        if (edit.state?.enabled === true && !current.enabled) {
          db.run('UPDATE webhooks SET enabled = 1, disabled_reason = NULL, disabled_at = NULL WHERE id = ?', id);
        }
        if (edit.state?.enabled === false && current.enabled) disableWebhook(db, id, edit.state.reason, now);
        if (edit.secret) {
          db.run('UPDATE webhooks SET previous_secret = secret, previous_secret_expires_at = ?, secret = ? WHERE id = ?', edit.secret.previousExpiresAt, edit.secret.secret, id);
        }
        const version = nextSettingsVersion(db);
        db.run('UPDATE webhooks SET settings_version = ? WHERE id = ?', version, id);
        return { value: get(orgId, id)!, change: { version, webhookIds: [id], orgIds: [] } };
      });
    },
    async delete(orgId, id) {
      const deleted = committed(() => {
        // Ownership first: every statement after it may name the webhook by id alone.
        if (!get(orgId, id)) return null;
        db.run('DELETE FROM attempts WHERE webhook_id = ?', id); // faster than the cascade through deliveries
        db.run('DELETE FROM webhooks WHERE org_id = ? AND id = ?', orgId, id);
        return { change: { version: nextSettingsVersion(db), webhookIds: [id], orgIds: [] } };
      });
      return deleted?.change ?? null;
    },
    async nextAttemptTimes(webhookIds) {
      const rows = db.all<Row>(NEXT_ATTEMPT_TIMES_SQL, JSON.stringify(webhookIds));
      return new Map(rows.filter((r) => r.at !== null).map((r) => [String(r.id), Number(r.at)]));
    },
    async healthCounts(orgIds) {
      const rows = db.all<Row>(
        `SELECT org_id, SUM(enabled = 1 AND consecutive_failures > 0) AS failing, SUM(enabled = 0) AS disabled
         FROM webhooks WHERE org_id IN (SELECT value FROM json_each(?)) GROUP BY org_id`,
        JSON.stringify(orgIds),
      );
      const counts = new Map<string, WebhookHealthCounts>(orgIds.map((id) => [id, { failing: 0, disabled: 0 }]));
      for (const row of rows) counts.set(String(row.org_id), { failing: Number(row.failing), disabled: Number(row.disabled) });
      return counts;
    },
  };
}

/**
 * Applies a batch of attempt results to each webhook's run of failures (webhook-health.ts), inside
 * the transaction that records them. A webhook with no failures, then or now, is not written.
 */
export function recordHealth(db: Database, attempts: Attempt[]): void {
  for (const h of healthUpdates(attempts)) {
    // ?2 (a success) ends the run unless it started before the run did; SET sees the row as it was.
    db.run(
      `UPDATE webhooks SET
         consecutive_failures = CASE WHEN ?2 IS NOT NULL AND (failing_since IS NULL OR failing_since <= ?2) THEN ?5 ELSE consecutive_failures + ?3 END,
         failing_since = CASE WHEN ?2 IS NOT NULL AND (failing_since IS NULL OR failing_since <= ?2) THEN ?6 ELSE COALESCE(failing_since, ?4) END,
         last_failure_at = CASE WHEN ?7 IS NULL THEN last_failure_at ELSE MAX(COALESCE(last_failure_at, ?7), ?7) END
       WHERE id = ?1 AND (?3 > 0 OR consecutive_failures > 0)`,
      h.webhookId, h.successAt, h.failures, h.firstFailureAt, h.failuresAfterSuccess, h.firstFailureAfterSuccess, h.lastFailureAt,
    );
  }
}

/** The feed of one process: its own changes, acknowledged by itself. */
export function sqliteChangeFeed(signal: ChangeSignal): ChangeFeed {
  return {
    subscribe: (listener) => signal.subscribe(listener),
    async acknowledge(version, owner) {
      signal.acknowledged(version, owner);
    },
    awaitAcknowledged({ version, self, timeoutMs }) {
      return signal.wait(version, new Set([self]), timeoutMs);
    },
  };
}
