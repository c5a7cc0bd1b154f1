// Small facts the service keeps about itself, by key, and each organization's outcome rules, on PostgreSQL.
import type { OutcomeRules } from '../../calls/outcome-rules.ts';
import type { MetaStore, OutcomeRulesStore } from '../store.ts';
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
  };
}

export function postgresOutcomeRules(db: PgDatabase): OutcomeRulesStore {
  return {
    async get(orgId) {
      const row = await db.one<{ rules: string }>('SELECT rules FROM outcome_rules WHERE org_id = $1', [orgId]);
      return row ? json<OutcomeRules>(row.rules) : null;
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
