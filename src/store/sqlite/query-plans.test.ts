// The hot queries read what they need through the index meant for them, whatever the planner would
// pick by itself: a poll that walks every pending row blocks the event loop once retries pile up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Database } from './database.ts';
import { CLAIM_DUE_SQL, listDeliveriesSql } from './deliveries.ts';
import { USER_BY_REF_SQL } from './tenancy.ts';

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
  it('claims due deliveries by their due time, not by walking every pending row of each webhook', () => {
    const detail = plan(CLAIM_DUE_SQL, Date.now(), Date.now(), '[]', 32, 256);
    expect(detail).toMatch(/SEARCH deliveries USING INDEX deliveries_due \(next_attempt_at<\?\)/);
    expect(detail).not.toMatch(/deliveries_webhook_due/);
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
