// The hot queries read what they need through the index meant for them, whatever the planner would
// pick by itself: a poll that walks every pending row blocks the event loop once retries pile up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Database } from './database.ts';
import { CHAIN_LATEST_SQL } from './calls.ts';
import { DUE_WEBHOOKS_SQL, RELEASE_WAITING_SQL, WEBHOOK_DUE_SQL, listDeliveriesSql, replaySql } from './deliveries.ts';
import { PURGE_DELIVERIES_SQL, PURGE_EVENTS_SQL } from './retention.ts';
import { USER_BY_REF_SQL } from './tenancy.ts';
import { HOLD_OPEN_DELIVERIES_SQL, NEXT_ATTEMPT_TIMES_SQL } from './webhooks.ts';

/** Each index on deliveries and the reads it serves: a new one is a cost on every write, so it is added here on purpose. */
const DELIVERY_INDEXES: Record<string, string> = {
  sqlite_autoindex_deliveries_1: 'a delivery by id (API, results, attempts foreign key)',
  deliveries_chain: "a chain's latest delivery, at ingest",
  deliveries_waiting: 'the deliveries a finished one releases',
  deliveries_org: 'the delivery log, newest first',
  deliveries_org_call: 'the log filtered by call; whether an event or a recording still has deliveries',
  deliveries_org_status: "the log filtered by status; a replay of a webhook's failed and held deliveries; an organization's hold",
  deliveries_org_event: 'the log filtered by event type',
  deliveries_webhook_seq: 'the log filtered by webhook; deleting a webhook',
  deliveries_webhook_due: "claims: the webhooks with pending deliveries, and each one's due; a webhook's next due time; disabling it holds its pending deliveries",
  deliveries_webhook_waiting: 'disabling a webhook holds its waiting deliveries',
  deliveries_finished: 'retention',
};

const dir = mkdtempSync(join(tmpdir(), 'callhook-plans-'));
const database = new Database(join(dir, 'plans.db'));
database.migrate();
afterAll(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

function plan(sql: string, ...params: unknown[]): string {
  return database.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, ...params).map((row) => row.detail).join('\n');
}

describe('SQLite query plans', () => {
  it('has only the indexes its reads need, each written on every insert and status change', () => {
    const names = database.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deliveries' ORDER BY name").map((row) => row.name);
    expect(names).toEqual(Object.keys(DELIVERY_INDEXES).sort());
  });

  // Each statement reads the few rows it is about through an index, never every delivery of a webhook or of the table.
  it.each([
    ["ingest finds a chain's latest delivery", CHAIN_LATEST_SQL, ['wh_1', 'c1'], 'SEARCH deliveries USING INDEX deliveries_chain (webhook_id=? AND call_id=?)'],
    ['a finished delivery releases the one waiting behind it', RELEASE_WAITING_SQL, [1, 'w1', 2, 1, 7], 'SEARCH deliveries USING COVERING INDEX deliveries_waiting (after_seq=?)'],
    ["a webhook's next due time", NEXT_ATTEMPT_TIMES_SQL, ['["wh_1"]'], 'SEARCH deliveries USING COVERING INDEX deliveries_webhook_due (webhook_id=?)'],
    ['disabling holds the pending deliveries', HOLD_OPEN_DELIVERIES_SQL[0]!, [1, 'wh_1'], 'SEARCH deliveries USING INDEX deliveries_webhook_due (webhook_id=?)'],
    ['disabling holds the waiting deliveries', HOLD_OPEN_DELIVERIES_SQL[1]!, [1, 'wh_1'], 'SEARCH deliveries USING INDEX deliveries_webhook_waiting (webhook_id=?)'],
    ['a replay reads the failed and held deliveries', replaySql(2), ['org', 'wh_1', 0, 'failed', 'held'], 'SEARCH deliveries USING INDEX deliveries_org_status (org_id=? AND status=?)'],
    ['retention purges finished deliveries', PURGE_DELIVERIES_SQL, [1, 100], 'SEARCH deliveries USING INDEX deliveries_finished (created_at<?)'],
    ['retention finds whether an event has deliveries left', PURGE_EVENTS_SQL, [1, 100], 'SEARCH d USING INDEX deliveries_org_call (org_id=? AND call_id=?)'],
  ])('%s through its index', (_name, sql, params, search) => {
    const detail = plan(sql, ...params);
    expect(detail).toContain(search);
    expect(detail).not.toMatch(/SCAN (deliveries|d)\b|deliveries_webhook_seq/);
  });

  // A claim reads what it may take: a seek per webhook with pending deliveries, to those due, oldest
  // first in the index's own order. Neither walks the pending deliveries nor sorts them.
  it.each([
    ['finds the webhooks with due deliveries, seeks for each with pending ones', DUE_WEBHOOKS_SQL, [1], 'SEARCH deliveries USING COVERING INDEX deliveries_webhook_due (webhook_id>?)'],
    ["reads a webhook's due deliveries, oldest due first", WEBHOOK_DUE_SQL, ['wh_1', 1, 1, 32], 'SEARCH deliveries USING INDEX deliveries_webhook_due (webhook_id=? AND next_attempt_at<?)'],
  ])('a claim %s', (_name, sql, params, search) => {
    const detail = plan(sql, ...params);
    expect(detail).toContain(search);
    expect(detail).not.toMatch(/SCAN deliveries\b|TEMP B-TREE/);
  });

  it.each([...USER_BY_REF_SQL])('finds the user a step names by one index lookup, not a walk of the organization: %s', (sql) => {
    const detail = plan(sql, 'org', 'ref');
    expect(detail).toMatch(/^SEARCH users USING (INDEX users_(extension|email)|PRIMARY KEY|INDEX sqlite_autoindex_users_1) \(org_id=\? AND (id|extension|email)=\?\)$/);
  });

  // A filter that matches little must not walk every delivery of the organization to fill a page:
  // SQLite is synchronous, and at a million deliveries that walk held the event loop for a second.
  it.each([
    ['callId', { callId: 'c1' }, 'deliveries_org_call', 'org_id=? AND call_id=?'],
    ['status', { status: 'failed' as const }, 'deliveries_org_status', 'org_id=? AND status=?'],
    ['event', { eventType: 'call.ended' as const }, 'deliveries_org_event', 'org_id=? AND event_type=?'],
    ['webhook', { webhookId: 'wh_1' }, 'deliveries_webhook_seq', 'webhook_id=?'],
    ['none', {}, 'deliveries_org', 'org_id=?'],
  ])('lists deliveries filtered by %s through their index, newest first without a sort', (_name, filter, index, search) => {
    for (const after of [undefined, 'dl_1']) {
      const { sql, params } = listDeliveriesSql('org', filter, after, 51);
      const detail = plan(sql, ...params);
      expect(detail).toContain(`SEARCH deliveries USING INDEX ${index} (${search}`);
      expect(detail).not.toMatch(/TEMP B-TREE/);
    }
  });
});
