// Small facts the service keeps about itself, by key; each organization's outcome rules; the HEP
// source's dialog states — on PostgreSQL.
import { readBatches } from './read-batches.ts';
import { RULES_SQL } from './directory-reads.ts';
import type { OutcomeRules } from '../../calls/outcome-rules.ts';
import type { MetaStore, OutcomeRulesStore, SipDialogStore } from '../store.ts';
import { json, strOrNull } from '../rows.ts';
import type { PgDatabase } from './database.ts';

export function postgresMeta(db: PgDatabase): MetaStore {
  return {
    async get(key) {
      return strOrNull((await db.one('SELECT value FROM meta WHERE key = $1', [key]))?.value);
    },
    async set(key, value) {
      await db.run('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    },
    async init(key, value) {
      await db.run('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
      return String((await db.one('SELECT value FROM meta WHERE key = $1', [key]))!.value);
    },
  };
}

export function postgresOutcomeRules(db: PgDatabase): OutcomeRulesStore {
  // One statement for all of a turn's reads (ingest reads them in its own transaction: directory-reads.ts).
  const rulesOf = readBatches(async (orgIds: string[]) => {
    const rows = await db.rowsPlannedEachTime<{ org_id: string; rules: string }>(RULES_SQL, [[...new Set(orgIds)]]);
    const byOrg = new Map(rows.map((row) => [row.org_id, row.rules]));
    return orgIds.map((orgId) => byOrg.get(orgId) ?? null);
  });
  return {
    async get(orgId) {
      const rules = await rulesOf(orgId);
      return rules === null ? null : json<OutcomeRules>(rules);
    },
    async put(orgId, rules, now) {
      await db.run(
        'INSERT INTO outcome_rules (org_id, rules, updated_at) VALUES ($1, $2, $3) ON CONFLICT (org_id) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at',
        [orgId, JSON.stringify(rules), now],
      );
      return rules;
    },
  };
}

export function postgresSipDialogs(db: PgDatabase): SipDialogStore {
  return {
    async load(connectionId, callId) {
      const row = await db.one<{ state: string }>('SELECT state FROM sip_dialogs WHERE connection_id = $1 AND call_id = $2', [connectionId, callId]);
      return row ? json<unknown>(row.state) : null;
    },
    async save(connectionId, callId, state, now, expiresAt) {
      if (state === null) {
        await db.run('DELETE FROM sip_dialogs WHERE connection_id = $1 AND call_id = $2', [connectionId, callId]);
        return;
      }
      await db.run(
        `INSERT INTO sip_dialogs (connection_id, call_id, state, updated_at, expires_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (connection_id, call_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
        [connectionId, callId, JSON.stringify(state), now, expiresAt],
      );
    },
    async expired(now, limit) {
      const rows = await db.rows<{ connection_id: string; call_id: string; state: string }>(
        'SELECT connection_id, call_id, state FROM sip_dialogs WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2',
        [now, limit],
      );
      return rows.map((row) => ({ connectionId: row.connection_id, callId: row.call_id, state: json<unknown>(row.state) }));
    },
  };
}
