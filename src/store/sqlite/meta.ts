// Small facts the service keeps about itself, by key, and each organization's outcome rules, on SQLite.
import type { OutcomeRules } from '../../calls/outcome-rules.ts';
import type { MetaStore, OutcomeRulesStore } from '../store.ts';
import { type Row, json, strOrNull } from '../rows.ts';
import type { Database } from './database.ts';

export function sqliteMeta(db: Database): MetaStore {
  return {
    async get(key) {
      return strOrNull(db.get<Row>('SELECT value FROM meta WHERE key = ?', key)?.value);
    },
    async set(key, value) {
      db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
    },
  };
}

export function sqliteOutcomeRules(db: Database): OutcomeRulesStore {
  return {
    async get(orgId) {
      const row = db.get<Row>('SELECT rules FROM outcome_rules WHERE org_id = ?', orgId);
      return row ? json<OutcomeRules>(row.rules) : null;
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
