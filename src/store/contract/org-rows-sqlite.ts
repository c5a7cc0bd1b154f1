// Test infrastructure for the isolation contract. Reads every row an organization owns from a SQLite file, on a connection of its own (the
// isolation contract compares them before and after a call; contract/org-rows.ts says which).
import { DatabaseSync } from 'node:sqlite';
import { type OrgRowsReader, type TableShape, ownershipPredicates, stableOrder } from './org-rows.ts';

export function sqliteOrgRows(path: string): OrgRowsReader {
  const db = new DatabaseSync(path, { readOnly: true });
  const shapes = (): TableShape[] => {
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>;
    return names.map(({ name }) => ({
      name,
      columns: (db.prepare(`PRAGMA table_info(${JSON.stringify(name)})`).all() as Array<{ name: string }>).map((c) => c.name),
      foreignKeys: (db.prepare(`PRAGMA foreign_key_list(${JSON.stringify(name)})`).all() as Array<{ id: number; from: string; table: string; to: string }>)
        .filter((fk, _, all) => all.filter((other) => other.id === fk.id).length === 1)
        .map((fk) => ({ column: fk.from, parent: fk.table, parentColumn: fk.to })),
    }));
  };
  return {
    async rows(orgId) {
      const rows: Record<string, unknown[]> = {};
      for (const [table, where] of ownershipPredicates(shapes(), '?')) {
        rows[table] = stableOrder(db.prepare(`SELECT * FROM ${table} WHERE ${where}`).all(orgId) as Array<Record<string, unknown>>);
      }
      return rows;
    },
    async close() {
      db.close();
    },
  };
}
