// Small facts the service keeps about itself, by key; each organization's outcome rules; the HEP
// source's dialog states — on SQLite.
import type { OutcomeRules } from '../../calls/outcome-rules.ts';
import type { MetaStore, OutcomeRulesStore, SipDialogStore } from '../store.ts';
import { type Row, json, strOrNull } from '../rows.ts';
import type { CommitQueue, Database } from './database.ts';

export function sqliteMeta(db: Database): MetaStore {
  return {
    async get(key) {
      return strOrNull(db.get<Row>('SELECT value FROM meta WHERE key = ?', key)?.value);
    },
    async set(key, value) {
      db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
    },
    async init(key, value) {
      db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', key, value);
      return String(db.get<Row>('SELECT value FROM meta WHERE key = ?', key)!.value);
    },
  };
}

export function outcomeRulesOf(db: Database, orgId: string): OutcomeRules | null {
  const row = db.get<Row>('SELECT rules FROM outcome_rules WHERE org_id = ?', orgId);
  return row ? json<OutcomeRules>(row.rules) : null;
}

export function sqliteOutcomeRules(db: Database): OutcomeRulesStore {
  return {
    async get(orgId) {
      return outcomeRulesOf(db, orgId);
    },
    async put(orgId, rules, now) {
      db.run(
        'INSERT INTO outcome_rules (org_id, rules, updated_at) VALUES (?, ?, ?) ON CONFLICT (org_id) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at',
        orgId, JSON.stringify(rules), now,
      );
      return rules;
    },
  };
}

export function sqliteSipDialogs(db: Database, commits: CommitQueue): SipDialogStore {
  return {
    async load(connectionId, callId) {
      const row = db.get<Row>('SELECT state FROM sip_dialogs WHERE connection_id = ? AND call_id = ?', connectionId, callId);
      return row ? json<unknown>(row.state) : null;
    },
    async save(connectionId, callId, state, now, expiresAt) {
      // Every call transition writes here: sharing the group commit's fsync keeps a busy PBX cheap.
      const text = state === null ? null : JSON.stringify(state);
      await commits.run(() => {
        if (text === null) {
          db.run('DELETE FROM sip_dialogs WHERE connection_id = ? AND call_id = ?', connectionId, callId);
          return;
        }
        db.run(
          `INSERT INTO sip_dialogs (connection_id, call_id, state, updated_at, expires_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (connection_id, call_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
          connectionId, callId, text, now, expiresAt,
        );
      });
    },
    async expired(now, limit) {
      return db
        .all<Row>('SELECT connection_id, call_id, state FROM sip_dialogs WHERE expires_at <= ? ORDER BY expires_at LIMIT ?', now, limit)
        .map((row) => ({ connectionId: String(row.connection_id), callId: String(row.call_id), state: json<unknown>(row.state) }));
    },
  };
}
